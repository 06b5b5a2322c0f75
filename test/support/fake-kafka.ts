// A fake of the kafkajs Kafka and Consumer objects that runConsumer uses, so the consumer loop can be tested
// without a broker. It keeps the kafkajs semantics the loop relies on: eachBatch gets one batch at a time per
// delivery; resolveOffset only marks (the fetch position), commitOffsetsIfNecessary commits the resolved offset
// once autoCommitThreshold resolved offsets are pending; after eachBatch returns, kafkajs resolves the whole batch
// unless eachBatchAutoResolve is false, and commits what is resolved when autoCommit is on; given offsets,
// commitOffsetsIfNecessary commits those (the next offset to read) whatever is resolved; disconnect waits for
// the batch in flight; CRASH and GROUP_JOIN listeners get { payload }. Its admin answers the group's committed
// offsets, which the consumer checks to notice a recreated topic. `deliver` resolves once eachBatch has returned
// and, when the test set `settled` (e.g. to the running consumer's idle()), once that resolves too: the loop
// processes a batch's chunks after eachBatch has returned.
import type {
  ConsumerConfig,
  ConsumerRunConfig,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  Offsets,
} from 'kafkajs';

/** What happened, in order: what the tests compare. Offsets are the last record's offset, as resolved. */
export type FakeEvent =
  | { kind: 'resolve'; partition: number; offset: string }
  | { kind: 'commit'; partition: number; offset: string };

