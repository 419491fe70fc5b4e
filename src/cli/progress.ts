// A progress bar on stderr for runs that take more than two seconds (never on quick runs, and
// only on a terminal unless MIRADOR_PROGRESS=1), so stdout stays clean for --json.
import cliProgress from 'cli-progress';

const DELAY_MS = 2000;

export function progressReporter(label: string): { tick: (done: number, total: number, what: string) => void; stop: () => void } {
  const enabled = process.env.MIRADOR_PROGRESS === '1' || (process.stderr.isTTY && process.env.MIRADOR_PROGRESS !== '0');
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    tick(done, total, what) {
      if (!enabled) return;
      if (!bar && Date.now() - started > DELAY_MS) {
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {value}/{total} {what}`, stream: process.stderr, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 500 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done, { what });
      }
      bar?.update(done, { what });
    },
    stop() {
      bar?.stop();
    },
  };
}
