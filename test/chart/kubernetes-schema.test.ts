// Every rendered object, in every option group, validated offline against the Kubernetes OpenAPI
// schemas compiled into kubernetes-models (and prometheus-operator's for ServiceMonitor).
import { describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { CI_VALUES, LOCAL_PROFILE, render, type K8sObject } from './helm.js';

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

const cases: Array<[string, string[]]> = [['defaults', []], ...[...CI_VALUES, LOCAL_PROFILE].map((f): [string, string[]] => [basename(f), [f]])];

describe('rendered objects match the Kubernetes OpenAPI schemas', () => {
  it('the validator rejects a broken object (the check has teeth)', async () => {
    const [svc] = (await render()).filter((o) => o.kind === 'Service');
    await expect(validate({ ...svc, spec: { ...svc.spec, ports: [{ port: 'otlp' }] } })).rejects.toThrow(/spec\/ports\/0\/port must be integer/);
    await expect(validate({ ...svc, apiVersion: 'example.com/v9' })).rejects.toThrow(/no schema for apiVersion example.com\/v9/);
  });

  for (const [name, files] of cases) {
    it(name, async () => {
      const objs = await render({ files });
      expect(objs.length).toBeGreaterThan(10);
      const errors: string[] = [];
      for (const obj of objs) await validate(obj).catch((e: Error) => errors.push(e.message));
      expect(errors).toEqual([]);
    });
  }

  it('covers every kind the chart can render', async () => {
    const kinds = new Set<string>();
    for (const [, files] of cases) for (const o of await render({ files })) kinds.add(`${o.apiVersion} ${o.kind}`);
    expect([...kinds].sort()).toEqual([
      'apps/v1 Deployment', 'autoscaling/v2 HorizontalPodAutoscaler', 'monitoring.coreos.com/v1 ServiceMonitor',
      'networking.k8s.io/v1 NetworkPolicy', 'policy/v1 PodDisruptionBudget', 'rbac.authorization.k8s.io/v1 Role',
      'rbac.authorization.k8s.io/v1 RoleBinding', 'v1 ConfigMap', 'v1 Pod', 'v1 Service', 'v1 ServiceAccount',
    ]);
  });
});
