// Command-line options of the generator: parsing (commander, the project's one CLI convention) and validation,
// kept apart from I/O so every rule is unit-tested. Errors name the option, the value received and what is
// accepted; the help shows the defaults the code uses.
import { Option } from 'commander';
import { DEFAULT_TOPIC_PARTITIONS } from '../core/topics.js';
import { DEFAULT_SEEDED_ACCOUNTS, MAX_SEEDED_ACCOUNTS, UNKNOWN_ACCOUNT_FLOOR } from '../core/users-schema.js';
import {
  createCommand,
  decimal,
  fallback,
  integer,
  nonEmpty,
  parseCommand,
  ratio,
  topicName,
  UsageError,
  valueOption,
} from '../local/cli.js';
import { DEFAULT_TOPIC } from '../local/endpoints.js';
import { startupTimeoutOption } from '../local/startup.js';

export { UsageError } from '../local/cli.js';

export const DEFAULT_COUNT = 10_000;
const DEFAULT_BAD_RATIO = 0.1;
const DEFAULT_SUSPICIOUS_RATIO = 0.1;
const DEFAULT_UNKNOWN_ACCOUNT_SHARE = 0.1;
const DEFAULT_CHUNK_SIZE = 500;
const DEFAULT_MAX_IN_FLIGHT = 4;

export interface CliDefaults {
  readonly brokers: readonly string[];
  readonly mysqlUrl: string;
  readonly region?: string;
}

export interface CliOptions {
  readonly brokers: readonly string[];
  /** True when --brokers was given (the local stack is not assumed). */
  readonly brokersGiven: boolean;
  readonly topic: string;
  readonly count?: number;
  readonly durationSeconds?: number;
  readonly rate: number;
  readonly badRatio: number;
  readonly suspiciousRatio: number;
  readonly unknownAccountShare: number;
  /** Undefined when not given: the CLI picks a random one and prints it. */
  readonly seed?: string;
  readonly accounts: number;
  /** Undefined: do not seed the users table. */
  readonly mysqlUrl?: string;
  readonly partitions: number;
  readonly compression: 'none' | 'gzip';
  readonly chunkSize: number;
  readonly maxInFlight: number;
  /** Set when --msk-iam is given. */
  readonly mskIamRegion?: string;
  readonly startupTimeoutMs: number;
  readonly json: boolean;
  readonly quiet: boolean;
}

function brokerList(flag: string, raw: string): string[] {
  const brokers = raw
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) throw new UsageError(`${flag} must list at least one host:port, got '${raw}'`);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new UsageError(`${flag} entries must be host:port, got '${broker}'`);
    }
  }
  return brokers;
}

function positiveSeconds(flag: string, raw: string): number {
  const value = decimal()(flag, raw);
  if (value <= 0) throw new UsageError(`${flag} must be a number of seconds > 0, got '${raw}'`);
  return value;
}

function mysqlUrl(flag: string, raw: string): string {
  if (!/^mysql:\/\//.test(raw)) throw new UsageError(`${flag} must be a mysql:// URL, got '${raw}'`);
  return raw;
}

export function generatorCommand(defaults: CliDefaults) {
  return createCommand(
    'npm run produce --',
    'Produces synthetic server-log events to Kafka and prints the ground truth: how many events of each ' +
      'expected category (good, suspicious, bad, and each bad kind) the brokers acknowledged. A missing topic ' +
      'is created.',
  )
    .addOption(
      fallback(
        valueOption('--brokers <list>', 'comma-separated bootstrap brokers', brokerList),
        `${defaults.brokers.join(',')}, from KAFKA_BROKERS or the local stack`,
      ),
    )
    .addOption(valueOption('--topic <name>', 'topic', topicName, DEFAULT_TOPIC))
    .addOption(
      fallback(
        valueOption('--count <n>', 'number of events; exclusive with --duration', integer()),
        String(DEFAULT_COUNT),
      ),
    )
    .addOption(
      valueOption('--duration <seconds>', 'produce for this long instead of a fixed count', positiveSeconds),
    )
    .addOption(valueOption('--rate <events/s>', 'target rate; 0 = as fast as possible', decimal(), 0))
    .addOption(valueOption('--bad-ratio <0..1>', 'share of bad events', ratio, DEFAULT_BAD_RATIO))
    .addOption(
      valueOption(
        '--suspicious-ratio <0..1>',
        'share of suspicious events; bad + suspicious <= 1',
        ratio,
        DEFAULT_SUSPICIOUS_RATIO,
      ),
    )
    .addOption(
      valueOption(
        '--unknown-account-share <0..1>',
        'share of suspicious events with an unknown account',
        ratio,
        DEFAULT_UNKNOWN_ACCOUNT_SHARE,
      ),
    )
    .addOption(
      fallback(valueOption('--seed <value>', 'seed for reproducible events', nonEmpty), 'random, printed'),
    )
    .addOption(
      valueOption(
        '--accounts <n>',
        `accounts 1..n exist in the users table, n <= ${MAX_SEEDED_ACCOUNTS}; unknown-account events use ids above ${UNKNOWN_ACCOUNT_FLOOR}`,
        integer({ max: MAX_SEEDED_ACCOUNTS }),
        DEFAULT_SEEDED_ACCOUNTS,
      ),
    )
    .option(
      '--seed-users',
      'create and seed the users table first (default: on for the local stack, off with --brokers or --msk-iam)',
    )
    .option('--no-seed-users', 'do not touch the users table: it must already hold the accounts')
    .addOption(
      valueOption(
        '--mysql-url <url>',
        'seed the users table in this database first (implies --seed-users)',
        mysqlUrl,
      ),
    )
    .addOption(
      valueOption(
        '--partitions <n>',
        'partitions of the topic when it does not exist yet and is created',
        integer(),
        DEFAULT_TOPIC_PARTITIONS,
      ),
    )
    .addOption(
      new Option('--compression <codec>', 'compression of produce requests')
        .choices(['none', 'gzip'])
        .default('none'),
    )
    .addOption(valueOption('--chunk-size <n>', 'events per produce request', integer(), DEFAULT_CHUNK_SIZE))
    .addOption(
      valueOption(
        '--max-in-flight <n>',
        'produce requests queued at once; the idempotent producer sends them one at a time',
        integer(),
        DEFAULT_MAX_IN_FLIGHT,
      ),
    )
    .option('--msk-iam', 'authenticate to MSK with IAM (TLS + SASL/OAUTHBEARER); needs --brokers')
    .addOption(fallback(valueOption('--region <region>', 'AWS region for --msk-iam', nonEmpty), 'AWS_REGION'))
    .addOption(startupTimeoutOption())
    .option('--json', 'print the ground truth as JSON on stdout')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npm run produce -- --count 50000 --rate 2000',
        '  npm run produce -- --count 100000 --rate 0 --seed 1 --seed-users',
        '  npm run produce -- --duration 60 --rate 500 --bad-ratio 0.2 --json',
        '  node generator.mjs --msk-iam --region eu-west-1 --brokers b-1.example:9098 --duration 300 --rate 1000',
      ].join('\n'),
    );
}

