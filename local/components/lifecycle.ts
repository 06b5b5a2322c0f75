// Starting and stopping the local stack: reuse what is up, start the rest in parallel, wait for health,
// and on stop leave no process of this project behind.
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCAL_PORTS } from '../endpoints.js';
import type { Component } from './component.js';
import { ComponentStartError, StackError } from './errors.js';
import { kafka } from './kafka.js';
import { mariadb } from './mariadb.js';
import { opensearch } from './opensearch.js';
import { type ComponentName, dataDir, logFile } from './paths.js';
import {
  isAlive,
  isOurProcess,
  isPortOpen,
  logSize,
  projectProcesses,
  readLogSince,
  readPid,
  removePid,
  stopProcess,
  tailFile,
  writePid,
} from './processes.js';
import { createProgress, type Progress } from './progress.js';

/** OpenSearch first: its boot is the long pole, so it gets the CPU before the others. */
export const STACK_COMPONENTS: readonly Component[] = [opensearch, kafka, mariadb];

const STOP_TIMEOUT_MS = 30_000;

/** Lines of a failed component's log shown with the failure. */
export const FAILURE_LOG_LINES = 15;

/**
 * Components failed to start; each cause is a ComponentStartError with its log path and fix. The message is
 * the one line (which component, why); `details` the rest a person needs: each log's last lines, the fix, and
 * what the failed start stopped again.
 */
export class StackStartError extends StackError {
  readonly failures: readonly ComponentStartError[];
  /** Components this start had started and stopped again after the failure. */
  readonly stopped: readonly ComponentName[];
  readonly details: string;

  constructor(failures: readonly ComponentStartError[], stopped: readonly ComponentName[] = []) {
    super(`local stack failed to start: ${failures.map((f) => f.message).join('; ')}`);
    this.failures = failures;
    this.stopped = stopped;
    const lines: string[] = [];
    for (const failure of failures) {
      lines.push(`✗ ${failure.message}`);
      const tail = failure.logPath === '' ? '' : tailWithCause(failure.logPath, failure.causeLine);
      if (tail !== '') {
        lines.push(`  last lines of ${failure.logPath}:`, tail.replace(/^/gm, '  | '));
      }
      lines.push(`  fix: ${failure.fix}`);
    }
    if (stopped.length > 0) lines.push(`stopped again what this start had started: ${stopped.join(', ')}`);
    this.details = lines.join('\n');
  }
}

/** The other ports each component binds besides its main one (a taken one makes it exit at start). */
const PORTS: Record<ComponentName, readonly number[]> = {
  kafka: [LOCAL_PORTS.kafka, LOCAL_PORTS.kafkaController],
  opensearch: [LOCAL_PORTS.opensearch, LOCAL_PORTS.opensearchTransport],
  mariadb: [LOCAL_PORTS.mariadb],
};

const portFix = (name: ComponentName) =>
  `a port of ${name} (${(PORTS[name] ?? []).join(', ')}) is taken by another process: stop it ` +
  `(\`ss -ltnp\` names it), or give this checkout other ports with LOCAL_PORT_OFFSET (10, 20, ... 90)`;

/**
 * The last lines of a failed component's log, with `causeLine` (the line that says why) in place of the oldest
 * one when the tail has scrolled past it: a JVM that halts on a fatal fault ends its log with stack traces and
 * shutdown lines in an order that varies from run to run.
 */
function tailWithCause(logPath: string, causeLine: string | undefined): string {
  const tail = tailFile(logPath, FAILURE_LOG_LINES);
  if (causeLine === undefined || tail.split('\n').includes(causeLine)) return tail;
  return [causeLine, ...tail.split('\n').slice(1)].join('\n');
}

