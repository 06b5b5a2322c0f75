// Command-line options of the generator: parsing and validation, kept apart from I/O so every rule is
// unit-tested. Errors name the option, the value received and what is accepted.
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_SEEDED_ACCOUNTS, MAX_SEEDED_ACCOUNTS, UNKNOWN_ACCOUNT_FLOOR } from '../core/users-schema.js';
import { DEFAULT_TOPIC } from '../local/endpoints.js';

export const DEFAULT_COUNT = 10_000;

export const USAGE = `Usage: npm run produce -- [options]

Produces synthetic server-log events to Kafka and prints the ground truth: how many events of each
expected category (good, suspicious, bad, and each bad kind) the brokers acknowledged.

Options:
  --brokers <list>          comma-separated bootstrap brokers (default: the local stack, or KAFKA_BROKERS)
  --topic <name>            topic (default: ${DEFAULT_TOPIC})
  --count <n>               number of events (default: ${DEFAULT_COUNT}); exclusive with --duration
  --duration <seconds>      produce for this long instead of a fixed count
  --rate <events/s>         target rate; 0 = as fast as possible (default: 0)
  --bad-ratio <0..1>        share of bad events (default: 0.1)
  --suspicious-ratio <0..1> share of suspicious events (default: 0.1); bad + suspicious <= 1
  --unknown-account-share <0..1>
                            share of suspicious events with an unknown account (default: 0.1)
  --seed <value>            seed for reproducible events (default: random, printed)
  --accounts <n>            accounts 1..n exist in the users table, n <= ${MAX_SEEDED_ACCOUNTS} (default:
                            ${DEFAULT_SEEDED_ACCOUNTS}); unknown-account events use ids above ${UNKNOWN_ACCOUNT_FLOOR}
  --seed-users              create and seed the users table first (local MariaDB unless --mysql-url)
  --mysql-url <url>         seed the users table in this database first (implies --seed-users)
  --partitions <n>          create the topic with n partitions if it does not exist
  --compression <none|gzip> compression of produce requests (default: none)
  --chunk-size <n>          events per produce request (default: 500)
  --max-in-flight <n>       produce requests queued at once; the idempotent producer sends them one
                            at a time (default: 4)
  --msk-iam                 authenticate to MSK with IAM (TLS + SASL/OAUTHBEARER); needs --brokers
  --region <region>         AWS region for --msk-iam (default: AWS_REGION)
  --json                    print the ground truth as JSON on stdout
  --quiet                   no progress output
  -h, --help                show this help

Examples:
  npm run produce -- --count 100000 --rate 0 --seed 1 --seed-users
  npm run produce -- --duration 60 --rate 500 --bad-ratio 0.2 --json
  node generator.mjs --msk-iam --region eu-west-1 --brokers b-1.example:9098 --duration 300 --rate 1000`;

export interface CliDefaults {
  readonly brokers: readonly string[];
  readonly mysqlUrl: string;
  readonly region?: string;
}

export interface CliOptions {
  readonly help: boolean;
  readonly brokers: readonly string[];
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
  readonly partitions?: number;
  readonly compression: 'none' | 'gzip';
  readonly chunkSize: number;
  readonly maxInFlight: number;
  /** Set when --msk-iam is given. */
  readonly mskIamRegion?: string;
  readonly json: boolean;
  readonly quiet: boolean;
}

/** Thrown for invalid command lines; the CLI prints the message and exits with status 2. */
export class UsageError extends ConfigError {}

function parseNumber(option: string, text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`--${option} must be a number, got '${text}'`);
  return value;
}

function parseInteger(option: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = parseNumber(option, text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`--${option} must be an integer >= ${min}, got '${text}'`);
  }
  if (value > max) throw new UsageError(`--${option} must be at most ${max}, got '${text}'`);
  return value;
}

function parseRatio(option: string, text: string): number {
  const value = parseNumber(option, text);
  if (value < 0 || value > 1) throw new UsageError(`--${option} must be between 0 and 1, got '${text}'`);
  return value;
}

