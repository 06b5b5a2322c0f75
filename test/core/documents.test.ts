// Document identity and placement: what makes a redelivered record overwrite its own document.
import { describe, expect, it } from 'vitest';
import { indexName, isUsableRecordTime, recordId } from '../../core/documents.js';
import type { SourceRecord } from '../../core/source-record.js';

const record = (over: Partial<SourceRecord> = {}): SourceRecord => ({
  topic: 'server-logs',
  partition: 1,
  offset: '0',
  timestampMs: Date.parse('2026-11-23T10:00:00Z'),
  key: new TextEncoder().encode('42'),
  value: new TextEncoder().encode('{"not":"valid"}'),
  ...over,
});

describe('recordId', () => {
  it('is the same for the same record, however often it is delivered', () => {
    expect(recordId(record())).toBe(recordId(record()));
    expect(recordId(record())).toMatch(/^server-logs-1-0-[A-Za-z0-9_-]{16}$/);
  });

  it('differs for a new record at the same offset after the topic was recreated', () => {
    const first = recordId(record());
    expect(recordId(record({ timestampMs: Date.parse('2026-11-24T08:00:00Z') }))).not.toBe(first);
    expect(recordId(record({ value: new TextEncoder().encode('other') }))).not.toBe(first);
    expect(recordId(record({ key: null }))).not.toBe(first);
  });

  it('does not confuse key bytes with value bytes', () => {
    const a = recordId(record({ key: new TextEncoder().encode('ab'), value: new TextEncoder().encode('c') }));
    const b = recordId(record({ key: new TextEncoder().encode('a'), value: new TextEncoder().encode('bc') }));
    expect(a).not.toBe(b);
  });
});

describe('indexName', () => {
  it('names the daily index after the record timestamp, whatever the category', () => {
    expect(indexName('logs', Date.parse('2026-11-23T23:59:59.999Z'))).toBe('logs-events-2026.11.23');
  });

  it.each([
    ['no timestamp (-1)', -1],
    ['epoch 0', 0],
    ['a negative time', -86_400_000],
    ['year 2100', Date.UTC(2100, 0, 1)],
    ['9e15, beyond what a Date can hold', 9e15],
    ['8.64e15, the last instant a Date can hold', 8.64e15],
    ['NaN', Number.NaN],
  ])('puts a record with %s in the undated index instead of throwing', (_, timestampMs) => {
    expect(isUsableRecordTime(timestampMs)).toBe(false);
    expect(indexName('logs', timestampMs)).toBe('logs-events-undated');
  });
});
