// The live local dashboard in a real browser: known events through the real pipeline (generator → Kafka →
// consumer → OpenSearch), the dashboard server against the real stack, the page in headless Chromium
// (Debian's package, puppeteer-core). The numbers on the page must be OpenSearch's, the chart must plot every
// event, lag must follow Kafka, and a down stack must show as such. Keeps a screenshot in test-artifacts/.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConsumer } from '../../core/consumer.js';
import { CATEGORIES, type Category, categoryAlias } from '../../core/documents.js';
import { silentLogger } from '../../core/logger.js';
import { createIdempotentProducer } from '../../core/producer.js';
import { runGenerator } from '../../generator/run.js';
import { ensureChromium } from '../../local/chromium.js';
import { type RunningDashboard, startDashboard } from '../../local/dashboard/server.js';
import { refreshIndices } from '../../local/pipeline.js';
import {
  createTestEnvironment,
  disposeTestEnvironment,
  endpoints,
  type TestEnvironment,
  uniqueName,
  waitFor,
} from '../integration/support.js';

const SCREENSHOT = resolve('test-artifacts/dashboard.png');
const EVENTS = 600;

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await ensureChromium((line) => console.log(line)),
    headless: true,
    // Chromium's sandbox refuses to run as root (CI and the dev machines are root).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

async function pageTotals(page: Page): Promise<Record<Category, number>> {
  const read = (id: string) =>
    page.$eval(`#${id}`, (el) => Number((el.textContent ?? '').replaceAll(',', '')));
  return {
    good: await read('total-good'),
    suspicious: await read('total-suspicious'),
    bad: await read('total-bad'),
  };
}

