// What the generator CLI shows a person: a progress bar on a terminal (periodic lines otherwise, e.g. in
// SSM Run Command output) and the ground-truth table at the end.
import type { GroundTruth, Progress } from './run.js';

const number = new Intl.NumberFormat('en-US');

export interface ProgressReporter {
  update(progress: Progress): void;
  /** Ends the bar's line so following output starts on a fresh one. */
  finish(): void;
}

export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/** Fraction done, by count or by elapsed time; undefined when neither is known. */
function fraction(progress: Progress): number | undefined {
  if (progress.total !== undefined) return Math.min(1, progress.sent / progress.total);
  if (progress.durationMs !== undefined) return Math.min(1, progress.elapsedMs / progress.durationMs);
  return undefined;
}

function rate(progress: Progress): number {
  return progress.elapsedMs > 0 ? Math.round((progress.sent * 1000) / progress.elapsedMs) : 0;
}

export function formatProgressLine(progress: Progress): string {
  const done = fraction(progress);
  const target = progress.total === undefined ? '' : `/${number.format(progress.total)}`;
  const percent = done === undefined ? '' : `${(done * 100).toFixed(0).padStart(3)}%  `;
  return `${percent}${number.format(progress.sent)}${target} events  ${number.format(rate(progress))} ev/s  ${(progress.elapsedMs / 1000).toFixed(1)}s`;
}

export function createProgressReporter(
  stream: ProgressStream,
  now: () => number = () => performance.now(),
): ProgressReporter {
  let lastDecile = 0;
  let drawn = false;
  if (stream.isTTY === true) {
    let lastDraw = Number.NEGATIVE_INFINITY;
    return {
      update(progress) {
        // Redrawing on every acknowledgement would cost more than the producing at full speed.
        const t = now();
        const done = fraction(progress);
        if (t - lastDraw < 100 && done !== 1) return;
        lastDraw = t;
        const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 60));
        const filled = Math.round((done ?? 0) * width);
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
        stream.write(`\r${bar}${formatProgressLine(progress)}\u001b[K`);
        drawn = true;
      },
      finish() {
        if (drawn) stream.write('\n');
      },
    };
  }
  let lastLine = now();
  return {
    update(progress) {
      const t = now();
      const decile = Math.floor((fraction(progress) ?? 0) * 10);
      if (decile > lastDecile || t - lastLine >= 5_000) {
        lastDecile = Math.max(lastDecile, decile);
        lastLine = t;
        stream.write(`progress: ${formatProgressLine(progress)}\n`);
      }
    },
    finish() {},
  };
}

/** The ground truth as an aligned plain-text table. */
export function formatGroundTruth(truth: GroundTruth): string {
  const rows: [string, number][] = [
    ['good', truth.byCategory.good],
    ['suspicious', truth.byCategory.suspicious],
    ...Object.entries(truth.bySuspiciousKind).map(([kind, n]): [string, number] => [`  ${kind}`, n]),
    ['bad', truth.byCategory.bad],
    ...Object.entries(truth.byBadKind).map(([kind, n]): [string, number] => [`  ${kind}`, n]),
    ['total sent', truth.sent],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const counts = rows.map(([, n]) => number.format(n));
  const countWidth = Math.max(...counts.map((c) => c.length));
  const share = (n: number) => (truth.sent > 0 ? `${((n * 100) / truth.sent).toFixed(1).padStart(5)}%` : '');
  const lines = [
    `Ground truth (topic ${truth.topic}, seed ${truth.seed}, accounts 1..${number.format(truth.accounts)})`,
    ...rows.map(
      ([label, n], i) =>
        `  ${label.padEnd(width)}  ${(counts[i] as string).padStart(countWidth)}  ${share(n)}`,
    ),
    `  ${number.format(truth.sent)} events in ${(truth.elapsedMs / 1000).toFixed(2)}s = ${number.format(truth.eventsPerSecond)} events/s${truth.aborted ? ' (stopped early)' : ''}`,
  ];
  return lines.join('\n');
}
