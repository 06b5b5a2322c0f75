// The soak's verdict: after the faults, every acknowledged event is indexed in its expected category, the
// index holds exactly one document per record of the topic, and no record position appears twice.
import type { Client } from '@opensearch-project/opensearch';
import { type Category, indexPattern } from '../../core/documents.js';
import type { CategoryCounts } from '../../generator/run.js';
import { formatCount } from '../cli.js';
import { countIndexed, refreshIndices } from '../pipeline.js';
import type { FaultOutcome } from './chaos.js';
import type { UnexpectedExit } from './consumer-process.js';
import type { TopicRecords } from './group-watch.js';
import { FAULT_KINDS } from './schedule.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface IndexFindings {
  readonly indexed: Record<Category, number>;
  readonly documents: number;
  /** Distinct (source.partition, source.offset) pairs among the documents. */
  readonly distinctPositions: number;
  /** A few positions held by more than one document, as `partition@offset×count`. */
  readonly duplicateSamples: readonly string[];
}

/** What the indices hold now, after a refresh so that every acknowledged write is counted. */
export async function inspectIndices(search: Client, prefix: string): Promise<IndexFindings> {
  await refreshIndices(search, prefix);
  const indexed = await countIndexed(search, prefix);
  const { body } = await search.count({
    index: indexPattern(prefix),
    ignore_unavailable: true,
    allow_no_indices: true,
  });
  let distinctPositions = 0;
  const duplicateSamples: string[] = [];
  // A composite aggregation pages through every pair exactly; cardinality would only estimate above 40,000.
  let after: Record<string, number> | undefined;
  do {
    const response = await search.search({
      index: indexPattern(prefix),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: {
        size: 0,
        aggs: {
          positions: {
            composite: {
              size: 10_000,
              sources: [
                { partition: { terms: { field: 'source.partition' } } },
                { offset: { terms: { field: 'source.offset' } } },
              ],
              ...(after === undefined ? {} : { after }),
            },
          },
        },
      },
    });
    const positions = (
      response.body.aggregations as
        | {
            positions: {
              buckets: { key: { partition: number; offset: number }; doc_count: number }[];
              after_key?: Record<string, number>;
            };
          }
        | undefined
    )?.positions;
    const buckets = positions?.buckets ?? [];
    distinctPositions += buckets.length;
    for (const bucket of buckets) {
      if (bucket.doc_count > 1 && duplicateSamples.length < 5) {
        duplicateSamples.push(`${bucket.key.partition}@${bucket.key.offset}×${bucket.doc_count}`);
      }
    }
    after = buckets.length > 0 ? positions?.after_key : undefined;
  } while (after !== undefined);
  return { indexed, documents: body.count, distinctPositions, duplicateSamples };
}

export function verdictChecks(expected: CategoryCounts, topic: TopicRecords, found: IndexFindings): Check[] {
  const categories = (['good', 'suspicious', 'bad'] as const).map(
    (c) => `${c} ${formatCount(expected[c])}/${formatCount(found.indexed[c])}`,
  );
  return [
    {
      name: 'expected == indexed per category',
      ok: (['good', 'suspicious', 'bad'] as const).every((c) => expected[c] === found.indexed[c]),
      detail: `expected/indexed: ${categories.join(', ')}`,
    },
    {
      name: 'documents == records in the topic',
      ok: found.documents === topic.records,
      detail: `${formatCount(found.documents)} documents, ${formatCount(topic.records)} records`,
    },
    {
      name: 'no duplicate record',
      ok: found.distinctPositions === found.documents && found.duplicateSamples.length === 0,
      detail: `${formatCount(found.distinctPositions)} distinct (partition, offset) among ${formatCount(found.documents)} documents${
        found.duplicateSamples.length > 0 ? `; duplicated: ${found.duplicateSamples.join(' ')}` : ''
      }`,
    },
  ];
}

export interface RunFindings {
  readonly faults: readonly FaultOutcome[];
  readonly unexpectedExits: readonly UnexpectedExit[];
  readonly finalExitCode: number | null;
  readonly caughtUpAfterMs: number | null;
  readonly productionFailures: readonly string[];
}

/** How the pipeline behaved under the faults: it always recovered by itself and never stopped on its own. */
export function behaviourChecks(run: RunFindings): Check[] {
  const injected = run.faults.filter((f) => f.skipped === undefined);
  const stuck = injected.filter((f) => f.recoveredAfterMs === null).map((f) => `${f.kind} at ${f.atMs} ms`);
  // A component the stack does not run (MYSQL_URL elsewhere) cannot be killed: named, not failed.
  const external = run.faults.filter((f) => f.skipped?.endsWith('not a process of this local stack'));
  const untouched = FAULT_KINDS.filter(
    (kind) => !injected.some((f) => f.kind === kind) && !external.some((f) => f.kind === kind),
  );
  return [
    {
      name: 'every component faulted',
      ok: untouched.length === 0,
      detail:
        untouched.length > 0
          ? `never faulted: ${untouched.join(', ')}`
          : `${FAULT_KINDS.filter((kind) => injected.some((f) => f.kind === kind)).join(', ')}` +
            (external.length > 0
              ? `; not ours, not faulted: ${[...new Set(external.map((f) => f.kind))].join(', ')}`
              : ''),
    },
    {
      name: 'every fault recovered from',
      ok: stuck.length === 0,
      detail:
        stuck.length === 0 ? `${injected.length} fault(s) injected` : `not recovered: ${stuck.join(', ')}`,
    },
    {
      name: 'consumer never stopped by itself',
      ok: run.unexpectedExits.length === 0 && run.finalExitCode === 0,
      detail: `${run.unexpectedExits.length} unexpected exit(s), exit code ${run.finalExitCode ?? '-'} on SIGTERM`,
    },
    {
      name: 'consumer caught up',
      ok: run.caughtUpAfterMs !== null,
      detail:
        run.caughtUpAfterMs === null
          ? 'lag still above 0 at the deadline'
          : `${run.caughtUpAfterMs} ms after production`,
    },
    {
      name: 'every send acknowledged',
      ok: run.productionFailures.length === 0,
      detail: run.productionFailures.length === 0 ? 'no failed send' : run.productionFailures.join('; '),
    },
  ];
}
