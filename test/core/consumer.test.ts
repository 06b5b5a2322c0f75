import {
  type Kafka,
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  type KafkaMessage,
} from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  isRetriable,
  processOrDeadLetter,
  type RetryInfo,
  runConsumer,
  toSourceRecord,
} from '../../core/consumer.js';
import {
  ConfigError,
  DatabaseUnavailableError,
  DocumentRejectedError,
  PermanentIndexError,
  SinkUnavailableError,
} from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { BatchSummary } from '../../core/process-batch.js';
import type { SourceRecord } from '../../core/source-record.js';
import { FakeKafka, message, messages } from '../support/fake-kafka.js';

const records: SourceRecord[] = Array.from({ length: 10 }, (_, i) => ({
  topic: 't',
  partition: 0,
  offset: String(i),
  timestampMs: 0,
  key: null,
  value: new Uint8Array([i]),
}));

/** Indexes everything as bad, except that the "bad index" refuses the given offsets. */
function processRefusing(poison: string[], error = (o: string) => new DocumentRejectedError(`refused ${o}`)) {
  const calls: string[][] = [];
  const process = async (batch: SourceRecord[]): Promise<BatchSummary> => {
    calls.push(batch.map((r) => r.offset));
    const hit = batch.find((r) => poison.includes(r.offset));
    if (hit) throw error(hit.offset);
    return { total: batch.length, counts: { good: 0, suspicious: 0, bad: batch.length }, rerouted: 0 };
  };
  return { process, calls };
}

describe('processOrDeadLetter', () => {
  it('dead-letters exactly the refused records and indexes all the others', async () => {
    const { process } = processRefusing(['3', '8']);
    const dead: string[] = [];
    const summary = await processOrDeadLetter(records, process, async (batch) => {
      dead.push(...batch.map((r) => r.offset));
    });
    expect(dead).toEqual(['3', '8']);
    expect(summary).toEqual({
      total: 10,
      counts: { good: 0, suspicious: 0, bad: 8 },
      rerouted: 0,
      deadLettered: 2,
    });
  });

  it('sends one request when nothing is refused', async () => {
    const { process, calls } = processRefusing([]);
    await processOrDeadLetter(records, process, async () => {});
    expect(calls).toHaveLength(1);
  });

  it('rethrows when no dead-letter sink is configured', async () => {
    const { process } = processRefusing(['1']);
    await expect(processOrDeadLetter(records, process, undefined)).rejects.toBeInstanceOf(
      DocumentRejectedError,
    );
  });

  it('never dead-letters on a configuration error such as a 403, which would refuse every record', async () => {
    const { process } = processRefusing(['1'], () => new PermanentIndexError('403 security_exception'));
    let sent = 0;
    await expect(
      processOrDeadLetter(records, process, async (batch) => {
        sent += batch.length;
      }),
    ).rejects.toBeInstanceOf(PermanentIndexError);
    expect(sent).toBe(0);
  });

  it('never dead-letters on an infrastructure error, which is retried instead', async () => {
    const { process } = processRefusing(['1'], () => new DatabaseUnavailableError('down'));
    await expect(processOrDeadLetter(records, process, async () => {})).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
  });
});

