// The one launcher of Apache Cassandra for tests, benchmarks and `mirador up`: 5.0.9 by default,
// 4.1.10 for the cassandra_logs exporter's tests against a server without SAI indexes.
// It runs the jars that `npm run tools` put into .tools/cassandra (.tools/cassandra41) with java
// directly, because bin/cassandra refuses to run as root and needs a full tarball layout.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { MissingToolError, repoRoot } from '../proc/tools.js';
import { freePorts } from '../proc/ports.js';
import { startProcess } from '../proc/process.js';
import { waitForTcp } from '../proc/wait.js';

/** The Cassandra releases `npm run tools` installs: 5.0 (5.0.9) and 4.1 (4.1.10). */
export type CassandraVersion = '5.0' | '4.1';

export interface CassandraOptions {
  /** Holds cassandra.yaml, data, commit log and the log file; reused data survives a restart. */
  runDir: string;
  /** Which release to start, default 5.0. */
  version?: CassandraVersion;
  /** JVM heap (Xms = Xmx), default 256. */
  heapMb?: number;
  /** Listen, RPC and seed address, default 127.0.0.1. */
  listenAddress?: string;
  /** Fixed CQL port, to restart a node where its clients expect it; default a free port. */
  cqlPort?: number;
  /** Fixed storage (gossip) port; default a free port. */
  storagePort?: number;
  /** How long to wait for CQL, default 120 s (start-up takes 9-13 s on an idle machine). */
  startTimeoutMs?: number;
}

