// Process plumbing for the local stack: detached spawning with output to a log file, pid files, liveness,
// graceful stop with a SIGKILL fallback, port probes and a scan for stray processes of this project.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ComponentName, LOCAL_DIR, pidFile } from './paths.js';

export function readPid(component: ComponentName): number | undefined {
  const file = pidFile(component);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export function writePid(component: ComponentName, pid: number): void {
  mkdirSync(dirname(pidFile(component)), { recursive: true });
  writeFileSync(pidFile(component), `${pid}\n`);
}

export function removePid(component: ComponentName): void {
  rmSync(pidFile(component), { force: true });
}

/** The command line of a process, or undefined when it is gone. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/**
 * The fields of /proc/<pid>/stat after the parenthesised command name, which may hold spaces: [0] is field 3
 * (the state), [11] and [12] fields 14 and 15 (user and system CPU time). Undefined when the process is gone.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True when the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  // Z = zombie, X = dead.
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** CPU time a process has used, user plus system, in clock ticks (1/100 s); undefined when it is gone. */
export function cpuTicks(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields === undefined ? undefined : Number(fields[11]) + Number(fields[12]);
}

/** True when the pid is alive and its command line points into this project's `.local` folder. */
export function isOurProcess(pid: number): boolean {
  return isAlive(pid) && (commandLine(pid)?.includes(LOCAL_DIR) ?? false);
}

/** Resident memory of a process in KiB (what `ps -o rss` shows), undefined when it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface SpawnDetachedOptions {
  readonly logPath: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts a process that outlives this CLI: its own process group, stdio appended to the log file and
 * no reference held by the event loop. Returns its pid.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: SpawnDetachedOptions,
): number {
  mkdirSync(dirname(options.logPath), { recursive: true });
  const fd = openSync(options.logPath, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) {
      throw new Error(`could not spawn ${command}`);
    }
    // A spawn error (e.g. ENOENT) is also reported asynchronously: keep it from crashing the CLI.
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM, wait up to `timeoutMs`, then SIGKILL. Resolves to how the process ended. */
export async function stopProcess(
  pid: number,
  timeoutMs: number,
): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'not-running';
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(200);
  }
  signal(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  return 'killed';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    // ESRCH: it exited between the check and the signal, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface ProjectProcess {
  readonly pid: number;
  readonly command: string;
}

/** Java and MariaDB processes whose command line points into this project's `.local` folder. */
export function projectProcesses(): ProjectProcess[] {
  const found: ProjectProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const command = commandLine(pid);
    if (!command?.includes(LOCAL_DIR) || !isAlive(pid)) continue;
    const exe = command.split(' ')[0] ?? '';
    if (/(^|\/)(java|mariadbd|mysqld)$/.test(exe)) found.push({ pid, command });
  }
  return found;
}

/** The last `lines` lines of a file ('' when it does not exist). */
/** The size of a log file, 0 when there is none: where the next start's output begins. */
export function logSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/** What was written to a log from byte `offset` on (all of it if the file was truncated since). */
export function readLogSince(path: string, offset: number): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path);
  return text.subarray(offset <= text.length ? offset : 0).toString('utf8');
}

export function tailFile(path: string, lines = 20): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
