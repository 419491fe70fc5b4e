// `helm template` asserts: the default topology, routes to disabled components, RBAC scope,
// config checksums, the single trace writer, and the local profile.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COMPONENTS, LOCAL_PROFILE, NAMESPACE, configs, configTexts, named, ofKind, render, template, traceWriters,
  type Component, type K8sObject,
} from './helm.js';

const replicas = (objs: K8sObject[]) =>
  Object.fromEntries(ofKind(objs, 'Deployment').map((d) => [d.metadata.name, d.spec.replicas]));
const checksum = (objs: K8sObject[], c: Component) =>
  named(objs, 'Deployment', `mirador-${c}`)!.spec.template.metadata.annotations['checksum/config'];
const container = (objs: K8sObject[], c: Component) => named(objs, 'Deployment', `mirador-${c}`)!.spec.template.spec.containers[0];

let defaults: K8sObject[];
beforeAll(async () => { defaults = await render(); });

describe('default release', () => {
  it('runs 8 pods: gateway 3, isolationforest 3, servicegraph 1, spanmetrics 1', () => {
    expect(replicas(defaults)).toEqual({
      'mirador-gateway': 3, 'mirador-servicegraph': 1, 'mirador-spanmetrics': 1, 'mirador-isolationforest': 3,
    });
    expect(Object.values(replicas(defaults)).reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('has a ClusterIP Service per component exposing 8888, 4317 and 4318', () => {
    const services = ofKind(defaults, 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual(COMPONENTS.map((c) => `mirador-${c}`).sort());
    for (const s of services) {
      expect(s.spec.type).toBe('ClusterIP');
      expect(s.spec.ports.map((p: any) => p.port).sort()).toEqual([4317, 4318, 8888]);
      expect(s.spec.selector['app.kubernetes.io/component']).toBe(s.metadata.labels!['app.kubernetes.io/component']);
    }
  });

  it('grants the k8s resolver namespaced read access to endpoints and endpointslices only, nothing cluster-wide', () => {
    expect(defaults.filter((o) => /^Cluster/.test(o.kind))).toEqual([]);
    const roles = ofKind(defaults, 'Role');
    // isolationforest exports only to VictoriaMetrics: no resolver, no Role
    expect(roles.map((r) => r.metadata.name).sort()).toEqual(['mirador-gateway', 'mirador-servicegraph', 'mirador-spanmetrics']);
    for (const r of roles) {
      expect(r.metadata.namespace).toBe(NAMESPACE);
      expect(r.rules).toEqual([
        { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ]);
      const binding = named(defaults, 'RoleBinding', r.metadata.name)!;
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: r.metadata.name });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: r.metadata.name, namespace: NAMESPACE }]);
    }
    expect(named(defaults, 'ServiceAccount', 'mirador-isolationforest')!.automountServiceAccountToken).toBe(false);
  });

  it('wires the seed data flow with the current component names', () => {
    const c = configs(defaults);
    const gw = c.gateway;
    expect(gw.exporters['loadbalancing/servicegraph'].routing_key).toBe('traceID');
    expect(gw.exporters['loadbalancing/spanmetrics'].routing_key).toBe('service');
    expect(gw.exporters['loadbalancing/isolationforest'].routing_key).toBe('resource');
    expect(gw.exporters['loadbalancing/isolationforest'].resolver).toEqual({
      k8s: { service: `mirador-isolationforest.${NAMESPACE}`, ports: [4317] },
    });
    expect(gw.service.pipelines.traces.exporters).toEqual(['loadbalancing/servicegraph', 'loadbalancing/spanmetrics']);
    expect(gw.service.pipelines.metrics.exporters).toEqual(['loadbalancing/isolationforest']);
    expect(gw.service.pipelines.logs.exporters).toEqual(['cassandra_logs']);
    expect(gw.receivers.otlp.protocols.grpc.endpoint).toBe('${env:MY_POD_IP}:4317');
    // servicegraph's metrics are scored too, through isolationforest
    expect(c.servicegraph.service.pipelines.metrics).toMatchObject({ receivers: ['servicegraph'], exporters: ['loadbalancing/isolationforest'] });
    expect(c.spanmetrics.service.pipelines.metrics).toMatchObject({ receivers: ['spanmetrics'], exporters: ['loadbalancing/isolationforest'] });
    const ifc = c.isolationforest;
    // delta sums become cumulative before they are scored and stored
    expect(ifc.service.pipelines.metrics.processors).toEqual(['memory_limiter', 'deltatocumulative', 'isolationforest', 'batch']);
    expect(ifc.exporters['otlp_http/victoriametrics'].metrics_endpoint).toMatch(/:8428\/opentelemetry\/v1\/metrics$/);
    // no deprecated type names in the chart's own defaults
    for (const cfg of Object.values(c)) {
      for (const id of Object.keys(cfg.exporters)) expect(id.split('/')[0]).not.toMatch(/^(otlp|otlphttp)$/);
    }
  });

  it('sends each isolationforest pod one request at a time per sender (a series\' points in order), other targets with queue.num_consumers', async () => {
    for (const objs of [defaults, await render({ set: { 'queue.num_consumers': 4 } })]) {
      const c = configs(objs);
      for (const x of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
        expect(c[x].exporters['loadbalancing/isolationforest'].protocol.otlp.sending_queue.num_consumers, x).toBe(1);
      }
      const n = objs === defaults ? 10 : 4;
      expect(c.gateway.exporters['loadbalancing/spanmetrics'].protocol.otlp.sending_queue.num_consumers).toBe(n);
      expect(c.isolationforest.exporters['otlp_http/victoriametrics'].sending_queue.num_consumers).toBe(n);
    }
  });

  it('queues in memory by default: nothing on file_storage, no queue volume', () => {
    const c = configs(defaults);
    for (const comp of ['gateway', 'servicegraph', 'spanmetrics', 'isolationforest'] as const) {
      expect(c[comp].extensions['file_storage/queue']).toBeUndefined();
      for (const exp of Object.values<any>(c[comp].exporters)) expect(exp.sending_queue?.storage).toBeUndefined();
      const pod = named(defaults, 'Deployment', `mirador-${comp}`)!.spec.template.spec;
      expect((pod.volumes ?? []).find((v: any) => v.name === 'queue')).toBeUndefined();
    }
  });

  it('puts backend exporters on a file_storage queue backed by a volume when enabled', async () => {
    const persistent = await render({ set: { 'isolationforest.persistentQueue.enabled': true, 'servicegraph.persistentQueue.enabled': true, 'servicegraph.metricsVia': 'direct' } });
    const c = configs(persistent);
    expect(c.isolationforest.exporters['otlp_http/victoriametrics'].sending_queue.storage).toBe('file_storage/queue');
    expect(c.servicegraph.exporters['otlp_http/victoriametrics'].sending_queue.storage).toBe('file_storage/queue');
    for (const comp of ['isolationforest', 'servicegraph'] as const) {
      expect(c[comp].service.extensions).toContain('file_storage/queue');
      const pod = named(persistent, 'Deployment', `mirador-${comp}`)!.spec.template.spec;
      const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'queue');
      expect(mount.mountPath).toBe(c[comp].extensions['file_storage/queue'].directory);
      expect(pod.volumes.find((v: any) => v.name === 'queue').emptyDir).toEqual({ sizeLimit: '1Gi' });
    }
    expect(c.gateway.extensions['file_storage/queue']).toBeUndefined();
  });

  it('refuses a persistent queue that no exporter of the component would use', async () => {
    // servicegraph's metrics go through the load-balancing exporter, whose queues are per target, in memory
    const r = await template({ set: { 'servicegraph.persistentQueue.enabled': true } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/servicegraph.persistentQueue.enabled=true, but no exporter of servicegraph has a queue it could keep on disk/);
  });

  it('runs pods non-root on a read-only root filesystem with probes, MY_POD_IP and GOMEMLIMIT at 80% of the limit', () => {
    const expected: Record<Component, string> = { gateway: '819MiB', servicegraph: '409MiB', spanmetrics: '409MiB', isolationforest: '1638MiB' };
    for (const comp of COMPONENTS) {
      const d = named(defaults, 'Deployment', `mirador-${comp}`)!;
      const ctr = container(defaults, comp);
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(ctr.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(ctr.livenessProbe.httpGet.port).toBe('health');
      expect(ctr.readinessProbe.httpGet.port).toBe('health');
      expect(ctr.env.find((e: any) => e.name === 'MY_POD_IP').valueFrom.fieldRef.fieldPath).toBe('status.podIP');
      expect(ctr.env.find((e: any) => e.name === 'GOMEMLIMIT').value).toBe(expected[comp]);
      expect(ctr.resources.limits.memory).toBeDefined();
      expect(ctr.args).toEqual(['--config=/etc/mirador/config/relay.yaml']);
    }
  });
});

describe('values change the release', () => {
  it('takes every component\'s image from the top-level image unless the component sets its own', async () => {
    expect(container(defaults, 'gateway').image).toBe('ghcr.io/mirador-signals/otelcol-mirador:0.144.0');
    const objs = await render({ set: { 'image.repository': 'otelcol-mirador', 'image.tag': 'dev', 'image.pullPolicy': 'Never', 'isolationforest.image.tag': 'canary' } });
    for (const c of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
      expect(container(objs, c)).toMatchObject({ image: 'otelcol-mirador:dev', imagePullPolicy: 'Never' });
    }
    expect(container(objs, 'isolationforest')).toMatchObject({ image: 'otelcol-mirador:canary', imagePullPolicy: 'Never' });
  });

  it('scales a component with replicaCount, and an HPA replaces replicas', async () => {
    expect(replicas(await render({ set: { 'isolationforest.replicaCount': 5 } }))['mirador-isolationforest']).toBe(5);
    const hpa = await render({ set: { 'gateway.autoscaling.enabled': true, 'gateway.autoscaling.maxReplicas': 7 } });
    expect(named(hpa, 'Deployment', 'mirador-gateway')!.spec.replicas).toBeUndefined();
    expect(named(hpa, 'HorizontalPodAutoscaler', 'mirador-gateway')!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 7 });
  });

  for (const comp of ['servicegraph', 'spanmetrics', 'isolationforest'] as const) {
    it(`${comp}.enabled=false removes it and every route to it`, async () => {
      const objs = await render({ set: { [`${comp}.enabled`]: false } });
      expect(objs.filter((o) => o.metadata.name === `mirador-${comp}`)).toEqual([]);
      const texts = configTexts(objs);
      expect(Object.keys(texts)).not.toContain(comp);
      for (const text of Object.values(texts)) {
        expect(text).not.toContain(`mirador-${comp}`);
        expect(text).not.toContain(`loadbalancing/${comp}`);
      }
      if (comp === 'isolationforest') {
        // unscored, but still stored: every metric path ends at VictoriaMetrics
        const c = configs(objs);
        for (const x of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
          expect(c[x].service.pipelines.metrics.exporters).toEqual(['otlp_http/victoriametrics']);
        }
        expect(ofKind(objs, 'Role').map((r) => r.metadata.name)).toEqual(['mirador-gateway']);
      }
    });
  }

  it('gateway.enabled=false removes the gateway and its helm test', async () => {
    const objs = await render({ set: { 'gateway.enabled': false, 'backends.victoriaTraces.exportedBy': 'servicegraph' } });
    expect(objs.filter((o) => o.metadata.name.startsWith('mirador-gateway'))).toEqual([]);
    expect(ofKind(objs, 'Pod')).toEqual([]);
    expect(ofKind(objs, 'Deployment')).toHaveLength(3);
  });

  it('changes the checksum annotation of exactly the pods whose config changed', async () => {
    const batch = await render({ set: { 'gateway.config.processors.batch.timeout': '5s' } });
    expect(checksum(batch, 'gateway')).not.toBe(checksum(defaults, 'gateway'));
    for (const c of ['servicegraph', 'spanmetrics', 'isolationforest'] as const) expect(checksum(batch, c)).toBe(checksum(defaults, c));
    // a shared value changes every config
    const shared = await render({ set: { 'batch.send_batch_size': 1000 } });
    for (const c of COMPONENTS) expect(checksum(shared, c)).not.toBe(checksum(defaults, c));
    // disabling a sibling rewrites the gateway's routes, so the gateway rolls too
    const noSg = await render({ set: { 'servicegraph.enabled': false } });
    expect(checksum(noSg, 'gateway')).not.toBe(checksum(defaults, 'gateway'));
    expect(checksum(noSg, 'isolationforest')).toBe(checksum(defaults, 'isolationforest'));
    // the same values give the same checksum (no random or time-dependent input): a fresh helm run
    const again = await template();
    expect(again.stdout.match(/checksum\/config: (\w+)/g)).toEqual((await template({ set: {} })).stdout.match(/checksum\/config: (\w+)/g));
    expect(again.stdout).toContain(`checksum/config: ${checksum(defaults, 'gateway')}`);
  });

  it('merges config over the defaults: maps merge, lists replace', async () => {
    const c = configs(await render({
      setJson: { 'isolationforest.config.processors.isolationforest.threshold': 0.7, 'gateway.config.service.pipelines.logs.processors': ['batch'] },
    }));
    // the processor's own defaults are not repeated by the chart: only what was set
    expect(c.isolationforest.processors.isolationforest).toEqual({ threshold: 0.7 });
    expect(c.gateway.service.pipelines.logs).toEqual({ receivers: ['otlp'], processors: ['batch'], exporters: ['cassandra_logs'] });
  });
});

