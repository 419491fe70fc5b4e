/**
 * Anomaly events read back from the `cassandra_logs` table (collector-builder/cassandralogsexporter,
 * "Table"): partitions are (service_name, time_bucket), rows clustered by timestamp. Reading a
 * time range therefore takes two steps and no full scan of the rows: the partition keys
 * (`SELECT DISTINCT`), then, in each partition of a wanted service whose bucket can hold the range,
 * the rows of the range that are anomaly events (a filter on event_name inside one partition).
 */
import cassandra from 'cassandra-driver';
import { connectCql, tableExists, type CqlClient } from '../harness/stored-logs.js';
import { ANOMALY_EVENT_NAME, parseEventRow, type AnomalyEvent, type EventRow } from './events.js';

export interface EventQuery {
  keyspace: string;
  table: string;
  /** Inclusive time range, epoch ms. */
  fromMs: number;
  toMs: number;
  /** Only these services (resource service.name); all when absent or empty. */
  services?: string[];
}

/** Where and over which time range the anomaly events are read: a Cassandra node and EventQuery's table and range. */
export interface EventSource extends Omit<EventQuery, 'services'> {
  host: string;
  port: number;
}

const IDENT = /^[A-Za-z0-9_]{1,48}$/;

/** Thrown when the table does not exist (nothing was ever stored there). */
export class NoTableError extends Error {}

/**
 * The anomaly events stored in keyspace.table within [fromMs, toMs], oldest first. Errors: a
 * keyspace or table name that is not a Cassandra identifier, a table that does not exist
 * (NoTableError), and whatever Cassandra answers to a query.
 */
export async function readAnomalyEvents(client: CqlClient, q: EventQuery): Promise<AnomalyEvent[]> {
  for (const [what, v] of [['keyspace', q.keyspace], ['table', q.table]]) {
    if (!IDENT.test(v)) throw new Error(`${what} ${JSON.stringify(v)} is not a Cassandra name (letters, digits and _, at most 48)`);
  }
  if (!(await tableExists(client, q.keyspace, q.table))) throw new NoTableError(`no table ${q.keyspace}.${q.table}`);
  const wanted = q.services?.length ? new Set(q.services) : undefined;

  // Partition keys, per service: the buckets that start before the range's end; of those that
  // start at or before its beginning only the latest, which can still hold rows of the range.
  const buckets = new Map<string, number[]>();
  await eachRow(client, `SELECT DISTINCT service_name, time_bucket FROM ${q.keyspace}.${q.table}`, [], (row) => {
    const svc = row.get('service_name') as string;
    if (wanted && !wanted.has(svc)) return;
    const b = (row.get('time_bucket') as Date).getTime();
    if (b > q.toMs) return;
    buckets.set(svc, [...(buckets.get(svc) ?? []), b]);
  });

  const rows: EventRow[] = [];
  const cql = `SELECT service_name, timestamp, time_unix_nano, event_name, severity_text, body, trace_id, resource_attributes, log_attributes
    FROM ${q.keyspace}.${q.table} WHERE service_name = ? AND time_bucket = ? AND timestamp >= ? AND timestamp <= ? AND event_name = ? ALLOW FILTERING`;
  for (const [svc, bs] of buckets) {
    bs.sort((a, b) => a - b);
    const firstInRange = bs.findIndex((b) => b > q.fromMs);
    const from = firstInRange === -1 ? bs.length - 1 : Math.max(0, firstInRange - 1);
    for (const b of bs.slice(from)) {
      await eachRow(client, cql, [svc, new Date(b), new Date(q.fromMs), new Date(q.toMs), ANOMALY_EVENT_NAME], (row) => {
        rows.push({
          service_name: row.get('service_name'), timestamp: row.get('timestamp'), time_unix_nano: row.get('time_unix_nano')?.toString() ?? null,
          event_name: row.get('event_name'), severity_text: row.get('severity_text'), body: row.get('body'), trace_id: row.get('trace_id'),
          resource_attributes: row.get('resource_attributes'), log_attributes: row.get('log_attributes'),
        });
      });
    }
  }
  return rows.map(parseEventRow).filter((e): e is AnomalyEvent => e !== null).sort((a, b) => a.timeMs - b.timeMs);
}

function eachRow(client: CqlClient, cql: string, params: unknown[], onRow: (row: cassandra.types.Row) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    client.eachRow(cql, params, { prepare: true, fetchSize: 1000, autoPage: true }, (_n, row) => onRow(row), (err) => (err ? reject(err) : resolve()));
  });
}

/** readAnomalyEvents with a client of its own (connect errors name host:port). */
export async function fetchAnomalyEvents(host: string, port: number, q: EventQuery): Promise<AnomalyEvent[]> {
  const client = await connectCql(host, port);
  try {
    return await readAnomalyEvents(client, q);
  } finally {
    await client.shutdown();
  }
}