describe('the live local dashboard in headless Chromium', () => {
  const topic = uniqueName('it-dashboard-');
  const prefix = uniqueName('it-dashboard-');
  const group = uniqueName('it-dashboard-group-');
  let env: TestEnvironment;
  let browser: Browser;
  let dashboard: RunningDashboard;
  let expected: Record<Category, number>;

  beforeAll(async () => {
    browser = await launchChromium();
    env = await createTestEnvironment(topic, prefix, 'dashboard');
    const truth = await runGenerator({
      topic,
      brokers: endpoints.brokers,
      count: EVENTS,
      rate: 0,
      badRatio: 0.2,
      suspiciousRatio: 0.25,
      seed: 'dashboard-test',
      accounts: 200,
      mysqlUrl: env.db.url,
      partitions: 2,
    });
    expected = truth.byCategory;
    const running = await runConsumer({
      kafka: env.pipeline.kafka,
      groupId: group,
      topic,
      process: env.pipeline.process,
      logger: silentLogger,
    });
    try {
      await waitFor(`group ${group} to commit every offset`, async () => {
        return (await env.pipeline.lag(group, topic)) === 0;
      });
    } finally {
      await running.stop();
    }
    await refreshIndices(env.pipeline.search, prefix);
    dashboard = await startDashboard({
      port: 0,
      indexPrefix: prefix,
      opensearchUrl: endpoints.opensearchUrl,
      brokers: endpoints.brokers,
      refreshSeconds: 1,
    });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    if (env) {
      const admin = env.pipeline.kafka.admin();
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => undefined);
      await admin.disconnect();
      await disposeTestEnvironment(env);
    }
  });

  it('shows the totals per category that OpenSearch counts, and charts every event', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1240, height: 900 });
    await page.goto(dashboard.url);
    await page.waitForSelector('body[data-counts="ok"] #chart[data-renders] canvas');

    // Counted through each category's alias: another path than the page's saved-visualisation query.
    const inOpenSearch = Object.fromEntries(
      await Promise.all(
        CATEGORIES.map(async (c) => {
          const response = await env.pipeline.search.count({ index: categoryAlias(prefix, c) });
          return [c, response.body.count] as const;
        }),
      ),
    ) as Record<Category, number>;
    expect(inOpenSearch).toEqual(expected);
    expect(await pageTotals(page)).toEqual(inOpenSearch);
    expect(await page.$eval('#total-all', (el) => el.textContent)).toBe(EVENTS.toLocaleString('en-US'));
    expect(await page.$eval('#chart', (el) => Number(el.getAttribute('data-plotted')))).toBe(EVENTS);
    expect(await page.$eval('#search-status', (el) => el.hidden)).toBe(true);

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
    await page.close();
  });

  it("shows each consumer group's lag as Kafka counts it", async () => {
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    const lagCell = `#lag tr[data-group="${group}"][data-topic="${topic}"] td.lag`;
    await page.waitForSelector(lagCell);
    expect(await page.$eval(lagCell, (el) => el.textContent)).toBe('0');

    // Seven records the group has not read (its consumer is stopped): the page must say 7 within a poll.
    const producer = createIdempotentProducer(env.pipeline.kafka);
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 7 }, (_, i) => ({ key: String(i), value: 'not json' })),
    });
    await producer.disconnect();
    expect(await env.pipeline.lag(group, topic)).toBe(7);
    await waitFor(
      'the page to show a lag of 7',
      async () => (await page.$eval(lagCell, (el) => el.textContent)) === '7',
    );
    await page.close();
  });

  it('says which component is unreachable, and keeps serving the page', async () => {
    const [searchPort, kafkaPort] = [await closedPort(), await closedPort()];
    const down = await startDashboard({
      port: 0,
      indexPrefix: prefix,
      opensearchUrl: `http://127.0.0.1:${searchPort}`,
      brokers: [`127.0.0.1:${kafkaPort}`],
      refreshSeconds: 1,
    });
    try {
      const page = await browser.newPage();
      await page.goto(down.url);
      await page.waitForSelector('body[data-counts="error"][data-lag="error"]');
      const search = await page.$eval('#search-status', (el) => el.textContent);
      expect(search).toContain(`OpenSearch unreachable at http://127.0.0.1:${searchPort}`);
      expect(search).toContain('npm run stack:start');
      expect(await page.$eval('#kafka-status', (el) => el.textContent)).toContain(
        `Kafka unreachable at 127.0.0.1:${kafkaPort}`,
      );
      // Still polling, still answering: a second round of the same answers.
      const rendered = await page.$eval('#updated', (el) => el.textContent);
      await waitFor(
        'the page to poll again',
        async () => (await page.$eval('#updated', (el) => el.textContent)) !== rendered,
      );
      expect((await fetch(`${down.url}api/config`)).status).toBe(200);
      await page.close();
    } finally {
      await down.close();
    }
  });
});

describe('npm run dashboard', () => {
  function run(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/dashboard.ts', ...args], {
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    return { child, exited, out: () => stdout, err: () => stderr };
  }

  it('rejects an unknown option with one line and exit 2', async () => {
    const cli = run(['--bogus']);
    expect(await cli.exited).toBe(2);
    expect(cli.err().trim().split('\n')).toEqual(["dashboard: unknown option '--bogus' (see --help)"]);
  });

  it('starts with the stack down, says so in one line, and stops on SIGTERM', async () => {
    const [searchPort, kafkaPort] = [await closedPort(), await closedPort()];
    const cli = run(['--port', '0'], {
      OPENSEARCH_URL: `http://127.0.0.1:${searchPort}`,
      KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    });
    await waitFor('the start-up report', async () => cli.out().split('\n').length > 2);
    const [urlLine, downLine] = cli.out().trim().split('\n');
    expect(urlLine).toMatch(/^dashboard {2}http:\/\/127\.0\.0\.1:\d+\/ /);
    expect(downLine).toContain(`OpenSearch unreachable at http://127.0.0.1:${searchPort}`);
    expect(downLine).toContain(`Kafka unreachable at 127.0.0.1:${kafkaPort}`);
    const url = /http:\/\/\S+\//.exec(urlLine)?.[0];
    expect((await fetch(`${url}api/counts`)).status).toBe(200);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    expect(cli.err()).toBe('');
  });
});
