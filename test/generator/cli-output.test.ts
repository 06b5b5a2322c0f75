import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatGroundTruth, formatProgressLine } from '../../generator/cli-output.js';
import type { GroundTruth } from '../../generator/run.js';

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, columns: 120, write: (text: string) => writes.push(text) > 0, writes };
}

describe('formatProgressLine', () => {
  it('shows percentage, counts and rate by count', () => {
    expect(formatProgressLine({ sent: 5_000, total: 10_000, elapsedMs: 2_000 })).toBe(
      ' 50%  5,000/10,000 events  2,500 ev/s  2.0s',
    );
  });

  it('shows the time share when running by duration', () => {
    expect(formatProgressLine({ sent: 300, durationMs: 10_000, elapsedMs: 2_500 })).toMatch(
      /^ 25% {2}300 events/,
    );
  });
});

describe('createProgressReporter', () => {
  it('redraws one line on a terminal, at most every 100 ms, and always at 100%', () => {
    let now = 0;
    const stream = recorder(true);
    const reporter = createProgressReporter(stream, () => now);
    reporter.update({ sent: 1, total: 10, elapsedMs: 1 });
    now = 50;
    reporter.update({ sent: 2, total: 10, elapsedMs: 50 });
    now = 60;
    reporter.update({ sent: 10, total: 10, elapsedMs: 60 });
    reporter.finish();
    expect(stream.writes).toHaveLength(3);
    expect(stream.writes[0]).toMatch(/^\r\[#+-+\] /);
    expect(stream.writes[1]).toContain('100%');
    expect(stream.writes[2]).toBe('\n');
  });

  it('prints a line per 10% when not on a terminal', () => {
    const stream = recorder(false);
    const reporter = createProgressReporter(stream, () => 0);
    for (let sent = 1; sent <= 100; sent++) reporter.update({ sent, total: 100, elapsedMs: 1 });
    expect(stream.writes).toHaveLength(10);
    expect(stream.writes.every((line) => line.startsWith('progress: '))).toBe(true);
  });

  it('prints a line every 5 s when not on a terminal even without progress in tenths', () => {
    let now = 0;
    const stream = recorder(false);
    const reporter = createProgressReporter(stream, () => now);
    for (now = 0; now <= 20_000; now += 1_000) reporter.update({ sent: 1, total: 1_000_000, elapsedMs: now });
    // At 5, 10, 15 and 20 s.
    expect(stream.writes).toHaveLength(4);
  });
});

describe('formatGroundTruth', () => {
  it('lists every category and kind with counts and shares', () => {
    const truth: GroundTruth = {
      topic: 'server-logs',
      seed: '7',
      accounts: 10_000,
      usersSeeded: null,
      sent: 1_000,
      byCategory: { good: 800, suspicious: 100, bad: 100 },
      byBadKind: {
        invalid_utf8: 10,
        empty_payload: 10,
        not_json: 10,
        not_object: 10,
        missing_field: 10,
        null_field: 10,
        wrong_type: 10,
        bad_format: 10,
        unknown_device: 10,
        bad_country: 5,
        bad_timestamp: 5,
      },
      bySuspiciousKind: { device_mismatch: 90, unknown_account: 10 },
      elapsedMs: 500,
      eventsPerSecond: 2_000,
      aborted: false,
    };
    const text = formatGroundTruth(truth);
    expect(text).toMatch(/good\s+800\s+80\.0%/);
    expect(text).toMatch(/unknown_account\s+10\s+1\.0%/);
    expect(text).toMatch(/bad_timestamp\s+5\s+0\.5%/);
    expect(text).toMatch(/total sent\s+1,000\s+100\.0%/);
    expect(text).toContain('2,000 events/s');
  });
});
