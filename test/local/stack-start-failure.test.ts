// A local stack that cannot start, for real: a dummy listener takes Kafka's controller port, so the broker
// exits at start. The demo (which starts the stack) then says which component failed, shows the last lines of
// its log and the fix, exits 1, and stops what it had started: no process of this project is left behind.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logFile } from '../../local/components/paths.js';
import { projectProcesses, readPid } from '../../local/components/processes.js';
import { LOCAL_HOST, LOCAL_PORTS } from '../../local/endpoints.js';
import { ensureStackUp, stopStack } from '../../local/stack.js';

const execFileAsync = promisify(execFile);

describe('a local stack that cannot start', () => {
  let squatter: Server;

  beforeAll(async () => {
    await stopStack({ quiet: true });
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => squatter.listen(LOCAL_PORTS.kafkaController, LOCAL_HOST, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    // Back up for the tests that follow.
    await ensureStackUp({ quiet: true });
  });

  it('makes the demo name the component, show its log and the fix, exit 1 and leave nothing running', async () => {
    const outcome = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'local/demo.ts', '--events', '100'],
      { env: process.env, timeout: 240_000 },
    ).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
        stderr: error.stderr ?? '',
      }),
    );

    expect(outcome.code, outcome.output).toBe(1);
    const stderr = (outcome as { stderr: string }).stderr;
    expect(stderr).toMatch(/^demo: local stack failed to start: kafka: process \d+ exited during start-up$/m);
    expect(stderr).toContain(`✗ kafka: process`);
    expect(stderr).toContain(`last lines of ${logFile('kafka')}:`);
    // The broker's own words, quoted from its log.
    expect(stderr).toMatch(/^ {2}\| .*(Address already in use|BindException)/m);
    const logLines = stderr.split('\n').filter((line) => line.startsWith('  | '));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.length).toBeLessThanOrEqual(15);
    expect(stderr).toContain(
      `fix: a port of kafka (${LOCAL_PORTS.kafka}, ${LOCAL_PORTS.kafkaController}) is taken by another process`,
    );
    expect(stderr).toMatch(
      /stopped again what this start had started: (opensearch, mariadb|mariadb, opensearch)/,
    );
    // Nothing of the stack is left: no process of this project, no pid file.
    expect(projectProcesses()).toEqual([]);
    expect([readPid('kafka'), readPid('opensearch'), readPid('mariadb')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
