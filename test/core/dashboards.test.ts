import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { savedObjects, savedObjectsHash, savedObjectsNdjson } from '../../core/dashboards.js';

describe('dashboards saved objects', () => {
  it('renders valid NDJSON, one object a line', () => {
    const ndjson = savedObjectsNdjson('logs');
    const lines = ndjson.trimEnd().split('\n');

    expect(ndjson.endsWith('\n')).toBe(true);
    expect(lines).toHaveLength(savedObjects('logs').length);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('id');
  });

  it('has an index pattern for every category (its filtered alias) and one for all, on the ingestion time', () => {
    const patterns = savedObjects('logs').filter((o) => o.type === 'index-pattern');

    expect(patterns.map((p) => p.attributes.title).sort()).toEqual([
      'logs-bad',
      'logs-events-*',
      'logs-good',
      'logs-suspicious',
    ]);
    for (const p of patterns) expect(p.attributes.timeFieldName).toBe('ingested_at');
  });

  it('resolves every reference to an object of the set, with the right type', () => {
    const objects = savedObjects('logs');
    const byId = new Map(objects.map((o) => [o.id, o]));

    expect(byId.size).toBe(objects.length);
    for (const o of objects) {
      for (const ref of o.references) expect(byId.get(ref.id)?.type, `${o.id} -> ${ref.id}`).toBe(ref.type);
    }
  });

  it('builds one dashboard whose panels each name a reference', () => {
    const dashboards = savedObjects('logs').filter((o) => o.type === 'dashboard');
    expect(dashboards).toHaveLength(1);
    const [board] = dashboards;
    const panels = JSON.parse(board.attributes.panelsJSON as string) as { panelRefName: string }[];

    expect(panels.map((p) => p.panelRefName).sort()).toEqual(board.references.map((r) => r.name).sort());
  });

  it('stacks the counts over time by category in a date histogram', () => {
    const vis = savedObjects('logs').find((o) => o.id.endsWith('vis-category-over-time'));
    const state = JSON.parse(vis?.attributes.visState as string);

    expect(state.aggs.map((a: { type: string }) => a.type)).toEqual(['count', 'date_histogram', 'terms']);
    expect(state.aggs[2].params.field).toBe('category');
    expect(state.params.seriesParams[0].mode).toBe('stacked');
  });

  it('uses deterministic ids so that a re-import overwrites instead of duplicating', () => {
    expect(savedObjectsNdjson('logs')).toBe(savedObjectsNdjson('logs'));
    expect(savedObjects('logs').map((o) => o.id)).toContain('log-pipeline-logs-dashboard');
  });

  it('hashes the NDJSON, so the hash changes exactly when the content does', () => {
    const expected = createHash('sha256').update(savedObjectsNdjson('logs')).digest('hex');

    expect(savedObjectsHash('logs')).toBe(expected);
    expect(savedObjectsHash('logs')).toBe(savedObjectsHash('logs'));
    expect(savedObjectsHash('other')).not.toBe(savedObjectsHash('logs'));
  });
});
