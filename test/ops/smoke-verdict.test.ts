import { describe, expect, it } from 'vitest';
import { formatGroundTruth } from '../../generator/cli-output.js';
import { BAD_KINDS } from '../../generator/events.js';
import type { GroundTruth } from '../../generator/run.js';
import {
  appendedRanges,
  countDifferences,
  GroundTruthParseError,
  indexedCounts,
  parseGroundTruth,
  partitionEnds,
  recordCount,
  uncommitted,
} from '../../ops/smoke-verdict.js';

function truth(good: number, suspicious: number, bad: number): GroundTruth {
  const byBadKind = Object.fromEntries(
    BAD_KINDS.map((k, i) => [k, i === 0 ? bad : 0]),
  ) as GroundTruth['byBadKind'];
  return {
    topic: 'server-logs',
    seed: 'abc123',
    accounts: 10_000,
    usersSeeded: null,
    sent: good + suspicious + bad,
    byCategory: { good, suspicious, bad },
    byBadKind,
    bySuspiciousKind: { device_mismatch: suspicious, unknown_account: 0 },
    elapsedMs: 1234,
    eventsPerSecond: 1000,
    aborted: false,
  };
}

describe('parseGroundTruth', () => {
  it("reads back the generator CLI's own table, thousands separators and all", () => {
    const printed = formatGroundTruth(truth(1_234_567, 2_345, 1_000));

    expect(parseGroundTruth(`some log line\n${printed}\n`)).toEqual({
      seed: 'abc123',
      sent: 1_237_912,
      byCategory: { good: 1_234_567, suspicious: 2_345, bad: 1_000 },
    });
  });

  it('refuses output without the table, a missing row, or rows that do not add up', () => {
    expect(() => parseGroundTruth('error: KafkaJSConnectionError\n')).toThrow(GroundTruthParseError);
    const printed = formatGroundTruth(truth(10, 2, 3));
    expect(() => parseGroundTruth(printed.replace(/\n {2}bad .*/, ''))).toThrow("no 'bad' row");
    expect(() => parseGroundTruth(printed.replace(/total sent +15/, 'total sent  16'))).toThrow(
      "the categories add up to 15, but 'total sent' is 16",
    );
  });
});

describe('the run as offset ranges', () => {
  const before = partitionEnds([
    { partition: 0, high: '10' },
    { partition: 1, high: '5' },
    { partition: 2, high: '7' },
  ]);
  const after = partitionEnds([
    { partition: 2, high: '7' },
    { partition: 1, high: '9007199254740999' },
    { partition: 0, high: '12' },
    { partition: 3, high: '4' },
  ]);

  it('keeps each partition the run appended to, a new one from 0, in partition order, as exact longs', () => {
    expect(appendedRanges(before, after)).toEqual([
      { partition: 0, from: 10n, to: 12n },
      { partition: 1, from: 5n, to: 9007199254740999n },
      { partition: 3, from: 0n, to: 4n },
    ]);
  });

  it("counts the records a group has not committed, a partition it never committed ('-1') in full", () => {
    const ranges = [
      { partition: 0, from: 10n, to: 20n },
      { partition: 1, from: 5n, to: 9n },
      { partition: 2, from: 0n, to: 3n },
    ];
    expect(recordCount(ranges)).toBe(17);
    expect(
      uncommitted(ranges, [
        { partition: 0, offset: '15' },
        { partition: 1, offset: '-1' },
        { partition: 2, offset: '8' },
      ]),
    ).toBe(5 + 4);
    expect(uncommitted(ranges, [])).toBe(17);
  });
});

describe('countDifferences', () => {
  it('names extra and missing documents per category and any category that should not exist', () => {
    const indexed = indexedCounts({
      hits: { total: { value: 16 } },
      aggregations: {
        category: {
          buckets: [
            { key: 'good', doc_count: 10 },
            { key: 'bad', doc_count: 4 },
            { key: 'weird', doc_count: 2 },
          ],
        },
      },
    });

    expect(indexed.total).toBe(16);
    expect(countDifferences({ good: 9, suspicious: 1, bad: 4 }, indexed)).toEqual([
      'good: expected 9, indexed 10 (1 extra)',
      'suspicious: expected 1, indexed 0 (1 missing)',
      "2 document(s) of the run have category 'weird', which is none of good/suspicious/bad",
    ]);
  });
});
