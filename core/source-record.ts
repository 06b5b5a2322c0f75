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
  /** Set when key and value are only the beginning of the record's (a dead letter cut to fit its topic). */
  readonly truncated?: TruncatedRecord;
}

/** What a cut dead letter says of the full record (core/dead-letter.ts, TRUNCATION_HEADERS). */
export interface TruncatedRecord {
  /** The full record's document id: recordId digests the full value, which is gone. */
  readonly id: string;
  /** The full value's size in bytes. */
  readonly valueBytes: number;
  /** SHA-256 (hex) of the full value. */
  readonly valueSha256: string;
}
