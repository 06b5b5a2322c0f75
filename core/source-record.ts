// The one shape every adapter (kafkajs batch, Lambda MSK event, tests) turns its input into.
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: kept as a decimal string. */
  readonly offset: string;
  /** The Kafka record timestamp (create or log-append time), in epoch milliseconds. */
  readonly timestampMs: number;
  readonly key: Uint8Array | null;
  /** null for a tombstone. */
  readonly value: Uint8Array | null;
}