const CAUSES: ReadonlyArray<{ readonly pattern: RegExp; readonly fix: (name: ComponentName) => string }> = [
  { pattern: /address already in use|BindException|Can't start server: Bind/i, fix: portFix },
  {
    pattern: /no space left on device/i,
    fix: (name) => `the disk is full: free space under ${dataDir(name)}`,
  },
];

/**
 * What to do about a component whose process exited at start, and the log line that says so. It reads what
 * this start wrote to the log (from `logOffset`), all of it, not only the lines shown; and when the log says
 * nothing known but a port of the component still answers after its process died, another process holds it.
 */
async function exitCause(
  name: ComponentName,
  logOffset: number,
): Promise<{ fix?: string; causeLine?: string }> {
  const lines = readLogSince(logFile(name), logOffset).split('\n');
  for (const cause of CAUSES) {
    const causeLine = lines.findLast((line) => cause.pattern.test(line));
    if (causeLine !== undefined) return { fix: cause.fix(name), causeLine };
  }
  for (const port of PORTS[name] ?? []) if (await isPortOpen(port)) return { fix: portFix(name) };
  return {};
}

export type StartOutcome = 'started' | 'reused' | 'external';

/** How often a component that is still starting says so, with the last line of its log. */
const PROGRESS_EVERY_MS = 5_000;

/** The last line of a log without its timestamp/level/logger brackets, short enough for a progress line. */
export function lastLogLine(log: string): string {
  const line = log.trimEnd().split('\n').at(-1) ?? '';
  return line
    .replace(/^(\[[^\]]*\]\s*)+/, '')
    .trim()
    .slice(0, 100);
}

async function waitHealthy(
  component: Component,
  pid: number,
  progress: Progress,
  logOffset = 0,
): Promise<void> {
  const probe = component.startupProbe ?? component.probe;
  const started = Date.now();
  const deadline = started + component.healthTimeoutMs;
  let nextProgress = started + PROGRESS_EVERY_MS;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      const { fix, causeLine } = await exitCause(component.name, logOffset);
      throw new ComponentStartError(
        component.name,
        `process ${pid} exited during start-up`,
        logFile(component.name),
        {
          fix,
          causeLine,
        },
      );
    }
    if (await probe.call(component)) return;
    // OpenSearch takes 15 s and more on two cores: say that it is alive and what it is doing.
    if (Date.now() >= nextProgress) {
      nextProgress += PROGRESS_EVERY_MS;
      const last = lastLogLine(tailFile(logFile(component.name), 1));
      const elapsed = Math.round((Date.now() - started) / 1000);
      progress(component.name, `still starting (${elapsed}s)${last === '' ? '' : `: ${last}`}`);
    }
    await sleep(500);
  }
  throw new ComponentStartError(
    component.name,
    `not healthy after ${component.healthTimeoutMs / 1000}s (pid ${pid} still running)`,
    logFile(component.name),
    {
      fix: 'the log says what it is stuck on; on a busy machine run `npm run stack:start` again, it waits for what is still starting',
    },
  );
}

