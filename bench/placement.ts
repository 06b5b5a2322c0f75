// Where the end-to-end bench runs its processes. Unpinned, the consumer (or the raw client) shares every core
// with Kafka, OpenSearch and MariaDB, so a low ratio may only say that the sink lacked CPU. Pinned, the local
// stack gets core 0 and the measured client core 1 (`taskset`, every thread): the client then has a core of its
// own, and a ratio below 1 says it leaves the sink idle rather than that they fought over the CPU.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { ComponentName } from '../local/components/paths.js';
import { readPid } from '../local/components/processes.js';

export type Placement = 'unpinned' | 'pinned';

/** The cores of the stack and of the measured client when pinned. */
export const STACK_CORE = '0';
export const CLIENT_CORE = '1';

const STACK: readonly ComponentName[] = ['kafka', 'opensearch', 'mariadb'];

/** Why pinning cannot be done on this machine, or undefined when it can (two cores or more, and taskset). */
export function cannotPin(): string | undefined {
  if (cpus().length < 2) return 'one core only';
  if (spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no taskset (util-linux)';
  return undefined;
}

/**
 * Why the running stack cannot be placed, or undefined when it can: pinning needs the pids of the Kafka and the
 * OpenSearch this checkout started (MariaDB may be an external server), or "pinned" runs would be unpinned
 * without a word.
 */
export function cannotPlaceStack(): string | undefined {
  const unknown = STACK.filter((component) => component !== 'mariadb' && readPid(component) === undefined);
  if (unknown.length === 0) return undefined;
  return `${unknown.join(' and ')} not started by this checkout's npm run stack:start (no pid file under .local/run): run the bench in the checkout that started the stack`;
}

// Every core of the machine: not availableParallelism(), which counts only this process's affinity (one core once
// pinned), so that undoing the pinning after a pinned run would have pinned everything to core 0.
export const allCores = (): string => `0-${cpus().length - 1}`;

/** Sets the CPU affinity of every thread of `pid`. */
function setAffinity(pid: number, cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset -a -cp ${cpus} ${pid} failed: ${result.stderr.trim()}`);
}

/**
 * Puts the local stack and this process where `placement` says: pinned, the stack on STACK_CORE and this process
 * (which posts the raw client's requests and watches the runs) on CLIENT_CORE; unpinned, everything on every core.
 */
export function place(placement: Placement): void {
  const pinned = placement === 'pinned';
  for (const component of STACK) {
    const pid = readPid(component);
    // MariaDB may be an external server (MYSQL_URL): then it is not ours to pin.
    if (pid !== undefined) setAffinity(pid, pinned ? STACK_CORE : allCores());
  }
  setAffinity(process.pid, pinned ? CLIENT_CORE : allCores());
}

/** The command that starts `command args` where `placement` puts the measured client. */
export function placedCommand(
  placement: Placement,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  return placement === 'pinned'
    ? { command: 'taskset', args: ['-c', CLIENT_CORE, command, ...args] }
    : { command, args: [...args] };
}