describe('traces are stored by exactly one component', () => {
  for (const writer of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
    it(`exportedBy=${writer}`, async () => {
      const c = configs(await render({ set: { 'backends.victoriaTraces.exportedBy': writer } }));
      expect(traceWriters(c)).toEqual([`${writer}/otlp_http/victoriatraces`]);
      expect(c[writer].exporters['otlp_http/victoriatraces'].traces_endpoint).toBe('http://victoriatraces:10428/insert/opentelemetry/v1/traces');
    });
  }
  it('exportedBy=none stores none', async () => {
    expect(traceWriters(configs(await render({ set: { 'backends.victoriaTraces.exportedBy': 'none' } })))).toEqual([]);
  });
  it('in every option group', async () => {
    for (const file of (await import('./helm.js')).CI_VALUES) {
      expect(traceWriters(configs(await render({ files: [file] }))), file).toHaveLength(1);
    }
  });
  it('samples only the stored traces when sampling is on', async () => {
    const c = configs(await render({ set: { 'sampling.enabled': true, 'sampling.percentage': 5 } }));
    expect(c.gateway.processors.probabilistic_sampler).toEqual({ sampling_percentage: 5 });
    expect(c.gateway.service.pipelines['traces/store'].processors).toEqual(['memory_limiter', 'probabilistic_sampler', 'batch']);
    expect(c.gateway.service.pipelines.traces.processors).not.toContain('probabilistic_sampler');
    expect(configs(defaults).gateway.processors.probabilistic_sampler).toBeUndefined();
  });
});

