import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import type { MSKEvent } from 'aws-lambda';
import mysql, { type Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES, categoryAlias } from '../../core/documents.js';
import { applyIndexTemplates, templateName } from '../../core/index-templates.js';
import { BulkIndexer } from '../../core/indexer.js';
import { silentLogger } from '../../core/logger.js';
import { MysqlUsersSource, UsersLookup } from '../../core/users.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import { createMskHandler } from '../../lambdas/msk-consumer.js';
import { localEndpoints } from '../../local/endpoints.js';

// The Lambda adapter end to end: the MSK event fixture through the real runtime core into the local MariaDB
// and OpenSearch. Only the AWS wiring (SigV4, Secrets Manager) is swapped for local clients.
const fixture = readFileSync(new URL('../fixtures/msk-event.json', import.meta.url), 'utf8');
const event = (): MSKEvent => JSON.parse(fixture);

describe('msk-consumer handler against the local stack', () => {
  const run = randomBytes(4).toString('hex');
  const prefix = `lambda-test-${run}`;
  const database = `lambda_test_${run}`;
  let search: Client;
  let pool: Pool;

  beforeAll(async () => {
    const { mysqlUrl, opensearchUrl } = localEndpoints();
    const server = new URL(mysqlUrl);
    server.pathname = '/';
    const admin = await mysql.createConnection({ uri: server.toString() });
    await admin.query(`CREATE DATABASE ${admin.escapeId(database)}`);
    await admin.end();
    server.pathname = `/${database}`;
    pool = mysql.createPool({ uri: server.toString(), connectionLimit: 2 });
    await ensureUsersSchema(pool);
    await seedUsers(pool, { accounts: 100 });
    search = new Client({ node: opensearchUrl });
    await applyIndexTemplates(search, prefix, { replicas: 0 });
  });

  afterAll(async () => {
    await search.indices.delete({ index: `${prefix}-*` });
    await search.indices.deleteIndexTemplate({ name: templateName(prefix) });
    await search.close();
    await pool.query(`DROP DATABASE ${pool.escapeId(database)}`);
    await pool.end();
  });

  async function countsByCategory(): Promise<Record<string, number>> {
    await search.indices.refresh({ index: `${prefix}-*` });
    const counts: Record<string, number> = {};
    for (const category of CATEGORIES) {
      const { body } = await search.count({ index: categoryAlias(prefix, category) });
      counts[category] = body.count;
    }
    return counts;
  }

  it('indexes every record of the event once, and a redelivered event overwrites instead of duplicating', async () => {
    const handler = createMskHandler({
      deps: () => ({
        users: new UsersLookup(new MysqlUsersSource(pool)),
        indexer: new BulkIndexer(search),
        indexPrefix: prefix,
      }),
      logger: silentLogger,
    });
    // Account 7 sends from WEB, account 8 from IOS: good when that is their seeded default device.
    const good = (defaultDeviceFor(7) === 'WEB' ? 1 : 0) + (defaultDeviceFor(8) === 'IOS' ? 1 : 0);
    const expected = { good, suspicious: 2 - good, bad: 2 };

    const summary = await handler(event());
    await handler(event());

    expect(summary).toMatchObject({ total: 4, counts: expected });
    expect(await countsByCategory()).toEqual(expected);
  });
});
