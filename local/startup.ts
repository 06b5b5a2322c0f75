// The local commands' start-up check: before touching anything, the parts of the local stack a command needs
// must answer within `--startup-timeout` (or STARTUP_TIMEOUT); one that never does ends the command with one
// line naming it, its URL and the fix.
import { Option } from 'commander';
import {
  type Dependency,
  kafkaDependency,
  mysqlDependency,
  opensearchDependency,
  waitForDependencies,
} from '../core/dependencies.js';
import { EnvError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { durationMs, STACK_START_HINT, UsageError } from './cli.js';
import type { LocalEndpoints } from './endpoints.js';

/** Long enough for a component restarting after a crash, short enough to notice a wrong address. */
export const DEFAULT_STARTUP_TIMEOUT = '30s';

/** `--startup-timeout <duration>`, defaulting to STARTUP_TIMEOUT or DEFAULT_STARTUP_TIMEOUT, in ms. */
export function startupTimeoutOption(env: NodeJS.ProcessEnv = process.env): Option {
  const fromEnv = env.STARTUP_TIMEOUT?.trim() ? env.STARTUP_TIMEOUT : undefined;
  return new Option(
    '--startup-timeout <duration>',
    'how long to wait at start for the stack to answer, e.g. 60s or 2m (env STARTUP_TIMEOUT)',
  )
    .argParser((raw: string) => durationMs('--startup-timeout', raw))
    .default(
      envDuration('STARTUP_TIMEOUT', fromEnv ?? DEFAULT_STARTUP_TIMEOUT),
      fromEnv ?? DEFAULT_STARTUP_TIMEOUT,
    );
}

/** A duration from the environment: the flag's rule, and a bad value an EnvError like any other variable's. */
function envDuration(name: string, raw: string): number {
  try {
    return durationMs(`environment variable ${name}`, raw);
  } catch (error) {
    if (error instanceof UsageError) throw new EnvError(error.message);
    throw error;
  }
}

export type LocalDependency = 'kafka' | 'mysql' | 'opensearch';

const SETTINGS: Record<string, string> = {
  Kafka: 'KAFKA_BROKERS',
  MySQL: 'MYSQL_URL',
  OpenSearch: 'OPENSEARCH_URL',
};

/** Waits for the named parts of the stack; rejects with an UnreachableError (exit 1, one line). */
export async function waitForLocalStack(
  needed: readonly LocalDependency[],
  endpoints: LocalEndpoints,
  options: { readonly timeoutMs: number; readonly logger?: Logger },
): Promise<void> {
  const all: Record<LocalDependency, () => Dependency> = {
    kafka: () => kafkaDependency(endpoints.brokers),
    mysql: () => mysqlDependency(endpoints.mysqlUrl),
    opensearch: () => opensearchDependency(endpoints.opensearchUrl),
  };
  await waitForDependencies(
    needed.map((name) => all[name]()),
    {
      timeoutMs: options.timeoutMs,
      // On a terminal, a person waiting is told what for; elsewhere the outcome is the one line.
      logger: process.stderr.isTTY === true ? options.logger : undefined,
      fix: (unreachable) => {
        const settings = unreachable.map((d) => SETTINGS[d.component] ?? d.component).join(', ');
        const what = unreachable.length === 1 ? `a running ${unreachable[0]?.component}` : 'running servers';
        return `${STACK_START_HINT}, or point ${settings} at ${what}`;
      },
    },
  );
}
