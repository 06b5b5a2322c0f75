// The local event source mapping against the real Kafka: the MSK event shape, batches in partition order,
// commits after success only, and the error handling as AWS documents it, including the skip that finite
// retries make (which is why the stack deploys MAPPING_ERROR_HANDLING).
import type { MSKEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { mskEventToRecords } from '../../lambdas/msk-consumer.js';
import { MAPPING_ERROR_HANDLING } from '../../lib/lambda-consumer.js';
import { type MappingErrorHandling, runEventSourceMapping } from '../../local/event-source-mapping.js';
import { createLocalPipeline, ensureTopic, type LocalPipeline } from '../../local/pipeline.js';
import { endpoints, uniqueName, waitFor } from '../integration/support.js';

describe('the local event source mapping', () => {
  let pipeline: LocalPipeline;
  const topics: string[] = [];

  beforeAll(() => {
    pipeline = createLocalPipeline({ ...endpoints, indexPrefix: 'unused', logger: silentLogger });
  });
  afterAll(async () => {
    const admin = pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await pipeline.close();
  });

  /** A fresh one-partition topic holding `n` records: key `k<i>` (none for the first), value `v<i>`. */
  async function topicWith(n: number): Promise<string> {
    const topic = uniqueName('esm-');
    topics.push(topic);
    await ensureTopic(pipeline.kafka, topic, 1);
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => ({
        key: i === 0 ? null : `k${i}`,
        value: `v${i}`,
        headers: { origin: 'test' },
      })),
    });
    await producer.disconnect();
    return topic;
  }

  async function run(
    topic: string,
    errorHandling: MappingErrorHandling,
    handler: (event: MSKEvent) => Promise<unknown>,
    extra: { functionTimeoutMs?: number; onDiscard?: (offsets: number[]) => void } = {},
  ) {
    const groupId = uniqueName('esm-group-');
    const mapping = await runEventSourceMapping({
      kafka: pipeline.kafka,
      topic,
      groupId,
      handler,
      errorHandling,
      batchSize: 4,
      functionTimeoutMs: extra.functionTimeoutMs ?? 10_000,
      retryDelayMs: 10,
      onDiscard: (records) => extra.onDiscard?.(records.map((r) => r.offset)),
    });
    await waitFor('the group to commit to the end', async () => (await pipeline.lag(groupId, topic)) === 0);
    await mapping.stop();
    return mapping.stats;
  }

  it('delivers every record once, in order and in the MSK event shape, in batches of at most batchSize', async () => {
    const topic = await topicWith(10);
    const events: MSKEvent[] = [];
    await run(topic, MAPPING_ERROR_HANDLING, async (event) => {
      events.push(event);
    });

    expect(events.map((e) => Object.keys(e.records))).toEqual([
      [`${topic}-0`],
      [`${topic}-0`],
      [`${topic}-0`],
    ]);
    expect(events[0].eventSource).toBe('aws:kafka');
    const records = events.flatMap((e) => mskEventToRecords(e));
    expect(records.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(records[0].key).toBeNull();
    expect(Buffer.from(records[3].key ?? []).toString()).toBe('k3');
    expect(Buffer.from(records[3].value ?? []).toString()).toBe('v3');
    expect(events[0].records[`${topic}-0`][1].headers).toEqual([{ origin: [...Buffer.from('test')] }]);
  });

  it('with finite retries and no destination, discards a batch that keeps failing: the skip', async () => {
    const topic = await topicWith(8);
    const discarded: number[] = [];
    const delivered: number[] = [];
    const stats = await run(
      topic,
      { retryAttempts: 2, maxRecordAgeSeconds: -1, bisectBatchOnError: false },
      async (event) => {
        const offsets = Object.values(event.records)
          .flat()
          .map((r) => r.offset);
        if (offsets.includes(0)) throw new Error('database down');
        delivered.push(...offsets);
      },
      { onDiscard: (offsets) => discarded.push(...offsets) },
    );

    expect(discarded).toEqual([0, 1, 2, 3]);
    expect(delivered).toEqual([4, 5, 6, 7]);
    expect(stats).toMatchObject({ failedInvocations: 3, discardedRecords: 4 });
  });

  it('with the deployed error handling, retries the same failure until it passes and discards nothing', async () => {
    const topic = await topicWith(8);
    let failuresLeft = 6;
    const delivered: number[] = [];
    const stats = await run(topic, MAPPING_ERROR_HANDLING, async (event) => {
      if (failuresLeft-- > 0) throw new Error('database down');
      delivered.push(
        ...Object.values(event.records)
          .flat()
          .map((r) => r.offset),
      );
    });

    expect(delivered).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(stats).toMatchObject({ failedInvocations: 6, discardedRecords: 0 });
  });

  it('counts an invocation that outlives the function timeout as failed, and retries its batch', async () => {
    const topic = await topicWith(4);
    let calls = 0;
    const stats = await run(
      topic,
      MAPPING_ERROR_HANDLING,
      async () => {
        if (++calls === 1) await new Promise((resolve) => setTimeout(resolve, 2_000));
      },
      { functionTimeoutMs: 500 },
    );

    expect(stats).toMatchObject({ invocations: 2, failedInvocations: 1, discardedRecords: 0 });
  });
});
