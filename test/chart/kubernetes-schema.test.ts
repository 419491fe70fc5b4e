// Every rendered object, in every option group, validated offline against the Kubernetes OpenAPI
// schemas compiled into kubernetes-models (and prometheus-operator's for ServiceMonitor): the
// runtime validators check types, required fields, enums and formats; the same package's
// TypeScript interfaces, with the compiler's excess-property check, reject unknown fields.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CI_VALUES, LOCAL_PROFILE, ROOT, render, type K8sObject } from './helm.js';

// apiVersion -> the package module holding its models
function modulePath(apiVersion: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

async function validate(obj: K8sObject): Promise<void> {
  let mod: Record<string, any>;
  try {
    mod = await import(modulePath(obj.apiVersion));
  } catch {
    throw new Error(`no schema for apiVersion ${obj.apiVersion} (${obj.kind} ${obj.metadata.name})`);
  }
  const Model = mod[obj.kind];
  if (typeof Model !== 'function') throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata.name})`);
  try {
    new Model(obj).validate();
  } catch (e: any) {
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${e.message}`);
  }
}

/** Unknown fields anywhere in the objects: each object becomes a literal typed with its model's
 *  interface, so TypeScript reports "Object literal may only specify known properties". */
function unknownFields(objs: K8sObject[]): string[] {
  // under node_modules so the compiler resolves the packages; git-ignored
  const dir = join(ROOT, 'node_modules/.cache/mirador-chart-types');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `objects-${process.pid}.mts`);
  const src = objs.map((o, i) =>
    `import type { I${o.kind} as T${i} } from '${modulePath(o.apiVersion)}/${o.kind}';\nexport const o${i}: T${i} = ${JSON.stringify(o)};`);
  writeFileSync(file, src.join('\n') + '\n');
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  try {
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const o = objs[Math.floor(line / 2)];
      return `${o ? `${o.kind} ${o.metadata.name}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
  } finally {
    rmSync(file, { force: true });
  }
}

const cases: Array<[string, string[]]> = [['defaults', []], ...[...CI_VALUES, LOCAL_PROFILE].map((f): [string, string[]] => [basename(f), [f]])];
const rendered = new Map<string, Promise<K8sObject[]>>();
const renderCase = (files: string[]) => {
  const key = files.join(',');
  if (!rendered.has(key)) rendered.set(key, render({ files }));
  return rendered.get(key)!;
};

describe('rendered objects match the Kubernetes OpenAPI schemas', () => {
  it('the validator rejects a broken object (the check has teeth)', async () => {
    const [svc] = (await render()).filter((o) => o.kind === 'Service');
    await expect(validate({ ...svc, spec: { ...svc.spec, ports: [{ port: 'otlp' }] } })).rejects.toThrow(/spec\/ports\/0\/port must be integer/);
    await expect(validate({ ...svc, apiVersion: 'example.com/v9' })).rejects.toThrow(/no schema for apiVersion example.com\/v9/);
  });

  for (const [name, files] of cases) {
    it(name, async () => {
      const objs = await renderCase(files);
      expect(objs.length).toBeGreaterThan(10);
      const errors: string[] = [];
      for (const obj of objs) await validate(obj).catch((e: Error) => errors.push(e.message));
      expect(errors).toEqual([]);
    });
  }

  it('no object has a field its Kubernetes type does not define', async () => {
    const all = new Map<string, K8sObject>();
    for (const [, files] of cases) for (const o of await renderCase(files)) all.set(JSON.stringify(o), o);
    expect(unknownFields([...all.values()])).toEqual([]);
  });

  it('the unknown-field check has teeth', async () => {
    const deployment = (await render()).find((o) => o.kind === 'Deployment')!;
    const pod = deployment.spec.template.spec;
    const broken = { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, spec: { ...pod, containers: [{ ...pod.containers[0], imagePullPolicy: 'Never', readinessProbes: {} }] } } } };
    expect(unknownFields([broken]).join('\n')).toMatch(/Deployment mirador-gateway: .*'"?readinessProbes"?' does not exist in type 'IContainer'/);
  });

  it('covers every kind the chart can render', async () => {
    const kinds = new Set<string>();
    for (const [, files] of cases) for (const o of await renderCase(files)) kinds.add(`${o.apiVersion} ${o.kind}`);
    expect([...kinds].sort()).toEqual([
      'apps/v1 Deployment', 'apps/v1 StatefulSet', 'autoscaling/v2 HorizontalPodAutoscaler', 'monitoring.coreos.com/v1 ServiceMonitor',
      'networking.k8s.io/v1 NetworkPolicy', 'policy/v1 PodDisruptionBudget', 'rbac.authorization.k8s.io/v1 Role',
      'rbac.authorization.k8s.io/v1 RoleBinding', 'v1 ConfigMap', 'v1 Pod', 'v1 Service', 'v1 ServiceAccount',
    ]);
  });
});
