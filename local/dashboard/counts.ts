// What the dashboard reads from OpenSearch: the saved visualisations "Events per category over time" and
// "Events per category" of core/dashboards.ts, run as Dashboards runs them (core/visualisation-query.ts),
// and the current indexing rate.
import type { Client } from '@opensearch-project/opensearch';
import { type SavedObject, savedObjectId, savedObjects, TIME_FIELD } from '../../core/dashboards.js';
import { CATEGORIES, type Category, emptyCounts, indexPattern } from '../../core/documents.js';
import { type TimeRange, visualisationRequest, visualisationRows } from '../../core/visualisation-query.js';

export interface CountsOverTime {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
  /** Bucket start times (epoch ms), every interval of the range, empty ones included. */
  readonly times: number[];
  readonly counts: Record<Category, number[]>;
}

export interface CountsSnapshot {
  /** Documents per category, all time: the "Events per category" panel. */
  readonly totals: Record<Category, number>;
  readonly total: number;
  /** The "Events per category over time" panel, on the dashboard's time range zoomed to the data. */
  readonly overTime: CountsOverTime;
  /** Documents indexed per second over the last RATE_WINDOW_MS. */
  readonly eventsPerSecond: number;
}

/** Averaged over 10 s, ending 1 s ago: documents are searchable only after the 1 s refresh. */
const RATE_WINDOW_MS = 10_000;
const RATE_LAG_MS = 1_000;
/** The chart spans at least this much, so that a few seconds of data still reads as a time axis. */
const MIN_RANGE_MS = 60_000;

const UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The saved dashboard's time range (`timeFrom: 'now-1h'`) as a length, so both show the same hour. */
export function savedWindowMs(objects: readonly SavedObject[], prefix: string): number {
  const board = objects.find((o) => o.id === savedObjectId(prefix, 'dashboard'));
  const match = /^now-(\d+)([smhd])$/.exec(String(board?.attributes.timeFrom));
  if (!match) throw new Error(`the saved dashboard's timeFrom is not 'now-<n><s|m|h|d>'`);
  return Number(match[1]) * UNITS_MS[match[2]];
}

export interface CountsReader {
  read(now?: number): Promise<CountsSnapshot>;
}

export function countsReader(search: Client, prefix: string): CountsReader {
  const objects = savedObjects(prefix);
  const patterns = objects.filter((o) => o.type === 'index-pattern');
  const vis = (kind: string) => {
    const found = objects.find((o) => o.id === savedObjectId(prefix, kind));
    if (!found) throw new Error(`saved visualisation ${kind} not found`);
    return found;
  };
  const overTimeVis = vis('vis-category-over-time');
  const perCategoryVis = vis('vis-category-counts');
  const windowMs = savedWindowMs(objects, prefix);
  const index = indexPattern(prefix);
  const lenient = { ignore_unavailable: true, allow_no_indices: true } as const;

  async function run(visualisation: SavedObject, range?: TimeRange) {
    const request = visualisationRequest(visualisation, patterns, range);
    const response = await search.search({ index: request.index, body: request.body, ...lenient });
    const aggregations = response.body.aggregations as Record<string, unknown> | undefined;
    return { request, rows: visualisationRows(request, aggregations) };
  }

  /** The window's first document, so that a short run fills the chart instead of a sliver of an hour. */
  async function firstInWindow(now: number): Promise<number | undefined> {
    const response = await search.search({
      index,
      ...lenient,
      body: {
        size: 1,
        sort: [{ [TIME_FIELD]: { order: 'asc' } }],
        _source: [TIME_FIELD],
        query: { range: { [TIME_FIELD]: { gte: now - windowMs, format: 'epoch_millis' } } },
      },
    });
    const first = response.body.hits.hits[0]?._source?.[TIME_FIELD];
    return typeof first === 'string' ? Date.parse(first) : undefined;
  }

  async function overTime(now: number): Promise<CountsOverTime> {
    const first = (await firstInWindow(now)) ?? now - windowMs;
    const range = { fromMs: Math.min(first, now - MIN_RANGE_MS), toMs: now };
    const { request, rows } = await run(overTimeVis, range);
    const intervalMs = request.intervalMs as number;
    const times: number[] = [];
    for (let t = Math.floor(range.fromMs / intervalMs) * intervalMs; t <= range.toMs; t += intervalMs) {
      times.push(t);
    }
    const slot = new Map(times.map((t, i) => [t, i]));
    const counts = Object.fromEntries(CATEGORIES.map((c) => [c, times.map(() => 0)])) as Record<
      Category,
      number[]
    >;
    for (const { keys, count } of rows) {
      const [time, category] = keys as [number, Category];
      const i = slot.get(time);
      if (i !== undefined && category in counts) counts[category][i] = count;
    }
    return { ...range, intervalMs, times, counts };
  }

  async function totals(): Promise<Record<Category, number>> {
    const counts = emptyCounts();
    for (const { keys, count } of (await run(perCategoryVis)).rows) {
      const category = keys[0] as Category;
      if (category in counts) counts[category] = count;
    }
    return counts;
  }

  async function eventsPerSecond(now: number): Promise<number> {
    const to = now - RATE_LAG_MS;
    const response = await search.count({
      index,
      ...lenient,
      body: {
        query: { range: { [TIME_FIELD]: { gte: to - RATE_WINDOW_MS, lt: to, format: 'epoch_millis' } } },
      },
    });
    return Math.round((response.body.count * 1000) / RATE_WINDOW_MS);
  }

  return {
    async read(now = Date.now()) {
      const [byCategory, series, rate] = await Promise.all([totals(), overTime(now), eventsPerSecond(now)]);
      const total = CATEGORIES.reduce((n, c) => n + byCategory[c], 0);
      return { totals: byCategory, total, overTime: series, eventsPerSecond: rate };
    },
  };
}
