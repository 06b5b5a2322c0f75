// The one function every consumer calls: decode, look up users (one query per batch), classify, index.
// It returns only once every document is durably indexed, so the caller may then commit the offsets.
import { accountIdsOf, classify, decodeAll } from './classify.js';
import { CATEGORIES, type Category, emptyCounts } from './documents.js';
import type { BulkIndexer, IndexReport } from './indexer.js';
import type { Logger } from './logger.js';
import type { SourceRecord } from './source-record.js';
import type { UsersLookup } from './users.js';

export interface BatchSummary {
  readonly total: number;
  /** Documents written per category (a document its index rejected counts as bad). */
  readonly counts: Record<Category, number>;
  /** Documents that their own index rejected and that went to the bad index instead. */
  readonly rerouted: number;
  /** Records no index would take, sent to the dead-letter destination (consumer loop only). */
  readonly deadLettered?: number;
}

export interface ProcessBatchDeps {
  readonly users: UsersLookup;
  readonly indexer: BulkIndexer;
  readonly indexPrefix: string;
  readonly logger?: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export async function processBatch(
  records: readonly SourceRecord[],
  deps: ProcessBatchDeps,
): Promise<BatchSummary> {
  if (records.length === 0) return { total: 0, counts: emptyCounts(), rerouted: 0 };
  const report = await indexRecords(records, deps);
  deps.logger?.debug('batch indexed', { total: records.length, ...report.counts, retries: report.retries });
  return { total: records.length, counts: report.counts, rerouted: report.rerouted };
}

/**
 * The decoded events and their documents are garbage as soon as the indexer has encoded them: they are locals of
 * this function, which has returned by the time the answer is awaited (a suspended async frame keeps its locals,
 * and with several chunks in flight those were most of what each young-generation collection had to copy).
 */
async function indexRecords(records: readonly SourceRecord[], deps: ProcessBatchDeps): Promise<IndexReport> {
  const decoded = decodeAll(records);
  const defaults = await deps.users.lookup(accountIdsOf(decoded));
  const ingestedAt = (deps.now?.() ?? new Date()).toISOString();
  return deps.indexer.index(classify(decoded, defaults, deps.indexPrefix, ingestedAt));
}

/** The summary of two halves of a batch, as if they had been processed together. */
export function mergeSummaries(a: BatchSummary, b: BatchSummary): BatchSummary {
  const counts = emptyCounts();
  for (const category of CATEGORIES) counts[category] = a.counts[category] + b.counts[category];
  return {
    total: a.total + b.total,
    counts,
    rerouted: a.rerouted + b.rerouted,
    deadLettered: (a.deadLettered ?? 0) + (b.deadLettered ?? 0),
  };
}
