// OpenSearch Dashboards saved objects as code: index patterns, the category visualisations and one dashboard,
// with deterministic IDs so that re-importing (overwrite=true) updates the same objects instead of adding
// copies. The search-setup custom resource imports the NDJSON; the CDK passes its hash so that any change
// here triggers an Update of that resource.
import { createHash } from 'node:crypto';
import { CATEGORIES, type Category, categoryAlias, indexPattern } from './documents.js';

export interface SavedObject {
  readonly id: string;
  readonly type: 'index-pattern' | 'visualization' | 'dashboard';
  readonly attributes: Record<string, unknown>;
  readonly references: readonly { readonly name: string; readonly type: string; readonly id: string }[];
  readonly migrationVersion: Record<string, string>;
}

/** Every document carries it (bad ones have no event_time), so all patterns share one time axis. */
export const TIME_FIELD = 'ingested_at';

const SEARCH_REF = 'kibanaSavedObjectMeta.searchSourceJSON.index';

export function savedObjectId(prefix: string, kind: string): string {
  return `log-pipeline-${prefix}-${kind}`;
}

function indexPatternObject(prefix: string, kind: Category | 'all'): SavedObject {
  return {
    id: savedObjectId(prefix, `index-pattern-${kind}`),
    type: 'index-pattern',
    // No `fields`: Dashboards reads the mapping when the pattern is first used, so it never goes stale.
    // A category's pattern is its filtered alias, so Dashboards shows exactly that category's documents.
    attributes: {
      title: kind === 'all' ? indexPattern(prefix) : categoryAlias(prefix, kind),
      timeFieldName: TIME_FIELD,
    },
    references: [],
    migrationVersion: { 'index-pattern': '7.6.0' },
  };
}

function visualization(
  prefix: string,
  kind: string,
  title: string,
  indexPatternId: string,
  visState: { type: string; aggs: unknown[]; params: Record<string, unknown> },
): SavedObject {
  return {
    id: savedObjectId(prefix, kind),
    type: 'visualization',
    attributes: {
      title,
      description: '',
      version: 1,
      uiStateJSON: '{}',
      visState: JSON.stringify({ title, ...visState }),
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query: '', language: 'kuery' },
          filter: [],
          indexRefName: SEARCH_REF,
        }),
      },
    },
    references: [{ name: SEARCH_REF, type: 'index-pattern', id: indexPatternId }],
    migrationVersion: { visualization: '7.10.0' },
  };
}

const countMetric = { id: '1', enabled: true, type: 'count', schema: 'metric', params: {} };

function categoryTerms(schema: string) {
  return {
    id: '3',
    enabled: true,
    type: 'terms',
    schema,
    params: {
      field: 'category',
      size: CATEGORIES.length,
      order: 'desc',
      orderBy: '1',
      otherBucket: false,
      missingBucket: false,
    },
  };
}

function countsOverTime(prefix: string, allPattern: string): SavedObject {
  return visualization(prefix, 'vis-category-over-time', 'Events per category over time', allPattern, {
    type: 'histogram',
    aggs: [
      countMetric,
      {
        id: '2',
        enabled: true,
        type: 'date_histogram',
        schema: 'segment',
        params: { field: TIME_FIELD, interval: 'auto', min_doc_count: 1, extended_bounds: {} },
      },
      categoryTerms('group'),
    ],
    params: {
      type: 'histogram',
      grid: { categoryLines: false },
      categoryAxes: [
        {
          id: 'CategoryAxis-1',
          type: 'category',
          position: 'bottom',
          show: true,
          scale: { type: 'linear' },
          labels: { show: true, filter: true, truncate: 100 },
          title: {},
        },
      ],
      valueAxes: [
        {
          id: 'ValueAxis-1',
          name: 'LeftAxis-1',
          type: 'value',
          position: 'left',
          show: true,
          scale: { type: 'linear', mode: 'normal' },
          labels: { show: true, rotate: 0, filter: false, truncate: 100 },
          title: { text: 'Events' },
        },
      ],
      seriesParams: [
        {
          show: true,
          type: 'histogram',
          mode: 'stacked',
          data: { label: 'Events', id: '1' },
          valueAxis: 'ValueAxis-1',
          drawLinesBetweenPoints: true,
          lineWidth: 2,
          showCircles: true,
        },
      ],
      addTooltip: true,
      addLegend: true,
      legendPosition: 'right',
      times: [],
      addTimeMarker: false,
      labels: { show: false },
    },
  });
}

