// Reads logs back from Cassandra with the DataStax Node.js driver.
import cassandra from 'cassandra-driver';

export type CqlClient = cassandra.Client;

export async function connectCql(host: string, port: number): Promise<cassandra.Client> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
    socketOptions: { readTimeout: 60_000 },
    queryOptions: { consistency: cassandra.types.consistencies.one },
  });
  await client.connect();
  return client;
}

export async function tableExists(client: cassandra.Client, keyspace: string, table: string): Promise<boolean> {
  const rs = await client.execute('SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?', [keyspace, table]);
  return rs.rowLength > 0;
}

/** Every stored row's time_unix_nano (one per record; the data set makes them unique). */
export async function storedTimes(client: cassandra.Client, keyspace: string, table: string): Promise<bigint[]> {
  const out: bigint[] = [];
  if (!(await tableExists(client, keyspace, table))) return out;
  await new Promise<void>((resolve, reject) => {
    client.eachRow(`SELECT time_unix_nano FROM ${keyspace}.${table}`, [], { prepare: true, fetchSize: 5000, autoPage: true },
      (_n, row) => { out.push(BigInt(row.get('time_unix_nano').toString())); },
      (err) => (err ? reject(err) : resolve()));
  });
  return out;
}

/** Rows and distinct records (by timestamp) stored. */
export async function storedCounts(client: cassandra.Client, keyspace: string, table: string): Promise<{ rows: number; distinct: number }> {
  const times = await storedTimes(client, keyspace, table);
  return { rows: times.length, distinct: new Set(times).size };
}
