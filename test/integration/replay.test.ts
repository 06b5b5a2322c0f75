// Replay and re-drive on the real stack, through `npm run consume` as an operator runs them: a replay after a
// users-table change gives exactly the counts of a fresh run, in place; a replay from a time re-reads only
// what came after it; a dead-letter topic re-driven after the fix lands under the original identities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordId } from '../../core/documents.js';
import { DEVICES } from '../../core/event.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { defaultDeviceFor } from '../../core/users-schema.js';
import { runGenerator } from '../../generator/run.js';
import {
  countIndexed,
  ensureTopic,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../../local/pipeline.js';
import {
  createTestEnvironment,
  deleteIndices,
  disposeTestEnvironment,
  endpoints,
  startConsumerProcess,
  type TestDatabase,
  uniqueName,
} from './support.js';

describe('replay and re-drive', () => {
  let db: TestDatabase;
  let pipeline: LocalPipeline;
  const prefix = uniqueName('it-replay-');
  const topics: string[] = [];
  const prefixes: string[] = [];

  /** Runs the consumer until caught up; returns its last stderr line (the summary) after asserting exit 0. */
  async function consumeUntilCaughtUp(topic: string, group: string, indexPrefix: string, ...more: string[]) {
    const { code, stderr } = await startConsumerProcess(
      ['--topic', topic, '--group', group, '--index-prefix', indexPrefix, '--until-caught-up', ...more],
      db.url,
    ).exited;
    expect(code, stderr).toBe(0);
    await refreshIndices(pipeline.search, indexPrefix);
    return stderr.trim().split('\n');
  }

  beforeAll(async () => {
    ({ db, pipeline } = await createTestEnvironment(uniqueName('it-replay-unused-'), prefix, 'replay'));
  });

  afterAll(async () => {
    const admin = pipeline.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    for (const p of prefixes) await deleteIndices(pipeline.search, p);
    await disposeTestEnvironment({ topic: topics[0] ?? 'none', prefix, db, pipeline });
  });

  it('gives, after a users-table change, exactly the counts a fresh run gives, in the same documents', async () => {
    const topic = uniqueName('it-replay-users-');
    topics.push(topic);
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: 3_000,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.2,
      seed: 'replay-users',
      accounts: 200,
      mysqlUrl: db.url,
      partitions: 2,
    });
    const group = uniqueName('it-replay-group-');
    await consumeUntilCaughtUp(topic, group, prefix);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(truth.byCategory);

    // A quarter of the accounts change their default device.
    for (let id = 1; id <= 50; id++) {
      const other = DEVICES.find((d) => d !== defaultDeviceFor(id)) as string;
      await pipeline.pool.query('UPDATE users SET default_device = ? WHERE account_id = ?', [other, id]);
    }
    const freshPrefix = uniqueName('it-replay-fresh-');
    prefixes.push(freshPrefix);
    await prepareIndices(pipeline.search, freshPrefix);
    await consumeUntilCaughtUp(topic, uniqueName('it-replay-fresh-group-'), freshPrefix);
    const fresh = await countIndexed(pipeline.search, freshPrefix);
    expect(fresh).not.toEqual(truth.byCategory); // the change moved events between categories

    const lines = await consumeUntilCaughtUp(topic, group, prefix, '--reset-to', 'earliest');
    expect(lines[0]).toMatch(new RegExp(`^group ${group} reset on ${topic}: 0@0 1@0$`));
    expect(lines.at(-1)).toMatch(/^caught up: 3,000 records/);
    expect(await countIndexed(pipeline.search, prefix)).toEqual(fresh);
  });

  it('re-reads only the records from a given time on', async () => {
    const topic = uniqueName('it-replay-time-');
    topics.push(topic);
    await ensureTopic(pipeline.kafka, topic, 1);
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    const send = (n: number, timestampMs: number) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: n }, (_, i) => ({
          value: `not json ${i}`,
          timestamp: String(timestampMs),
        })),
      });
    const from = Date.parse('2026-06-01T12:00:00Z');
    await send(100, from - 60_000);
    await send(40, from);
    await send(10, from + 60_000);
    await producer.disconnect();
    const timePrefix = uniqueName('it-replay-time-');
    prefixes.push(timePrefix);
    await prepareIndices(pipeline.search, timePrefix);
    const group = uniqueName('it-replay-time-group-');
    expect((await consumeUntilCaughtUp(topic, group, timePrefix)).at(-1)).toMatch(/^caught up: 150 records/);

    const lines = await consumeUntilCaughtUp(topic, group, timePrefix, '--reset-to', '2026-06-01T12:00:00Z');
    expect(lines[0]).toMatch(/reset on .*: 0@100$/);
    expect(lines.at(-1)).toMatch(/^caught up: 50 records/);
    expect((await countIndexed(pipeline.search, timePrefix)).bad).toBe(150);
  });

  it('re-drives the dead-letter topic after the fix, under the identities of the original records', async () => {
    const topic = uniqueName('it-redrive-');
    const deadLetters = `${topic}-dlq`;
    topics.push(topic, deadLetters);
    await ensureTopic(pipeline.kafka, topic, 1);
    await ensureTopic(pipeline.kafka, deadLetters, 1);
    const redrivePrefix = uniqueName('it-redrive-');
    prefixes.push(redrivePrefix);
    await prepareIndices(pipeline.search, redrivePrefix);
    // A broken index for 2 January: a mapping that no bad document fits (raw_truncated is a boolean).
    const broken = `${redrivePrefix}-events-2026.01.02`;
    await pipeline.search.indices.create({
      index: broken,
      body: { mappings: { properties: { raw_truncated: { type: 'long' } } } },
    });
    const producer = createIdempotentProducer(pipeline.kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 5 }, (_, i) => ({
        key: String(i),
        value: `bad ${i}`,
        timestamp: String(Date.parse('2026-01-02T10:00:00Z')),
      })),
    });
    await producer.disconnect();

    await consumeUntilCaughtUp(
      topic,
      uniqueName('it-redrive-group-'),
      redrivePrefix,
      '--dead-letter-topic',
      deadLetters,
    );
    expect(await countIndexed(pipeline.search, redrivePrefix)).toEqual({ good: 0, suspicious: 0, bad: 0 });

    // The fix: drop the broken index (it holds nothing), then re-drive.
    await pipeline.search.indices.delete({ index: broken });
    const lines = await consumeUntilCaughtUp(
      deadLetters,
      uniqueName('it-redrive-dlq-'),
      redrivePrefix,
      '--redrive',
    );
    expect(lines.at(-1)).toMatch(/^caught up: 5 records \(good 0, suspicious 0, bad 5\)/);
    const { body } = await pipeline.search.search({ index: `${redrivePrefix}-events-*`, body: { size: 10 } });
    const expected = Array.from({ length: 5 }, (_, i) =>
      recordId({
        topic,
        partition: 0,
        offset: String(i),
        timestampMs: Date.parse('2026-01-02T10:00:00Z'),
        key: Buffer.from(String(i)),
        value: Buffer.from(`bad ${i}`),
      }),
    );
    expect(body.hits.hits.map((h) => h._id).sort()).toEqual(expected.sort());

    // A later replay of the source topic finds the same documents instead of adding others.
    await consumeUntilCaughtUp(topic, uniqueName('it-redrive-replay-'), redrivePrefix);
    expect(await countIndexed(pipeline.search, redrivePrefix)).toEqual({ good: 0, suspicious: 0, bad: 5 });
  });
});
