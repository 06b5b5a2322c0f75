import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshIntervalRequest } from '../../aws/search-setup.js';
import { applyIndexTemplates } from '../../core/index-templates.js';
import { localEndpoints } from '../../local/endpoints.js';

// The first step of the search-setup custom resource, against the real local OpenSearch (which has no ISM,
// security or Dashboards plugin: those steps are covered by search-setup.test.ts).
describe('index templates on the local OpenSearch', () => {
  const prefix = `cr-test-${randomBytes(4).toString('hex')}`;
  let client: Client;

  beforeAll(() => {
    client = new Client({ node: localEndpoints().opensearchUrl });
  });

  afterAll(async () => {
    await client.indices.delete({ index: `${prefix}-*` }).catch(() => undefined);
    await client.indices.deleteIndexTemplate({ name: `${prefix}-events` }).catch(() => undefined);
    await client.close();
  });

  it('gives an index the consumers auto-create the declared mappings and a filtered alias per category', async () => {
    await applyIndexTemplates(client, prefix, { replicas: 0 });
    await applyIndexTemplates(client, prefix, { replicas: 0 }); // Update: applying twice is harmless

    const index = `${prefix}-events-2026.01.01`;
    for (const [id, category] of [
      ['a', 'good'],
      ['b', 'bad'],
      ['c', 'bad'],
    ]) {
      await client.index({ index, id, body: { category, ingested_at: '2026-01-01T00:00:00Z' } });
    }
    await client.indices.refresh({ index });

    const mapping = await client.indices.getMapping({ index });
    expect(mapping.body[index].mappings.properties?.ingested_at).toEqual({ type: 'date' });
    const aliases = await client.indices.getAlias({ index });
    expect(Object.keys(aliases.body[index].aliases).sort()).toEqual([
      `${prefix}-bad`,
      `${prefix}-good`,
      `${prefix}-suspicious`,
    ]);
    const count = async (alias: string) => (await client.count({ index: alias })).body.count;
    expect([
      await count(`${prefix}-good`),
      await count(`${prefix}-suspicious`),
      await count(`${prefix}-bad`),
    ]).toEqual([1, 0, 2]);
  });

  it('puts a changed refresh interval on the existing indices of its prefix only, and takes a prefix with none', async () => {
    const other = `${prefix}x`;
    await applyIndexTemplates(client, prefix, { replicas: 0, refreshInterval: '5s' });
    const send = (request: ReturnType<typeof refreshIntervalRequest>) =>
      client.transport.request({
        method: request.method,
        path: request.path,
        querystring: request.querystring,
        body: request.body,
      });
    // A first deploy: no index of the prefix yet.
    expect((await send(refreshIntervalRequest(`${prefix}-none`, '1s'))).statusCode).toBe(200);

    const ours = `${prefix}-events-2026.01.02`;
    const theirs = `${other}-events-2026.01.02`;
    await client.indices.create({ index: ours });
    await client.indices.create({ index: theirs, body: { settings: { refresh_interval: '5s' } } });
    await send(refreshIntervalRequest(prefix, '250ms'));

    const interval = async (index: string) =>
      (await client.indices.getSettings({ index, name: 'index.refresh_interval' })).body[index]?.settings
        ?.index?.refresh_interval;
    expect(await interval(ours)).toBe('250ms');
    expect(await interval(theirs)).toBe('5s');
    await client.indices.delete({ index: theirs });
  });
});
