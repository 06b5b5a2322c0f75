// What the index template takes as a refresh interval: the values OpenSearch accepts and nothing it would refuse
// only at the first PUT (or take for something else: '-1' turns refreshes off, a bare number is milliseconds).
import { describe, expect, it } from 'vitest';
import { indexTemplates, isRefreshInterval } from '../../core/index-templates.js';

describe('isRefreshInterval', () => {
  it.each(['1s', '500ms', '250ms', '5s', '2m'])('takes %s', (value) => {
    expect(isRefreshInterval(value)).toBe(true);
  });

  it.each(['', '1', '0s', '-1', '1h', '1.5s', ' 1s', '1s ', '01s', 'fast'])('refuses %j', (value) => {
    expect(isRefreshInterval(value)).toBe(false);
  });
});

describe('indexTemplates', () => {
  const settings = (options?: Parameters<typeof indexTemplates>[1]) =>
    (indexTemplates('p', options)[0].body as { template: { settings: Record<string, unknown> } }).template
      .settings;

  it('refreshes every 5 s by default (AWS: bulk throughput over freshness), else at the interval it is given', () => {
    expect(settings().refresh_interval).toBe('5s');
    expect(settings({ refreshInterval: '500ms' }).refresh_interval).toBe('500ms');
  });
});
