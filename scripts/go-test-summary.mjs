// Reads `go test -json` on stdin; prints one line per package, the output of failing tests,
// and a closing "go <module>: N passed, N failed" line. Exits 1 when anything failed.
import { createInterface } from 'node:readline';

const mod = process.argv[2] ?? '.';
const output = new Map();
let passed = 0, failed = 0, skipped = 0, buildFailed = false;
for await (const line of createInterface({ input: process.stdin })) {
  let ev;
  try { ev = JSON.parse(line); } catch { process.stdout.write(line + '\n'); if (/FAIL|cannot|error/.test(line)) buildFailed = true; continue; }
  const key = `${ev.Package}/${ev.Test ?? ''}`;
  if (ev.Action === 'output') {
    if (!output.has(key)) output.set(key, []);
    output.get(key).push(ev.Output);
  } else if (ev.Test && !ev.Test.includes('/')) {
    if (ev.Action === 'pass') passed++;
    else if (ev.Action === 'skip') skipped++;
    else if (ev.Action === 'fail') { failed++; process.stdout.write((output.get(key) ?? []).join('')); }
  } else if (!ev.Test && (ev.Action === 'pass' || ev.Action === 'fail' || ev.Action === 'skip')) {
    process.stdout.write(`${ev.Action === 'fail' ? 'FAIL' : 'ok  '} ${ev.Package} ${ev.Elapsed ?? ''}s\n`);
    if (ev.Action === 'fail') { buildFailed = true; process.stdout.write((output.get(key) ?? []).join('')); }
  }
}
process.stdout.write(`go ${mod}: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed > 0 || buildFailed ? 1 : 0);
