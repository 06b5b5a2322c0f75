// The soak's consumer: `npm run consume` as a child process, the way an operator runs it, with its output in a
// log file. The soak SIGKILLs and restarts it on purpose; any other exit is a finding, recorded, and the
// consumer is started again so that the soak still ends with every record consumed.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { consumeArgs } from '../consume-process.js';

export interface ConsumerProcessOptions {
  readonly topic: string;
  readonly group: string;
  readonly indexPrefix: string;
  readonly mysqlUrl: string;
  readonly logPath: string;
}

export interface UnexpectedExit {
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: string | null;
}

export class SupervisedConsumer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly started = Date.now();
  readonly unexpectedExits: UnexpectedExit[] = [];
  private closing = false;
  /** The process the soak killed on purpose, whose exit is no finding. */
  private killed: ChildProcess | undefined;

  constructor(private readonly options: ConsumerProcessOptions) {}

  start(): void {
    const { topic, group, indexPrefix, mysqlUrl, logPath } = this.options;
    mkdirSync(dirname(logPath), { recursive: true });
    const fd = openSync(logPath, 'a');
    try {
      const child = spawn(
        process.execPath,
        consumeArgs(['--topic', topic, '--group', group, '--index-prefix', indexPrefix, '--quiet']),
        { env: { ...process.env, MYSQL_URL: mysqlUrl }, stdio: ['ignore', fd, fd] },
      );
      this.child = child;
      this.exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          if (this.child === child) this.child = undefined;
          resolve();
          if (this.closing || this.killed === child) return;
          this.unexpectedExits.push({ atMs: Date.now() - this.started, code, signal });
          // Keep the soak going: the report names the exit, and the records still get consumed.
          setTimeout(() => {
            if (!this.closing && this.child === undefined) this.start();
          }, 2_000).unref();
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    this.killed = this.child;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and the exit code (the consumer drains and exits 0); SIGKILL if it hangs. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    this.closing = true;
    const child = this.child;
    if (child === undefined) return null;
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const code = await Promise.race([
      new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c))),
      sleep(timeoutMs).then(() => 'hung' as const),
    ]);
    if (code !== 'hung') return code;
    child.kill('SIGKILL');
    await this.exited;
    return null;
  }
}
