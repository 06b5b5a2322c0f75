// The search a saved visualisation of dashboards.ts runs, built the way OpenSearch Dashboards builds it: its
// aggregations (visState) become one search on the index pattern it references. The local dashboard
// (`npm run dashboard`) runs it, so it shows what the AWS Dashboards panel shows and follows any change
// made to the saved object.
import type { SavedObject } from './dashboards.js';
import { PipelineError } from './errors.js';

interface AggConfig {
  readonly id: string;
  readonly enabled: boolean;
  readonly type: string;
  readonly schema: string;
  readonly params: Record<string, unknown>;
}

/** A time range in epoch milliseconds, filtering the pattern's time field like the time picker does. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface VisualisationRequest {
  readonly index: string;
  readonly body: Record<string, unknown>;
  /** Bucket aggregation ids, outermost first: the path of each row's keys. */
  readonly bucketIds: readonly string[];
  /** The fixed interval chosen for an `auto` date histogram, when there is one. */
  readonly intervalMs?: number;
}

/** One leaf bucket: its keys (outermost first) and its document count (the `count` metric). */
export interface VisualisationRow {
  readonly keys: readonly (string | number)[];
  readonly count: number;
}

/** The saved object uses a feature this translation does not cover: extend it rather than guess. */
export class UnsupportedVisualisationError extends PipelineError {}

/** Dashboards' `histogram:barTarget` default: an `auto` interval aims at about this many buckets. */
const BAR_TARGET = 50;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const NICE_INTERVALS_MS = [
  SECOND,
  5 * SECOND,
  10 * SECOND,
  30 * SECOND,
  MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  12 * HOUR,
  24 * HOUR,
  7 * 24 * HOUR,
];

/** The smallest round interval that splits the range into at most BAR_TARGET buckets. */
export function autoIntervalMs(range: TimeRange): number {
  const wanted = (range.toMs - range.fromMs) / BAR_TARGET;
  return NICE_INTERVALS_MS.find((ms) => ms >= wanted) ?? (NICE_INTERVALS_MS.at(-1) as number);
}

function parseVisState(vis: SavedObject): { aggs: AggConfig[] } {
  const raw = vis.attributes.visState;
  if (vis.type !== 'visualization' || typeof raw !== 'string') {
    throw new UnsupportedVisualisationError(`saved object ${vis.id} is not a visualisation`);
  }
  return JSON.parse(raw) as { aggs: AggConfig[] };
}

function bucketAgg(agg: AggConfig, metricIds: ReadonlySet<string>, range: TimeRange | undefined) {
  const p = agg.params;
  switch (agg.type) {
    case 'date_histogram': {
      if (p.interval !== 'auto') {
        throw new UnsupportedVisualisationError(`date_histogram interval '${p.interval}' (only auto)`);
      }
      if (range === undefined) {
        throw new UnsupportedVisualisationError('an auto date_histogram needs a time range');
      }
      const intervalMs = autoIntervalMs(range);
      return {
        intervalMs,
        body: {
          date_histogram: {
            field: p.field,
            fixed_interval: `${intervalMs / SECOND}s`,
            min_doc_count: p.min_doc_count ?? 1,
            extended_bounds: { min: range.fromMs, max: range.toMs },
          },
        },
      };
    }
    case 'terms': {
      if (p.otherBucket || p.missingBucket) {
        throw new UnsupportedVisualisationError(`terms agg ${agg.id}: other/missing buckets`);
      }
      const orderBy = String(p.orderBy);
      const key = metricIds.has(orderBy) ? '_count' : orderBy === '_key' ? '_key' : undefined;
      if (key === undefined) throw new UnsupportedVisualisationError(`terms order by '${orderBy}'`);
      return { body: { terms: { field: p.field, size: p.size, order: { [key]: p.order } } } };
    }
    default:
      throw new UnsupportedVisualisationError(`bucket aggregation '${agg.type}'`);
  }
}

/**
 * The search a visualisation runs: its enabled bucket aggregations nested in the order of `aggs` (as
 * Dashboards nests them), on the title of the index pattern it references, filtered to `range` on the
 * pattern's time field when given. Only the `count` metric is supported: it is what every panel here uses.
 */
export function visualisationRequest(
  vis: SavedObject,
  indexPatterns: readonly SavedObject[],
  range?: TimeRange,
): VisualisationRequest {
  const { aggs } = parseVisState(vis);
  const enabled = aggs.filter((a) => a.enabled);
  const metrics = enabled.filter((a) => a.schema === 'metric');
  const unsupported = metrics.find((m) => m.type !== 'count');
  if (unsupported) throw new UnsupportedVisualisationError(`metric '${unsupported.type}' (only count)`);
  const metricIds = new Set(metrics.map((m) => m.id));
  const buckets = enabled.filter((a) => a.schema !== 'metric');

  const reference = vis.references.find((r) => r.type === 'index-pattern');
  const pattern = indexPatterns.find((p) => p.id === reference?.id);
  if (!pattern) throw new UnsupportedVisualisationError(`index pattern of ${vis.id} not found`);
  const index = String(pattern.attributes.title);
  const timeField = pattern.attributes.timeFieldName as string | undefined;

  let intervalMs: number | undefined;
  let nested: Record<string, unknown> | undefined;
  for (const agg of [...buckets].reverse()) {
    const built = bucketAgg(agg, metricIds, range);
    intervalMs ??= built.intervalMs;
    nested = { [agg.id]: nested ? { ...built.body, aggs: nested } : built.body };
  }
  const filter =
    range && timeField
      ? [{ range: { [timeField]: { gte: range.fromMs, lte: range.toMs, format: 'epoch_millis' } } }]
      : [];
  return {
    index,
    body: { size: 0, track_total_hits: true, query: { bool: { filter } }, ...(nested && { aggs: nested }) },
    bucketIds: buckets.map((b) => b.id),
    intervalMs,
  };
}

interface Bucket {
  key: string | number;
  doc_count: number;
  [agg: string]: unknown;
}

/** The response's leaf buckets as rows; no aggregations (no index matched yet) gives no rows. */
export function visualisationRows(
  request: VisualisationRequest,
  aggregations: Record<string, unknown> | undefined,
): VisualisationRow[] {
  const rows: VisualisationRow[] = [];
  const walk = (level: Record<string, unknown> | undefined, depth: number, keys: (string | number)[]) => {
    const agg = level?.[request.bucketIds[depth]] as { buckets?: Bucket[] } | undefined;
    for (const bucket of agg?.buckets ?? []) {
      const path = [...keys, bucket.key];
      if (depth === request.bucketIds.length - 1) rows.push({ keys: path, count: bucket.doc_count });
      else walk(bucket, depth + 1, path);
    }
  };
  if (request.bucketIds.length > 0) walk(aggregations, 0, []);
  return rows;
}
