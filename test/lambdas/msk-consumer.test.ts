import { readFileSync } from 'node:fs';
import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { SinkUnavailableError } from '../../core/errors.js';
import { decodeEvent } from '../../core/event.js';
import { silentLogger } from '../../core/logger.js';
import type { BatchSummary } from '../../core/process-batch.js';
import type { SourceRecord } from '../../core/source-record.js';
import { createMskHandler, mskEventToRecords } from '../../lambdas/msk-consumer.js';

const fixture: MSKEvent = JSON.parse(
  readFileSync(new URL('../fixtures/msk-event.json', import.meta.url), 'utf8'),
);
/** Each test gets its own copy: handlers must not depend on (or mutate) shared state. */
const event = (): MSKEvent => structuredClone(fixture);
const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString('utf8'));

describe('mskEventToRecords', () => {
  it('flattens every partition of the event into one list, keeping per-partition order', () => {
    const records = mskEventToRecords(event());

    expect(records.map((r) => `${r.topic}/${r.partition}@${r.offset}`)).toEqual([
      'server-logs/0@41',
      'server-logs/0@42',
      'server-logs/1@7',
      'server-logs/1@8',
    ]);
    expect(records.map((r) => r.timestampMs)).toEqual([
      1763900001000, 1763900002000, 1763900003000, 1763900004000,
    ]);
  });

  it('decodes base64 keys and values to bytes', () => {
    const [first] = mskEventToRecords(event());

    expect(text(first.key)).toBe('7');
    expect(JSON.parse(text(first.value) ?? '')).toMatchObject({ account_id: 7, device: 'WEB' });
    expect(decodeEvent(first.value).ok).toBe(true);
  });

  it('turns a null value into null (a tombstone), which the core classifies as an empty payload', () => {
    const tombstone = mskEventToRecords(event())[1];

    expect(tombstone.value).toBeNull();
    expect(decodeEvent(tombstone.value)).toMatchObject({ ok: false, reasons: [{ code: 'empty_payload' }] });
  });

  it('turns an absent key into null', () => {
    expect(mskEventToRecords(event())[2].key).toBeNull();
  });

  it('keeps invalid UTF-8 bytes as they are, so the core can report them', () => {
    const invalid = mskEventToRecords(event())[2];

    expect([...(invalid.value ?? [])]).toEqual([0xff, 0xfe, 0x41]);
    expect(decodeEvent(invalid.value)).toMatchObject({ ok: false, reasons: [{ code: 'invalid_utf8' }] });
  });

  it('returns nothing for an event without records', () => {
    expect(mskEventToRecords({ records: {} })).toEqual([]);
  });
});

describe('msk-consumer handler', () => {
  const summary: BatchSummary = { total: 4, counts: { good: 2, suspicious: 0, bad: 2 }, rerouted: 0 };
  const fakeDeps = () => ({ users: {} as never, indexer: {} as never, indexPrefix: 'logs' });

  it('processes the whole event as one batch and emits its metrics', async () => {
    const process = vi.fn(async (_records: readonly SourceRecord[]) => summary);
    const emitMetrics = vi.fn();
    const handler = createMskHandler({ deps: fakeDeps, process, emitMetrics, logger: silentLogger });

    const result = await handler(event());

    expect(result).toEqual(summary);
    expect(process).toHaveBeenCalledTimes(1);
    expect(process.mock.calls[0][0]).toHaveLength(4);
    expect(emitMetrics).toHaveBeenCalledWith(summary);
  });

  it('builds its dependencies once per execution environment', async () => {
    const deps = vi.fn(fakeDeps);
    const handler = createMskHandler({ deps, process: async () => summary, logger: silentLogger });

    await handler(event());
    await handler(event());

    expect(deps).toHaveBeenCalledTimes(1);
  });

  it('rethrows a retriable failure so the event source mapping retries the batch', async () => {
    const emitMetrics = vi.fn();
    const handler = createMskHandler({
      deps: fakeDeps,
      process: async () => {
        throw new SinkUnavailableError('OpenSearch is down');
      },
      emitMetrics,
      logger: silentLogger,
    });

    await expect(handler(event())).rejects.toBeInstanceOf(SinkUnavailableError);
    expect(emitMetrics).not.toHaveBeenCalled();
  });
});
