// The soak's fault plan: reproducible from its seed, spaced apart, and covering what each run length promises.
import { describe, expect, it } from 'vitest';
import {
  COMPONENT_FAULTS,
  FAULT_KINDS,
  planFaults,
  TAIL_MS,
  WARMUP_MS,
} from '../../../local/soak/schedule.js';

const MINUTE_MS = 60_000;

describe('planFaults', () => {
  it('gives the same plan for the same seed and another for another seed', () => {
    expect(planFaults(10 * MINUTE_MS, 'a')).toEqual(planFaults(10 * MINUTE_MS, 'a'));
    expect(planFaults(10 * MINUTE_MS, 'a')).not.toEqual(planFaults(10 * MINUTE_MS, 'b'));
  });

  it('has every kind of fault in a 10-minute run', () => {
    for (const seed of ['soak', 'x', '42']) {
      const kinds = new Set(planFaults(10 * MINUTE_MS, seed).map((f) => f.kind));
      expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
    }
  });

  it('has the consumer kill and a component kill in a 2-minute run', () => {
    for (const seed of ['soak', 'x', '42']) {
      const kinds = planFaults(2 * MINUTE_MS, seed).map((f) => f.kind);
      expect(kinds).toContain('consumer');
      expect(kinds.some((k) => (COMPONENT_FAULTS as readonly string[]).includes(k))).toBe(true);
    }
  });

  it('starts faults after the warm-up, in order, apart, and before the tail of production', () => {
    const plan = planFaults(10 * MINUTE_MS, 'soak');
    expect(plan[0]?.atMs).toBeGreaterThanOrEqual(WARMUP_MS);
    for (let i = 1; i < plan.length; i++) {
      expect((plan[i]?.atMs ?? 0) - (plan[i - 1]?.atMs ?? 0)).toBeGreaterThanOrEqual(30_000);
    }
    expect(plan.at(-1)?.atMs).toBeLessThanOrEqual(10 * MINUTE_MS - TAIL_MS);
    expect(plan.every((f) => f.holdMs >= 1_000 && f.holdMs <= 8_000)).toBe(true);
  });
});
