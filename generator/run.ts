// Produces generated events to Kafka and returns the ground truth of what was acknowledged: how many
// events of each expected category the brokers accepted. The CLI, the demo and the EC2 fleet all call
// this; it takes either broker addresses or a ready kafkajs client (e.g. one with MSK IAM auth).
import type { ConnectionOptions } from 'node:tls';
import { CompressionTypes, Kafka, type Message, type Producer, type SASLOptions } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { redactUrl } from '../core/dependencies.js';
import { ConfigError, PipelineError } from '../core/errors.js';
import { KAFKA_LOG_LEVEL, kafkaLogCreator } from '../core/kafka-log.js';
import { createLogger } from '../core/logger.js';
import { createIdempotentProducer } from '../core/producer.js';
import { DEFAULT_TOPIC_PARTITIONS, ensureTopic } from '../core/topics.js';
import {
  ensureUsersSchema,
  highestAccountId,
  seedUsers,
  UNKNOWN_ACCOUNT_FLOOR,
} from '../core/users-schema.js';
import {
  BAD_KINDS,
  type BadKind,
  createEventSource,
  type ExpectedCategory,
  type GeneratedEvent,
  type SuspiciousKind,
} from './events.js';
import { TokenBucket } from './token-bucket.js';

export interface GeneratorOptions {
  readonly topic: string;
  /** Number of events to send; exactly one of `count` and `durationSeconds` must be given. */
  readonly count?: number;
  /** Send for this many seconds instead of a fixed count. */
  readonly durationSeconds?: number;
  /** Target events per second; 0 sends as fast as the brokers acknowledge. */
  readonly rate: number;
  readonly badRatio: number;
  readonly suspiciousRatio: number;
  readonly seed: number | string;
  /**
   * Accounts 1..accounts are (or will be) in the users table. Unknown-account events use ids above
   * UNKNOWN_ACCOUNT_FLOOR (or above the table's highest id, when seeding finds a higher one).
   */
  readonly accounts: number;
  /** @default 0.1 */
  readonly unknownAccountShare?: number;
  /** Broker addresses; ignored when `kafka` is given. */
  readonly brokers?: readonly string[];
  /** @default - plaintext */
  readonly ssl?: boolean | ConnectionOptions;
  /** @default - no SASL */
  readonly sasl?: SASLOptions;
  /** A ready client (e.g. MSK IAM); takes precedence over `brokers`/`ssl`/`sasl`. */
  readonly kafka?: Kafka;
  /** When set, the users table is created and seeded with accounts 1..accounts before producing. */
  readonly mysqlUrl?: string;
  /**
   * Partitions of the topic when it does not exist and is created.
   * @default DEFAULT_TOPIC_PARTITIONS with `brokers`; with a ready `kafka` client, the topic is not created
   */
  readonly partitions?: number;
  /** @default 'none' */
  readonly compression?: 'none' | 'gzip';
  /** Messages per produce request. @default 500 */
  readonly chunkSize?: number;
  /**
   * Produce requests queued at once. The idempotent producer sends them one at a time, so above 1 this only
   * keeps the next request ready. @default 4
   */
  readonly maxInFlight?: number;
  /** @default 'log-generator' */
  readonly clientId?: string;
}

export type CategoryCounts = Record<ExpectedCategory, number>;

export interface Progress {
  /** Events acknowledged by the brokers so far. */
  readonly sent: number;
  readonly elapsedMs: number;
  /** The target count, when running by count. */
  readonly total?: number;
  /** The run's length, when running by duration. */
  readonly durationMs?: number;
}

export interface GroundTruth {
  readonly topic: string;
  readonly seed: number | string;
  readonly accounts: number;
  /** Accounts written to the users table, or null when seeding was skipped. */
  readonly usersSeeded: number | null;
  readonly sent: number;
  readonly byCategory: CategoryCounts;
  readonly byBadKind: Record<BadKind, number>;
  readonly bySuspiciousKind: Record<SuspiciousKind, number>;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
  /** True when the run was stopped early through the abort signal. */
  readonly aborted: boolean;
}

