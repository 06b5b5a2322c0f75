// Executes the soak's fault plan against the running pipeline: SIGKILL a component of the local stack (or the
// consumer process), keep it down for the planned time, start it again, and measure the time to recover: from
// the restart until the group's committed offsets move forward again. Faults never overlap: the next one waits
// until the previous one has recovered and the pipeline has run undisturbed for a while, and production goes on
// until the last fault has recovered, so that every planned fault is injected (the 2-minute CI soak included).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Component } from '../components/component.js';
import { kafka } from '../components/kafka.js';
import { startComponent } from '../components/lifecycle.js';
import { mariadb } from '../components/mariadb.js';
import { opensearch } from '../components/opensearch.js';
import { isAlive, isOurProcess, readPid } from '../components/processes.js';
import type { SupervisedConsumer } from './consumer-process.js';
import type { GroupWatch } from './group-watch.js';
import type { Production } from './production.js';
import type { FaultKind, PlannedFault } from './schedule.js';

const COMPONENTS: Record<Exclude<FaultKind, 'consumer'>, Component> = { kafka, opensearch, mariadb };

/** Undisturbed running between the recovery of one fault and the next fault. */
const SETTLE_MS = 10_000;
/** A fault not recovered from after this long is reported as such; the soak goes on. */
const RECOVERY_TIMEOUT_MS = 180_000;

export interface FaultOutcome {
  readonly kind: FaultKind;
  readonly plannedAtMs: number;
  readonly holdMs: number;
  /** When it was injected, from the start of production; absent when skipped. */
  readonly atMs?: number;
  /** From the kill until the victim was running again (healthy, for a component). */
  readonly downMs?: number;
  /** From the restart until the committed offsets advanced; null when they did not within the timeout. */
  readonly recoveredAfterMs?: number | null;
  readonly skipped?: string;
}

export interface ChaosOptions {
  readonly watch: GroupWatch;
  readonly consumer: SupervisedConsumer;
  readonly production: Production;
  readonly startedAt: number;
  readonly signal: AbortSignal;
}

export class Chaos {
  private current = '-';
  private next: { kind: FaultKind; at: number } | undefined;

  constructor(private readonly options: ChaosOptions) {}

  /** The fault in progress, for the progress line. */
  status(): string {
    if (this.next !== undefined) {
      return `next: ${this.next.kind} in ${Math.max(0, Math.round((this.next.at - Date.now()) / 1000))} s`;
    }
    return this.current;
  }

  async run(plan: readonly PlannedFault[]): Promise<FaultOutcome[]> {
    const { startedAt, production, signal } = this.options;
    const outcomes: FaultOutcome[] = [];
    let readyAt = startedAt;
    // Without new records there is no progress to see: production lasts until the last fault has recovered.
    const release = production.hold();
    try {
      for (const fault of plan) {
        const at = Math.max(startedAt + fault.atMs, readyAt);
        this.next = { kind: fault.kind, at };
        const waited = await wait(at - Date.now(), signal);
        this.next = undefined;
        if (!waited) {
          outcomes.push({ ...planned(fault), skipped: 'interrupted' });
          continue;
        }
        outcomes.push(await this.inject(fault));
        readyAt = Date.now() + SETTLE_MS;
        this.current = '-';
      }
    } finally {
      release();
    }
    return outcomes;
  }

  private async inject(fault: PlannedFault): Promise<FaultOutcome> {
    const { consumer, production, startedAt } = this.options;
    const { kind } = fault;
    const component = kind === 'consumer' ? undefined : COMPONENTS[kind];
    const pid = component === undefined ? undefined : readPid(component.name);
    if (component !== undefined && (component.isExternal() || pid === undefined || !isOurProcess(pid))) {
      return { ...planned(fault), skipped: `${kind} is not a process of this local stack` };
    }
    if (kind === 'kafka') {
      this.current = 'kafka: pausing production';
      await production.pause();
    }
    const killedAt = Date.now();
    this.current = `${kind} killed`;
    if (component === undefined) await consumer.kill();
    else {
      process.kill(pid as number, 'SIGKILL');
      while (isAlive(pid as number)) await sleep(100);
    }
    this.current = `${kind} down (${(fault.holdMs / 1000).toFixed(1)} s)`;
    await sleep(fault.holdMs);
    this.current = `${kind} restarting`;
    try {
      if (component === undefined) consumer.start();
      else await startComponent(component, () => {});
    } finally {
      if (kind === 'kafka') production.resume();
    }
    const restartedAt = Date.now();
    this.current = `${kind} restarted, waiting for the consumer to commit again`;
    const recoveredAt = await this.progressAfter(restartedAt);
    return {
      ...planned(fault),
      atMs: killedAt - startedAt,
      downMs: restartedAt - killedAt,
      recoveredAfterMs: recoveredAt === undefined ? null : recoveredAt - restartedAt,
    };
  }

  /** When the committed offsets first exceed what they were at the restart; undefined on timeout. */
  private async progressAfter(restartedAt: number): Promise<number | undefined> {
    const { watch, signal } = this.options;
    const deadline = restartedAt + RECOVERY_TIMEOUT_MS;
    let baseline: bigint | undefined;
    while (Date.now() < deadline && !signal.aborted) {
      // A broker just restarted may not answer at once; the offsets cannot move before it does anyway.
      const committed = await watch.committed().catch(() => undefined);
      if (committed !== undefined) {
        if (baseline === undefined) baseline = committed;
        else if (committed > baseline) return Date.now();
      }
      await sleep(500);
    }
    return undefined;
  }
}

function planned(fault: PlannedFault) {
  return { kind: fault.kind, plannedAtMs: fault.atMs, holdMs: fault.holdMs };
}

/** Sleeps `ms`; false when the signal aborts the wait. */
async function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch (error) {
    if ((error as Error).name === 'AbortError') return false;
    throw error;
  }
}
