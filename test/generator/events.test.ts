import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { decodeEvent } from '../../core/event.js';
import { defaultDeviceFor, MAX_SEEDED_ACCOUNTS, UNKNOWN_ACCOUNT_FLOOR } from '../../core/users-schema.js';
import {
  BAD_KINDS,
  createEventSource,
  type EventSourceOptions,
  type GeneratedEvent,
  unknownAccountRange,
} from '../../generator/events.js';
import { createPrng } from '../../generator/prng.js';

const NOW = 1_790_000_000;
const ACCOUNTS = 500;

function generate(count: number, overrides: Partial<EventSourceOptions> = {}): GeneratedEvent[] {
  const source = createEventSource({
    seed: 42,
    badRatio: 0.1,
    suspiciousRatio: 0.1,
    accounts: ACCOUNTS,
    nowSeconds: NOW,
    ...overrides,
  });
  return Array.from({ length: count }, () => source.next());
}

const counts = (events: readonly GeneratedEvent[]) => ({
  good: events.filter((e) => e.expected === 'good').length,
  suspicious: events.filter((e) => e.expected === 'suspicious').length,
  bad: events.filter((e) => e.expected === 'bad').length,
});

describe('createPrng', () => {
  it('repeats the same stream for the same seed and differs for another seed', () => {
    const a = createPrng('seed-1');
    const b = createPrng('seed-1');
    const c = createPrng('seed-2');
    const fromA = Array.from({ length: 20 }, () => a.uint32());
    expect(Array.from({ length: 20 }, () => b.uint32())).toEqual(fromA);
    expect(Array.from({ length: 20 }, () => c.uint32())).not.toEqual(fromA);
  });

  it('keeps int() within its inclusive bounds', () => {
    const prng = createPrng(7);
    const values = Array.from({ length: 5_000 }, () => prng.int(3, 6));
    expect(new Set(values)).toEqual(new Set([3, 4, 5, 6]));
  });
});