describe('options', () => {
  it('static resolver: host lists from values, no Role, no API token', async () => {
    const objs = await render({ set: { 'loadBalancing.resolver': 'static', 'loadBalancing.static.servicegraph': '{a:4317}', 'loadBalancing.static.spanmetrics': '{b:4317}', 'loadBalancing.static.isolationforest': '{c:4317,d:4317}' } });
    expect(configs(objs).gateway.exporters['loadbalancing/isolationforest'].resolver).toEqual({ static: { hostnames: ['c:4317', 'd:4317'] } });
    expect(ofKind(objs, 'Role')).toEqual([]);
    for (const sa of ofKind(objs, 'ServiceAccount')) expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('servicegraph.metricsVia=direct sends topology metrics straight to VictoriaMetrics', async () => {
    const c = configs(await render({ set: { 'servicegraph.metricsVia': 'direct', 'servicegraph.persistentQueue.enabled': true } }));
    expect(c.servicegraph.service.pipelines.metrics.exporters).toEqual(['otlp_http/victoriametrics']);
    expect(c.servicegraph.exporters['otlp_http/victoriametrics'].sending_queue.storage).toBe('file_storage/queue');
  });

  it('logs: cassandra_logs with credentials from a Secret, or the seed\'s OTLP adapter', async () => {
    const objs = await render({ set: { 'backends.cassandra.auth.existingSecret': 'cass', 'backends.cassandra.ttl': '48h' } });
    const gw = configs(objs).gateway;
    expect(gw.exporters.cassandra_logs).toMatchObject({
      endpoints: ['cassandra:9042'], keyspace: 'mirador', table: 'logs', ttl: '48h', trace_id_index: true,
      replication: { class: 'SimpleStrategy', replication_factor: 1 },
      auth: { username: '${env:CASSANDRA_USERNAME}', password: '${env:CASSANDRA_PASSWORD}' },
    });
    const env = container(objs, 'gateway').env;
    expect(env.find((e: any) => e.name === 'CASSANDRA_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'cass', key: 'password' });
    const otlp = configs(await render({ set: { 'backends.logs.exporter': 'otlp' } })).gateway;
    expect(otlp.exporters.cassandra_logs).toBeUndefined();
    expect(otlp.exporters['otlp_grpc/logs'].endpoint).toBe('otlp-logs-adapter:4317');
    expect(otlp.service.pipelines.logs.exporters).toEqual(['otlp_grpc/logs']);
  });

  it('TLS between collectors: receivers serve the Secret\'s cert, exporters verify the target Service name', async () => {
    const objs = await render({ set: { 'loadBalancing.tls.enabled': true, 'loadBalancing.tls.secretName': 'internal-tls' } });
    const c = configs(objs);
    expect(c.gateway.exporters['loadbalancing/isolationforest'].protocol.otlp.tls).toMatchObject({
      insecure: false, ca_file: '/etc/mirador/tls/ca.crt', server_name_override: `mirador-isolationforest.${NAMESPACE}.svc`,
    });
    expect(c.isolationforest.receivers.otlp.protocols.grpc.tls).toEqual({ cert_file: '/etc/mirador/tls/tls.crt', key_file: '/etc/mirador/tls/tls.key' });
    expect(c.gateway.receivers.otlp.protocols.grpc.tls).toBeUndefined();
    for (const comp of COMPONENTS) {
      const pod = named(objs, 'Deployment', `mirador-${comp}`)!.spec.template.spec;
      expect(pod.volumes.find((v: any) => v.name === 'tls').secret.secretName).toBe('internal-tls');
    }
  });

  it('NetworkPolicy admits the release\'s collectors and allowIngressFrom on the OTLP and metrics ports', async () => {
    const objs = await render({ set: { 'isolationforest.networkPolicy.enabled': true, 'isolationforest.networkPolicy.allowIngressFrom[0].namespaceSelector.matchLabels.team': 'apps' } });
    const np = named(objs, 'NetworkPolicy', 'mirador-isolationforest')!;
    expect(np.spec.podSelector.matchLabels['app.kubernetes.io/component']).toBe('isolationforest');
    expect(np.spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mirador', 'app.kubernetes.io/instance': 'mirador' } } },
      { namespaceSelector: { matchLabels: { team: 'apps' } } },
    ]);
    expect(np.spec.ingress[0].ports.map((p: any) => p.port)).toEqual(['otlp-grpc', 'otlp-http', 'metrics']);
    expect(ofKind(objs, 'NetworkPolicy')).toHaveLength(1);
  });
});

describe('anomaly events (issue 16)', () => {
  const logsWriters = (c: Partial<Record<Component, any>>) =>
    Object.entries(c).filter(([, cfg]) => Object.keys(cfg.exporters ?? {}).some((id) => id.split('/')[0] === 'cassandra_logs')).map(([name]) => name);

  it('isolationforest emits its processor\'s events into a logs pipeline that sends them to the gateway, which stores them: one logs writer', () => {
    const c = configs(defaults);
    const ifc = c.isolationforest;
    // the receiver names the processor that runs in the metrics pipeline of the same collector
    expect(ifc.receivers.anomaly_events).toEqual({ processor: 'isolationforest' });
    expect(ifc.service.pipelines.metrics.processors).toContain(ifc.receivers.anomaly_events.processor);
    expect(ifc.service.pipelines['logs/anomalies']).toEqual({ receivers: ['anomaly_events'], processors: ['memory_limiter', 'batch'], exporters: ['otlp_grpc/events'] });
    const gatewayGrpc = named(defaults, 'Service', 'mirador-gateway')!.spec.ports.find((p: any) => p.name === 'otlp-grpc').port;
    expect(ifc.exporters['otlp_grpc/events']).toMatchObject({
      endpoint: `mirador-gateway.${NAMESPACE}.svc:${gatewayGrpc}`, tls: { insecure: true },
      sending_queue: { enabled: true }, retry_on_failure: { enabled: true, initial_interval: '1s' },
    });
    // the gateway's OTLP receiver takes them into its logs pipeline, which writes Cassandra
    expect(c.gateway.receivers.otlp.protocols.grpc.endpoint).toMatch(new RegExp(`:${gatewayGrpc}$`));
    expect(c.gateway.service.pipelines.logs).toEqual({ receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['cassandra_logs'] });
    expect(logsWriters(c)).toEqual(['gateway']);
  });

  it('spanmetrics attaches exemplars (trace ids) to the RED metrics', () => {
    expect(configs(defaults).spanmetrics.connectors.spanmetrics.exemplars).toEqual({ enabled: true });
  });

  it('follows the gateway\'s port, and anomalyEvents.endpoint / tls send them elsewhere', async () => {
    const moved = configs(await render({ set: { 'gateway.ports.otlpGrpc': 5317 } }));
    expect(moved.isolationforest.exporters['otlp_grpc/events'].endpoint).toBe(`mirador-gateway.${NAMESPACE}.svc:5317`);
    const elsewhere = configs(await render({ setJson: { 'isolationforest.anomalyEvents': { endpoint: 'events-sink.ops:4317', tls: { insecure: false, ca_file: '/ca.crt' } } } }));
    expect(elsewhere.isolationforest.exporters['otlp_grpc/events']).toMatchObject({ endpoint: 'events-sink.ops:4317', tls: { insecure: false, ca_file: '/ca.crt' } });
  });

  for (const [how, opts] of [
    ['isolationforest.processor.events.enabled=false', { setJson: { 'isolationforest.processor.events': { enabled: false } } }],
    ['the same in config.processors.isolationforest', { setJson: { 'isolationforest.config.processors.isolationforest.events.enabled': false } }],
  ] as const) {
    it(`${how} turns them off: no receiver, pipeline or exporter; only isolationforest rolls`, async () => {
      const objs = await render(opts);
      const ifc = configs(objs).isolationforest;
      expect(ifc.receivers.anomaly_events).toBeUndefined();
      expect(ifc.exporters['otlp_grpc/events']).toBeUndefined();
      expect(Object.keys(ifc.service.pipelines)).toEqual(['metrics']);
      expect(ifc.processors.isolationforest.events).toEqual({ enabled: false });
      expect(checksum(objs, 'isolationforest')).not.toBe(checksum(defaults, 'isolationforest'));
      for (const c of ['gateway', 'servicegraph', 'spanmetrics'] as const) expect(checksum(objs, c)).toBe(checksum(defaults, c));
    });
  }

  it('the processor\'s other event options pass through as given', async () => {
    const ifc = configs(await render({ setJson: { 'isolationforest.processor.events': { max_per_series_per_hour: 2, trace_ids: 3 } } })).isolationforest;
    expect(ifc.processors.isolationforest).toEqual({ events: { max_per_series_per_hour: 2, trace_ids: 3 } });
    expect(ifc.service.pipelines['logs/anomalies'].receivers).toEqual(['anomaly_events']);
  });

  it('without the gateway, isolationforest writes them to the logs backend itself (still one writer, with the credentials)', async () => {
    const objs = await render({ set: {
      'gateway.enabled': false, 'backends.victoriaTraces.exportedBy': 'servicegraph', 'backends.cassandra.auth.existingSecret': 'cassandra-credentials',
    } });
    const c = configs(objs);
    expect(c.isolationforest.service.pipelines['logs/anomalies'].exporters).toEqual(['cassandra_logs']);
    expect(c.isolationforest.exporters['otlp_grpc/events']).toBeUndefined();
    expect(logsWriters(c)).toEqual(['isolationforest']);
    expect(container(objs, 'isolationforest').env.map((e: any) => e.name)).toEqual(expect.arrayContaining(['CASSANDRA_USERNAME', 'CASSANDRA_PASSWORD']));
    // the seed's otlp/logs id names that backend then too
    const adapter = configs(await render({ set: { 'gateway.enabled': false, 'backends.victoriaTraces.exportedBy': 'servicegraph' },
      setJson: { 'isolationforest.config.exporters.otlp/logs': { endpoint: 'logs-adapter:4317' } } }));
    expect(adapter.isolationforest.service.pipelines['logs/anomalies'].exporters).toEqual(['otlp/logs']);
    // and with the events off as well, a logs backend nobody writes is refused
    const r = await template({ set: { 'gateway.enabled': false, 'backends.victoriaTraces.exportedBy': 'servicegraph', 'isolationforest.processor.events.enabled': false },
      setJson: { 'isolationforest.config.exporters.otlp/logs': { endpoint: 'logs-adapter:4317' } } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/isolationforest.config.exporters.otlp\/logs defines the logs backend, but logs are written by the gateway/);
  });

  it('are wired in every option group with isolationforest, and logs have one writer everywhere', async () => {
    const { CI_VALUES } = await import('./helm.js');
    for (const file of [...CI_VALUES, LOCAL_PROFILE]) {
      const c = configs(await render({ files: [file] }));
      if (!c.isolationforest) continue;
      expect(c.isolationforest.service.pipelines['logs/anomalies']?.receivers, file).toEqual(['anomaly_events']);
      expect(logsWriters(c).length, file).toBeLessThanOrEqual(1);
      expect(c.spanmetrics?.connectors.spanmetrics.exemplars ?? { enabled: true }, file).toEqual({ enabled: true });
    }
  });
});

describe('isolationforest.persistence (issue 17)', () => {
  const on = { 'isolationforest.persistence.enabled': true };
  const workloadOf = (objs: K8sObject[], c: Component) => objs.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === `mirador-${c}`)!;
  const workload = (objs: K8sObject[]) => objs.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === 'mirador-isolationforest');

  it('is off by default: a Deployment, no claims, no state storage', () => {
    expect(workload(defaults).map((o) => o.kind)).toEqual(['Deployment']);
    expect(named(defaults, 'Service', 'mirador-isolationforest-headless')).toBeUndefined();
    const c = configs(defaults).isolationforest;
    expect(Object.keys(c.extensions)).toEqual(['health_check']);
    expect(c.processors.isolationforest).toEqual({});
  });

  it('on: a StatefulSet with a claim per pod mounted where file_storage keeps the processor\'s state', async () => {
    const objs = await render({ set: on });
    const [sts] = workload(objs);
    expect(workload(objs).map((o) => o.kind)).toEqual(['StatefulSet']);
    expect(sts.spec).toMatchObject({ replicas: 3, serviceName: 'mirador-isolationforest-headless', podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate' } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toBeUndefined();
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'state', labels: sts.spec.selector.matchLabels },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    }]);
    const pod = sts.spec.template;
    expect(pod.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: 'state', mountPath: '/var/lib/mirador/state' });
    expect(pod.spec.volumes.map((v: any) => v.name)).not.toContain('state'); // the claim template provides it
    const c = configs(objs).isolationforest;
    expect(c.extensions['file_storage/isolationforest']).toEqual({
      directory: '/var/lib/mirador/state', create_directory: true, fsync: true, compaction: { on_start: true, directory: '/var/lib/mirador/state' },
    });
    expect(c.service.extensions).toEqual(['health_check', 'file_storage/isolationforest']);
    // only the storage: snapshot_interval and the rest stay the processor's defaults
    expect(c.processors.isolationforest).toEqual({ storage: 'file_storage/isolationforest' });
    // the PDB and the other objects select the same pods
    expect(named(objs, 'PodDisruptionBudget', 'mirador-isolationforest')!.spec.selector.matchLabels).toEqual(sts.spec.selector.matchLabels);
  });

  it('on: the load balancers name the pods by their stable DNS names through a headless Service', async () => {
    const objs = await render({ set: on });
    const headless = named(objs, 'Service', 'mirador-isolationforest-headless')!;
    const sts = workload(objs)[0];
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: sts.spec.selector.matchLabels });
    expect(headless.spec.ports.map((p: any) => [p.name, p.port])).toEqual([['otlp-grpc', 4317], ['otlp-http', 4318]]);
    // the ClusterIP Service stays (own metrics, ServiceMonitor)
    expect(named(objs, 'Service', 'mirador-isolationforest')!.spec.type).toBe('ClusterIP');
    const c = configs(objs);
    for (const x of ['gateway', 'servicegraph', 'spanmetrics'] as const) {
      // listed (a fixed replicaCount): a restarting pod's requests wait in its queue
      expect(c[x].exporters['loadbalancing/isolationforest'].resolver, x).toEqual({
        static: { hostnames: [0, 1, 2].map((i) => `mirador-isolationforest-${i}.mirador-isolationforest-headless.${NAMESPACE}:4317`) },
      });
    }
    // with an autoscaler the size changes: the k8s resolver watches the headless Service
    const scaled = configs(await render({ set: { ...on, 'isolationforest.autoscaling.enabled': true } }));
    expect(scaled.gateway.exporters['loadbalancing/isolationforest'].resolver).toEqual({
      k8s: { service: `mirador-isolationforest-headless.${NAMESPACE}`, return_hostnames: true, ports: [4317] },
    });
    // other targets keep their ClusterIP Services and pod IPs
    expect(c.gateway.exporters['loadbalancing/spanmetrics'].resolver).toEqual({ k8s: { service: `mirador-spanmetrics.${NAMESPACE}`, ports: [4317] } });
    // every sender re-routes, so the switch rolls the senders as well as isolationforest
    const sum = (o: K8sObject[], x: Component) => workloadOf(o, x).spec.template.metadata.annotations['checksum/config'];
    for (const x of COMPONENTS) expect(sum(objs, x), x).not.toBe(sum(defaults, x));
  });

  it('takes the claim\'s class, size, access modes, retention and directory from values, and HPA targets the StatefulSet', async () => {
    const objs = await render({
      set: { ...on, 'isolationforest.persistence.size': '5Gi', 'isolationforest.persistence.directory': '/data/state', 'isolationforest.autoscaling.enabled': true },
      setJson: { 'isolationforest.persistence.persistentVolumeClaimRetentionPolicy': { whenScaled: 'Delete' }, 'isolationforest.persistence.accessModes': ['ReadWriteOncePod'] },
      setString: { 'isolationforest.persistence.storageClassName': 'fast-ssd' },
    });
    const sts = workload(objs)[0];
    expect(sts.spec.replicas).toBeUndefined();
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenScaled: 'Delete' });
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({ accessModes: ['ReadWriteOncePod'], storageClassName: 'fast-ssd', resources: { requests: { storage: '5Gi' } } });
    expect(sts.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'state', mountPath: '/data/state' });
    expect(configs(objs).isolationforest.extensions['file_storage/isolationforest'].directory).toBe('/data/state');
    expect(named(objs, 'HorizontalPodAutoscaler', 'mirador-isolationforest')!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'mirador-isolationforest' });
    // "" is no class at all (pre-created PersistentVolumes), not the cluster default
    const none = await render({ set: on, setString: { 'isolationforest.persistence.storageClassName': '' } });
    expect(workload(none)[0].spec.volumeClaimTemplates[0].spec.storageClassName).toBe('');
  });

  it('with the static resolver, the listed targets are used as given', async () => {
    const c = configs(await render({ set: { ...on, 'loadBalancing.resolver': 'static' },
      setJson: { 'loadBalancing.static': { servicegraph: ['sg:4317'], spanmetrics: ['sm:4317'], isolationforest: ['if-0.if:4317', 'if-1.if:4317'] } } }));
    expect(c.gateway.exporters['loadbalancing/isolationforest'].resolver).toEqual({ static: { hostnames: ['if-0.if:4317', 'if-1.if:4317'] } });
  });

  const refused: Array<[string, Parameters<typeof template>[0], RegExp]> = [
    ['another storage for the processor', { set: { ...on, 'isolationforest.processor.storage': 'file_storage/mine' } },
      /isolationforest.persistence.enabled=true keeps the model state on file_storage\/isolationforest \(the pod's volume\), but the processor's storage=file_storage\/mine/],
    ['a storage that names no extension', { set: { 'isolationforest.processor.storage': 'file_storage/mine' } },
      /isolationforest.config.processors.isolationforest.storage=file_storage\/mine \(isolationforest.processor.storage\) names no extension of isolationforest: define isolationforest.config.extensions.file_storage\/mine/],
    ['the state extension removed', { set: on, setJson: { 'isolationforest.config.extensions.file_storage/isolationforest': null } },
      /isolationforest.persistence.enabled=true needs the extension file_storage\/isolationforest/],
    ['the queue and the state in one directory', { set: { ...on, 'isolationforest.persistentQueue.enabled': true, 'isolationforest.persistentQueue.directory': '/var/lib/mirador/state/' } },
      /isolationforest.persistentQueue.directory and isolationforest.persistence.directory are both/],
    ['a size that is no quantity', { set: { ...on, 'isolationforest.persistence.size': 'big' } }, /at '\/isolationforest\/persistence\/size': 'big' does not match pattern/],
    ['a relative directory', { set: { ...on, 'isolationforest.persistence.directory': 'state' } }, /at '\/isolationforest\/persistence\/directory': 'state' does not match pattern/],
    ['an unknown access mode', { set: on, setJson: { 'isolationforest.persistence.accessModes': ['ReadWriteSometimes'] } }, /at '\/isolationforest\/persistence\/accessModes\/0': value must be one of/],
    ['persistence on another component', { set: { 'spanmetrics.persistence.enabled': true } }, /at '\/spanmetrics': additional properties 'persistence' not allowed/],
  ];
  for (const [what, opts, message] of refused) {
    it(`refuses ${what}, naming the key`, async () => {
      const r = await template(opts);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    });
  }
  it('a storage extension of the user\'s own, without the chart\'s volume, is taken', async () => {
    const c = configs(await render({ setJson: { 'isolationforest.processor.storage': 'file_storage/mine', 'isolationforest.config.extensions.file_storage/mine': { directory: '/data' } } })).isolationforest;
    expect(c.processors.isolationforest.storage).toBe('file_storage/mine');
    expect(c.service.extensions).toContain('file_storage/mine');
  });
});