export function parseCliOptions(argv: readonly string[], defaults: CliDefaults): CliOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    // parseArgs throws TypeError with a clear message for unknown options and missing values.
    throw new UsageError((error as Error).message, { cause: error });
  }
  if (values.help === true) return { ...baseDefaults(defaults), help: true };

  if (values.count !== undefined && values.duration !== undefined) {
    throw new UsageError('give either --count or --duration, not both');
  }
  const durationSeconds =
    values.duration === undefined ? undefined : parseNumber('duration', values.duration);
  if (durationSeconds !== undefined && durationSeconds <= 0) {
    throw new UsageError(`--duration must be a number of seconds > 0, got '${values.duration}'`);
  }
  const count =
    durationSeconds !== undefined
      ? undefined
      : values.count === undefined
        ? DEFAULT_COUNT
        : parseInteger('count', values.count, 1);

  const badRatio = values['bad-ratio'] === undefined ? 0.1 : parseRatio('bad-ratio', values['bad-ratio']);
  const suspiciousRatio =
    values['suspicious-ratio'] === undefined
      ? 0.1
      : parseRatio('suspicious-ratio', values['suspicious-ratio']);
  if (badRatio + suspiciousRatio > 1 + 1e-9) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must be <= 1, got ${badRatio} + ${suspiciousRatio} = ${badRatio + suspiciousRatio}`,
    );
  }

  const brokers =
    values.brokers === undefined
      ? defaults.brokers
      : values.brokers
          .split(',')
          .map((broker) => broker.trim())
          .filter((broker) => broker !== '');
  if (brokers.length === 0)
    throw new UsageError(`--brokers must list at least one host:port, got '${values.brokers}'`);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new UsageError(`--brokers entries must be host:port, got '${broker}'`);
    }
  }

  const topic = values.topic ?? DEFAULT_TOPIC;
  // Kafka's own topic name rule: at most 249 of [a-zA-Z0-9._-].
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new UsageError(`--topic must be 1-249 characters of [a-zA-Z0-9._-], got '${topic}'`);
  }

  const compression = values.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') {
    throw new UsageError(`--compression must be none or gzip, got '${compression}'`);
  }

  let mskIamRegion: string | undefined;
  if (values['msk-iam'] === true) {
    mskIamRegion = values.region ?? defaults.region;
    if (mskIamRegion === undefined || mskIamRegion === '') {
      throw new UsageError('--msk-iam needs --region (or AWS_REGION)');
    }
    if (values.brokers === undefined)
      throw new UsageError('--msk-iam needs --brokers (the MSK IAM bootstrap brokers)');
  } else if (values.region !== undefined) {
    throw new UsageError('--region is only used with --msk-iam');
  }

  if (values.seed !== undefined && values.seed.trim() === '')
    throw new UsageError('--seed must not be empty');
  const mysqlUrl = values['mysql-url'] ?? (values['seed-users'] === true ? defaults.mysqlUrl : undefined);
  if (mysqlUrl !== undefined && !/^mysql:\/\//.test(mysqlUrl)) {
    throw new UsageError(`--mysql-url must be a mysql:// URL, got '${mysqlUrl}'`);
  }

  return {
    help: false,
    brokers,
    topic,
    ...(count === undefined ? {} : { count }),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    rate: values.rate === undefined ? 0 : nonNegative('rate', values.rate),
    badRatio,
    suspiciousRatio,
    unknownAccountShare:
      values['unknown-account-share'] === undefined
        ? 0.1
        : parseRatio('unknown-account-share', values['unknown-account-share']),
    ...(values.seed === undefined ? {} : { seed: values.seed }),
    accounts:
      values.accounts === undefined
        ? DEFAULT_SEEDED_ACCOUNTS
        : parseInteger('accounts', values.accounts, 1, MAX_SEEDED_ACCOUNTS),
    ...(mysqlUrl === undefined ? {} : { mysqlUrl }),
    ...(values.partitions === undefined
      ? {}
      : { partitions: parseInteger('partitions', values.partitions, 1) }),
    compression,
    chunkSize: values['chunk-size'] === undefined ? 500 : parseInteger('chunk-size', values['chunk-size'], 1),
    maxInFlight:
      values['max-in-flight'] === undefined ? 4 : parseInteger('max-in-flight', values['max-in-flight'], 1),
    ...(mskIamRegion === undefined ? {} : { mskIamRegion }),
    json: values.json === true,
    quiet: values.quiet === true,
  };
}

function nonNegative(option: string, text: string): number {
  const value = parseNumber(option, text);
  if (value < 0) throw new UsageError(`--${option} must be >= 0 (0 = as fast as possible), got '${text}'`);
  return value;
}

function baseDefaults(defaults: CliDefaults): CliOptions {
  return {
    help: false,
    brokers: defaults.brokers,
    topic: DEFAULT_TOPIC,
    count: DEFAULT_COUNT,
    rate: 0,
    badRatio: 0.1,
    suspiciousRatio: 0.1,
    unknownAccountShare: 0.1,
    accounts: DEFAULT_SEEDED_ACCOUNTS,
    compression: 'none',
    chunkSize: 500,
    maxInFlight: 4,
    json: false,
    quiet: false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      'bad-ratio': { type: 'string' },
      'suspicious-ratio': { type: 'string' },
      'unknown-account-share': { type: 'string' },
      seed: { type: 'string' },
      accounts: { type: 'string' },
      'seed-users': { type: 'boolean' },
      'mysql-url': { type: 'string' },
      partitions: { type: 'string' },
      compression: { type: 'string' },
      'chunk-size': { type: 'string' },
      'max-in-flight': { type: 'string' },
      'msk-iam': { type: 'boolean' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
}
