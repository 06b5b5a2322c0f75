// The bench's CPU accounting: per-event figures from two snapshots, and snapshots that read this machine.
import { describe, expect, it } from 'vitest';
import { cpuSnapshot, cpuSplit } from '../../bench/machine-cpu.js';

describe('cpuSplit', () => {
  it('turns busy ticks (10 ms each) into µs per event and average busy cores', () => {
    const from = { atMs: 0, machine: 1_000, cores: [600, 400], search: 500, broker: 100 };
    // 4 s on a machine with 2 cores busy (800 ticks), OpenSearch 600 of them, Kafka 40, over 200,000 events;
    // core 0 busy all the time (400 ticks), core 1 half of it (200 ticks: the other 200 were idle).
    const to = { atMs: 4_000, machine: 1_800, cores: [1_000, 600], search: 1_100, broker: 140 };
    expect(cpuSplit(from, to, 200_000)).toEqual({
      busyCores: 2,
      coreBusy: [1, 0.5],
      machineUs: 40,
      searchUs: 30,
      brokerUs: 2,
    });
  });

  it('leaves out a process that was not running', () => {
    const from = { atMs: 0, machine: 0, cores: [0], search: undefined, broker: 0 };
    const to = { atMs: 1_000, machine: 100, cores: [100], search: undefined, broker: 10 };
    expect(cpuSplit(from, to, 1_000)).toMatchObject({ searchUs: null, brokerUs: 100 });
  });
});

describe.runIf(process.platform === 'linux')('cpuSnapshot', () => {
  it("counts the machine's busy time, which grows while this process computes", () => {
    const before = cpuSnapshot();
    let x = 0;
    for (const until = performance.now() + 100; performance.now() < until; ) x += Math.sqrt(x + 1);
    const after = cpuSnapshot();
    expect(x).toBeGreaterThan(0);
    expect(after.machine - before.machine).toBeGreaterThanOrEqual(5);
    expect(after.cores).toHaveLength(before.cores.length);
    expect(after.cores.length).toBeGreaterThanOrEqual(1);
  });
});
