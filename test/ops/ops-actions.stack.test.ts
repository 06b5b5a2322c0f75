import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaDeadLetter } from '../../core/dead-letter.js';
import { recordId } from '../../core/documents.js';
import { silentLogger } from '../../core/logger.js';
import { createIdempotentProducer } from '../../core/producer.js';
import type { SourceRecord } from '../../core/source-record.js';
import { defaultDeviceFor, ensureUsersSchema, seedUsers } from '../../core/users-schema.js';
import { ensureTopic } from '../../local/pipeline.js';
import {
  handleOpsRequest,
  type OpsDeps,
  type OpsResponse,
  type OpsTargets,
  REDRIVE_RESERVE_MS,
  type RedriveResult,
  type StatusResult,
} from '../../ops/ops-actions.js';
import { type CountResponse, countQuery, indexedCounts } from '../../ops/smoke-verdict.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  type TestEnvironment,
  uniqueName,
} from '../integration/support.js';

/** The ops function's actions against the local Kafka, MariaDB and OpenSearch, on topics, groups and indices of its own. */
describe('the ops function actions against the local stack', () => {
  const run = randomBytes(4).toString('hex');
  const topic = `ops-test-${run}`;
  const prefix = uniqueName('ops-test-');
  const targets: OpsTargets = {
    topic,
    deadLetterTopic: `${topic}-dlq`,
    consumerGroupId: `${topic}-consumer`,
    redriveGroupId: `${topic}-redrive`,
    readGroupPrefix: `${topic}-read-`,
    indexPrefix: prefix,
  };
  const eventTime = Date.UTC(2026, 11, 1, 12);
  let env: TestEnvironment;
  let admin: Admin;
  let deps: OpsDeps;

  const event = (accountId: number) =>
    Buffer.from(
      JSON.stringify({
        event_id: randomBytes(16).toString('hex'),
        account_id: accountId,
        event_type: 'click',
        device: defaultDeviceFor(accountId),
        location_country: 'DE',
        event_timestamp: Math.floor(eventTime / 1000),
      }),
    );

  /** Record 1/0 of the topic, as if no index had taken it. */
  const poison: SourceRecord = {
    topic,
    partition: 1,
    offset: '0',
    timestampMs: eventTime,
    key: null,
    value: event(42),
  };

  async function call<T>(request: unknown, overrides: Partial<OpsDeps> = {}): Promise<OpsResponse<T>> {
    return (await handleOpsRequest(request, targets, { ...deps, ...overrides })) as OpsResponse<T>;
  }

  async function ok<T>(request: unknown, overrides: Partial<OpsDeps> = {}): Promise<T> {
    const response = await call<T>(request, overrides);
    if (!response.ok) throw new Error(response.error);
    return response.result;
  }

  beforeAll(async () => {
    env = await createTestEnvironment(topic, prefix, 'ops');
    await ensureUsersSchema(env.pipeline.pool);
    await seedUsers(env.pipeline.pool, { accounts: 100 });
    await ensureTopic(env.pipeline.kafka, topic, 2);
    await ensureTopic(env.pipeline.kafka, targets.deadLetterTopic, 2);
    admin = env.pipeline.kafka.admin();
    await admin.connect();
    deps = {
      kafka: env.pipeline.kafka,
      admin,
      search: env.pipeline.search,
      process: env.pipeline.process,
      logger: silentLogger,
      remainingMs: () => 5 * 60_000,
    };
    const producer = createIdempotentProducer(env.pipeline.kafka);
    await producer.connect();
    await producer.send({
      topic,
      messages: [0, 0, 0, 1].map((partition, i) => ({
        partition,
        value: event(i + 1),
        timestamp: String(eventTime),
      })),
    });
    await producer.disconnect();
  });

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [targets.deadLetterTopic] }).catch(() => undefined);
    await admin?.disconnect();
    if (env) await disposeTestEnvironment(env);
  });

  it("reads the topic's offsets and moves the consumer group's, and nothing outside the deployment", async () => {
    const ends = await ok<{ partition: number; high: string }[]>({ action: 'topicOffsets', topic });
    expect(ends.map((p) => [p.partition, p.high]).sort()).toEqual([
      [0, '3'],
      [1, '1'],
    ]);
    await ok({
      action: 'setOffsets',
      groupId: targets.consumerGroupId,
      topic,
      partitions: [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '1' },
      ],
    });
    const [committed] = await ok<{ partitions: { partition: number; offset: string }[] }[]>({
      action: 'groupOffsets',
      groupId: targets.consumerGroupId,
      topic,
    });
    expect(committed?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '2'],
      [1, '1'],
    ]);
    const described = await ok<{ groups: { groupId: string; state: string; members: unknown[] }[] }>({
      action: 'describeGroup',
      groupId: targets.consumerGroupId,
    });
    expect(described.groups[0]).toMatchObject({ groupId: targets.consumerGroupId, members: [] });

    // Another group, another topic, the re-drive group's offsets: refused before anything reaches Kafka.
    for (const request of [
      { action: 'setOffsets', groupId: 'someone-else', topic, partitions: [{ partition: 0, offset: '0' }] },
      {
        action: 'setOffsets',
        groupId: targets.redriveGroupId,
        topic: targets.deadLetterTopic,
        partitions: [{ partition: 0, offset: '0' }],
      },
      { action: 'topicOffsets', topic: '__consumer_offsets' },
      { action: 'describeGroup', groupId: 'someone-else' },
      { action: 'deleteTopic', topic },
    ]) {
      const response = await call(request);
      expect(response.ok, JSON.stringify(request)).toBe(false);
      expect((response as { error: string }).error).toMatch(/^refused: /);
    }
    const after = await admin.fetchTopicOffsets('__consumer_offsets');
    expect(after.length).toBeGreaterThan(0);
  });

  it('searches the pipeline indices with the smoke count query', async () => {
    const records: SourceRecord[] = [0, 1, 2].map((offset) => ({
      topic,
      partition: 0,
      offset: String(offset),
      timestampMs: eventTime,
      key: null,
      value: event(offset + 1),
    }));
    await env.pipeline.process(records);
    await env.pipeline.search.indices.refresh({ index: `${prefix}-*` });
    const response = await ok<CountResponse>({
      action: 'search',
      body: countQuery(
        topic,
        [{ partition: 0, from: 0n, to: 3n }].map((r) => r),
      ) as Record<string, unknown>,
    });
    expect(indexedCounts(response)).toMatchObject({
      total: 3,
      byCategory: { good: 3, suspicious: 0, bad: 0 },
    });
  });

  it("finds a dead letter of the run's records, and only those, with a throwaway group it deletes", async () => {
    const sink = kafkaDeadLetter(env.pipeline.kafka, targets.deadLetterTopic);
    await sink.sink([poison], new Error('mapper_parsing_exception: refused by every index'));
    await sink.close();

    const ofRun = await ok<{ read: number; differences: string[] }>({
      action: 'checkDeadLetters',
      topic,
      ranges: [{ partition: 1, from: '0', to: '1' }],
    });
    expect(ofRun.read).toBe(1);
    expect(ofRun.differences).toEqual([
      expect.stringMatching(
        new RegExp(`is record ${topic}/1/0 of this run, which no index took: mapper_parsing_exception`),
      ),
    ]);
    const other = await ok<{ read: number; differences: string[] }>({
      action: 'checkDeadLetters',
      topic,
      ranges: [{ partition: 0, from: '0', to: '3' }],
    });
    expect(other).toEqual({ read: 1, differences: [] });
    const { groups } = await admin.listGroups();
    expect(groups.filter((g) => g.groupId.startsWith(targets.readGroupPrefix))).toEqual([]);
  });

  it('re-drives the dead-letter topic under the source records identities, then has nothing left', async () => {
    const before = await ok<RedriveResult>(
      { action: 'redrive' },
      { remainingMs: () => REDRIVE_RESERVE_MS + 500 },
    ).catch((error: Error) => error);
    expect((before as Error).message).toMatch(/too little for a re-drive slice: raise its timeout/);

    const first = await ok<RedriveResult>({ action: 'redrive', budgetMs: 60_000 });
    expect(first).toEqual({
      records: 1,
      counts: { good: 1, suspicious: 0, bad: 0 },
      remaining: 0,
      done: true,
    });
    // The document of the dead letter is the source record's: same id as a redelivery of topic/1/0 would write.
    await env.pipeline.search.indices.refresh({ index: `${prefix}-*` });
    const found = await env.pipeline.search.search({
      index: `${prefix}-*`,
      body: {
        query: { bool: { filter: [{ term: { 'source.partition': 1 } }, { term: { 'source.offset': 0 } }] } },
      },
    });
    const hits = (found.body as { hits: { hits: { _id: string; _source: { source: { topic: string } } }[] } })
      .hits.hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]?._source.source.topic).toBe(topic);
    expect(hits[0]?._id).toBe(recordId(poison));

    const again = await ok<RedriveResult>({ action: 'redrive', budgetMs: 60_000 });
    expect(again).toEqual({
      records: 0,
      counts: { good: 0, suspicious: 0, bad: 0 },
      remaining: 0,
      done: true,
    });
  });

  it('stops a re-drive slice at its time budget after the chunk in flight; the next slice goes on from there', async () => {
    // A topic and group of their own, one partition: the slice's chunks come in order.
    const own: OpsTargets = {
      ...targets,
      deadLetterTopic: `${topic}-dlq-slices`,
      redriveGroupId: `${topic}-redrive-slices`,
    };
    await ensureTopic(env.pipeline.kafka, own.deadLetterTopic, 1);
    const total = 2_500;
    const sink = kafkaDeadLetter(env.pipeline.kafka, own.deadLetterTopic);
    await sink.sink(
      Array.from({ length: total }, (_, i) => ({
        topic,
        partition: 0,
        offset: String(1_000 + i),
        timestampMs: eventTime,
        key: null,
        value: event((i % 100) + 1),
      })),
      new Error('refused by every index'),
    );
    await sink.close();
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    // Each chunk (at most 2,000 records) takes 6 s: far past the 3 s budget, so the slice ends after the first.
    const slow = async (records: SourceRecord[]) => {
      await sleep(6_000);
      return env.pipeline.process(records);
    };

    const started = Date.now();
    const first = await handleOpsRequest({ action: 'redrive', budgetMs: 3_000 }, own, {
      ...deps,
      process: slow,
    });
    const elapsed = Date.now() - started;
    if (!first.ok) throw new Error(first.error);
    const slice = first.result as RedriveResult;
    expect(slice.done).toBe(false);
    expect(slice.records).toBeGreaterThan(0);
    expect(slice.records).toBeLessThanOrEqual(2_000);
    expect(slice.records + slice.remaining).toBe(total);
    expect(elapsed).toBeLessThan(3_000 + 6_000 + 10_000);

    const second = await handleOpsRequest({ action: 'redrive', budgetMs: 60_000 }, own, deps);
    if (!second.ok) throw new Error(second.error);
    expect(second.result).toMatchObject({ records: slice.remaining, remaining: 0, done: true });
    await admin.deleteTopics({ topics: [own.deadLetterTopic] }).catch(() => undefined);
  });

  it('reports lag per group, documents per category and the dead-letter depth', async () => {
    // The last re-drive slice returns once its documents are acknowledged, not yet searchable (refresh every 1 s).
    await env.pipeline.search.indices.refresh({ index: `${prefix}-*` });
    const status = await ok<StatusResult>({ action: 'status' });
    expect(status.groups).toEqual([
      { groupId: targets.consumerGroupId, topic, lag: '1', committed: true },
      { groupId: targets.redriveGroupId, topic: targets.deadLetterTopic, lag: '0', committed: true },
    ]);
    // 3 searched, 1 re-driven, 2,500 re-driven in slices.
    expect(status.documents).toEqual({ good: 2_504, suspicious: 0, bad: 0 });
    expect(status.deadLetters).toBe('1');
  });
});