describe('isRetriable', () => {
  // What kafkajs's retrier throws after eachBatch failed five times (its typings omit the `cause` option).
  const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
  const wrapped = (cause: Error) =>
    new KafkaJSNumberOfRetriesExceeded(new NonRetriable(cause, { cause }), {
      retryCount: 5,
      retryTime: 1000,
    });

  it('waits out our outages and kafkajs retriable errors, also when kafkajs wraps them', () => {
    expect(isRetriable(new DatabaseUnavailableError('x'))).toBe(true);
    expect(isRetriable(new SinkUnavailableError('x'))).toBe(true);
    expect(isRetriable(wrapped(new SinkUnavailableError('x')))).toBe(true);
    expect(isRetriable(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'))).toBe(true);
    expect(isRetriable(wrapped(new KafkaJSConnectionError('Connection error')))).toBe(true);
    expect(isRetriable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
  });

  it('waits out a coordinator lookup that no broker answered, which kafkajs calls non-retriable', () => {
    // Its typings omit the message kafkajs gives it (cluster/index.js findGroupCoordinatorMetadata).
    const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
    const notFound = new NotFound('Failed to find group coordinator');
    expect((notFound as unknown as { retriable: boolean }).retriable).toBe(false);
    expect(isRetriable(notFound)).toBe(true);
    expect(isRetriable(wrapped(notFound))).toBe(true);
  });

  it('stops on permanent refusals and bugs, also when kafkajs wraps them', () => {
    expect(isRetriable(new PermanentIndexError('x'))).toBe(false);
    expect(isRetriable(wrapped(new PermanentIndexError('x')))).toBe(false);
    expect(isRetriable(new TypeError('x'))).toBe(false);
    expect(isRetriable(wrapped(new TypeError('x')))).toBe(false);
    expect(isRetriable(new KafkaJSNonRetriableError('SASL authentication failed'))).toBe(false);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])(
    'waits out a peer that cannot be reached (%s)',
    (code) => {
      expect(isRetriable(Object.assign(new Error(code), { code }))).toBe(true);
      expect(isRetriable(new TypeError('wrapped', { cause: Object.assign(new Error(code), { code }) }))).toBe(
        true,
      );
    },
  );

  it('takes any other error code, or no error at all, for a bug', () => {
    expect(isRetriable(Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
    expect(isRetriable(Object.assign(new Error('x'), { code: 42 }))).toBe(false);
    expect(isRetriable(undefined)).toBe(false);
    expect(isRetriable('ECONNRESET')).toBe(false);
  });

  it('gives up following a cause chain that loops, instead of hanging', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(isRetriable(a)).toBe(false);
  });

  it('never trusts a name: a plain error calling itself KafkaJS-something is a bug', () => {
    expect(isRetriable(Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' }))).toBe(false);
  });
});

describe('runConsumer', () => {
  it('refuses a chunk size below 1 before connecting, naming the value', async () => {
    const options = {
      groupId: 'g',
      topic: 't',
      logger: silentLogger,
      process: async () => ({ total: 0, counts: { good: 0, suspicious: 0, bad: 0 }, rerouted: 0 }),
    };
    for (const chunkSize of [0, -1, 1.5]) {
      await expect(runConsumer({ ...options, kafka: {} as Kafka, chunkSize })).rejects.toThrow(
        new ConfigError(`chunkSize must be a positive integer, got ${chunkSize}`),
      );
    }
  });

  it('asks the broker to hold an empty fetch 1 s, not 5, since stopping waits for the fetch in flight', async () => {
    const configs: unknown[] = [];
    const kafka = {
      consumer: (config: unknown) => {
        configs.push(config);
        return {
          events: { CRASH: 'consumer.crash' },
          on: () => undefined,
          connect: async () => {
            throw new ConfigError('stop here');
          },
        };
      },
    } as unknown as Kafka;
    const process = async () => ({ total: 0, counts: { good: 0, suspicious: 0, bad: 0 }, rerouted: 0 });
    await expect(
      runConsumer({ kafka, groupId: 'g', topic: 't', logger: silentLogger, process }),
    ).rejects.toThrow('stop here');
    expect(configs).toEqual([expect.objectContaining({ groupId: 'g', maxWaitTimeInMs: 1_000 })]);
  });
});

// The loop itself, through a fake of the kafkajs consumer (test/support/fake-kafka.ts) that keeps kafkajs' resolve and
// commit rules: what is committed is what a restart would skip, so every test asserts the commits.
describe('runConsumer loop', () => {
  const summaryOf = (batch: SourceRecord[]): BatchSummary => ({
    total: batch.length,
    counts: { good: batch.length, suspicious: 0, bad: 0 },
    rerouted: 0,
  });

  /** A process whose calls the test settles one by one. */
  function deferredProcess() {
    const calls: { offsets: string[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
    const process = (batch: SourceRecord[]) =>
      new Promise<BatchSummary>((resolve, reject) => {
        calls.push({ offsets: batch.map((r) => r.offset), resolve: () => resolve(summaryOf(batch)), reject });
      });
    return { process, calls };
  }

  /** Lets the loop run until it waits on something the test controls. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

  async function start(
    process: (batch: SourceRecord[]) => Promise<BatchSummary>,
    extra: Partial<Parameters<typeof runConsumer>[0]> = {},
  ) {
    const kafka = new FakeKafka();
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process,
      retryBaseDelayMs: 4,
      retryMaxDelayMs: 6,
      ...extra,
    });
    kafka.only.settled = running.idle;
    return { kafka, consumer: kafka.only, running };
  }

  it('joins the group on its topic from the beginning, and turns each message into its exact record', async () => {
    const seen: SourceRecord[] = [];
    const { consumer, running } = await start(async (batch) => {
      seen.push(...batch);
      return summaryOf(batch);
    });
    expect(consumer.subscriptions).toEqual([{ topics: ['logs'], fromBeginning: true }]);

    await consumer.deliver([message(7, 'the value', 'the key'), message(8, 'tombstone key', null)], {
      partition: 2,
    });

    expect(seen).toEqual([
      {
        topic: 'logs',
        partition: 2,
        offset: '7',
        timestampMs: 1_764_000_000_007,
        key: Buffer.from('the key'),
        value: Buffer.from('the value'),
      },
      {
        topic: 'logs',
        partition: 2,
        offset: '8',
        timestampMs: 1_764_000_000_008,
        key: null,
        value: Buffer.from('tombstone key'),
      },
    ]);
    await running.stop();
  });

  it('starts a new group where the caller says (fromBeginning: false) and consumes 3 partitions at once', async () => {
    const { consumer, running } = await start(async (batch) => summaryOf(batch), {
      fromBeginning: false,
    });
    expect(consumer.subscriptions).toEqual([{ topics: ['logs'], fromBeginning: false }]);
    expect(consumer.runConfig?.partitionsConsumedConcurrently).toBe(3);
    await running.stop();
  });

  it('processes a batch in chunks of chunkSize at once, committing each only after it and every chunk before it are indexed', async () => {
    const { process, calls } = deferredProcess();
    const batches: { lastOffset: string; offsetLag: number; total: number }[] = [];
    const { consumer, running } = await start(process, {
      chunkSize: 2,
      onBatch: (summary, info) =>
        batches.push({ lastOffset: info.lastOffset, offsetLag: info.offsetLag, total: summary.total }),
    });

    const delivered = consumer.deliver(messages(10, 5), { highWatermark: 20 });
    await settle();
    // Every chunk is in flight, and kafkajs may fetch past them (resolved), but nothing is committed yet.
    expect(calls.map((c) => c.offsets)).toEqual([['10', '11'], ['12', '13'], ['14']]);
    expect(consumer.log.filter((e) => e.kind === 'resolve').map((e) => e.offset)).toEqual(['11', '13', '14']);
    const commits = () => consumer.log.filter((e) => e.kind === 'commit').map((e) => e.offset);
    expect(commits()).toEqual([]);

    // The last chunk is indexed first, then the middle one: neither may be committed before the first.
    calls[2].resolve();
    await settle();
    calls[1].resolve();
    await settle();
    expect(commits()).toEqual([]);
    expect(batches).toEqual([]);

    calls[0].resolve();
    await delivered;
    expect(commits().at(-1)).toBe('14');
    expect(commits().map(Number)).toEqual([...commits().map(Number)].sort((a, b) => a - b));
    // Reported in offset order, once each, after their commit.
    expect(batches).toEqual([
      { lastOffset: '11', offsetLag: 8, total: 2 },
      { lastOffset: '13', offsetLag: 6, total: 2 },
      { lastOffset: '14', offsetLag: 5, total: 1 },
    ]);
    await running.stop();
  });

  it('keeps the records of the chunks in flight within maxInFlightBytes, all partitions together', async () => {
    const { process, calls } = deferredProcess();
    // Each message is 100 bytes of value and 2-4 of key: a chunk of 10 is about 1,030 bytes.
    const big = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => message(from + i, 'x'.repeat(100)));
    const chunkBytes = (offsets: string[]) =>
      offsets.reduce((sum, offset) => sum + 100 + Buffer.byteLength(`k${offset}`), 0);
    const budget = 3_200; // three chunks fit, not four
    const { consumer, running } = await start(process, { chunkSize: 10, maxInFlightBytes: budget });
    let inFlight = 0;
    let most = 0;
    const settled = new Set<number>();
    const watch = () => {
      inFlight = calls.reduce((sum, c, i) => sum + (settled.has(i) ? 0 : chunkBytes(c.offsets)), 0);
      most = Math.max(most, inFlight);
    };

    const first = consumer.deliver(big(0, 60), { partition: 0 });
    const second = consumer.deliver(big(1_000, 40), { partition: 1 });
    await settle();
    watch();
    expect(calls).toHaveLength(3);
    // kafkajs fetches no further than what was taken: the rest of each batch waits for room.
    expect(consumer.log.filter((e) => e.kind === 'resolve')).toHaveLength(3);
    while (settled.size < calls.length) {
      const next = [...calls.keys()].find((i) => !settled.has(i)) as number;
      settled.add(next);
      calls[next].resolve();
      await settle();
      watch();
      expect(inFlight).toBeLessThanOrEqual(budget);
    }
    await Promise.all([first, second]);
    expect(calls).toHaveLength(10);
    expect(most).toBeGreaterThan(2 * chunkBytes(calls[0].offsets)); // it did keep several in flight
    expect(consumer.committedOffset(0)).toBe('59');
    expect(consumer.committedOffset(1)).toBe('1039');
    await running.stop();
  });

  it('processes at most 3 chunks of one partition at once, whatever the budget leaves', async () => {
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 1 });
    const delivered = consumer.deliver(messages(0, 5));
    const other = consumer.deliver(messages(0, 2), { partition: 1 });
    await settle();
    // kafkajs fetches no further than what partition 0 took, and waits: the next fetch brings more at once.
    expect(calls.filter((c) => c.offsets.length > 0)).toHaveLength(5);
    expect(consumer.log.filter((e) => e.kind === 'resolve' && e.partition === 0)).toHaveLength(3);
    calls[0].resolve();
    await settle();
    expect(consumer.log.filter((e) => e.kind === 'resolve' && e.partition === 0)).toHaveLength(4);
    for (let i = 1; i < 7; i++) {
      calls[i]?.resolve();
      await settle();
    }
    await Promise.all([delivered, other]);
    expect(consumer.committedOffset(0)).toBe('4');
    expect(consumer.committedOffset(1)).toBe('1');
    await running.stop();
  });

  it('takes a chunk larger than the budget when nothing else is in flight, alone', async () => {
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 2, maxInFlightBytes: 1 });
    const delivered = consumer.deliver(messages(0, 4));
    await settle();
    expect(calls).toHaveLength(1);
    calls[0].resolve();
    await settle();
    expect(calls).toHaveLength(2);
    calls[1].resolve();
    await delivered;
    expect(consumer.committedOffset()).toBe('3');
    await running.stop();
  });

  it('commits in order across batches when chunks of a later batch are indexed first', async () => {
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 3 });
    consumer.settled = undefined; // deliver the next batch while the first is in flight, as kafkajs fetches ahead
    await consumer.deliver(messages(0, 3));
    await consumer.deliver(messages(3, 6));
    await settle();
    expect(calls.map((c) => c.offsets[0])).toEqual(['0', '3', '6']);
    calls[2].resolve();
    calls[1].resolve();
    await settle();
    expect(consumer.committedOffset()).toBeUndefined();
    calls[0].resolve();
    await running.idle();
    expect(consumer.committedOffset()).toBe('8');
    await running.stop();
  });

  it('commits nothing of chunks fetched before a rebalance: kafkajs fetches them again', async () => {
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 2 });
    const delivered = consumer.deliver(messages(0, 4));
    await settle();
    consumer.join(); // a new generation of the group: the partition may be another member's now
    calls[0].resolve();
    calls[1].resolve();
    await delivered;
    expect(consumer.log.filter((e) => e.kind === 'commit')).toEqual([]);
    // Fetched again under the new generation, the same records are processed and committed.
    const again = consumer.deliver(messages(0, 4));
    await settle();
    calls[2].resolve();
    calls[3].resolve();
    await again;
    expect(consumer.committedOffset()).toBe('3');
    await running.stop();
  });

  it('takes chunks of one record, and a batch that is a whole number of chunks', async () => {
    const sizes: number[] = [];
    const single = await start(
      async (batch) => {
        sizes.push(batch.length);
        return summaryOf(batch);
      },
      { chunkSize: 1 },
    );
    await single.consumer.deliver(messages(0, 2));
    expect(sizes).toEqual([1, 1]);
    await single.running.stop();

    sizes.length = 0;
    const pairs = await start(
      async (batch) => {
        sizes.push(batch.length);
        return summaryOf(batch);
      },
      { chunkSize: 2 },
    );
    await pairs.consumer.deliver(messages(0, 4));
    expect(sizes).toEqual([2, 2]);
    expect(pairs.consumer.committedOffset()).toBe('3');
    await pairs.running.stop();
    await expect(pairs.running.done).resolves.toBeUndefined();
  });

  it('hands a batch smaller than the default chunk size (2000) to process in one call', async () => {
    const sizes: number[] = [];
    const { consumer, running } = await start(async (batch) => {
      sizes.push(batch.length);
      return summaryOf(batch);
    });
    await consumer.deliver(messages(0, 2001));
    expect(sizes).toEqual([2000, 1]);
    expect(consumer.committedOffset()).toBe('2000');
    await running.stop();
  });

  it('retries a chunk in place after an outage, with growing backoff and heartbeats, then commits it once', async () => {
    let attempts = 0;
    const retries: RetryInfo[] = [];
    const { consumer, running } = await start(
      async (batch) => {
        attempts++;
        if (attempts <= 3) throw new SinkUnavailableError('OpenSearch down');
        return summaryOf(batch);
      },
      { onRetry: (_error, info) => retries.push(info) },
    );

    await consumer.deliver(messages(0, 3));

    expect(attempts).toBe(4);
    expect(retries.map(({ attempt, firstOffset }) => ({ attempt, firstOffset }))).toEqual([
      { attempt: 1, firstOffset: '0' },
      { attempt: 2, firstOffset: '0' },
      { attempt: 3, firstOffset: '0' },
    ]);
    // base 4 ms doubled per attempt, capped at 6 ms, half of it at least (jitter)
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(2);
    expect(retries[0].delayMs).toBeLessThanOrEqual(4);
    expect(retries[1].delayMs).toBeGreaterThanOrEqual(3);
    expect(retries[1].delayMs).toBeLessThanOrEqual(6);
    expect(retries[2].delayMs).toBeLessThanOrEqual(6);
    expect(consumer.heartbeats).toBeGreaterThanOrEqual(3);
    expect(consumer.log).toEqual([
      { kind: 'resolve', partition: 0, offset: '2' },
      { kind: 'commit', partition: 0, offset: '2' },
    ]);
    await running.stop();
    await expect(running.done).resolves.toBeUndefined();
  });

  it('waits 250-500 ms before the first retry of a chunk by default', async () => {
    const retries: RetryInfo[] = [];
    let attempts = 0;
    const { consumer, running } = await start(
      async (batch) => {
        if (++attempts === 1) throw new SinkUnavailableError('down');
        return summaryOf(batch);
      },
      { retryBaseDelayMs: undefined, retryMaxDelayMs: undefined, onRetry: (_e, info) => retries.push(info) },
    );
    await consumer.deliver(messages(0, 1));
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(250);
    expect(retries[0].delayMs).toBeLessThanOrEqual(500);
    await running.stop();
  });

  it('waits the backoff before retrying, instead of hammering the dependency', async () => {
    const times: number[] = [];
    const { consumer, running } = await start(
      async (batch) => {
        times.push(Date.now());
        if (times.length === 1) throw new DatabaseUnavailableError('MariaDB down');
        return summaryOf(batch);
      },
      { retryBaseDelayMs: 200, retryMaxDelayMs: 30_000 },
    );
    await consumer.deliver(messages(0, 1));
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(95);
    await running.stop();
  });

  it('stops waiting for an outage when stopped, committing nothing of the chunk', async () => {
    let attempts = 0;
    const { consumer, running } = await start(
      async () => {
        attempts++;
        throw new SinkUnavailableError('down');
      },
      { retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 },
    );
    const delivered = consumer.deliver(messages(0, 2));
    await settle();
    await running.stop();
    await delivered;
    expect(attempts).toBe(1);
    expect(consumer.log.filter((e) => e.kind === 'commit')).toEqual([]);
    await expect(running.done).resolves.toBeUndefined();
  });

  it('stops on a bug: done rejects with it, and nothing is committed from the failed chunk on', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'device')");
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 2 });

    const delivered = consumer.deliver(messages(0, 6));
    await settle();
    expect(calls).toHaveLength(3); // all in flight at once
    calls[0].resolve();
    await settle();
    // The third chunk is indexed, the second fails for good, and only then does the first commit.
    calls[2].resolve();
    calls[1].reject(bug);
    await delivered;

    await expect(running.done).rejects.toBe(bug);
    expect(consumer.committedOffset()).toBe('1');
    expect(consumer.log.filter((e) => e.kind === 'commit').map((e) => e.offset)).toEqual(['1']);
    expect(consumer.disconnects).toBeGreaterThanOrEqual(1);
  });

  it('stops the same way when turning a message into a record fails (a toRecord bug), before processing it', async () => {
    const bug = new TypeError('bad header');
    const { process, calls } = deferredProcess();
    const toRecord = (topic: string, partition: number, message: KafkaMessage) => {
      if (message.offset === '2') throw bug;
      return toSourceRecord(topic, partition, message);
    };
    const { consumer, running } = await start(process, { chunkSize: 2, toRecord });

    const delivered = consumer.deliver(messages(0, 6));
    await settle();
    expect(calls.map((c) => c.offsets)).toEqual([['0', '1']]);
    calls[0].resolve();
    await delivered;

    await expect(running.done).rejects.toBe(bug);
    // the first chunk (0, 1) and nothing after it
    expect(consumer.committedOffset()).toBe('1');
    expect(consumer.log.filter((e) => e.kind === 'commit').map((e) => e.offset)).toEqual(['1']);
  });

  it('stops on a permanent refusal (a 403) the same way, without retrying it', async () => {
    let attempts = 0;
    const refusal = new PermanentIndexError('403 index write-blocked');
    const { consumer, running } = await start(async () => {
      attempts++;
      throw refusal;
    });
    await consumer.deliver(messages(0, 3));
    await expect(running.done).rejects.toBe(refusal);
    expect(attempts).toBe(1);
    expect(consumer.committedOffset()).toBeUndefined();
  });

  it('dead-letters a record no index accepts and commits its chunk, when a dead-letter sink is configured', async () => {
    const dead: string[] = [];
    const { consumer, running } = await start(
      async (batch) => {
        if (batch.some((r) => r.offset === '1')) throw new DocumentRejectedError('refused by the bad index');
        return summaryOf(batch);
      },
      {
        deadLetter: async (batch) => {
          dead.push(...batch.map((r) => r.offset));
        },
      },
    );
    await consumer.deliver(messages(0, 4));
    expect(dead).toEqual(['1']);
    expect(consumer.committedOffset()).toBe('3');
    await running.stop();
    await expect(running.done).resolves.toBeUndefined();
  });

  it('dead-letters in partition order when a later chunk meets its poison record first', async () => {
    const dead: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstMayFail = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const { consumer, running } = await start(
      async (batch) => {
        if (batch.some((r) => r.offset === '1')) {
          await firstMayFail;
          throw new DocumentRejectedError('refused by the bad index');
        }
        if (batch.some((r) => r.offset === '3')) throw new DocumentRejectedError('refused by the bad index');
        return summaryOf(batch);
      },
      {
        chunkSize: 2,
        deadLetter: async (batch) => {
          dead.push(...batch.map((r) => r.offset));
        },
      },
    );
    const delivered = consumer.deliver(messages(0, 4));
    await settle();
    expect(dead).toEqual([]); // offset 3's chunk waits for the chunk before it
    releaseFirst();
    await delivered;
    expect(dead).toEqual(['1', '3']);
    expect(consumer.committedOffset()).toBe('3');
    await running.stop();
  });

  it('stops on a record no index accepts when there is no dead-letter sink, committing nothing of it', async () => {
    const { consumer, running } = await start(async (batch) => {
      if (batch.some((r) => r.offset === '1')) throw new DocumentRejectedError('refused by the bad index');
      return summaryOf(batch);
    });
    await consumer.deliver(messages(0, 4));
    await expect(running.done).rejects.toBeInstanceOf(DocumentRejectedError);
    expect(consumer.committedOffset()).toBeUndefined();
  });

  it.each([
    { when: 'its partition is taken away (a rebalance)', stop: (c: { stale: boolean }) => (c.stale = true) },
    { when: 'kafkajs stops running it', stop: (c: { running: boolean }) => (c.running = false) },
  ])('leaves the rest of a batch when $when, committing only what is done', async ({ stop }) => {
    const { process, calls } = deferredProcess();
    // A budget below one chunk: one chunk at a time, the rest of the batch waiting for room.
    const { consumer, running } = await start(process, { chunkSize: 2, maxInFlightBytes: 1 });
    const delivered = consumer.deliver(messages(0, 6));
    await settle();
    stop(consumer as never);
    calls[0].resolve();
    await delivered;
    expect(calls).toHaveLength(1);
    expect(consumer.committedOffset()).toBe('1');
    await running.stop();
  });

  it('stops retrying a chunk when its partition is taken away during the wait', async () => {
    let attempts = 0;
    const { consumer, running } = await start(
      async () => {
        attempts++;
        consumer.stale = true;
        throw new SinkUnavailableError('down');
      },
      { retryBaseDelayMs: 4, retryMaxDelayMs: 4 },
    );
    await consumer.deliver(messages(0, 2));
    expect(attempts).toBe(1);
    expect(consumer.log.filter((e) => e.kind === 'commit')).toEqual([]);
    await running.stop();
  });

  it('reads a recreated topic again from its start instead of committing past records never read', async () => {
    const kafka = new FakeKafka();
    const seen: string[] = [];
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process: async (batch) => {
        seen.push(...batch.map((r) => r.offset));
        return summaryOf(batch);
      },
    });
    const consumer = kafka.only;
    consumer.settled = running.idle;
    await consumer.deliver(messages(0, 2));
    expect(consumer.committedOffset()).toBe('1');

    // The topic is deleted (the group's offsets with it) and created again; kafkajs resumes at its old position.
    kafka.groupOffsets.clear();
    kafka.logStart.set(0, '0');
    await consumer.deliver(messages(2, 2));

    expect(seen).toEqual(['0', '1', '2', '3']);
    expect(consumer.seeks).toEqual([{ topic: 'logs', partition: 0, offset: '0' }]);
    // Nothing of the old position committed: the group reads the new topic from its start.
    expect(consumer.log.filter((e) => e.kind === 'commit').map((e) => e.offset)).toEqual(['1', '-1']);
    expect(kafka.groupOffsets.get(0)).toBe('0');
    await running.stop();
    // The admin the check opened is closed with the consumer.
    expect(kafka.admins.map((a) => a.disconnects)).toEqual(kafka.admins.map((a) => a.connects));
  });

  it('notices a recreated topic whose offset kafkajs reset to the end of the shorter new topic', async () => {
    const kafka = new FakeKafka();
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process: async (batch) => summaryOf(batch),
    });
    const consumer = kafka.only;
    consumer.settled = running.idle;
    await consumer.deliver(messages(0, 2)); // committed: next offset 2
    kafka.groupOffsets.set(0, '1'); // a new topic of one record; kafkajs moved the group to its end
    kafka.logStart.set(0, '0');
    await consumer.deliver(messages(5, 1));
    expect(consumer.seeks).toEqual([{ topic: 'logs', partition: 0, offset: '0' }]);
    await running.stop();
  });

  it('commits a chunk of a recreated topic that already starts where the new topic does', async () => {
    const kafka = new FakeKafka();
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process: async (batch) => summaryOf(batch),
    });
    const consumer = kafka.only;
    consumer.settled = running.idle;
    await consumer.deliver(messages(0, 3));
    kafka.groupOffsets.clear();
    kafka.logStart.set(0, '0');
    // kafkajs went back to the start of the new topic by itself: nothing to seek, the chunk is committed.
    await consumer.deliver(messages(0, 2));
    expect(consumer.seeks).toEqual([]);
    expect(kafka.groupOffsets.get(0)).toBe('2');
    await running.stop();
  });

  it('does not rejoin after stopping on a permanent error, whatever kafkajs reports next', async () => {
    const { consumer, running } = await start(async () => {
      throw new TypeError('bug');
    });
    await consumer.deliver(messages(0, 1));
    await expect(running.done).rejects.toBeInstanceOf(TypeError);
    consumer.crash(new KafkaJSConnectionError('Connection error'), false);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(consumer.connects).toBe(1);
  });

  it('resolves done on stop() even when kafkajs reports a crash while disconnecting', async () => {
    const { consumer, running } = await start(async (batch) => summaryOf(batch));
    const stopped = running.stop();
    consumer.crash(new TypeError('crash while disconnecting'), false);
    await stopped;
    await expect(running.done).resolves.toBeUndefined();
  });

  it('stop() finishes the chunk in flight, commits it, processes no more and resolves done', async () => {
    const { process, calls } = deferredProcess();
    const { consumer, running } = await start(process, { chunkSize: 2, maxInFlightBytes: 1 });
    const delivered = consumer.deliver(messages(0, 6));
    await settle();

    const stopped = running.stop();
    expect(running.stop()).toBe(stopped); // stopping twice is one stop
    calls[0].resolve();
    await stopped;
    await delivered;

    expect(calls).toHaveLength(1);
    expect(consumer.committedOffset()).toBe('1');
    expect(consumer.disconnects).toBe(1);
    await expect(running.done).resolves.toBeUndefined();
  });

  it('tells kafkajs to restart itself after outages only', async () => {
    const { consumer, running } = await start(async (batch) => summaryOf(batch));
    const restartOnFailure = consumer.config.retry?.restartOnFailure;
    await expect(restartOnFailure?.(new SinkUnavailableError('down'))).resolves.toBe(true);
    await expect(restartOnFailure?.(new TypeError('bug'))).resolves.toBe(false);
    await running.stop();
  });
});

describe('runConsumer after a crash', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function startWithFakeTimers() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const kafka = new FakeKafka();
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process: async (batch) => ({
        total: batch.length,
        counts: { good: 0, suspicious: 0, bad: 0 },
        rerouted: 0,
      }),
    });
    kafka.only.settled = running.idle;
    return { consumer: kafka.only, running };
  }

  const outage = () => new KafkaJSConnectionError('Connection error: connect ECONNREFUSED');

  it('rejoins after a retriable crash without restart, waiting 0.5-1 s, then twice as long on the next one', async () => {
    const { consumer, running } = await startWithFakeTimers();
    expect(consumer.connects).toBe(1);

    consumer.crash(outage(), false);
    await vi.advanceTimersByTimeAsync(499);
    expect(consumer.connects).toBe(1);
    await vi.advanceTimersByTimeAsync(501);
    expect(consumer.connects).toBe(2);
    expect(consumer.subscriptions).toHaveLength(2);
    expect(consumer.running).toBe(true);

    // No chunk got through since: the backoff grows (1-2 s).
    consumer.crash(outage(), false);
    await vi.advanceTimersByTimeAsync(999);
    expect(consumer.connects).toBe(2);
    await vi.advanceTimersByTimeAsync(1001);
    expect(consumer.connects).toBe(3);

    // A chunk indexed resets it.
    await consumer.deliver(messages(0, 1));
    consumer.crash(outage(), false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(consumer.connects).toBe(4);

    await running.stop();
    await expect(running.done).resolves.toBeUndefined();
  });

  it('tries again when the rejoin itself meets the outage', async () => {
    const { consumer, running } = await startWithFakeTimers();
    consumer.connectError = outage();
    consumer.crash(outage(), false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(consumer.connects).toBe(2);
    expect(consumer.running).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(consumer.connects).toBe(3);
    expect(consumer.running).toBe(true);
    await running.stop();
  });

  it('stops when the rejoin is refused for good', async () => {
    const { consumer, running } = await startWithFakeTimers();
    const refusal = new KafkaJSNonRetriableError('SASL authentication failed');
    consumer.connectError = refusal;
    consumer.crash(outage(), false);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(running.done).rejects.toBe(refusal);
  });

  it('leaves the restart to kafkajs when it restarts by itself', async () => {
    const { consumer, running } = await startWithFakeTimers();
    consumer.crash(outage(), true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.connects).toBe(1);
    await running.stop();
    await expect(running.done).resolves.toBeUndefined();
  });

  it('stops on a crash that is not an outage: done rejects with it', async () => {
    const { consumer, running } = await startWithFakeTimers();
    const bug = new TypeError('bug in eachBatch');
    consumer.crash(bug, false);
    await vi.advanceTimersByTimeAsync(120_000);
    await expect(running.done).rejects.toBe(bug);
    expect(consumer.connects).toBe(1);
    expect(consumer.disconnects).toBe(1);
  });

  it('does not rejoin after stop()', async () => {
    const { consumer, running } = await startWithFakeTimers();
    consumer.crash(outage(), false);
    await running.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(consumer.connects).toBe(1);
  });

  it('heartbeats every 3 s while a long chunk is being indexed, so the group keeps it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const kafka = new FakeKafka();
    let finish: (() => void) | undefined;
    const running = await runConsumer({
      kafka: kafka.asKafka(),
      groupId: 'g',
      topic: 'logs',
      logger: silentLogger,
      process: (batch) =>
        new Promise((resolve) => {
          finish = () =>
            resolve({ total: batch.length, counts: { good: 0, suspicious: 0, bad: 0 }, rerouted: 0 });
        }),
    });
    const consumer = kafka.only;
    consumer.settled = running.idle;
    const delivered = consumer.deliver(messages(0, 1));
    await vi.advanceTimersByTimeAsync(2_999);
    expect(consumer.heartbeats).toBe(0);
    await vi.advanceTimersByTimeAsync(6_001);
    expect(consumer.heartbeats).toBe(3);
    finish?.();
    await delivered;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(consumer.heartbeats).toBe(3); // the timer ends with the batch
    await running.stop();
  });
});
