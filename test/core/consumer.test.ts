import {
  type Kafka,
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRetriable, processOrDeadLetter, runConsumer } from '../../core/consumer.js';
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
