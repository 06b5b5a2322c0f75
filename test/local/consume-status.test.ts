// `npm run consume` off a terminal (stderr a pipe, as under CI, systemd or a log file): no status line every
// few seconds while idle, only now and then and only when the counts or the lag moved.
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGenerator } from '../../generator/run.js';
import { consumeArgs } from '../../local/consume-process.js';
import { ensureTopic } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from '../integration/support.js';

interface Consumer {
  readonly child: ChildProcess;
  lines(): string[];
}

describe('npm run consume off a terminal', () => {
  let env: TestEnvironment;
  const topic = uniqueName('it-status-');
  const prefix = uniqueName('it-status-');
  const consumers: Consumer[] = [];

  function consume(group: string, ...args: string[]): Consumer {
    const child = spawn(
      process.execPath,
      consumeArgs(['--topic', topic, '--group', group, '--index-prefix', prefix, ...args]),
      { env: { ...process.env, MYSQL_URL: env.db.url }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const consumer = { child, lines: () => stderr.split('\n').filter((line) => line !== '') };
    consumers.push(consumer);
    return consumer;
  }

  const statusLines = (consumer: Consumer) => consumer.lines().filter((line) => line.startsWith('consumed '));
  const groupStable = (group: string) => async () => {
    const admin = env.pipeline.kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([group]);
      return groups[0]?.state === 'Stable';
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    env = await createTestEnvironment(topic, prefix, 'status');
    await ensureTopic(env.pipeline.kafka, topic, 1);
  });

  afterAll(async () => {
    for (const { child } of consumers) child.kill('SIGTERM');
    await disposeTestEnvironment(env);
  });

  it('writes nothing while idle, and one line when records came, then nothing again', async () => {
    const byDefault = consume(uniqueName('it-status-default-'));
    const everySecond = consume(uniqueName('it-status-1s-'), '--status-every', '1s');
    for (const consumer of [byDefault, everySecond]) {
      const group = consumer.child.spawnargs[consumer.child.spawnargs.indexOf('--group') + 1] as string;
      await waitFor(`group ${group} to be stable`, () => groupStable(group)().catch(() => false), 60_000);
    }

    // Idle: the old consumer wrote a line every 2 s here; now neither writes one, even every second.
    const before = [byDefault.lines().length, everySecond.lines().length];
    await sleep(10_000);
    expect([byDefault.lines().length, everySecond.lines().length]).toEqual(before);

    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: 500,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.1,
      seed: 'status',
      accounts: 100,
      mysqlUrl: env.db.url,
    });
    await waitFor(
      'a status line with every record consumed',
      async () =>
        statusLines(everySecond).some(
          (line) => line.startsWith(`consumed ${truth.sent} |`) && line.includes('| lag 0 |'),
        ),
      60_000,
    );
    // Caught up: nothing moves, nothing is written.
    const settled = everySecond.lines().length;
    await sleep(5_000);
    expect(everySecond.lines().length).toBe(settled);
    expect(statusLines(everySecond).length).toBeLessThanOrEqual(4);
  });
});
