// The decisions of the post-deploy smoke test (`npm run smoke`), apart from any I/O: the ground truth each
// generator instance printed, the run's records as offset ranges of the topic, the OpenSearch query that counts
// exactly those records per category, and the differences (one line each) between what was produced and what
// the pipeline indexed or dead-lettered.
import type { KafkaMessage } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '../core/dead-letter.js';
import { CATEGORIES, type Category, emptyCounts } from '../core/documents.js';

/** What one generator run acknowledged, read back from the text table `formatGroundTruth` prints. */
export interface PrintedTruth {
  readonly seed: string;
  readonly sent: number;
  readonly byCategory: Record<Category, number>;
}

export class GroundTruthParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GroundTruthParseError';
  }
}

const HEADER = /^Ground truth \(topic (\S+), seed (\S+), accounts /;
// Category rows are indented by two spaces; the per-kind rows under them by four.
const ROW = /^ {2}(good|suspicious|bad|total sent) +([0-9][0-9,]*)(?: |$)/;

/** Parses the generator CLI's ground-truth table (generator/cli-output.ts) out of a run's standard output. */
export function parseGroundTruth(stdout: string): PrintedTruth {
  const lines = stdout.split(/\r?\n/);
  const start = lines.findIndex((line) => HEADER.test(line));
  if (start < 0) throw new GroundTruthParseError('no "Ground truth (...)" table in the output');
  const seed = (HEADER.exec(lines[start] as string) as RegExpExecArray)[2] as string;
  const rows = new Map<string, number>();
  for (const line of lines.slice(start + 1)) {
    const match = ROW.exec(line);
    if (match) rows.set(match[1] as string, Number((match[2] as string).replaceAll(',', '')));
  }
  const byCategory = emptyCounts();
  for (const category of CATEGORIES) {
    const n = rows.get(category);
    if (n === undefined) throw new GroundTruthParseError(`the ground-truth table has no '${category}' row`);
    byCategory[category] = n;
  }
  const sent = rows.get('total sent');
  if (sent === undefined) throw new GroundTruthParseError("the ground-truth table has no 'total sent' row");
  const sum = CATEGORIES.reduce((s, c) => s + byCategory[c], 0);
  if (sum !== sent) {
    throw new GroundTruthParseError(`the categories add up to ${sum}, but 'total sent' is ${sent}`);
  }
  return { seed, sent, byCategory };
}

export function sumTruths(truths: readonly PrintedTruth[]): {
  sent: number;
  byCategory: Record<Category, number>;
} {
  const byCategory = emptyCounts();
  for (const truth of truths) for (const c of CATEGORIES) byCategory[c] += truth.byCategory[c];
  return { sent: truths.reduce((s, t) => s + t.sent, 0), byCategory };
}

/** End offsets per partition, as kafkajs's `fetchTopicOffsets` reports them (`high`: the next offset). */
export type PartitionEnds = ReadonlyMap<number, bigint>;

export function partitionEnds(offsets: readonly { partition: number; high: string }[]): PartitionEnds {
  return new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
}

/** The offsets [from, to) of one partition that the run appended. */
export interface OffsetRange {
  readonly partition: number;
  readonly from: bigint;
  readonly to: bigint;
}

/** The records appended between two readings of the end offsets, by partition (empty partitions left out). */
export function appendedRanges(before: PartitionEnds, after: PartitionEnds): OffsetRange[] {
  const ranges: OffsetRange[] = [];
  for (const [partition, to] of [...after].sort(([a], [b]) => a - b)) {
    const from = before.get(partition) ?? 0n;
    if (to > from) ranges.push({ partition, from, to });
  }
  return ranges;
}

export function recordCount(ranges: readonly OffsetRange[]): number {
  return Number(ranges.reduce((n, r) => n + (r.to - r.from), 0n));
}

/**
 * How many of the run's records the consumer group has not committed yet. A partition without a committed
 * offset (kafkajs reports '-1') has committed none of them.
 */
export function uncommitted(
  ranges: readonly OffsetRange[],
  committed: readonly { partition: number; offset: string }[],
): number {
  const byPartition = new Map(committed.map((p) => [p.partition, BigInt(p.offset)]));
  let behind = 0n;
  for (const r of ranges) {
    const at = byPartition.get(r.partition) ?? -1n;
    const done = at < r.from ? r.from : at > r.to ? r.to : at;
    behind += r.to - done;
  }
  return Number(behind);
}

/** A `_search` body counting the documents of exactly these records, per category, in one request. */
export function countQuery(topic: string, ranges: readonly OffsetRange[]): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: true,
    query: {
      bool: {
        filter: [
          { term: { 'source.topic': topic } },
          {
            bool: {
              minimum_should_match: 1,
              should: ranges.map((r) => ({
                bool: {
                  filter: [
                    { term: { 'source.partition': r.partition } },
                    // Offsets are longs in the mapping; strings keep offsets above 2^53 exact in JSON.
                    { range: { 'source.offset': { gte: r.from.toString(), lt: r.to.toString() } } },
                  ],
                },
              })),
            },
          },
        ],
      },
    },
    aggs: { category: { terms: { field: 'category', size: CATEGORIES.length + 10 } } },
  };
}