/** Starts one component unless it is up already (exported for tests with fake components). */
export async function startComponent(component: Component, progress: Progress): Promise<StartOutcome> {
  const { name } = component;
  const started = Date.now();
  try {
    if (component.isExternal()) {
      if (await component.probe()) {
        progress(name, 'external (MYSQL_URL): answers, not started');
        return 'external';
      }
      // Not ours: there is no log of ours to show.
      throw new ComponentStartError(name, 'MYSQL_URL is set but does not answer SELECT 1', '', {
        fix: 'start that server, or correct or unset MYSQL_URL (unset, the stack runs a MariaDB of its own)',
      });
    }
    const pid = readPid(name);
    if (pid !== undefined && isOurProcess(pid)) {
      if (!(await component.probe())) {
        progress(name, `process ${pid} running but not ready yet: waiting`);
        await waitHealthy(component, pid, progress);
        await component.afterHealthy?.(progress);
      }
      progress(name, `already up (pid ${pid}), reused`);
      return 'reused';
    }
    if (pid !== undefined) removePid(name);
    if (await isPortOpen(component.port)) {
      if (await component.probe()) {
        progress(name, `already up on port ${component.port} (not started by this stack), reused`);
        return 'reused';
      }
      throw new ComponentStartError(
        name,
        `port ${component.port} is in use by another process that is not a healthy ${name}`,
        // Nothing of ours ran: its log would be an old one.
        '',
        { fix: portFix(name) },
      );
    }
    await component.prepare(progress);
    progress(name, 'starting');
    const logOffset = logSize(logFile(name));
    const newPid = component.launch();
    writePid(name, newPid);
    await waitHealthy(component, newPid, progress, logOffset);
    await component.afterHealthy?.(progress);
    progress(
      name,
      `up on 127.0.0.1:${component.port} (pid ${newPid}) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    return 'started';
  } catch (error) {
    if (error instanceof ComponentStartError) throw error;
    throw new ComponentStartError(
      name,
      error instanceof Error ? error.message : String(error),
      logFile(name),
      {
        cause: error,
        fix: 'the message says what failed; fix it and run `npm run stack:start` again',
      },
    );
  }
}

export interface StackUpResult {
  /** True when this call started at least one component (callers that clean up call stopStack then). */
  readonly startedHere: boolean;
  readonly outcomes: Record<ComponentName, StartOutcome>;
}

/**
 * Starts every component of the local stack that is not up and reuses those that are. Components start
 * in parallel; rejects with a StackStartError naming each failed component and its log.
 */
export async function ensureStackUp(
  opts: { quiet?: boolean; progress?: Progress } = {},
): Promise<StackUpResult> {
  const progress = opts.progress ?? createProgress(opts.quiet);
  const results = await Promise.allSettled(STACK_COMPONENTS.map((c) => startComponent(c, progress)));
  const failures: ComponentStartError[] = [];
  const outcomes: Partial<Record<ComponentName, StartOutcome>> = {};
  results.forEach((result, i) => {
    const component = STACK_COMPONENTS[i] as Component;
    if (result.status === 'fulfilled') outcomes[component.name] = result.value;
    else failures.push(result.reason as ComponentStartError);
  });
  if (failures.length > 0) {
    // A stack half up is no use and would be left running by a demo that gives up: stop what this start
    // launched (up, or still running after failing), never what it found running.
    const launched = STACK_COMPONENTS.filter((c) => {
      if (outcomes[c.name] !== undefined) return outcomes[c.name] === 'started';
      const pid = readPid(c.name);
      return pid !== undefined && isOurProcess(pid);
    });
    for (const component of launched) await stopComponent(component, progress);
    // A component that died at start leaves its pid file behind.
    for (const failure of failures) {
      const pid = readPid(failure.component);
      if (pid !== undefined && !isOurProcess(pid)) removePid(failure.component);
    }
    throw new StackStartError(
      failures,
      launched.map((c) => c.name),
    );
  }
  return {
    startedHere: Object.values(outcomes).includes('started'),
    outcomes: outcomes as Record<ComponentName, StartOutcome>,
  };
}

export interface StopReport {
  /** What happened to each component's pid-file process. */
  readonly components: Record<ComponentName, 'not-running' | 'terminated' | 'killed'>;
  /** Processes of this project found without a pid file and stopped. */
  readonly strays: readonly number[];
  /** Processes of this project still alive after everything (should be empty). */
  readonly leftovers: readonly number[];
  /** Ports of the stack still accepting connections (someone else's process). */
  readonly busyPorts: readonly number[];
}

/** Stops one component's pid-file process (SIGTERM, then SIGKILL after a timeout). */
async function stopComponent(
  component: Component,
  progress: Progress,
): Promise<'not-running' | 'terminated' | 'killed'> {
  const pid = readPid(component.name);
  let outcome: 'not-running' | 'terminated' | 'killed' = 'not-running';
  if (pid !== undefined && isOurProcess(pid)) {
    progress(component.name, `stopping pid ${pid}`);
    outcome = await stopProcess(pid, STOP_TIMEOUT_MS);
    progress(
      component.name,
      outcome === 'killed' ? `killed pid ${pid} after ${STOP_TIMEOUT_MS / 1000}s` : 'stopped',
    );
  } else {
    progress(component.name, 'not running');
  }
  removePid(component.name);
  return outcome;
}

/** Stops every component (SIGTERM, then SIGKILL after a timeout) and checks nothing of ours is left. */
export async function stopStack(opts: { quiet?: boolean; progress?: Progress } = {}): Promise<StopReport> {
  const progress = opts.progress ?? createProgress(opts.quiet);
  const entries = await Promise.all(
    STACK_COMPONENTS.map(
      async (component) => [component.name, await stopComponent(component, progress)] as const,
    ),
  );
  // Anything of ours still alive was started outside the pid files (a crashed CLI, an older checkout run).
  const strays = projectProcesses();
  for (const stray of strays) {
    progress('stop', `stopping stray process ${stray.pid}: ${stray.command.slice(0, 100)}`);
    await stopProcess(stray.pid, STOP_TIMEOUT_MS);
  }
  const leftovers = projectProcesses().map((p) => p.pid);
  const busyPorts: number[] = [];
  for (const component of STACK_COMPONENTS) {
    if (component.isExternal()) continue;
    if (await isPortOpen(component.port)) busyPorts.push(component.port);
  }
  return {
    components: Object.fromEntries(entries) as StopReport['components'],
    strays: strays.map((s) => s.pid),
    leftovers,
    busyPorts,
  };
}
