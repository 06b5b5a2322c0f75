// Integration: `stack.ts status --json` reports components, end offsets, group lag and category counts.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyIndexTemplates, templateName } from '../../core/index-templates.js';
import { createIdempotentProducer } from '../../core/producer.js';
import type { StackStatus } from '../../local/components/status.js';
import { LOCAL_PORTS, localEndpoints } from '../../local/endpoints.js';
import { requireLocalStack, uniqueName } from './require-stack.js';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const endpoints = localEndpoints();

async function statusJson(...args: string[]): Promise<StackStatus> {
  const { stdout } = await execFileAsync(
    join(root, 'node_modules', '.bin', 'tsx'),
    ['local/stack.ts', 'status', '--json', ...args],
    { cwd: root },
  );
  return JSON.parse(stdout) as StackStatus;
}

describe('stack status --json', () => {
  const kafka = new Kafka({
    clientId: 'status-test',
    brokers: endpoints.brokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const search = new Client({ node: endpoints.opensearchUrl });
  const topic = uniqueName('status-test');
  const groupId = uniqueName('status-test-group');
  const prefix = uniqueName('statustest');

  beforeAll(async () => {
    await requireLocalStack();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [0, 0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `m${i}` })),
    });
    await producer.disconnect();
    // A group that has read 1 of 4 records on partition 0 and none on partition 1 (which has 2): lag 5.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });
    await applyIndexTemplates(search, prefix, { replicas: 0 });
    const index = `${prefix}-events-2026.01.01`;
    for (const [id, category] of ['good', 'good', 'bad'].entries()) {
      await search.index({ index, id: String(id), body: { category }, refresh: true });
    }
  });

  afterAll(async () => {
    await search.indices.delete({ index: `${prefix}-*` }).catch(() => undefined);
    await search.indices.deleteIndexTemplate({ name: templateName(prefix) }).catch(() => undefined);
    await search.close();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('shows every component up with its version', async () => {
    const status = await statusJson('--topic', topic, '--index-prefix', prefix);
    const byName = Object.fromEntries(status.components.map((c) => [c.name, c]));
    expect(byName.kafka).toMatchObject({ up: true, port: LOCAL_PORTS.kafka });
    expect(byName.kafka?.version).toMatch(/^3\.9\./);
    expect(byName.opensearch).toMatchObject({ up: true, port: LOCAL_PORTS.opensearch });
    expect(byName.opensearch?.version).toMatch(/^2\./);
    expect(byName.mariadb?.up).toBe(true);
    expect(byName.mariadb?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('reports end offsets per partition, the group lag and the documents per category', async () => {
    const status = await statusJson('--topic', topic, '--index-prefix', prefix);
    expect(status.topics).toEqual([
      {
        topic,
        endOffsets: '6',
        partitions: [
          { partition: 0, low: '0', high: '4' },
          { partition: 1, low: '0', high: '2' },
        ],
      },
    ]);
    expect(status.groups).toContainEqual({ groupId, topic, lag: '5' });
    expect(status.indices).toEqual({ prefix, counts: { good: 2, suspicious: 0, bad: 1 } });
    expect(status.errors).toEqual([]);
  });

  it('exits 1 and names the component that is down, so it serves as a health check', async () => {
    // An external MariaDB (MYSQL_URL) on a port where nothing listens is down; the rest is up.
    const run = execFileAsync(
      join(root, 'node_modules', '.bin', 'tsx'),
      ['local/stack.ts', 'status', '--topic', topic, '--index-prefix', prefix],
      { cwd: root, env: { ...process.env, MYSQL_URL: 'mysql://root@127.0.0.1:1/none' } },
    );
    const failure = (await run.then(
      () => undefined,
      (error: unknown) => error,
    )) as { code?: number; stderr?: string; stdout?: string } | undefined;
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toMatch(/mariadb\s+down/);
    expect(failure?.stderr?.trim()).toBe(
      'stack:status: down: mariadb (start the local stack with `npm run stack:start`, or fix MYSQL_URL)',
    );
  });
});