/** The shape of the `_search` response body that `countQuery` asks for. */
export interface CountResponse {
  readonly hits?: { readonly total?: number | { readonly value: number } };
  readonly aggregations?: {
    readonly category?: { readonly buckets?: readonly { key: string; doc_count: number }[] };
  };
}

export interface IndexedCounts {
  readonly total: number;
  readonly byCategory: Record<Category, number>;
  /** Documents whose category is none of good/suspicious/bad (should never exist). */
  readonly other: Record<string, number>;
}

export function indexedCounts(response: CountResponse): IndexedCounts {
  const byCategory = emptyCounts();
  const other: Record<string, number> = {};
  for (const bucket of response.aggregations?.category?.buckets ?? []) {
    if ((CATEGORIES as readonly string[]).includes(bucket.key))
      byCategory[bucket.key as Category] = bucket.doc_count;
    else other[bucket.key] = bucket.doc_count;
  }
  const total = response.hits?.total;
  return { total: typeof total === 'number' ? total : (total?.value ?? 0), byCategory, other };
}

/** One line per category whose indexed count differs from the ground truth, and per unknown category. */
export function countDifferences(expected: Record<Category, number>, indexed: IndexedCounts): string[] {
  const lines: string[] = [];
  for (const c of CATEGORIES) {
    const delta = indexed.byCategory[c] - expected[c];
    if (delta !== 0) {
      lines.push(
        `${c}: expected ${expected[c]}, indexed ${indexed.byCategory[c]} (${delta > 0 ? `${delta} extra` : `${-delta} missing`})`,
      );
    }
  }
  for (const [category, n] of Object.entries(indexed.other)) {
    lines.push(
      `${n} document(s) of the run have category '${category}', which is none of ${CATEGORIES.join('/')}`,
    );
  }
  return lines;
}

/** A message read from the dead-letter topic. */
export interface DeadLetterMessage {
  readonly partition: number;
  readonly message: Pick<KafkaMessage, 'offset' | 'headers'>;
}

function header(message: DeadLetterMessage['message'], name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * The dead-letter topic may hold only poison records, as the consumer writes them (core/dead-letter.ts: the
 * source coordinates and the error as headers), and none from this run: the generator produces no record that
 * an index refuses, its bad events become `bad` documents.
 */
export function deadLetterDifferences(
  messages: readonly DeadLetterMessage[],
  topic: string,
  ranges: readonly OffsetRange[],
): string[] {
  const lines: string[] = [];
  for (const { partition, message } of messages) {
    const at = `dead-letter record ${partition}/${message.offset}`;
    const missing = Object.values(DEAD_LETTER_HEADERS).filter((name) => header(message, name) === undefined);
    if (missing.length > 0) {
      lines.push(`${at} is not a poison record from the consumer: no ${missing.join(', ')} header`);
      continue;
    }
    const partitionText = header(message, DEAD_LETTER_HEADERS.partition) as string;
    const offsetText = header(message, DEAD_LETTER_HEADERS.offset) as string;
    if (!/^\d+$/.test(partitionText) || !/^\d+$/.test(offsetText)) {
      lines.push(`${at} has malformed source headers: partition '${partitionText}', offset '${offsetText}'`);
      continue;
    }
    const sourcePartition = Number(partitionText);
    const sourceOffset = BigInt(offsetText);
    const ofThisRun =
      header(message, DEAD_LETTER_HEADERS.topic) === topic &&
      ranges.some((r) => r.partition === sourcePartition && sourceOffset >= r.from && sourceOffset < r.to);
    if (ofThisRun) {
      lines.push(
        `${at} is record ${topic}/${sourcePartition}/${sourceOffset} of this run, which no index took: ${header(message, DEAD_LETTER_HEADERS.error)}`,
      );
    }
  }
  return lines;
}