interface Parsed extends Record<string, unknown> {
  brokers?: string[];
  topic: string;
  count?: number;
  duration?: number;
  rate: number;
  badRatio: number;
  suspiciousRatio: number;
  unknownAccountShare: number;
  seed?: string;
  accounts: number;
  seedUsers?: boolean;
  mysqlUrl?: string;
  partitions: number;
  compression: 'none' | 'gzip';
  chunkSize: number;
  maxInFlight: number;
  mskIam?: boolean;
  region?: string;
  startupTimeout: number;
  json?: boolean;
  quiet?: boolean;
}

/** The options, or UsageError for a mistake; `--help` prints the help and throws HelpShown. */
export function parseCliOptions(argv: readonly string[], defaults: CliDefaults): CliOptions {
  const { options: o } = parseCommand<Parsed>(generatorCommand(defaults), argv);
  if (o.count !== undefined && o.duration !== undefined) {
    throw new UsageError('give either --count or --duration, not both');
  }
  if (o.badRatio + o.suspiciousRatio > 1 + 1e-9) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must be <= 1, got ${o.badRatio} + ${o.suspiciousRatio} = ${o.badRatio + o.suspiciousRatio}`,
    );
  }
  let mskIamRegion: string | undefined;
  if (o.mskIam === true) {
    mskIamRegion = o.region ?? defaults.region;
    if (mskIamRegion === undefined || mskIamRegion === '') {
      throw new UsageError('--msk-iam needs --region (or AWS_REGION)');
    }
    if (o.brokers === undefined)
      throw new UsageError('--msk-iam needs --brokers (the MSK IAM bootstrap brokers)');
  } else if (o.region !== undefined) {
    throw new UsageError('--region is only used with --msk-iam');
  }
  // The local stack starts with no users table: seeding it by default makes the first consume classify right.
  const seedLocal = o.seedUsers ?? (o.brokers === undefined && o.mskIam !== true);
  const seedDatabase = o.mysqlUrl ?? (seedLocal ? defaults.mysqlUrl : undefined);
  return {
    brokers: o.brokers ?? defaults.brokers,
    brokersGiven: o.brokers !== undefined,
    topic: o.topic,
    ...(o.duration === undefined ? { count: o.count ?? DEFAULT_COUNT } : { durationSeconds: o.duration }),
    rate: o.rate,
    badRatio: o.badRatio,
    suspiciousRatio: o.suspiciousRatio,
    unknownAccountShare: o.unknownAccountShare,
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    accounts: o.accounts,
    ...(seedDatabase === undefined ? {} : { mysqlUrl: seedDatabase }),
    partitions: o.partitions,
    compression: o.compression,
    chunkSize: o.chunkSize,
    maxInFlight: o.maxInFlight,
    ...(mskIamRegion === undefined ? {} : { mskIamRegion }),
    startupTimeoutMs: o.startupTimeout,
    json: o.json === true,
    quiet: o.quiet === true,
  };
}