describe('local profile (mirador up)', () => {
  let objs: K8sObject[];
  beforeAll(async () => { objs = await render({ files: [LOCAL_PROFILE] }); });

  it('binds loopback only, resolves targets statically and writes to loopback backends', () => {
    const texts = configTexts(objs);
    expect(Object.keys(texts).sort()).toEqual([...COMPONENTS].sort());
    for (const [comp, text] of Object.entries(texts)) {
      expect(text, comp).not.toContain('${env:');
      expect(text, comp).not.toContain('k8s:');
      const hosts = [...text!.matchAll(/([A-Za-z0-9][A-Za-z0-9.-]*):\d{2,5}\b/g)].map((m) => m[1]);
      expect(hosts.length, comp).toBeGreaterThan(3);
      expect(new Set(hosts), `${comp}: every host:port is loopback`).toEqual(new Set(['127.0.0.1']));
    }
    const c = configs(objs);
    expect(c.gateway.exporters['loadbalancing/isolationforest'].resolver).toEqual({ static: { hostnames: ['127.0.0.1:34317'] } });
    expect(c.isolationforest.receivers.otlp.protocols.grpc.endpoint).toBe('127.0.0.1:34317');
    expect(c.spanmetrics.service.telemetry.metrics.readers[0].pull.exporter.prometheus).toEqual({ host: '127.0.0.1', port: 28888 });
    // anomaly events go to the local gateway's OTLP/gRPC port, which stores them in Cassandra
    expect(c.isolationforest.exporters['otlp_grpc/events'].endpoint).toBe(c.gateway.receivers.otlp.protocols.grpc.endpoint);
    expect(c.gateway.service.pipelines.logs.exporters).toEqual(['cassandra_logs']);
    expect(ofKind(objs, 'Role')).toEqual([]);
  });

  it('gives every component distinct ports', () => {
    const ports = Object.values(configs(objs)).flatMap((c: any) => [
      c.receivers.otlp.protocols.grpc.endpoint, c.receivers.otlp.protocols.http.endpoint,
      c.extensions.health_check.endpoint, `127.0.0.1:${c.service.telemetry.metrics.readers[0].pull.exporter.prometheus.port}`,
    ]);
    expect(new Set(ports).size).toBe(16);
  });
});