export interface RunningCassandra {
  host: string;
  cqlPort: number;
  storagePort: number;
  pid: number;
  logFile: string;
  /** SIGTERM (Cassandra flushes and exits), SIGKILL after 30 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

/**
 * Where the jars live: $MIRADOR_CASSANDRA_HOME (5.0) or $MIRADOR_CASSANDRA41_HOME (4.1), else
 * .tools/cassandra or .tools/cassandra41 in the repository.
 */
export function cassandraHome(version: CassandraVersion = '5.0'): string {
  return version === '4.1'
    ? process.env.MIRADOR_CASSANDRA41_HOME ?? join(repoRoot(), '.tools', 'cassandra41')
    : process.env.MIRADOR_CASSANDRA_HOME ?? join(repoRoot(), '.tools', 'cassandra');
}

export function cassandraInstalled(version: CassandraVersion = '5.0'): boolean {
  const lib = join(cassandraHome(version), 'lib');
  return existsSync(lib) && readdirSync(lib).some((f) => new RegExp(`^cassandra-all-${version.replace('.', '\\.')}\\..*\\.jar$`).test(f));
}

// The module flags of Cassandra 5.0's conf/jvm17-server.options: without them Java 17 refuses
// the reflective access Cassandra needs at start-up.
const JPMS_FLAGS = [
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports', 'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports', 'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
];

// Cassandra 4.1 supports Java 11; on Java 17 it also needs these packages opened (its jamm 0.3
// walks JDK objects to size memtables) and jamm as a Java agent (without the agent jamm falls
// back to Unsafe, which refuses the hidden classes of lambdas). Found by starting 4.1.10 here.
const JAVA17_FLAGS_41 = [
  '--add-opens', 'java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util.concurrent.locks=ALL-UNNAMED',
  '--add-opens', 'java.base/java.nio=ALL-UNNAMED',
  '--add-opens', 'java.base/java.net=ALL-UNNAMED',
];

/** cassandra.yaml for one loopback node whose every directory lies under runDir. */
export function cassandraYaml(runDir: string, host: string, cqlPort: number, storagePort: number, heapMb = 256, version: CassandraVersion = '5.0'): string {
  const dir = (name: string) => join(runDir, name);
  return stringify({
    cluster_name: 'mirador',
    num_tokens: 16,
    partitioner: 'org.apache.cassandra.dht.Murmur3Partitioner',
    endpoint_snitch: 'SimpleSnitch',
    seed_provider: [{ class_name: 'org.apache.cassandra.locator.SimpleSeedProvider', parameters: [{ seeds: `${host}:${storagePort}` }] }],
    listen_address: host,
    rpc_address: host,
    storage_port: storagePort,
    native_transport_port: cqlPort,
    start_native_transport: true,
    data_file_directories: [dir('data')],
    commitlog_directory: dir('commitlog'),
    saved_caches_directory: dir('saved_caches'),
    hints_directory: dir('hints'),
    cdc_raw_directory: dir('cdc_raw'),
    commitlog_sync: 'periodic',
    commitlog_sync_period: '10000ms',
    // An eighth of the heap for memtables (Cassandra's default is a quarter) keeps a 256 MiB heap
    // clear of full GCs with 1 MiB log bodies; a larger heap gets larger memtables, so fewer flushes.
    memtable_heap_space: `${Math.max(16, Math.floor(heapMb / 8))}MiB`,
    memtable_offheap_space: `${Math.max(16, Math.floor(heapMb / 8))}MiB`,
    // A loopback node shares a small machine with builds and collectors: a write the CPU-starved
    // node finishes in 3 s should not come back as a timeout (default 2 s) that clients retry.
    write_request_timeout: '10000ms',
    // Cassandra 5's trie memtable and off-heap memtable objects: less CPU and GC per write than
    // the skip-list default, which matters on a small shared machine.
    // (4.1 has no trie memtable: it keeps its skip-list default.)
    ...(version === '5.0'
      ? { memtable: { configurations: { skiplist: { class_name: 'SkipListMemtable' }, trie: { class_name: 'TrieMemtable' }, default: { inherits: 'trie' } } } }
      : {}),
    memtable_allocation_type: 'offheap_objects',
    // A test node is thrown away; snapshots on drop/truncate would only fill the disk.
    auto_snapshot: false,
    authenticator: 'AllowAllAuthenticator',
    authorizer: 'AllowAllAuthorizer',
  });
}

/** Starts a single Cassandra node on free loopback ports and resolves once it accepts CQL connections. */
export async function startCassandra(opts: CassandraOptions): Promise<RunningCassandra> {
  const version = opts.version ?? '5.0';
  const tool = version === '4.1' ? 'cassandra41' : 'cassandra';
  if (!cassandraInstalled(version)) {
    throw new MissingToolError(`cassandra: no Cassandra ${version} jars in ${join(cassandraHome(version), 'lib')}; run \`npm run tools\` (or \`bash scripts/tools.sh ${tool}\`) first`);
  }
  const home = cassandraHome(version);
  const runDir = resolve(opts.runDir);
  const host = opts.listenAddress ?? '127.0.0.1';
  const heapMb = opts.heapMb ?? 256;
  const [cqlPort, storagePort] = opts.cqlPort && opts.storagePort
    ? [opts.cqlPort, opts.storagePort]
    : await freePorts(2).then(([a, b]) => [opts.cqlPort ?? a, opts.storagePort ?? b]);
  mkdirSync(runDir, { recursive: true });
  const yamlFile = join(runDir, 'cassandra.yaml');
  writeFileSync(yamlFile, cassandraYaml(runDir, host, cqlPort, storagePort, heapMb, version));
  const jamm = version === '4.1' ? readdirSync(join(home, 'lib')).find((f) => /^jamm-.*\.jar$/.test(f)) : undefined;
  if (version === '4.1' && !jamm) throw new MissingToolError(`cassandra: no jamm jar in ${join(home, 'lib')}; run \`bash scripts/tools.sh ${tool}\``);
  const jvmArgs = [
    `-Xms${heapMb}M`, `-Xmx${heapMb}M`, '-XX:+UseG1GC', '-Xss256k', '-XX:+ExitOnOutOfMemoryError',
    ...JPMS_FLAGS,
    ...(version === '4.1' ? [...JAVA17_FLAGS_41, `-javaagent:${join(home, 'lib', jamm!)}`] : []),
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    `-Dcassandra.config=file://${yamlFile}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${runDir}`,
    `-Dcassandra.logdir=${runDir}`,
    // A single node has no ring to wait for; without these start-up takes 40 s instead of ~10 s.
    '-Dcassandra.ring_delay_ms=1000',
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    // No JMX port: nothing else listens, and the node is stopped by pid.
    '-cp', `${join(home, 'conf')}:${join(home, 'lib')}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
  const logFile = join(runDir, 'cassandra.log');
  const proc = startProcess({ name: 'cassandra', cmd: 'java', args: jvmArgs, logFile });
  const stop = () => proc.stop(30_000);
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const died = proc.exited.then((code) => {
    throw new Error(`cassandra exited (${code}) during start-up; last lines of ${logFile}:\n${proc.tail(30)}`);
  });
  try {
    await Promise.race([waitForTcp(cqlPort, host, timeoutMs), died]);
  } catch (e) {
    await stop();
    throw new Error(`cassandra did not accept CQL on ${host}:${cqlPort}: ${(e as Error).message}\n${proc.tail(30)}`);
  }
  died.catch(() => undefined); // a later exit is the caller's business (stop() or a test that kills it)
  return { host, cqlPort, storagePort, pid: proc.child.pid!, logFile, stop };
}
