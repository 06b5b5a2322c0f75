// The live local dashboard's HTTP server (node:http, loopback only): the static page, uPlot from
// node_modules (no CDN), and the JSON endpoints the page polls. A component that is down is reported in its
// endpoint's answer ({ ok: false, error }), never by failing the server: the page says so and recovers.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, errors } from '@opensearch-project/opensearch';
import { Kafka, logLevel } from 'kafkajs';
import { LOCAL_HOST } from '../endpoints.js';
import { lazyAdmin } from '../pipeline.js';
import { countsReader } from './counts.js';
import { consumerGroupLags } from './lag.js';

export interface DashboardOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly indexPrefix: string;
  readonly opensearchUrl: string;
  readonly brokers: readonly string[];
  /** How often the page polls the endpoints. */
  readonly refreshSeconds: number;
}

export interface RunningDashboard {
  readonly url: string;
  readonly server: Server;
  /** What is wrong with OpenSearch and Kafka now, in one line (undefined: both answer); not a condition to run. */
  probe(): Promise<string | undefined>;
  close(): Promise<void>;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

/** The page's files: a fixed table, so no request path ever reaches the file system. */
const FILES: Record<string, { path: string; type: string }> = {
  '/': { path: join(STATIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/dashboard.js': { path: join(STATIC_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { path: join(STATIC_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    path: join(UPLOT_DIR, 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const FIX = 'start the stack with `npm run stack:start`';

/** What went wrong with a component; `unreachable` problems share one fix. */
export interface Problem {
  readonly message: string;
  readonly unreachable: boolean;
}

const withFix = (p: Problem) => (p.unreachable ? `${p.message}: ${FIX}` : p.message);

export function searchProblem(error: unknown, url: string): Problem {
  if (error instanceof errors.ResponseError) {
    return {
      message: `OpenSearch at ${url} answered HTTP ${error.statusCode}: ${error.message}`,
      unreachable: false,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  const unreachable =
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError;
  return unreachable
    ? { message: `OpenSearch unreachable at ${url} (${message})`, unreachable }
    : { message: `reading OpenSearch at ${url} failed: ${message}`, unreachable };
}

export function kafkaProblem(error: unknown, brokers: readonly string[]): Problem {
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  return /Connection|NumberOfRetriesExceeded|Timeout/.test(name)
    ? { message: `Kafka unreachable at ${brokers.join(',')} (${message})`, unreachable: true }
    : { message: `Kafka at ${brokers.join(',')}: ${message}`, unreachable: false };
}

/** Runs `task` once for all callers that ask while it is in flight: pollers never pile up requests. */
function singleFlight<T>(task: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => {
    running ??= task().finally(() => {
      running = undefined;
    });
    return running;
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, body: unknown) =>
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(body));

export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { opensearchUrl, brokers } = options;
  // Short timeouts and no retries: the page polls again in a few seconds, and a down stack must show fast.
  const search = new Client({ node: opensearchUrl, requestTimeout: 5_000, maxRetries: 0 });
  const counts = countsReader(search, options.indexPrefix);
  // kafkajs would log every failed poll; the page and the lag endpoint report them instead.
  const kafka = new Kafka({
    clientId: 'log-pipeline-dashboard',
    brokers: [...brokers],
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 1 },
    logLevel: logLevel.NOTHING,
  });
  const admin = lazyAdmin(kafka);

  const readCounts = singleFlight(async () => {
    try {
      return { ok: true as const, opensearchUrl, ...(await counts.read()) };
    } catch (error) {
      return { ok: false as const, opensearchUrl, problem: searchProblem(error, opensearchUrl) };
    }
  });
  const readLag = singleFlight(async () => {
    try {
      return { ok: true as const, brokers, groups: await consumerGroupLags(await admin.get()) };
    } catch (error) {
      await admin.drop();
      return { ok: false as const, brokers, problem: kafkaProblem(error, brokers) };
    }
  });
  const config = {
    indexPrefix: options.indexPrefix,
    refreshMs: Math.round(options.refreshSeconds * 1000),
    opensearchUrl,
    brokers,
  };

  /** An endpoint's JSON: the data, or `error`, one line saying what is wrong and what to do. */
  const answer = <T extends { problem?: Problem }>({ problem, ...rest }: T) => ({
    at: Date.now(),
    ...rest,
    ...(problem && { error: withFix(problem) }),
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'only GET\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/api/config') return json(res, config);
    if (path === '/api/counts') return json(res, answer(await readCounts()));
    if (path === '/api/lag') return json(res, answer(await readLag()));
    const file = FILES[path];
    if (!file) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    send(res, 200, file.type, await readFile(file.path));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${(error as Error).message}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, LOCAL_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${LOCAL_HOST}:${port}/`,
    server,
    probe: async () => {
      const answers = await Promise.all([readCounts(), readLag()]);
      const problems = answers.flatMap((a) => (a.ok ? [] : [a.problem]));
      if (problems.length === 0) return undefined;
      const fix = problems.some((p) => p.unreachable) ? `: ${FIX}` : '';
      return `${problems.map((p) => p.message).join('; ')}${fix}`;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // The page's keep-alive connections would hold close() open until they time out.
      server.closeAllConnections();
      await closed;
      await admin.drop();
      await search.close();
    },
  };
}
