// What the logs suite reads back: every stored record's timestamp (one per record; the data set
// makes them unique), through the harness's Cassandra reader.
import { eachValue, type CqlClient } from '../../src/harness/index.js';

/** Every stored row's time_unix_nano (none while the exporter has not created the table). */
export async function storedTimes(client: CqlClient, keyspace: string, table: string): Promise<bigint[]> {
  const out: bigint[] = [];
  await eachValue(client, keyspace, table, 'time_unix_nano', (v) => out.push(BigInt(String(v))));
  return out;
}
