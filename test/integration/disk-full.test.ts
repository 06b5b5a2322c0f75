// A full disk on the real node: OpenSearch 2.19 answers writes to an index under the flood-stage block with a
// 429 per document (cluster_block_exception). The consumer waits it out, says why in its warnings (the node's
// own words and the index), and once the block is lifted indexes every record exactly once.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexName } from '../../core/documents.js';
import { runGenerator } from '../../generator/run.js';
import { consumeArgs } from '../../local/consume-process.js';
import { countIndexed, refreshIndices } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  indexedTotal,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from './support.js';

const DAY_MS = 86_400_000;
const FLOOD_STAGE =
  'blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block]';

describe('a full disk (flood-stage watermark)', () => {
  let env: TestEnvironment;
  const topic = uniqueName('it-disk-');
  const prefix = uniqueName('it-disk-');
  // The daily indices the records can land in (produced just now).
  const indices = [-1, 0, 1].map((days) => indexName(prefix, Date.now() + days * DAY_MS));
  const block = (value: boolean | null) =>
    env.pipeline.search.indices.putSettings({
      index: indices,
      body: { 'index.blocks.read_only_allow_delete': value },
    });

  beforeAll(async () => {
    env = await createTestEnvironment(topic, prefix, 'disk');
  });

  afterAll(async () => {
    await block(null).catch(() => undefined);
    await disposeTestEnvironment(env);
  });

  it('is a per-document 429 naming the block on OpenSearch 2.19', async () => {
    for (const index of indices) await env.pipeline.search.indices.create({ index });
    await block(true);
    const response = await env.pipeline.search.bulk({
      body: [{ index: { _index: indices[1], _id: 'probe' } }, { probe: true }],
    });
    const item = (
      response.body.items[0] as { index: { status: number; error: { type: string; reason: string } } }
    ).index;
    expect(item.status).toBe(429);
    expect(item.error.type).toBe('cluster_block_exception');
    expect(item.error.reason).toBe(`index [${indices[1]}] ${FLOOD_STAGE};`);
  });

  it('is waited out with warnings that name the reason and the index, then every record is indexed once', async () => {
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: 2_000,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: 'disk-full',
      accounts: 500,
      mysqlUrl: env.db.url,
      partitions: 1,
    });
    const group = uniqueName('it-disk-group-');
    const child = spawn(
      process.execPath,
      consumeArgs(['--quiet', '--topic', topic, '--group', group, '--index-prefix', prefix]),
      {
        env: { ...process.env, MYSQL_URL: env.db.url, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const warnings = () =>
        stderr
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { level: string; message: string; error?: { message: string } })
          .filter(
            (entry) => entry.level === 'warn' && entry.message === 'chunk failed on an outage, retrying',
          );
      await waitFor(
        'the consumer to warn about the blocked index',
        async () => warnings().length > 0,
        90_000,
      );
      const [warning] = warnings();
      expect(warning?.error?.message).toContain(
        `documents still failing: ${truth.sent} × HTTP 429 cluster_block_exception: index [`,
      );
      expect(warning?.error?.message).toContain(FLOOD_STAGE);
      expect(indices.some((index) => warning?.error?.message.includes(`index [${index}]`))).toBe(true);
      expect(warning?.error?.message).toContain('free disk space');
      // Waiting, not stopping: nothing indexed, nothing committed, the process still up.
      expect(child.exitCode).toBeNull();
      expect(await indexedTotal(env.pipeline, prefix)).toBe(0);
      expect(await env.pipeline.lag(group, topic)).toBe(truth.sent);

      await block(null);
      await waitFor(
        'every offset to be committed',
        async () => (await env.pipeline.lag(group, topic)) === 0,
        120_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await refreshIndices(env.pipeline.search, prefix);
    expect(await countIndexed(env.pipeline.search, prefix)).toEqual(truth.byCategory);
  });
});