describe('NOTES.txt', () => {
  // helm renders NOTES only on install; a copy of the chart renders it into a ConfigMap instead.
  async function notes(set: Record<string, string | number | boolean> = {}, setJson: Record<string, unknown> = {}): Promise<string> {
    const { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { CHART, helm, NAMESPACE, RELEASE } = await import('./helm.js');
    const dir = mkdtempSync(join(tmpdir(), 'mirador-notes-'));
    try {
      const chart = join(dir, 'mirador');
      cpSync(CHART, chart, { recursive: true });
      const body = readFileSync(join(chart, 'templates/NOTES.txt'), 'utf8');
      writeFileSync(join(chart, 'templates/zz-notes.yaml'),
        `{{- define "test.notes" -}}\n${body}\n{{- end -}}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ include "test.notes" . | toJson }}\n`);
      const args = ['template', RELEASE, chart, '-n', NAMESPACE, '--show-only', 'templates/zz-notes.yaml'];
      for (const [k, v] of Object.entries(set)) args.push('--set', `${k}=${v}`);
      for (const [k, v] of Object.entries(setJson)) args.push('--set-json', `${k}=${JSON.stringify(v)}`);
      const r = await helm(args);
      if (r.code !== 0) throw new Error(r.stderr);
      return (await import('yaml')).parse(r.stdout).data.notes;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('says what was deployed, where data goes, and how to send test data', async () => {
    const text = await notes();
    expect(text).toMatch(/mirador-gateway\s+3 replica\(s\)\s+4317\/4318\/8888/);
    expect(text).toMatch(/mirador-isolationforest\s+3 replica\(s\)/);
    expect(text).toContain('traces  -> http://victoriatraces:10428/insert/opentelemetry/v1/traces (written by: gateway)');
    expect(text).toContain('logs    -> Cassandra cassandra:9042 keyspace mirador');
    expect(text).toContain('http://mirador-gateway:4318/v1/traces');
    expect(text).toContain('kubectl get --raw /api/v1/namespaces/miradorstack/services/mirador-gateway:metrics/proxy/metrics');
    expect(text).toContain('helm test mirador -n miradorstack');
  });

  it('shows the backends the original chart\'s exporter ids replaced', async () => {
    const text = await notes({}, { 'servicegraph.config.exporters.otlp/metrics': { endpoint: 'victoriametrics:4317' }, 'gateway.config.exporters.otlp/logs': { endpoint: 'logs-adapter:4317' } });
    expect(text).toContain('metrics -> victoriametrics:4317 (otlp/metrics of servicegraph.config)');
    expect(text).toContain('logs    -> logs-adapter:4317 (otlp/logs of gateway.config)');
  });

  it('says where anomaly events go, or that they are off', async () => {
    expect(await notes()).toContain('anomaly events (event name mirador.anomaly) -> mirador-gateway (stored with the logs)');
    expect(await notes({ 'isolationforest.processor.events.enabled': false })).toContain('anomaly events: off (isolationforest.processor.events.enabled=false)');
    expect(await notes({ 'isolationforest.anomalyEvents.endpoint': 'events:4317' })).toContain('anomaly events (event name mirador.anomaly) -> events:4317');
  });

  it('shows the model state claims with persistence, and how to delete them', async () => {
    const text = await notes({ 'isolationforest.persistence.enabled': true });
    expect(text).toContain('StatefulSet: model state on a 1Gi claim per pod (state-mirador-isolationforest-<n>), restored at start');
    expect(text).toContain('kubectl -n miradorstack delete pvc -l app.kubernetes.io/instance=mirador,app.kubernetes.io/component=isolationforest');
    expect(await notes()).not.toContain('StatefulSet:');
  });

  it('shows disabled components and autoscaled ones', async () => {
    const text = await notes({ 'servicegraph.enabled': false, 'gateway.autoscaling.enabled': true });
    expect(text).toMatch(/mirador-servicegraph\s+disabled/);
    expect(text).toMatch(/mirador-gateway\s+HPA 3-10 replicas/);
  });
});
