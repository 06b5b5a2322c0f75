// The soak's report: what was injected and how long the pipeline took to recover, expected vs indexed per
// category, the checks and the verdict; as text for a person or as JSON for a script.
import type { Category } from '../../core/documents.js';
import type { CategoryCounts } from '../../generator/run.js';
import type { FaultOutcome } from './chaos.js';
import type { Check } from './checks.js';
import type { UnexpectedExit } from './consumer-process.js';
import type { Sandbox } from './sandbox.js';

export interface SoakReport {
  readonly seed: string;
  readonly minutes: number;
  readonly rate: number;
  readonly sandbox: Omit<Sandbox, 'mysqlUrl'>;
  readonly faults: readonly FaultOutcome[];
  readonly production: {
    readonly sent: number;
    readonly segments: number;
    readonly elapsedMs: number;
    readonly failures: readonly string[];
  };
  readonly consumer: {
    readonly unexpectedExits: readonly UnexpectedExit[];
    /** Exit code on the final SIGTERM (0 expected). */
    readonly finalExitCode: number | null;
  };
  /** From the end of production until the group had committed everything; null when the wait timed out. */
  readonly caughtUpAfterMs: number | null;
  readonly expected: CategoryCounts;
  readonly indexed: Record<Category, number>;
  readonly topicRecords: number;
  readonly documents: number;
  readonly checks: readonly Check[];
  readonly verdict: 'pass' | 'fail';
}

const seconds = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
const fmt = new Intl.NumberFormat('en-US');

export function formatReport(report: SoakReport): string {
  const lines = [
    `chaos soak: ${report.minutes} min at ${fmt.format(report.rate)} events/s, seed '${report.seed}', topic ${report.sandbox.topic}`,
    '',
    'faults',
    `  ${'kind'.padEnd(11)}${'at'.padStart(9)}${'down'.padStart(9)}${'recovered'.padStart(11)}`,
  ];
  for (const fault of report.faults) {
    const recovered =
      fault.skipped !== undefined
        ? `skipped: ${fault.skipped}`
        : fault.recoveredAfterMs === null
          ? 'NOT RECOVERED'
          : `+${seconds(fault.recoveredAfterMs)}`;
    lines.push(
      `  ${fault.kind.padEnd(11)}${seconds(fault.atMs ?? fault.plannedAtMs).padStart(9)}${seconds(fault.downMs).padStart(9)}  ${recovered}`,
    );
  }
  lines.push(
    '',
    `produced ${fmt.format(report.production.sent)} acknowledged events in ${report.production.segments} segment(s) over ${seconds(report.production.elapsedMs)}` +
      (report.production.failures.length > 0
        ? `; failed sends: ${report.production.failures.join('; ')}`
        : ''),
    `consumer: ${report.consumer.unexpectedExits.length} unexpected exit(s)` +
      report.consumer.unexpectedExits
        .map((e) => ` [at ${seconds(e.atMs)}: code ${e.code ?? '-'} signal ${e.signal ?? '-'}]`)
        .join('') +
      `, final exit code ${report.consumer.finalExitCode ?? '-'}; caught up ${seconds(report.caughtUpAfterMs)} after production ended`,
    '',
    `  ${'category'.padEnd(12)}${'expected'.padStart(10)}${'indexed'.padStart(10)}`,
  );
  for (const category of ['good', 'suspicious', 'bad'] as const) {
    const mark = report.expected[category] === report.indexed[category] ? '' : '  ✗';
    lines.push(
      `  ${category.padEnd(12)}${fmt.format(report.expected[category]).padStart(10)}${fmt.format(report.indexed[category]).padStart(10)}${mark}`,
    );
  }
  lines.push('');
  for (const check of report.checks) lines.push(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  lines.push('', `verdict: ${report.verdict.toUpperCase()}`);
  return lines.join('\n');
}
