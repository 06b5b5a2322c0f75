// What gets indexed: one document per Kafka record. A document's identity is the record's, never its
// category's: the `_id` is derived from the record alone and the daily index from its timestamp alone, so a
// redelivered or replayed record overwrites its own document even when it classifies differently the second
// time (the users table changed, a rejected document was later accepted). Categories are a field, addressed
// through filtered aliases (see index-templates.ts).
import { createHash, hash } from 'node:crypto';
import type { LogEvent, Reason } from './event.js';
import { isoDate, isoTime } from './iso-time.js';
import type { SourceRecord } from './source-record.js';

export const CATEGORIES = ['good', 'suspicious', 'bad'] as const;
export type Category = (typeof CATEGORIES)[number];

export const DEFAULT_INDEX_PREFIX = 'logs';

/** Bytes of a bad record's payload kept in its document; the rest is cut and the original size recorded. */
export const MAX_RAW_BYTES = 32 * 1024;

/** Record timestamps outside [2000-01-01, 2100-01-01) (none, 0, negative, absurd) name no daily index. */
const MIN_RECORD_TIME_MS = Date.UTC(2000, 0, 1);
const MAX_RECORD_TIME_MS = Date.UTC(2100, 0, 1);

export function emptyCounts(): Record<Category, number> {
  return { good: 0, suspicious: 0, bad: 0 };
}

export interface DocumentBody {
  readonly category: Category;
  readonly reasons: readonly Reason[];
  readonly event_id?: string;
  readonly account_id?: number;
  readonly event_type?: string;
  readonly device?: string;
  /** The account's default device at classification time (null: unknown account). */
  readonly default_device?: string | null;
  readonly location_country?: string;
  readonly event_time?: string;
  /** Bad documents only: the payload as text (lossy when it was not UTF-8) and the exact bytes, both cut at MAX_RAW_BYTES. */
  readonly raw?: string | null;
  readonly raw_base64?: string | null;
  /** Bad documents only: the payload's full size, and whether raw/raw_base64 hold only its beginning. */
  readonly raw_bytes?: number;
  readonly raw_truncated?: boolean;
  readonly source: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    /** The Kafka record timestamp as received, also when it is unusable. */
    readonly timestamp_ms: number;
  };
  /** The record timestamp as a date; null when it is unusable (the document is in the `undated` index). */
  readonly kafka_time: string | null;
  readonly ingested_at: string;
}

export interface PipelineDocument {
  readonly index: string;
  readonly id: string;
  readonly body: DocumentBody;
  /** The record it came from, kept (not indexed) so a rejected document can fall back to a bad one. */
  readonly record: SourceRecord;
}

/** Whether a record timestamp names a day (Kafka's "no timestamp" is -1; producers can send anything). */
export function isUsableRecordTime(timestampMs: number): boolean {
  return (
    Number.isFinite(timestampMs) && timestampMs >= MIN_RECORD_TIME_MS && timestampMs < MAX_RECORD_TIME_MS
  );
}

/**
 * The daily index of a record, named after its timestamp so that a redelivery lands in the same index; records
 * without a usable timestamp share `<prefix>-events-undated`. Retention (ISM) deletes indices by age since
 * creation, so both kinds are kept for the retention period after they were first written.
 */
export function indexName(prefix: string, recordTimestampMs: number): string {
  if (!isUsableRecordTime(recordTimestampMs)) return `${prefix}-events-undated`;
  const date = isoDate(recordTimestampMs);
  if (prefix !== cachedIndex.prefix || date !== cachedIndex.date) {
    cachedIndex = { prefix, date, name: `${prefix}-events-${date.replaceAll('-', '.')}` };
  }
  return cachedIndex.name;
}

/** The last index named: records of one chunk nearly always share their day. */
let cachedIndex = { prefix: '', date: '', name: '' };

/** Every daily (and the undated) index of a prefix. */
export function indexPattern(prefix: string): string {
  return `${prefix}-events-*`;
}

