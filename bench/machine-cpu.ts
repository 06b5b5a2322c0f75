// Where a bench run's CPU went on this machine: the whole machine's busy time (/proc/stat) and that of the local
// stack's OpenSearch and Kafka (/proc/<pid>/stat, every thread of the JVM). On one machine the consumer and the
// sink share the cores, so once they are all busy the ratio of the pipeline to the raw `_bulk` ceiling can be no
// better than the ratio of their CPU costs per document: the bench prints that bound beside the ratio it measured.
import { readFileSync } from 'node:fs';
import { cpuTicks, readPid } from '../local/components/processes.js';

/** Linux counts CPU time in ticks of 1/USER_HZ s, 100 on every architecture Node runs on. */
const TICK_US = 10_000;

export interface CpuSnapshot {
  readonly atMs: number;
  /** Busy ticks of all cores together (user, nice, system, irq, softirq, steal). */
  readonly machine: number;
  /** Busy ticks of each core. */
  readonly cores: readonly number[];
  /** User and system ticks of each process; undefined when it is not running or /proc is not there. */
  readonly search: number | undefined;
  readonly broker: number | undefined;
}

/** CPU µs per event (or document) between two snapshots, and how many cores were busy on average. */
export interface CpuSplit {
  readonly busyCores: number;
  /** How busy each core was, from 0 to 1: with the bench's pinned placement, core 1 is the measured client's. */
  readonly coreBusy: readonly number[];
  readonly machineUs: number;
  readonly searchUs: number | null;
  readonly brokerUs: number | null;
}

export function cpuSnapshot(): CpuSnapshot {
  return {
    atMs: performance.now(),
    ...busyTicks(),
    search: ticksOf(readPid('opensearch')),
    broker: ticksOf(readPid('kafka')),
  };
}

export function cpuSplit(from: CpuSnapshot, to: CpuSnapshot, events: number): CpuSplit {
  const perEvent = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? null : round(((b - a) * TICK_US) / events);
  const elapsedUs = (to.atMs - from.atMs) * 1000;
  return {
    busyCores: round(((to.machine - from.machine) * TICK_US) / elapsedUs),
    coreBusy: to.cores.map((ticks, i) =>
      Number((((ticks - (from.cores[i] ?? 0)) * TICK_US) / elapsedUs).toFixed(2)),
    ),
    machineUs: round(((to.machine - from.machine) * TICK_US) / events),
    searchUs: perEvent(from.search, to.search),
    brokerUs: perEvent(from.broker, to.broker),
  };
}

const round = (value: number) => Number(value.toFixed(1));
const ticksOf = (pid: number | undefined) => (pid === undefined ? undefined : cpuTicks(pid));

/** Busy ticks of the whole machine (the `cpu` line of /proc/stat) and of each core (`cpu0`, `cpu1`, ...). */
function busyTicks(): { machine: number; cores: number[] } {
  const busy = (line: string) => {
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return user + nice + system + irq + softirq + (steal ?? 0);
  };
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    return {
      machine: busy(lines[0]),
      cores: lines.filter((line) => /^cpu\d+ /.test(line)).map(busy),
    };
  } catch {
    return { machine: Number.NaN, cores: [] };
  }
}
