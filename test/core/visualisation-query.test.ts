import { describe, expect, it } from 'vitest';
import { type SavedObject, savedObjectId, savedObjects } from '../../core/dashboards.js';
import {
  autoIntervalMs,
  UnsupportedVisualisationError,
  visualisationRequest,
  visualisationRows,
} from '../../core/visualisation-query.js';

const objects = savedObjects('logs');
const patterns = objects.filter((o) => o.type === 'index-pattern');
const vis = (kind: string) => objects.find((o) => o.id === savedObjectId('logs', kind)) as SavedObject;
const hour = { fromMs: Date.UTC(2026, 0, 1, 12), toMs: Date.UTC(2026, 0, 1, 13) };

describe('visualisationRequest', () => {
  it('runs "Events per category over time" as a date histogram split by category, on the time range', () => {
    const request = visualisationRequest(vis('vis-category-over-time'), patterns, hour);

    expect(request.index).toBe('logs-events-*');
    expect(request.bucketIds).toEqual(['2', '3']);
    expect(request.intervalMs).toBe(5 * 60_000);
    expect(request.body).toEqual({
      size: 0,
      track_total_hits: true,
      query: {
        bool: {
          filter: [{ range: { ingested_at: { gte: hour.fromMs, lte: hour.toMs, format: 'epoch_millis' } } }],
        },
      },
      aggs: {
        '2': {
          date_histogram: {
            field: 'ingested_at',
            fixed_interval: '300s',
            min_doc_count: 1,
            extended_bounds: { min: hour.fromMs, max: hour.toMs },
          },
          aggs: { '3': { terms: { field: 'category', size: 3, order: { _count: 'desc' } } } },
        },
      },
    });
  });

  it('runs "Events per category" over all time when no range is given', () => {
    const request = visualisationRequest(vis('vis-category-counts'), patterns);

    expect(request.body).toEqual({
      size: 0,
      track_total_hits: true,
      query: { bool: { filter: [] } },
      aggs: { '3': { terms: { field: 'category', size: 3, order: { _count: 'desc' } } } },
    });
  });

  it('refuses what it does not translate instead of running another query', () => {
    expect(() => visualisationRequest(vis('vis-category-over-time'), patterns)).toThrow(
      UnsupportedVisualisationError,
    );
    // "Top reasons" has an "other" bucket, which Dashboards computes with a second search.
    expect(() => visualisationRequest(vis('vis-bad-reasons'), patterns)).toThrow(/other\/missing buckets/);
    const state = JSON.parse(vis('vis-category-counts').attributes.visState as string);
    state.aggs[0].type = 'avg';
    const averaged = { ...vis('vis-category-counts'), attributes: { visState: JSON.stringify(state) } };
    expect(() => visualisationRequest(averaged, patterns)).toThrow(/metric 'avg'/);
  });
});

describe('autoIntervalMs', () => {
  it('picks the smallest round interval giving at most 50 buckets', () => {
    expect(autoIntervalMs({ fromMs: 0, toMs: 60_000 })).toBe(5_000);
    expect(autoIntervalMs({ fromMs: 0, toMs: 50_000 })).toBe(1_000);
    expect(autoIntervalMs({ fromMs: 0, toMs: 15 * 60_000 })).toBe(30_000);
    expect(autoIntervalMs({ fromMs: 0, toMs: 24 * 3_600_000 })).toBe(30 * 60_000);
  });
});

describe('visualisationRows', () => {
  it('flattens nested buckets into one row per leaf, keys outermost first', () => {
    const request = visualisationRequest(vis('vis-category-over-time'), patterns, hour);
    const rows = visualisationRows(request, {
      '2': {
        buckets: [
          {
            key: 1000,
            doc_count: 5,
            '3': {
              buckets: [
                { key: 'good', doc_count: 4 },
                { key: 'bad', doc_count: 1 },
              ],
            },
          },
          { key: 2000, doc_count: 2, '3': { buckets: [{ key: 'suspicious', doc_count: 2 }] } },
        ],
      },
    });

    expect(rows).toEqual([
      { keys: [1000, 'good'], count: 4 },
      { keys: [1000, 'bad'], count: 1 },
      { keys: [2000, 'suspicious'], count: 2 },
    ]);
  });

  it('gives no rows when no index matched (no aggregations in the answer)', () => {
    expect(visualisationRows(visualisationRequest(vis('vis-category-counts'), patterns), undefined)).toEqual(
      [],
    );
  });
});