function countsPerCategory(prefix: string, allPattern: string): SavedObject {
  return visualization(prefix, 'vis-category-counts', 'Events per category', allPattern, {
    type: 'metric',
    aggs: [countMetric, categoryTerms('group')],
    params: {
      type: 'metric',
      addTooltip: true,
      addLegend: false,
      metric: {
        percentageMode: false,
        useRanges: false,
        colorSchema: 'Green to Red',
        metricColorMode: 'None',
        colorsRange: [{ from: 0, to: 10_000 }],
        labels: { show: true },
        invertColors: false,
        style: { bgFill: '#000', bgColor: false, labelColor: false, subText: '', fontSize: 48 },
      },
    },
  });
}

function topBadReasons(prefix: string, badPattern: string): SavedObject {
  return visualization(prefix, 'vis-bad-reasons', 'Top reasons for bad events', badPattern, {
    type: 'table',
    aggs: [
      countMetric,
      {
        id: '2',
        enabled: true,
        type: 'terms',
        schema: 'bucket',
        params: {
          field: 'reasons.code',
          size: 10,
          order: 'desc',
          orderBy: '1',
          otherBucket: true,
          missingBucket: false,
        },
      },
    ],
    params: {
      perPage: 10,
      showPartialRows: false,
      showMetricsAtAllLevels: false,
      showTotal: false,
      totalFunc: 'sum',
    },
  });
}

function dashboard(
  prefix: string,
  panels: readonly { vis: SavedObject; x: number; y: number; w: number; h: number }[],
) {
  return {
    id: savedObjectId(prefix, 'dashboard'),
    type: 'dashboard',
    attributes: {
      title: `Log pipeline (${prefix})`,
      description: 'Events per category (good, suspicious, bad) and why events were bad.',
      hits: 0,
      version: 1,
      timeRestore: true,
      timeFrom: 'now-1h',
      timeTo: 'now',
      refreshInterval: { pause: false, value: 30_000 },
      optionsJSON: JSON.stringify({ hideTitle: false, useMargins: true }),
      panelsJSON: JSON.stringify(
        panels.map((p, i) => ({
          panelIndex: String(i + 1),
          gridData: { x: p.x, y: p.y, w: p.w, h: p.h, i: String(i + 1) },
          embeddableConfig: {},
          panelRefName: `panel_${i}`,
        })),
      ),
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }),
      },
    },
    references: panels.map((p, i) => ({ name: `panel_${i}`, type: 'visualization', id: p.vis.id })),
    migrationVersion: { dashboard: '7.9.3' },
  } satisfies SavedObject;
}

/** The saved objects in dependency order (index patterns, visualisations, dashboard). */
export function savedObjects(prefix: string): SavedObject[] {
  const patterns = [
    indexPatternObject(prefix, 'all'),
    ...CATEGORIES.map((c) => indexPatternObject(prefix, c)),
  ];
  const allId = patterns[0].id;
  const badId = savedObjectId(prefix, 'index-pattern-bad');
  const overTime = countsOverTime(prefix, allId);
  const counts = countsPerCategory(prefix, allId);
  const reasons = topBadReasons(prefix, badId);
  return [
    ...patterns,
    overTime,
    counts,
    reasons,
    dashboard(prefix, [
      { vis: counts, x: 0, y: 0, w: 48, h: 8 },
      { vis: overTime, x: 0, y: 8, w: 32, h: 16 },
      { vis: reasons, x: 32, y: 8, w: 16, h: 16 },
    ]),
  ];
}

/** The NDJSON the Dashboards `_import` API takes: one object a line, trailing newline. */
export function savedObjectsNdjson(prefix: string): string {
  return `${savedObjects(prefix)
    .map((o) => JSON.stringify(o))
    .join('\n')}\n`;
}

/** sha256 (hex) of the NDJSON: changes whenever any saved object changes. */
export function savedObjectsHash(prefix: string): string {
  return createHash('sha256').update(savedObjectsNdjson(prefix)).digest('hex');
}
