// Bench times are CPU time of this process (user + system), not wall time: the machine is
// shared with builds, so wall time mostly measures waiting for a core. The Python peers use
// time.process_time() for the same reason. Every implementation measured is single-threaded.
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
