// The start-up rules of the local stack, with fake components (shell processes) instead of Kafka & co.
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Component } from '../../local/components/component.js';
import { ComponentStartError } from '../../local/components/errors.js';
import {
  FAILURE_LOG_LINES,
  lastLogLine,
  StackStartError,
  startComponent,
} from '../../local/components/lifecycle.js';
import { type ComponentName, logFile } from '../../local/components/paths.js';
import {
  readPid,
  removePid,
  spawnDetached,
  stopProcess,
  tailFile,
} from '../../local/components/processes.js';

const silent = () => undefined;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function fakeName(): ComponentName {
  const name = `fake-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}` as ComponentName;
  cleanups.push(() => {
    removePid(name);
    rmSync(logFile(name), { force: true });
  });
  return name;
}

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function fake(name: ComponentName, overrides: Partial<Component>): Component {
  return {
    name,
    port: 1,
    healthTimeoutMs: 10_000,
    isExternal: () => false,
    probe: async () => false,
    prepare: async () => undefined,
    launch: () => spawnDetached('sleep', ['30'], { logPath: logFile(name) }),
    version: async () => undefined,
    ...overrides,
  };
}

describe('startComponent', () => {
  it('fails with the log path when the process exits during start-up, and the log has its output', async () => {
    const name = fakeName();
    const component = fake(name, {
      launch: () => spawnDetached('sh', ['-c', 'echo boom: bad config; exit 3'], { logPath: logFile(name) }),
    });

    const failure = await startComponent(component, silent).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(ComponentStartError);
    expect((failure as ComponentStartError).message).toMatch(/exited during start-up/);
    expect((failure as ComponentStartError).logPath).toBe(logFile(name));
    expect(tailFile(logFile(name))).toContain('boom: bad config');
  });

  it("names a bind failure from this start's output even when the last lines have scrolled past it", async () => {
    const name = fakeName();
    // A previous start's failure in the same log must not be taken for this one's.
    writeFileSync(logFile(name), 'No space left on device\n');
    const trailer = Array.from({ length: 20 }, (_, i) => `\tat frame${i}`).join('\n');
    const component = fake(name, {
      launch: () =>
        spawnDetached(
          'sh',
          [
            '-c',
            `echo 'Caused by: java.net.BindException: Address already in use'; printf '${trailer}\\n'; exit 1`,
          ],
          { logPath: logFile(name) },
        ),
    });

    const failure = (await startComponent(component, silent).catch((e: unknown) => e)) as ComponentStartError;

    expect(failure.fix).toMatch(/^a port of fake-.* is taken by another process/);
    expect(failure.causeLine).toBe('Caused by: java.net.BindException: Address already in use');
    const shown = new StackStartError([failure]).details.split('\n').filter((l) => l.startsWith('  | '));
    expect(shown).toHaveLength(FAILURE_LOG_LINES);
    expect(shown[0]).toBe('  | Caused by: java.net.BindException: Address already in use');
    expect(shown.at(-1)).toBe('  | \tat frame19');
  });

  it('starts the process, waits until it is healthy and records its pid', async () => {
    const name = fakeName();
    let probes = 0;
    let launched: number | undefined;
    const component = fake(name, {
      startupProbe: async () => ++probes >= 3,
      launch: () => {
        launched = spawnDetached('sleep', ['30'], { logPath: logFile(name) });
        cleanups.push(async () => {
          await stopProcess(launched as number, 5_000);
        });
        return launched;
      },
    });

    expect(await startComponent(component, silent)).toBe('started');
    expect(readPid(name)).toBe(launched);
    expect(probes).toBe(3);
  });

  it('reuses a component that already answers on its port without preparing anything', async () => {
    const { port } = await listen();
    let prepared = false;
    const component = fake(fakeName(), {
      port,
      probe: async () => true,
      prepare: async () => {
        prepared = true;
      },
    });

    expect(await startComponent(component, silent)).toBe('reused');
    expect(prepared).toBe(false);
  });

  it('refuses to start when its port is taken by something else', async () => {
    const { port } = await listen();
    const component = fake(fakeName(), { port });

    await expect(startComponent(component, silent)).rejects.toThrow(/port \d+ is in use by another process/);
  });

  it('only checks an external component and fails when it does not answer', async () => {
    const component = fake(fakeName(), { isExternal: () => true });

    await expect(startComponent(component, silent)).rejects.toThrow(/does not answer/);
  });
});

describe('lastLogLine', () => {
  it('keeps the message of the last line, without its brackets', () => {
    expect(
      lastLogLine(
        '[2026-12-01T23:38:59,600][INFO ][o.o.n.Node    ] [node] initializing\n[2026-12-01T23:38:59,607][INFO ][o.o.n.Node               ] started\n',
      ),
    ).toBe('started');
    expect(lastLogLine('')).toBe('');
  });
});
