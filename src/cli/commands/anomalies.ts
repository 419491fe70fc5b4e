// mirador anomalies: recent alarm episodes of the isolationforest processor, read from its anomaly
// events in Cassandra, with links to each series' score in vmui and to its traces.
import { Command, InvalidArgumentError } from 'commander';
import { formatListing, listEpisodes, NoTableError } from '../../anomalies/index.js';
import { DEFAULT_PORTS, localLogsTable } from '../../pipeline/pipeline.js';
import { guarded, intAtLeast, UsageError } from '../errors.js';

interface AnomaliesOpts {
  cassandra: string;
  keyspace?: string;
  table?: string;
  service?: string[];
  metric?: string[];
  since: string;
  until?: string;
  open?: boolean;
  limit: number;
  vmui: string;
  traceUi: string;
  json?: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A point in time: a duration before `nowMs` (`90s`, `15m`, `2h`, `1d`, `1h30m`), or an ISO 8601
 * time (`2026-11-30T10:00:00Z`; without a zone it is UTC). Throws UsageError otherwise.
 */
export function parseWhen(v: string, nowMs: number, what: string): number {
  const s = v.trim();
  if (/^(\d+(\.\d+)?[smhdw])+$/.test(s)) {
    let ms = 0;
    for (const [, n, u] of s.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) ms += Number(n) * UNITS[u];
    return nowMs - ms;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(/[zZ]|[+-]\d{2}:?\d{2}$/.test(s) || !s.includes('T') ? s : `${s}Z`);
    if (Number.isFinite(t)) return t;
  }
  throw new UsageError(`${what}: expected a duration before now (e.g. 15m, 2h, 1d) or an ISO 8601 time (e.g. 2026-11-30T10:00:00Z), got "${v}"`);
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(v.trim());
  const port = m?.[2] === undefined ? 9042 : Number(m[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected host[:port], e.g. 127.0.0.1:9042');
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function url(v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return v;
  } catch {
    throw new InvalidArgumentError('expected an http(s) URL');
  }
}

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter(Boolean)];

export function register(program: Command): void {
  program
    .command('anomalies')
    .description('list recent alarm episodes (anomaly events in Cassandra) with links to their score series in vmui and their traces')
    .option('--cassandra <host:port>', 'Cassandra contact point', `127.0.0.1:${DEFAULT_PORTS.cassandra}`)
    .option('--keyspace <name>', "keyspace of the logs table (default: the one `mirador up` uses, read from the chart's local profile)")
    .option('--table <name>', "logs table (default: the one `mirador up` uses)")
    .option('--service <name>', 'only this service (resource service.name); repeat or comma-separate for several', collect)
    .option('--metric <name>', 'only this metric: OpenTelemetry name (http.server.request.duration), stored name (http_server_request_duration_seconds) or a pattern with *; repeatable', collect)
    .option('--since <when>', 'start of the time range: a duration before now (15m, 2h, 1d) or an ISO 8601 time', '1h')
    .option('--until <when>', 'end of the time range (default: now)')
    .option('--open', 'only episodes that have not resolved')
    .option('--limit <n>', 'at most this many episodes, newest onset first', intAtLeast(1), 100)
    .option('--vmui <url>', 'vmui base URL for the series links', url, `http://127.0.0.1:${DEFAULT_PORTS.victoriaMetrics}/vmui/`)
    .option('--trace-ui <url>', 'trace UI base URL (Jaeger, or VictoriaTraces\' Jaeger UI): links are <url>/trace/<trace id>', url, `http://127.0.0.1:${DEFAULT_PORTS.jaegerUi}/`)
    .option('--json', 'print the listing as one JSON object')
    .action(guarded('anomalies', async (o: AnomaliesOpts) => {
      const now = Date.now();
      const fromMs = parseWhen(o.since, now, '--since');
      const toMs = o.until === undefined ? now : parseWhen(o.until, now, '--until');
      if (fromMs > toMs) throw new UsageError(`--since (${new Date(fromMs).toISOString()}) is after --until (${new Date(toMs).toISOString()})`);
      const { host, port } = hostPort(o.cassandra);
      let { keyspace, table } = o;
      if (keyspace === undefined || table === undefined) {
        let local: { keyspace: string; table: string };
        try {
          local = localLogsTable();
        } catch (e) {
          throw new Error(`cannot tell which keyspace and table \`mirador up\` uses (${(e as Error).message.split('\n')[0]}); pass --keyspace and --table`);
        }
        keyspace ??= local.keyspace;
        table ??= local.table;
      }
      let listing;
      try {
        listing = await listEpisodes({
          host, port, keyspace, table, fromMs, toMs, services: o.service, metrics: o.metric, state: o.open ? 'open' : undefined, limit: o.limit,
          links: { vmui: o.vmui, traceUi: o.traceUi },
        });
      } catch (e) {
        if (e instanceof NoTableError) throw new Error(`${e.message} at ${host}:${port}: no logs stored there yet (is this the Cassandra of \`mirador up\` or of the chart's cassandra_logs exporter? see --keyspace, --table)`);
        const line = (e as Error).message.split('\n')[0];
        throw new Error(line.startsWith('cannot connect') ? `${line} (is \`mirador up\` running? --cassandra names another node)` : line);
      }
      process.stdout.write(o.json ? `${JSON.stringify(listing)}\n` : `${formatListing(listing)}\n`);
    }));
}
