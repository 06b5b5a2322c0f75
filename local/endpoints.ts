// Where the local stack listens, in one place: the stack scripts start components on these addresses and
// the demo, consumer, monitor and integration tests connect to them (env overrides point them elsewhere).
import { envAtLoad } from '../core/env.js';
import { EnvError } from '../core/errors.js';

/**
 * Shifts every port of the local stack, so that several checkouts can each run a stack of their own on one
 * machine (`LOCAL_PORT_OFFSET=10` gives Kafka 19102, OpenSearch 19210, MariaDB 13316). Multiples of 10 below
 * 100 keep the stacks' port sets disjoint.
 */
export function portOffset(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_PORT_OFFSET ?? '';
  if (raw.trim() === '') return 0;
  const offset = Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 90 || offset % 10 !== 0) {
    throw new EnvError(
      `environment variable LOCAL_PORT_OFFSET must be a multiple of 10 from 0 to 90, got '${raw}'`,
    );
  }
  return offset;
}

// A bad value fails every command before it starts (runCli), one line and exit 2, not this import.
const offset = envAtLoad(() => portOffset(), 0);

/** Loopback ports of the local stack (off the usual defaults so a system Kafka/MySQL can coexist). */
export const LOCAL_PORTS = {
  kafka: 19092 + offset,
  kafkaController: 19093 + offset,
  opensearch: 19200 + offset,
  opensearchTransport: 19300 + offset,
  mariadb: 13306 + offset,
  /** `npm run dashboard`: the live local dashboard (HTTP). */
  dashboard: 19400 + offset,
} as const;

export const LOCAL_HOST = '127.0.0.1';
export const DEFAULT_TOPIC = 'server-logs';
/** The consumer group of `npm run consume`, which monitor and status report on. */
export const DEFAULT_GROUP = 'log-pipeline-local';
export { DEFAULT_INDEX_PREFIX } from '../core/documents.js';

import { redactUrl } from '../core/dependencies.js';
export const LOCAL_DATABASE = 'logpipeline';

export const DEFAULT_MYSQL_URL = `mysql://root@${LOCAL_HOST}:${LOCAL_PORTS.mariadb}/${LOCAL_DATABASE}`;

export interface LocalEndpoints {
  readonly brokers: string[];
  readonly opensearchUrl: string;
  readonly mysqlUrl: string;
}

/**
 * Endpoints of the local stack, honouring `KAFKA_BROKERS` (comma-separated host:port), `OPENSEARCH_URL` and
 * `MYSQL_URL` so the same tools can run against any reachable Kafka, OpenSearch or MySQL; an EnvError names a
 * variable whose value no client could use.
 */
export function localEndpoints(env: NodeJS.ProcessEnv = process.env): LocalEndpoints {
  const brokers = (env.KAFKA_BROKERS ?? `${LOCAL_HOST}:${LOCAL_PORTS.kafka}`)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const badBroker = brokers.find((b) => !/^[^\s:/]+:\d{1,5}$/.test(b) || Number(b.split(':')[1]) > 65_535);
  if (brokers.length === 0 || badBroker !== undefined) {
    throw new EnvError(
      `environment variable KAFKA_BROKERS must be comma-separated host:port pairs, got '${env.KAFKA_BROKERS}'`,
    );
  }
  const opensearchUrl = (env.OPENSEARCH_URL ?? `http://${LOCAL_HOST}:${LOCAL_PORTS.opensearch}`).replace(
    /\/+$/,
    '',
  );
  if (!hasProtocol(opensearchUrl, ['http:', 'https:'])) {
    throw new EnvError(
      `environment variable OPENSEARCH_URL must be an http:// or https:// URL, got '${redactUrl(opensearchUrl)}'`,
    );
  }
  const mysqlUrl = env.MYSQL_URL ?? DEFAULT_MYSQL_URL;
  if (!hasProtocol(mysqlUrl, ['mysql:'])) {
    throw new EnvError(
      `environment variable MYSQL_URL must be a URL such as mysql://user:password@host:3306/database, got '${redactUrl(mysqlUrl)}'`,
    );
  }
  return { brokers, opensearchUrl, mysqlUrl };
}

function hasProtocol(url: string, protocols: readonly string[]): boolean {
  try {
    const parsed = new URL(url);
    return protocols.includes(parsed.protocol) && parsed.hostname !== '';
  } catch {
    return false;
  }
}

// Checked by every command before it starts (runCli), like LOCAL_PORT_OFFSET.
envAtLoad(() => localEndpoints(), undefined);

/** The help's closing lines: where the commands connect, from LOCAL_PORTS and the environment. */
export function endpointsHelp(env: NodeJS.ProcessEnv = process.env): string {
  const now = localEndpoints(env);
  const line = (name: string, value: string, fallback: string) =>
    `  ${name.padEnd(15)} ${value}${env[name] === undefined ? '' : ` (from the environment; default ${fallback})`}`;
  const local = localEndpoints({});
  return [
    '',
    'Endpoints (the local stack unless set in the environment):',
    line('KAFKA_BROKERS', now.brokers.join(','), local.brokers.join(',')),
    line('OPENSEARCH_URL', now.opensearchUrl, local.opensearchUrl),
    line('MYSQL_URL', redactUrl(now.mysqlUrl), local.mysqlUrl),
  ].join('\n');
}
