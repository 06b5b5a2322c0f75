// What gets indexed: one document per Kafka record, its index and its deterministic _id, so that a
// redelivered record overwrites its own document instead of adding a second one.
import type { LogEvent, Reason } from './event.js';
import type { SourceRecord } from './source-record.js';

export const CATEGORIES = ['good', 'suspicious', 'bad'] as const;
export type Category = (typeof CATEGORIES)[number];

export const DEFAULT_INDEX_PREFIX = 'logs';

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
  /** Bad documents only: the payload as text (lossy when it was not UTF-8) and the exact bytes. */
  readonly raw?: string | null;
  readonly raw_base64?: string | null;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly kafka_time: string;
  readonly ingested_at: string;
}

export interface PipelineDocument {
  readonly index: string;
  readonly id: string;
  readonly body: DocumentBody;
  /** The record it came from, kept (not indexed) so a rejected document can fall back to the bad index. */
  readonly record: SourceRecord;
}

/** Daily index named after the record's timestamp: redelivery lands in the same index, retention is per day. */
export function indexName(prefix: string, category: Category, recordTimestampMs: number): string {
  const day = new Date(Math.max(0, recordTimestampMs)).toISOString().slice(0, 10).replaceAll('-', '.');
  return `${prefix}-${category}-${day}`;
}

export function indexPattern(prefix: string, category: Category): string {
  return `${prefix}-${category}-*`;
}

/** The alias every daily index of a category joins (set by the index template). */
export function categoryAlias(prefix: string, category: Category): string {
  return `${prefix}-${category}`;
}

function sourceOf(record: SourceRecord) {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}

export function recordId(record: SourceRecord): string {
  return `${record.topic}-${record.partition}-${record.offset}`;
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
    index: indexName(prefix, category, record.timestampMs),
    id: event.event_id,
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
      event_time: new Date(event.event_timestamp * 1000).toISOString(),
      source: sourceOf(record),
      kafka_time: new Date(record.timestampMs).toISOString(),
      ingested_at: ingestedAt,
    },
  };
}

export function badDocument(
  prefix: string,
  record: SourceRecord,
  reasons: readonly Reason[],
  ingestedAt: string,
): PipelineDocument {
  const value =
    record.value === null
      ? null
      : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength);
  return {
    index: indexName(prefix, 'bad', record.timestampMs),
    id: recordId(record),
    record,
    body: {
      category: 'bad',
      reasons,
      raw: value === null ? null : value.toString('utf8'),
      raw_base64: value === null ? null : value.toString('base64'),
      source: sourceOf(record),
      kafka_time: new Date(Math.max(0, record.timestampMs)).toISOString(),
      ingested_at: ingestedAt,
    },
  };
}
