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
  /** User and system ticks of each process; undefined when it is not running or /proc is not there. */
  readonly search: number | undefined;
  readonly broker: number | undefined;
}

/** CPU µs per event (or document) between two snapshots, and how many cores were busy on average. */
export interface CpuSplit {
  readonly busyCores: number;
  readonly machineUs: number;
  readonly searchUs: number | null;
  readonly brokerUs: number | null;
}

export function cpuSnapshot(): CpuSnapshot {
  return {
    atMs: performance.now(),
    machine: machineTicks(),
    search: ticksOf(readPid('opensearch')),
    broker: ticksOf(readPid('kafka')),
  };
}

export function cpuSplit(from: CpuSnapshot, to: CpuSnapshot, events: number): CpuSplit {
  const perEvent = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? null : round(((b - a) * TICK_US) / events);
  return {
    busyCores: round(((to.machine - from.machine) * TICK_US) / ((to.atMs - from.atMs) * 1000)),
    machineUs: round(((to.machine - from.machine) * TICK_US) / events),
    searchUs: perEvent(from.search, to.search),
    brokerUs: perEvent(from.broker, to.broker),
  };
}

const round = (value: number) => Number(value.toFixed(1));
const ticksOf = (pid: number | undefined) => (pid === undefined ? undefined : cpuTicks(pid));

function machineTicks(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return user + nice + system + irq + softirq + (steal ?? 0);
  } catch {
    return Number.NaN;
  }
}
