// Start-up checks of the consumer's dependencies (Kafka, the users database, OpenSearch): each must answer
// within a bounded wait, or the process stops with one line naming it. A dependency that never answered is a
// wrong address or a stack that is not up; once running, an outage is waited out without limit instead.
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { ConfigError, PipelineError, RetriableError, UnreachableError } from './errors.js';
import type { Logger } from './logger.js';
import { sleep } from './retry.js';

export interface Dependency {
  /** As people name it: `Kafka`, `MySQL`, `OpenSearch`. */
  readonly component: string;
  /** Where it was looked for, without a password. */
  readonly url: string;
  /** Resolves when it answers; a non-retriable PipelineError means waiting cannot help. */
  check(): Promise<void>;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** What the person should do about the dependencies that never answered (e.g. how to start the stack). */
  readonly fix: (unreachable: readonly Dependency[]) => string;
  readonly logger?: Logger;
  /** @default 1000 */
  readonly pollMs?: number;
}

/** The URL without its password, fit for a message. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch and kafkajs wrap the socket's error: its code says most (ECONNREFUSED 127.0.0.1:19200).
  const inner = error.cause instanceof Error ? error.cause : undefined;
  const text = inner !== undefined && error.message === 'fetch failed' ? inner.message : error.message;
  return text.replace(/\s*\n\s*/g, ' ');
}

/** Why a dependency never answered, before the message names them all. */
class NeverAnswered extends Error {
  constructor(
    readonly dependency: Dependency,
    readonly last: unknown,
  ) {
    super(reasonOf(last));
  }
}

/**
 * Waits, in parallel, until every dependency answers; rejects with one UnreachableError naming every one
 * that never did (with the stack down, all of them), or at once with a refusal that waiting cannot change.
 */
export async function waitForDependencies(
  dependencies: readonly Dependency[],
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const pollMs = options.pollMs ?? 1_000;
  let refused: unknown;
  const results = await Promise.allSettled(
    dependencies.map(async (dependency) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await dependency.check();
          if (attempt > 1) options.logger?.info(`${dependency.component} answers`, { url: dependency.url });
          return;
        } catch (error) {
          if (error instanceof PipelineError && !(error instanceof RetriableError)) {
            refused ??= error;
            throw error;
          }
          if (refused !== undefined || Date.now() + pollMs > deadline)
            throw new NeverAnswered(dependency, error);
          if (attempt === 1) {
            options.logger?.info(`waiting for ${dependency.component}`, {
              url: dependency.url,
              reason: reasonOf(error),
              timeoutSeconds: Math.round(options.timeoutMs / 1000),
            });
          }
          await sleep(pollMs);
        }
      }
    }),
  );
  if (refused !== undefined) throw refused;
  const never = results.flatMap((r) =>
    r.status === 'rejected' && r.reason instanceof NeverAnswered ? [r.reason] : [],
  );
  const other = results.find((r) => r.status === 'rejected' && !(r.reason instanceof NeverAnswered));
  if (other?.status === 'rejected') throw other.reason;
  if (never.length === 0) return;
  throw new UnreachableError(
    never.map((n) => ({ component: n.dependency.component, url: n.dependency.url, reason: n.message })),
    options.fix(never.map((n) => n.dependency)),
    { cause: never[0]?.last },
  );
}

function requireUrl(component: string, url: string, protocols: readonly string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`the ${component} URL '${redactUrl(url)}' is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(
      `the ${component} URL '${redactUrl(url)}' must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
  }
}

/** Kafka answers a metadata request (one attempt per check, short timeouts). */
export function kafkaDependency(brokers: readonly string[]): Dependency {
  return {
    component: 'Kafka',
    url: brokers.join(','),
    async check() {
      const admin = new Kafka({
        clientId: 'startup-check',
        brokers: [...brokers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 3_000,
        requestTimeout: 5_000,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

/** Errors of a server that answered but will not let us in: waiting would not change them. */
const MYSQL_REFUSALS = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

/** The users database accepts a connection and a query. */
export function mysqlDependency(url: string): Dependency {
  return {
    component: 'MySQL',
    url: redactUrl(url),
    async check() {
      requireUrl('MySQL', url, ['mysql:']);
      try {
        const connection = await createConnection({ uri: url, connectTimeout: 3_000 });
        try {
          await connection.query('SELECT 1');
        } finally {
          await connection.end().catch(() => undefined);
        }
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== undefined && MYSQL_REFUSALS.has(code)) {
          throw new ConfigError(`MySQL at ${redactUrl(url)} refused us: ${(error as Error).message}`, {
            cause: error,
          });
        }
        throw error;
      }
    },
  };
}

/** OpenSearch answers its cluster health. */
export function opensearchDependency(url: string): Dependency {
  return {
    component: 'OpenSearch',
    url: redactUrl(url),
    async check() {
      requireUrl('OpenSearch', url, ['http:', 'https:']);
      const response = await fetch(`${url.replace(/\/+$/, '')}/_cluster/health`, {
        signal: AbortSignal.timeout(5_000),
      });
      await response.body?.cancel();
      // 401/403: it answers but refuses us; credentials do not fix themselves.
      if (response.status === 401 || response.status === 403) {
        throw new ConfigError(`OpenSearch at ${redactUrl(url)} refused us: HTTP ${response.status}`);
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    },
  };
}
