import { readFileSync } from 'node:fs';
import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { DocumentRejectedError, PermanentIndexError, SinkUnavailableError } from '../../core/errors.js';
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

  it('waits out an outage inside the invocation while time is left, then indexes the batch', async () => {
    let calls = 0;
    const handler = createMskHandler({
      deps: fakeDeps,
      process: async () => {
        if (++calls < 3) throw new SinkUnavailableError('OpenSearch is down');
        return summary;
      },
      logger: silentLogger,
      retryBaseDelayMs: 1,
    });

    await expect(handler(event(), { getRemainingTimeInMillis: () => 300_000 })).resolves.toEqual(summary);
    expect(calls).toBe(3);
  });

  it('returns an outage to the event source mapping when the invocation is running out of time', async () => {
    const emitMetrics = vi.fn();
    let calls = 0;
    const handler = createMskHandler({
      deps: fakeDeps,
      process: async () => {
        calls++;
        throw new SinkUnavailableError('OpenSearch is down');
      },
      emitMetrics,
      logger: silentLogger,
      reserveMs: 30_000,
    });

    await expect(handler(event(), { getRemainingTimeInMillis: () => 20_000 })).rejects.toBeInstanceOf(
      SinkUnavailableError,
    );
    expect(calls).toBe(1);
    expect(emitMetrics).not.toHaveBeenCalled();
  });

  it('fails at once on a permanent error, with an ERROR line, so the mapping retries and the alarm fires', async () => {
    const entries: { level: string; message: string }[] = [];
    const record = (level: string) => (message: string) => {
      entries.push({ level, message });
    };
    const logger = {
      debug: record('debug'),
      info: record('info'),
      warn: record('warn'),
      error: record('error'),
      child: () => logger,
    };
    let calls = 0;
    const handler = createMskHandler({
      deps: fakeDeps,
      process: async () => {
        calls++;
        throw new PermanentIndexError('OpenSearch refused the writes (HTTP 403)');
      },
      logger,
    });

    await expect(handler(event(), { getRemainingTimeInMillis: () => 300_000 })).rejects.toBeInstanceOf(
      PermanentIndexError,
    );
    expect(calls).toBe(1);
    expect(entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'permanent error: fix the cause; the event source mapping retries this batch until then',
    ]);
  });

  it('dead-letters exactly the records no index accepts and indexes the rest', async () => {
    // The fixture holds offsets 41 and 42 of partition 0 and 7 and 8 of partition 1; 0-42 is the poison one.
    const process = vi.fn(async (records: readonly SourceRecord[]): Promise<BatchSummary> => {
      if (records.some((r) => r.partition === 0 && r.offset === '42')) {
        throw new DocumentRejectedError('mapping conflict');
      }
      return { total: records.length, counts: { good: records.length, suspicious: 0, bad: 0 }, rerouted: 0 };
    });
    const deadLettered: string[] = [];
    const handler = createMskHandler({
      deps: fakeDeps,
      process,
      deadLetter: (clusterArn) => async (records, error) => {
        expect(clusterArn).toMatch(/^arn:aws:kafka:/);
        expect(error).toBeInstanceOf(DocumentRejectedError);
        deadLettered.push(...records.map((r) => `${r.topic}-${r.partition}-${r.offset}`));
      },
      logger: silentLogger,
    });

    const result = await handler(event(), { getRemainingTimeInMillis: () => 300_000 });

    expect(deadLettered).toEqual(['server-logs-0-42']);
    expect(result).toMatchObject({ total: 4, deadLettered: 1, counts: { good: 3 } });
  });
});
