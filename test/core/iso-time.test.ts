// The timestamps in every document: exactly what Date#toISOString writes, only cheaper.
import { describe, expect, it } from 'vitest';
import { isoDate, isoTime } from '../../core/iso-time.js';

describe('isoTime', () => {
  it.each([
    '2000-01-01T00:00:00.000Z',
    '2026-12-02T00:00:00.000Z',
    '2026-12-01T23:59:59.999Z',
    '2024-02-29T12:34:56.007Z',
    '2099-12-31T23:59:59.999Z',
    '2026-03-09T09:09:09.090Z',
  ])('writes %s as toISOString does', (iso) => {
    expect(isoTime(Date.parse(iso))).toBe(iso);
    expect(isoDate(Date.parse(iso))).toBe(iso.slice(0, 10));
  });

  it('agrees with toISOString on random times, also when consecutive times change day', () => {
    const from = Date.UTC(2000, 0, 1);
    const span = Date.UTC(2100, 0, 1) - from;
    let seed = 12_345;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const ms = from + Math.floor(random() * span);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      // the same day again, a millisecond on: the day's cached part is reused
      if (ms + 1 < from + span) expect(isoTime(ms + 1)).toBe(new Date(ms + 1).toISOString());
    }
  });

  it('gives each time its own string when recent times share a slot of its cache, and again when asked again', () => {
    const base = Date.parse('2026-12-06T09:00:00.000Z');
    // 256 apart: the same slot; a second apart: as event times come
    const times = [
      base,
      base + 256,
      base + 512,
      base + 1_000,
      base,
      base + 256,
      base + 2_000 * 256,
      base + 1_000,
    ];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});
