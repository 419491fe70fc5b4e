/**
 * Log rows stored in Cassandra, read back with the DataStax Node.js driver: a client, and every
 * row of a table paged through one small column (a COUNT(*) over 100k rows times out server-side).
 */
import cassandra from 'cassandra-driver';

export type CqlClient = cassandra.Client;

/** A connected client for a loopback node (consistency ONE: a single node). */
export async function connectCql(host: string, port: number): Promise<CqlClient> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { readTimeout: 120_000, connectTimeout: 10_000 },
    queryOptions: { consistency: cassandra.types.consistencies.one },
  });
  try {
    await client.connect();
  } catch (e) {
    await client.shutdown();
    throw new Error(`cannot connect to Cassandra at ${host}:${port}: ${(e as Error).message}`);
  }
  return client;
}

/** Connects, runs f, and shuts the client down whatever f does. */
export async function withCql<T>(host: string, port: number, f: (c: CqlClient) => Promise<T>): Promise<T> {
  const client = await connectCql(host, port);
  try {
    return await f(client);
  } finally {
    await client.shutdown();
  }
}

export async function tableExists(client: CqlClient, keyspace: string, table: string): Promise<boolean> {
  const rs = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table], { prepare: true });
  return rs.rowLength > 0;
}

/**
 * Calls onValue with `column` of every row of keyspace.table, 5000 rows a page. A table that
 * does not exist (yet: the exporter creates it) has no rows.
 */
export async function eachValue(client: CqlClient, keyspace: string, table: string, column: string, onValue: (v: unknown) => void): Promise<void> {
  if (!(await tableExists(client, keyspace, table))) return;
  await new Promise<void>((resolve, reject) => {
    client.eachRow(`SELECT ${column} FROM ${keyspace}.${table}`, [], { prepare: true, fetchSize: 5000, autoPage: true },
      (_n, row) => onValue(row.get(column)), (err) => (err ? reject(err) : resolve()));
  });
}

export interface CountOptions {
  /** The column read per row; default service_name (the cassandra_logs table's partition key). */
  column?: string;
  /** Counts only the rows whose column value passes. */
  where?: (value: unknown) => boolean;
}

/** Rows of keyspace.table (0 when the table does not exist). */
export async function countRows(client: CqlClient, keyspace: string, table: string, o: CountOptions = {}): Promise<number> {
  let n = 0;
  await eachValue(client, keyspace, table, o.column ?? 'service_name', (v) => { if (!o.where || o.where(v)) n++; });
  return n;
}

/** countRows with a client of its own, for a one-off count. */
export function cassandraRowCount(host: string, port: number, keyspace: string, table: string, o: CountOptions = {}): Promise<number> {
  return withCql(host, port, (c) => countRows(c, keyspace, table, o));
}
