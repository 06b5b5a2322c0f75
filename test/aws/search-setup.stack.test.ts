import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