export interface RunHooks {
  readonly onProgress?: (progress: Progress) => void;
  /** Called when the topic was missing and this run created it, with its partitions. */
  readonly onTopicCreated?: (partitions: number) => void;
  /** Called once seeding is done or skipped, before the first event is produced. */
  readonly onUsersSeeded?: (accounts: number | null) => void;
  /** Stops producing; events already sent are awaited and counted. */
  readonly signal?: AbortSignal;
}

/** Producing failed; `groundTruth` holds what the brokers acknowledged before the failure. */
export class GeneratorError extends PipelineError {
  constructor(
    message: string,
    readonly groundTruth: GroundTruth,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_CHUNK_SIZE = 500;
const DEFAULT_MAX_IN_FLIGHT = 4;

function validate(options: GeneratorOptions): void {
  const { count, durationSeconds } = options;
  if ((count === undefined) === (durationSeconds === undefined)) {
    throw new ConfigError('give exactly one of count and durationSeconds');
  }
  if (count !== undefined && (!Number.isSafeInteger(count) || count < 1)) {
    throw new ConfigError(`count must be a positive integer, got ${count}`);
  }
  if (durationSeconds !== undefined && !(Number.isFinite(durationSeconds) && durationSeconds > 0)) {
    throw new ConfigError(`durationSeconds must be a positive number, got ${durationSeconds}`);
  }
  if (!(Number.isFinite(options.rate) && options.rate >= 0)) {
    throw new ConfigError(`rate must be a number >= 0 (0 = as fast as possible), got ${options.rate}`);
  }
  if (options.topic.trim() === '') throw new ConfigError('topic must not be empty');
  if (options.kafka === undefined && (options.brokers === undefined || options.brokers.length === 0)) {
    throw new ConfigError('give brokers or a kafka client');
  }
  for (const [name, value] of [
    ['chunkSize', options.chunkSize],
    ['maxInFlight', options.maxInFlight],
    ['partitions', options.partitions],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      throw new ConfigError(`${name} must be a positive integer, got ${value}`);
    }
  }
}

/** The brokers could not be reached (after kafkajs's own connection retries). */
export class KafkaUnavailableError extends PipelineError {}

/** The users table could not be created or seeded. */
export class UsersSeedError extends PipelineError {}

export interface SeededUsers {
  /** Accounts 1..seeded were upserted. */
  readonly seeded: number;
  /** The highest account id in the table afterwards (earlier seeds or other writers may have gone higher). */
  readonly highestAccountId: number;
}

/** Creates the users table and upserts accounts 1..accounts, so events and table agree. */
export async function seedUsersTable(mysqlUrl: string, accounts: number): Promise<SeededUsers> {
  try {
    const connection = await createConnection(mysqlUrl);
    try {
      await ensureUsersSchema(connection);
      const seeded = await seedUsers(connection, { accounts });
      return { seeded, highestAccountId: await highestAccountId(connection) };
    } finally {
      await connection.end();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsersSeedError(`seeding the users table at ${redactUrl(mysqlUrl)} failed: ${reason}`, {
      cause: error,
    });
  }
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

/** Produces events until `count` are acknowledged or `durationSeconds` have passed. */
export async function runGenerator(options: GeneratorOptions, hooks: RunHooks = {}): Promise<GroundTruth> {
  validate(options);
  const { topic, count, rate } = options;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const durationMs = options.durationSeconds === undefined ? undefined : options.durationSeconds * 1000;
  const kafka =
    options.kafka ??
    new Kafka({
      clientId: options.clientId ?? 'log-generator',
      brokers: [...(options.brokers ?? [])],
      ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
      ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
      logLevel: KAFKA_LOG_LEVEL,
      logCreator: kafkaLogCreator(createLogger({ service: 'generator' })),
    });

  const sourceOptions = {
    seed: options.seed,
    badRatio: options.badRatio,
    suspiciousRatio: options.suspiciousRatio,
    accounts: options.accounts,
    ...(options.unknownAccountShare === undefined
      ? {}
      : { unknownAccountShare: options.unknownAccountShare }),
  };
  // Created first: it validates the ratios and accounts before anything touches the network.
  let source = createEventSource(sourceOptions);
  let usersSeeded: number | null = null;
  if (options.mysqlUrl !== undefined) {
    const users = await seedUsersTable(options.mysqlUrl, options.accounts);
    usersSeeded = users.seeded;
    // Rows above the fixed floor come from outside any seed; unknown ids then go above them too.
    if (users.highestAccountId > UNKNOWN_ACCOUNT_FLOOR) {
      source = createEventSource({ ...sourceOptions, unknownAccountFloor: users.highestAccountId });
    }
  }
  hooks.onUsersSeeded?.(usersSeeded);
  // Idempotent: a retried request whose acknowledgement was lost must not add a record the ground truth
  // does not count.
  const producer: Producer = createIdempotentProducer(kafka);
  try {
    // A ready client (MSK IAM, a test's) may have no admin rights: its topic is created only when asked.
    const partitions =
      options.partitions ?? (options.kafka === undefined ? DEFAULT_TOPIC_PARTITIONS : undefined);
    if (partitions !== undefined && (await ensureTopic(kafka, topic, partitions))) {
      hooks.onTopicCreated?.(partitions);
    }
    await producer.connect();
  } catch (error) {
    // A topic that is missing and may not be created says so itself.
    if (error instanceof ConfigError) throw error;
    const where = options.brokers === undefined ? 'the given client' : options.brokers.join(',');
    const reason = error instanceof Error ? error.message : String(error);
    throw new KafkaUnavailableError(`cannot reach Kafka at ${where}: ${reason}`, { cause: error });
  }

  // Small chunks at low rates so the stream is smooth (about ten requests a second), full ones otherwise.
  const requestSize = rate > 0 ? Math.min(chunkSize, Math.max(1, Math.ceil(rate / 10))) : chunkSize;
  // A quarter second of burst lets the pace catch up after a slow acknowledgement instead of losing it.
  const bucket = rate > 0 ? new TokenBucket(rate, Math.max(requestSize, Math.ceil(rate / 4))) : undefined;
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;

  const byCategory = zeroCounts<ExpectedCategory>(['good', 'suspicious', 'bad']);
  const byBadKind = zeroCounts<BadKind>(BAD_KINDS);
  const bySuspiciousKind = zeroCounts<SuspiciousKind>(['device_mismatch', 'unknown_account']);
  let sent = 0;
  const tally = (event: GeneratedEvent) => {
    byCategory[event.expected]++;
    if (event.badKind !== undefined) byBadKind[event.badKind]++;
    if (event.suspiciousKind !== undefined) bySuspiciousKind[event.suspiciousKind]++;
  };
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const snapshot = (): GroundTruth => {
    const elapsedMs = elapsed();
    return {
      topic,
      seed: options.seed,
      accounts: options.accounts,
      usersSeeded,
      sent,
      byCategory: { ...byCategory },
      byBadKind: { ...byBadKind },
      bySuspiciousKind: { ...bySuspiciousKind },
      elapsedMs: Math.round(elapsedMs),
      eventsPerSecond: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : 0,
      aborted: hooks.signal?.aborted ?? false,
    };
  };
  const progress = () =>
    hooks.onProgress?.({
      sent,
      elapsedMs: elapsed(),
      ...(count === undefined ? {} : { total: count }),
      ...(durationMs === undefined ? {} : { durationMs }),
    });

  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let generated = 0;
  const shouldStop = () =>
    failure !== undefined ||
    hooks.signal?.aborted === true ||
    (count !== undefined && generated >= count) ||
    (durationMs !== undefined && elapsed() >= durationMs);
  try {
    while (!shouldStop()) {
      const size = count === undefined ? requestSize : Math.min(requestSize, count - generated);
      if (bucket !== undefined) {
        await bucket.take(size);
        if (shouldStop()) break;
      }
      const events = Array.from({ length: size }, () => source.next());
      const messages: Message[] = events.map((event) => ({ key: event.key, value: event.value }));
      generated += size;
      // Counted only once acknowledged: the ground truth must be what is really in the topic.
      const request: Promise<void> = producer
        .send({ topic, acks: -1, compression, messages })
        .then(
          () => {
            sent += size;
            for (const event of events) tally(event);
            progress();
          },
          (error: unknown) => {
            failure ??= error;
          },
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  const truth = snapshot();
  if (failure !== undefined) {
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new GeneratorError(
      `producing to topic '${topic}' failed after ${truth.sent} acknowledged events: ${reason}`,
      truth,
      { cause: failure },
    );
  }
  return truth;
}
