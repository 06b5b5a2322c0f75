// Crash safety: SIGKILL the consumer process mid-stream, start it again, and every produced event is
// indexed exactly once (per category count equals the generator's ground truth, no extra documents).
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { silentLogger } from '../../core/logger.js';
import { type GroundTruth, runGenerator } from '../../generator/run.js';
import { countIndexed, type LocalPipeline, refreshIndices } from '../../local/pipeline.js';
import {
  type ConsumerProcess,
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  indexedTotal,
  startConsumerProcess,
  type TestDatabase,
  uniqueName,
  waitFor,
} from './support.js';

const EVENTS = 30_000;

describe('a consumer killed mid-stream', () => {
  const topic = uniqueName('it-crash-');
  const prefix = uniqueName('it-crash-');
  const group = uniqueName('it-crash-group-');
  let db: TestDatabase;
  let pipeline: LocalPipeline;
  let truth: GroundTruth;
  const children: ChildProcess[] = [];

  function startConsumer(): ConsumerProcess {
    const consumer = startConsumerProcess(
      ['--topic', topic, '--group', group, '--index-prefix', prefix, '--chunk-size', '500'],
      db.url,
    );
    children.push(consumer.child);
    return consumer;
  }

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(topic, prefix, 'crash'));
    truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: EVENTS,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.2,
      seed: 'crash-test',
      accounts: 1_000,
      mysqlUrl: db.url,
      partitions: 3,
    });
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await disposeTestEnvironment({ topic, prefix, db, pipeline });
  });

  it('commits each chunk as soon as it is indexed, so a crash redelivers at most the chunks in flight', async () => {
    const group = uniqueName('it-commit-group-');
    let indexed = 0;
    let hold = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = await runConsumer({
      kafka: pipeline.kafka,
      groupId: group,
      topic,
      chunkSize: 500,
      // About six chunks of these records in flight, so that what is held back is most of the topic.
      maxInFlightBytes: 500_000,
      logger: silentLogger,
      process: async (records) => {
        if (hold) await gate;
        return pipeline.process(records);
      },
      onBatch: (summary) => {
        indexed += summary.total;
        if (indexed >= 2_000) hold = true;
      },
    });
    try {
      await waitFor('four chunks to be indexed', async () => hold);
      await new Promise((resolve) => setTimeout(resolve, 3_000)); // chunks in flight finish or wait
      // Mid-way through a fetched batch (thousands of records per partition), what is indexed is committed.
      expect(EVENTS - (await pipeline.lag(group, topic))).toBe(indexed);
      expect(indexed).toBeLessThan(EVENTS / 2);
    } finally {
      release();
      await running.stop();
    }
  });

  it('indexes every event exactly once after a SIGKILL and a restart', async () => {
    expect(truth.sent).toBe(EVENTS);
    const first = startConsumer();
    await waitFor(
      'the first consumer to index some events',
      async () => (await indexedTotal(pipeline, prefix)) >= 3_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await indexedTotal(pipeline, prefix);
    expect(atKill).toBeLessThan(EVENTS); // it really died mid-stream

    const second = startConsumer();
    await waitFor(
      'the restarted consumer to commit every offset',
      async () => (await pipeline.lag(group, topic)) === 0,
      180_000,
    );
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    await refreshIndices(pipeline.search, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);
  });
});
