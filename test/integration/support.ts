// Shared set-up of the integration tests: they run against the real local stack (started by
// `npm run stack:start` or `.ci/run`) with names unique to the run, and clean up after themselves.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { createConnection } from 'mysql2/promise';
import type { RunningConsumer } from '../../core/consumer.js';
import { templateName } from '../../core/index-templates.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import type { ComponentName } from '../../local/components/paths.js';
import { readPid } from '../../local/components/processes.js';
import { consumeArgs } from '../../local/consume-process.js';
import { localEndpoints } from '../../local/endpoints.js';
import {
  countIndexed,
  createLocalPipeline,
  type LocalPipeline,
  prepareIndices,
  refreshIndices,
} from '../../local/pipeline.js';

export const endpoints = localEndpoints();

/** Lower-case, unique per call: usable as topic, index prefix, group and database name. */
export function uniqueName(label: string): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Fails with instructions when the local stack is not up, instead of timing out obscurely. */
export async function requireStack(): Promise<void> {
  const search = new Client({ node: endpoints.opensearchUrl, requestTimeout: 5_000 });
  try {
    await search.cluster.health({});
    const db = await createConnection({ uri: endpoints.mysqlUrl, connectTimeout: 5_000 });
    await db.end();
  } catch (error) {
    throw new Error(
      `the local stack is not up (${(error as Error).message}): run \`npm run stack:start\` first`,
    );
  } finally {
    await search.close();
  }
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh database on the local server, for one test file. */
export async function createTestDatabase(name: string): Promise<TestDatabase> {
  const admin = await createConnection({ uri: endpoints.mysqlUrl });
  await admin.query(`CREATE DATABASE ${admin.escapeId(name)}`);
  await admin.end();
  const url = new URL(endpoints.mysqlUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const conn = await createConnection({ uri: endpoints.mysqlUrl });
      await conn.query(`DROP DATABASE IF EXISTS ${conn.escapeId(name)}`);
      await conn.end();
    },
  };
}

export async function deleteIndices(search: Client, prefix: string): Promise<void> {
  await search.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
  await search.indices.deleteIndexTemplate({ name: templateName(prefix) }).catch(() => undefined);
}

/** Polls `check` until it returns true or `timeoutMs` passes; the error names what was awaited. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface TestEnvironment {
  readonly topic: string;
  readonly prefix: string;
  readonly db: TestDatabase;
  readonly pipeline: LocalPipeline;
}

/** A fresh database, the local pipeline wired to it, and the index templates of `prefix`. */
export async function createTestEnvironment(
  topic: string,
  prefix: string,
  label: string,
): Promise<TestEnvironment> {
  await requireStack();
  const db = await createTestDatabase(uniqueName(`it_${label}_`));
  const pipeline = createLocalPipeline({
    ...endpoints,
    mysqlUrl: db.url,
    indexPrefix: prefix,
    logger: silentLogger,
  });
  await prepareIndices(pipeline.search, prefix);
  return { topic, prefix, db, pipeline };
}

/** Removes what createTestEnvironment and the test made: indices, templates, topic, database. */
export async function disposeTestEnvironment({
  topic,
  prefix,
  db,
  pipeline,
}: TestEnvironment): Promise<void> {
  await deleteIndices(pipeline.search, prefix);
  const admin = pipeline.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await pipeline.close();
  await db.drop();
}

/** A logger that keeps each message with its fields, to see what the consumer went through. */
export function recordingLogger(entries: { message: string; fields?: Record<string, unknown> }[]): Logger {
  const record = (message: string, fields?: Record<string, unknown>) => {
    entries.push({ message, fields });
  };
  return { debug: record, info: record, warn: record, error: record, child: () => recordingLogger(entries) };
}

export interface ConsumerProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code and everything written to stderr. */
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/** `npm run consume` as a child process, against a test database: how an operator runs it. */
export function startConsumerProcess(
  args: readonly string[],
  mysqlUrl: string,
  env: NodeJS.ProcessEnv = {},
): ConsumerProcess {
  const child = spawn(process.execPath, consumeArgs(['--quiet', ...args]), {
    env: { ...process.env, MYSQL_URL: mysqlUrl, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stderr }));
  });
  return { child, exited };
}

/** Total documents of a prefix, as searchable now. */
export async function indexedTotal(pipeline: LocalPipeline, prefix: string): Promise<number> {
  await refreshIndices(pipeline.search, prefix);
  const counts = await countIndexed(pipeline.search, prefix);
  return counts.good + counts.suspicious + counts.bad;
}

/** SIGKILLs a component of the local stack, as a crash would (restart it with startComponent). */
export function killComponent(name: ComponentName): void {
  const pid = readPid(name);
  if (pid === undefined) throw new Error(`${name} is not running: no pid file`);
  process.kill(pid, 'SIGKILL');
}

/** Records why a running consumer stopped, if it does: `failure()` is undefined while it keeps going. */
export function watchFailure(running: RunningConsumer): () => unknown {
  let failed: unknown;
  running.done.catch((error: unknown) => {
    failed = error;
  });
  return () => failed;
}
