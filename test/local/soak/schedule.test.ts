// The soak's fault plan: reproducible from its seed, spaced apart, and faulting every component in every run.
import { describe, expect, it } from 'vitest';
import type { FaultOutcome } from '../../../local/soak/chaos.js';
import { behaviourChecks } from '../../../local/soak/checks.js';
import { FAULT_KINDS, type FaultKind, planFaults, TAIL_MS, WARMUP_MS } from '../../../local/soak/schedule.js';

const MINUTE_MS = 60_000;
const SEEDS = ['soak', 'x', '42', 'ci', '2026-12-06', '7'];
const DURATIONS_MIN = [2, 2.5, 3, 5, 6, 10, 30];

describe('planFaults', () => {
  it('gives the same plan for the same seed and another for another seed', () => {
    for (const minutes of [2, 10]) {
      expect(planFaults(minutes * MINUTE_MS, 'a')).toEqual(planFaults(minutes * MINUTE_MS, 'a'));
      expect(planFaults(minutes * MINUTE_MS, 'a')).not.toEqual(planFaults(minutes * MINUTE_MS, 'b'));
    }
  });

  it('faults Kafka, OpenSearch, MariaDB and the consumer in every run of 2 minutes or more', () => {
    for (const minutes of DURATIONS_MIN) {
      for (const seed of SEEDS) {
        const kinds = new Set(planFaults(minutes * MINUTE_MS, seed).map((f) => f.kind));
        expect([...kinds].sort(), `${minutes} min, seed ${seed}`).toEqual([...FAULT_KINDS].sort());
      }
    }
  });

  it('faults every kind once, in a seeded order, before any kind repeats', () => {
    const orders = new Set<string>();
    for (const seed of SEEDS) {
      const kinds = planFaults(30 * MINUTE_MS, seed).map((f) => f.kind);
      for (let round = 0; round + FAULT_KINDS.length <= kinds.length; round += FAULT_KINDS.length) {
        expect(new Set(kinds.slice(round, round + FAULT_KINDS.length)).size).toBe(FAULT_KINDS.length);
      }
      orders.add(kinds.slice(0, FAULT_KINDS.length).join());
    }
    // A shuffle, not a fixed rotation: the seeds give different first rounds.
    expect(orders.size).toBeGreaterThan(1);
  });

  it('plans one fault per 75 s of a long run', () => {
    expect(planFaults(10 * MINUTE_MS, 'soak')).toHaveLength(
      Math.floor((10 * MINUTE_MS - WARMUP_MS - TAIL_MS) / 75_000),
    );
    expect(planFaults(2 * MINUTE_MS, 'soak')).toHaveLength(FAULT_KINDS.length);
  });

  it('starts faults after the warm-up, in order, apart, and before the tail of production', () => {
    for (const minutes of DURATIONS_MIN) {
      const durationMs = minutes * MINUTE_MS;
      const plan = planFaults(durationMs, 'soak');
      const slotMs = (durationMs - WARMUP_MS - TAIL_MS) / plan.length;
      expect(plan[0]?.atMs).toBeGreaterThanOrEqual(WARMUP_MS);
      for (let i = 1; i < plan.length; i++) {
        expect((plan[i]?.atMs ?? 0) - (plan[i - 1]?.atMs ?? 0)).toBeGreaterThanOrEqual((2 * slotMs) / 3 - 1);
      }
      expect(plan.at(-1)?.atMs).toBeLessThanOrEqual(durationMs - TAIL_MS);
      expect(plan.every((f) => f.holdMs >= 1_000 && f.holdMs <= 8_000)).toBe(true);
    }
  });
});

describe('behaviourChecks: every component faulted', () => {
  const run = (faults: FaultOutcome[]) =>
    behaviourChecks({
      faults,
      unexpectedExits: [],
      finalExitCode: 0,
      caughtUpAfterMs: 1_000,
      productionFailures: [],
    }).find((c) => c.name === 'every component faulted');
  const injected = (kind: FaultKind): FaultOutcome => ({
    kind,
    plannedAtMs: 20_000,
    holdMs: 2_000,
    atMs: 21_000,
    downMs: 5_000,
    recoveredAfterMs: 3_000,
  });

  it('holds when each kind was injected', () => {
    expect(run(FAULT_KINDS.map(injected))).toMatchObject({
      ok: true,
      detail: 'kafka, opensearch, mariadb, consumer',
    });
  });

  it('fails naming a kind that was never injected', () => {
    const faults = [
      injected('consumer'),
      injected('mariadb'),
      { ...injected('kafka'), skipped: 'interrupted' },
    ];
    expect(run(faults)).toMatchObject({ ok: false, detail: 'never faulted: kafka, opensearch' });
  });

  it('names, without failing, a component the local stack does not run', () => {
    const external = { ...injected('mariadb'), skipped: 'mariadb is not a process of this local stack' };
    const faults = [injected('consumer'), injected('kafka'), injected('opensearch'), external];
    expect(run(faults)).toMatchObject({
      ok: true,
      detail: 'kafka, opensearch, consumer; not ours, not faulted: mariadb',
    });
  });
});