export function message(
  offset: number,
  value = `v${offset}`,
  key: string | null = `k${offset}`,
): KafkaMessage {
  return {
    offset: String(offset),
    timestamp: String(1_764_000_000_000 + offset),
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

export function messages(from: number, count: number): KafkaMessage[] {
  return Array.from({ length: count }, (_, i) => message(from + i));
}

export class FakeConsumer {
  readonly events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' } as const;
  readonly log: FakeEvent[] = [];
  connects = 0;
  heartbeats = 0;
  disconnects = 0;
  subscriptions: { topics: string[]; fromBeginning?: boolean }[] = [];
  runConfig: ConsumerRunConfig | undefined;
  /** What the next connect() throws, once. */
  connectError: Error | undefined;
  /** Whether kafkajs still runs (false after disconnect) and whether the partition was taken away (a seek). */
  running = false;
  stale = false;
  /** What deliver() waits for after eachBatch has returned (the consumer's work on the batch). */
  settled: (() => Promise<void>) | undefined;
  /** Partitions paused through a batch's pause(). */
  readonly paused = new Set<number>();
  // biome-ignore lint/suspicious/noExplicitAny: each event has its own payload
  private readonly listeners = new Map<string, ((event: { payload: any }) => void)[]>();
  private readonly resolved = new Map<number, string>();
  private readonly committed = new Map<number, string>();
  private inFlight: Promise<void> | undefined;

  /** Seeks asked for (a partition to read again from an offset). */
  readonly seeks: { topic: string; partition: number; offset: string }[] = [];

  constructor(
    readonly config: ConsumerConfig,
    private readonly kafka?: FakeKafka,
  ) {}

  seek(target: { topic: string; partition: number; offset: string }): void {
    this.seeks.push(target);
  }

  // biome-ignore lint/suspicious/noExplicitAny: each event has its own payload
  on(event: string, listener: (event: { payload: any }) => void) {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return () => undefined;
  }

  /** Emits GROUP_JOIN as kafkajs does after each join of the group (a rebalance, a rejoin). */
  join(): void {
    for (const listener of this.listeners.get(this.events.GROUP_JOIN) ?? []) listener({ payload: {} });
  }

  /** What a batch's commitOffsetsIfNecessary(offsets) commits: the offsets given (the next ones to read). */
  private commitGiven(offsets: Offsets): void {
    for (const { partitions } of offsets.topics) {
      for (const { partition, offset } of partitions) {
        const last = String(Number(offset) - 1);
        this.committed.set(partition, last);
        this.kafka?.groupOffsets.set(partition, offset);
        this.log.push({ kind: 'commit', partition, offset: last });
      }
    }
  }

  async connect(): Promise<void> {
    this.connects++;
    const error = this.connectError;
    this.connectError = undefined;
    if (error !== undefined) throw error;
  }

  async subscribe(subscription: { topics: string[]; fromBeginning?: boolean }): Promise<void> {
    this.subscriptions.push(subscription);
  }

  async run(config: ConsumerRunConfig): Promise<void> {
    this.runConfig = config;
    this.running = true;
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
    this.running = false;
    await this.inFlight?.catch(() => undefined);
  }

  /** Emits a crash as kafkajs does when eachBatch or the group failed beyond its own retries. */
  crash(error: Error, restart: boolean): void {
    this.running = false;
    for (const listener of this.listeners.get(this.events.CRASH) ?? [])
      listener({ payload: { error, restart } });
  }

  /** The last committed offset of a partition (the last record's offset, not the next one), if any. */
  committedOffset(partition = 0): string | undefined {
    return this.committed.get(partition);
  }

  /** Hands one batch to eachBatch like kafkajs' runner, and resolves when it (and the commit after it) is done. */
  deliver(
    batchMessages: KafkaMessage[],
    {
      topic = 'logs',
      partition = 0,
      highWatermark,
    }: { topic?: string; partition?: number; highWatermark?: number } = {},
  ): Promise<void> {
    const config = this.runConfig;
    if (config?.eachBatch === undefined) throw new Error('deliver before run()');
    const last = batchMessages[batchMessages.length - 1].offset;
    const payload = {
      batch: {
        topic,
        partition,
        highWatermark: String(highWatermark ?? Number(last) + 1),
        messages: batchMessages,
        isEmpty: () => batchMessages.length === 0,
        firstOffset: () => batchMessages[0]?.offset ?? null,
        lastOffset: () => last,
        offsetLag: () => '0',
        offsetLagLow: () => '0',
      },
      resolveOffset: (offset: string) => {
        this.resolved.set(partition, offset);
        this.log.push({ kind: 'resolve', partition, offset });
      },
      heartbeat: async () => {
        this.heartbeats++;
      },
      pause: () => {
        this.paused.add(partition);
        return () => this.paused.delete(partition);
      },
      commitOffsetsIfNecessary: async (offsets?: Offsets) => {
        if (offsets !== undefined) {
          await Promise.resolve(); // a round trip
          this.commitGiven(offsets);
          return;
        }
        const threshold = config.autoCommitThreshold;
        if (config.autoCommit === false || threshold == null) return;
        if (this.pendingCount(partition) >= threshold) this.commit(partition);
      },
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => this.running,
      isStale: () => this.stale,
    } as unknown as EachBatchPayload;
    const handle = config.eachBatch;
    const run = (async () => {
      await handle(payload);
      if (config.eachBatchAutoResolve !== false) payload.resolveOffset(last);
      if (config.autoCommit !== false) this.commit(partition);
      await this.settled?.();
    })();
    this.inFlight = run;
    return run;
  }

  /** Resolved offsets not yet committed (kafkajs counts offsets, not calls). */
  private pendingCount(partition: number): number {
    const resolved = this.resolved.get(partition);
    if (resolved === undefined) return 0;
    const committed = this.committed.get(partition);
    return Number(resolved) - (committed === undefined ? -1 : Number(committed));
  }

  private commit(partition: number): void {
    const offset = this.resolved.get(partition);
    if (offset === undefined || offset === this.committed.get(partition)) return;
    this.committed.set(partition, offset);
    this.kafka?.groupOffsets.set(partition, String(Number(offset) + 1));
    this.log.push({ kind: 'commit', partition, offset });
  }
}

/**
 * The admin calls the consumer's topic-recreation guard makes: the group's committed offsets (kafkajs' form: the
 * next offset to read) as the consumers committed them, and each partition's log start offset (`low`).
 */
export class FakeAdmin {
  connects = 0;
  disconnects = 0;
  constructor(private readonly kafka: FakeKafka) {}

  async connect(): Promise<void> {
    this.connects++;
  }

  async disconnect(): Promise<void> {
    this.disconnects++;
  }

  async fetchOffsets({ topics }: { groupId: string; topics: string[] }) {
    return topics.map((topic) => ({
      topic,
      partitions: [...this.kafka.groupOffsets].map(([partition, offset]) => ({ partition, offset })),
    }));
  }

  async fetchTopicOffsets(_topic: string) {
    return [...this.kafka.logStart].map(([partition, low]) => ({ partition, low, high: low, offset: low }));
  }
}

export class FakeKafka {
  readonly consumers: FakeConsumer[] = [];
  readonly admins: FakeAdmin[] = [];
  /** The group's committed offsets as the broker holds them (next offset to read); a deleted topic loses them. */
  readonly groupOffsets = new Map<number, string>();
  /** Each partition's log start offset (`low`): a recreated topic starts again at 0. */
  readonly logStart = new Map<number, string>();

  admin(): FakeAdmin {
    const made = new FakeAdmin(this);
    this.admins.push(made);
    return made;
  }

  consumer(config: ConsumerConfig): FakeConsumer {
    const made = new FakeConsumer(config, this);
    this.consumers.push(made);
    return made;
  }

  get only(): FakeConsumer {
    if (this.consumers.length !== 1) throw new Error(`${this.consumers.length} consumers made, expected 1`);
    return this.consumers[0];
  }

  asKafka(): Kafka {
    return this as unknown as Kafka;
  }
}