describe('createEventSource', () => {
  it('yields the same events for the same seed', () => {
    const first = generate(2_000, { seed: 'repeat-me', badRatio: 0.3 });
    const second = generate(2_000, { seed: 'repeat-me', badRatio: 0.3 });
    expect(second).toEqual(first);
  });

  it('yields different events for a different seed', () => {
    const first = generate(100, { seed: 1 });
    const second = generate(100, { seed: 2 });
    expect(second.map((e) => e.value?.toString('hex'))).not.toEqual(
      first.map((e) => e.value?.toString('hex')),
    );
  });

  it('holds the requested ratios within tolerance over 10,000 events', () => {
    const events = generate(10_000, { badRatio: 0.2, suspiciousRatio: 0.15 });
    const { good, suspicious, bad } = counts(events);
    expect(Math.abs(bad / 10_000 - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(suspicious / 10_000 - 0.15)).toBeLessThan(0.02);
    expect(good + suspicious + bad).toBe(10_000);
  });

  it('produces only good events when both ratios are 0 and only bad ones when badRatio is 1', () => {
    expect(counts(generate(1_000, { badRatio: 0, suspiciousRatio: 0 }))).toEqual({
      good: 1_000,
      suspicious: 0,
      bad: 0,
    });
    expect(counts(generate(1_000, { badRatio: 1, suspiciousRatio: 0 })).bad).toBe(1_000);
  });

  it('produces every bad kind within 1,000 events at bad ratio 0.3', () => {
    const kinds = new Set(generate(1_000, { badRatio: 0.3 }).map((e) => e.badKind));
    for (const kind of BAD_KINDS) expect(kinds, kind).toContain(kind);
  });

  it('breaks every field for missing_field and null_field', () => {
    const events = generate(5_000, { badRatio: 0.5 });
    for (const kind of ['missing_field', 'null_field'] as const) {
      const fields = new Set(events.filter((e) => e.badKind === kind).map((e) => e.field));
      expect(fields.size, kind).toBe(6);
    }
  });

  it('gives unique event ids to valid events', () => {
    const ids = generate(20_000, { badRatio: 0 }).map(
      (e) => (JSON.parse((e.value as Buffer).toString('utf8')) as { event_id: string }).event_id,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses the account id as the record key', () => {
    for (const event of generate(500, { badRatio: 0 })) {
      const decoded = decodeEvent(event.value);
      expect(decoded.ok && String(decoded.event.account_id)).toBe(event.key);
    }
  });

  it('also sends valid alternative encodings: account id as a string and ISO-8601 timestamps', () => {
    const raw = generate(2_000, { badRatio: 0 }).map(
      (e) => JSON.parse((e.value as Buffer).toString('utf8')) as Record<string, unknown>,
    );
    expect(raw.some((r) => typeof r.account_id === 'string')).toBe(true);
    expect(raw.some((r) => typeof r.event_timestamp === 'string')).toBe(true);
  });

  it('agrees with the real decoder on every event: category, reason code and field', () => {
    const events = generate(10_000, { badRatio: 0.3, suspiciousRatio: 0.2, unknownAccountShare: 0.3 });
    for (const event of events) {
      const decoded = decodeEvent(event.value);
      const label = `${event.expected}/${event.badKind ?? event.suspiciousKind ?? ''} ${event.detail ?? ''}`;
      if (event.expected === 'bad') {
        expect(decoded.ok, label).toBe(false);
        if (decoded.ok) continue;
        // Exactly one rule is broken, and it is the one the generator meant to break.
        expect(
          decoded.reasons.map((r) => r.code),
          label,
        ).toEqual([event.badKind]);
        if (event.field !== undefined) expect(decoded.reasons[0]?.field, label).toBe(event.field);
        continue;
      }
      expect(decoded.ok, label).toBe(true);
      if (!decoded.ok) continue;
      const { account_id: accountId, device } = decoded.event;
      const known = accountId >= 1 && accountId <= ACCOUNTS;
      const matches = known && defaultDeviceFor(accountId) === device;
      if (event.expected === 'good') expect(matches, label).toBe(true);
      else if (event.suspiciousKind === 'unknown_account') expect(known, label).toBe(false);
      else expect(known && !matches, label).toBe(true);
    }
    expect(counts(events).suspicious).toBeGreaterThan(0);
  });

  it('keeps event timestamps within five minutes before now', () => {
    for (const event of generate(1_000, { badRatio: 0 })) {
      const decoded = decodeEvent(event.value);
      if (!decoded.ok) throw new Error('expected a valid event');
      expect(decoded.event.event_timestamp).toBeLessThanOrEqual(NOW);
      expect(decoded.event.event_timestamp).toBeGreaterThanOrEqual(NOW - 300);
    }
  });

  it.each([
    [{ badRatio: 1.5 }, /badRatio must be a number in \[0, 1\], got 1.5/],
    [{ suspiciousRatio: -0.1 }, /suspiciousRatio/],
    [{ badRatio: 0.6, suspiciousRatio: 0.5 }, /badRatio \+ suspiciousRatio must be <= 1/],
    [{ accounts: 0 }, /accounts must be a positive integer, got 0/],
    [{ accounts: 2.5 }, /accounts must be a positive integer/],
    [{ unknownAccountFloor: 100 }, /unknownAccountFloor must be an integer >= accounts \(500\)/],
    [{ unknownAccountFloor: Number.MAX_SAFE_INTEGER - 10 }, /leaves the unknown ids below 2\^53/],
  ])('rejects invalid options %o', (overrides, message) => {
    expect(() => generate(1, overrides)).toThrow(ConfigError);
    expect(() => generate(1, overrides)).toThrow(message);
  });
});

describe('unknown account ids', () => {
  const unknownIds = (events: readonly GeneratedEvent[]) =>
    events.filter((e) => e.suspiciousKind === 'unknown_account').map((e) => Number(e.key));
  const options = { badRatio: 0, suspiciousRatio: 1, unknownAccountShare: 1 };

  it('lie above every id a seed can write, however many accounts a run or an earlier seed used', () => {
    expect(UNKNOWN_ACCOUNT_FLOOR).toBeGreaterThan(MAX_SEEDED_ACCOUNTS);
    for (const accounts of [1, 10_000, MAX_SEEDED_ACCOUNTS]) {
      const { first, last } = unknownAccountRange(accounts);
      expect(first).toBe(UNKNOWN_ACCOUNT_FLOOR + 1);
      expect(Number.isSafeInteger(last)).toBe(true);
    }
  });

  it('span as many ids as there are accounts, at least 1000', () => {
    expect(unknownAccountRange(10)).toEqual({
      first: UNKNOWN_ACCOUNT_FLOOR + 1,
      last: UNKNOWN_ACCOUNT_FLOOR + 1000,
    });
    expect(unknownAccountRange(20_000).last - unknownAccountRange(20_000).first + 1).toBe(20_000);
  });

  it('are drawn from that range, so a run with 10,000 accounts never names one an earlier 20,000 seeded', () => {
    const ids = unknownIds(generate(2_000, { ...options, accounts: 10_000 }));
    expect(ids).toHaveLength(2_000);
    const { first, last } = unknownAccountRange(10_000);
    for (const id of ids) {
      expect(id).toBeGreaterThanOrEqual(first);
      expect(id).toBeLessThanOrEqual(last);
      expect(id).toBeGreaterThan(20_000);
    }
    expect(new Set(ids).size).toBeGreaterThan(1_000);
  });

  it('go above a given floor, e.g. a users table that already holds higher ids', () => {
    const floor = UNKNOWN_ACCOUNT_FLOOR + 5_000_000;
    const ids = unknownIds(generate(500, { ...options, unknownAccountFloor: floor }));
    expect(Math.min(...ids)).toBeGreaterThan(floor);
  });

  it('are valid account ids for the decoder, sent as the record key', () => {
    for (const event of generate(200, options)) {
      const decoded = decodeEvent(event.value);
      if (!decoded.ok) throw new Error('expected a valid event');
      expect(String(decoded.event.account_id)).toBe(event.key);
    }
  });
});