/** The filtered alias that shows one category across every index of a prefix (set by the index template). */
export function categoryAlias(prefix: string, category: Category): string {
  return `${prefix}-${category}`;
}

/**
 * The record's identity: its coordinates, plus a digest of its timestamp, key and value so that a topic deleted
 * and recreated (offsets restart at 0) never reuses the id of an older record.
 */
export function recordId(record: SourceRecord): string {
  const { key, value } = record;
  // The key's length (-1: none) separates key from value bytes.
  const head = `${record.timestampMs}|${key?.byteLength ?? -1}|`;
  const size = head.length + (key?.byteLength ?? 0) + (value?.byteLength ?? 0);
  let digest: string;
  if (size <= idBytes.byteLength) {
    // One-shot hash of the bytes laid out in a reused buffer: half the cost of a Hash object fed three times.
    idBytes.write(head, 0, 'latin1');
    if (key !== null) idBytes.set(key, head.length);
    if (value !== null) idBytes.set(value, size - value.byteLength);
    digest = hash('sha256', idBytes.subarray(0, size), 'base64url');
  } else {
    const stream = createHash('sha256').update(head);
    if (key !== null) stream.update(key);
    if (value !== null) stream.update(value);
    digest = stream.digest('base64url');
  }
  return `${record.topic}-${record.partition}-${record.offset}-${digest.slice(0, 16)}`;
}

/** Room for the digest input of nearly every record (events are a few hundred bytes). */
const idBytes = Buffer.allocUnsafe(16 * 1024);

function sourceOf(record: SourceRecord): DocumentBody['source'] {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp_ms: record.timestampMs,
  };
}

function kafkaTime(record: SourceRecord): string | null {
  return isUsableRecordTime(record.timestampMs) ? isoTime(record.timestampMs) : null;
}

export function validDocument(
  prefix: string,
  record: SourceRecord,
  event: LogEvent,
  category: 'good' | 'suspicious',
  reasons: readonly Reason[],
  defaultDevice: string | null,
  ingestedAt: string,
): PipelineDocument {
  return {
    index: indexName(prefix, record.timestampMs),
    id: recordId(record),
    record,
    body: {
      category,
      reasons,
      event_id: event.event_id,
      account_id: event.account_id,
      event_type: event.event_type,
      device: event.device,
      default_device: defaultDevice,
      location_country: event.location_country,
      event_time: isoTime(event.event_timestamp * 1000),
      source: sourceOf(record),
      kafka_time: kafkaTime(record),
      ingested_at: ingestedAt,
    },
  };
}

/**
 * A bad document: the reasons and the payload, cut at MAX_RAW_BYTES so that no record can make a document
 * (or a _bulk request) larger than the search domain accepts. `id`, when given, is the identity the record
 * already has (a valid document rerouted here keeps it, so it still overwrites itself). A record that arrived
 * cut (a truncated dead letter) keeps the full record's id and size.
 */
export function badDocument(
  prefix: string,
  record: SourceRecord,
  reasons: readonly Reason[],
  ingestedAt: string,
  id: string = record.truncated?.id ?? recordId(record),
): PipelineDocument {
  const value =
    record.value === null
      ? null
      : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength);
  const kept = value !== null && value.byteLength > MAX_RAW_BYTES ? value.subarray(0, MAX_RAW_BYTES) : value;
  return {
    index: indexName(prefix, record.timestampMs),
    id,
    record,
    body: {
      category: 'bad',
      reasons,
      raw: kept === null ? null : kept.toString('utf8'),
      raw_base64: kept === null ? null : kept.toString('base64'),
      raw_bytes: record.truncated?.valueBytes ?? value?.byteLength ?? 0,
      raw_truncated: value !== kept || record.truncated !== undefined,
      source: sourceOf(record),
      kafka_time: kafkaTime(record),
      ingested_at: ingestedAt,
    },
  };
}
