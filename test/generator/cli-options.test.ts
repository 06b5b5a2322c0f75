import { describe, expect, it } from 'vitest';
import { DEFAULT_SEEDED_ACCOUNTS } from '../../core/users-schema.js';
import { type CliDefaults, parseCliOptions, UsageError } from '../../generator/cli-options.js';
import { HelpShown } from '../../local/cli.js';

const DEFAULTS: CliDefaults = {
  brokers: ['broker.test:9092'],
  mysqlUrl: 'mysql://root@db.test:3306/logpipeline',
};

const parse = (...argv: string[]) => parseCliOptions(argv, DEFAULTS);

describe('parseCliOptions', () => {
  it('uses the documented defaults, seeding the users table of the local stack', () => {
    const options = parse();
    expect(options).toMatchObject({
      brokers: ['broker.test:9092'],
      brokersGiven: false,
      topic: 'server-logs',
      count: 10_000,
      rate: 0,
      badRatio: 0.1,
      suspiciousRatio: 0.1,
      accounts: DEFAULT_SEEDED_ACCOUNTS,
      partitions: 3,
      compression: 'none',
      startupTimeoutMs: 30_000,
      json: false,
    });
    expect(options.mysqlUrl).toBe(DEFAULTS.mysqlUrl);
    expect(options.seed).toBeUndefined();
    expect(options.mskIamRegion).toBeUndefined();
  });

  it('reads every option', () => {
    const options = parse(
      '--brokers',
      'a:9092, b:9092',
      '--topic',
      'logs.test',
      '--duration',
      '2.5',
      '--rate',
      '250',
      '--bad-ratio',
      '0.3',
      '--suspicious-ratio',
      '0.2',
      '--seed',
      'abc',
      '--accounts',
      '50',
      '--partitions',
      '3',
      '--compression',
      'gzip',
      '--json',
    );
    expect(options).toMatchObject({
      brokers: ['a:9092', 'b:9092'],
      topic: 'logs.test',
      durationSeconds: 2.5,
      rate: 250,
      badRatio: 0.3,
      suspiciousRatio: 0.2,
      seed: 'abc',
      accounts: 50,
      partitions: 3,
      compression: 'gzip',
      json: true,
    });
    expect(options.count).toBeUndefined();
  });

  it('seeds no users table with --no-seed-users or other brokers, unless asked', () => {
    expect(parse('--no-seed-users').mysqlUrl).toBeUndefined();
    expect(parse('--brokers', 'b:9092').mysqlUrl).toBeUndefined();
    expect(parse('--msk-iam', '--region', 'eu-west-1', '--brokers', 'b-1:9098').mysqlUrl).toBeUndefined();
    expect(parse('--brokers', 'b:9092', '--seed-users').mysqlUrl).toBe(DEFAULTS.mysqlUrl);
  });

  it('seeds the local database with --seed-users and a given one with --mysql-url', () => {
    expect(parse('--seed-users').mysqlUrl).toBe(DEFAULTS.mysqlUrl);
    expect(parse('--mysql-url', 'mysql://u:p@db:3306/x').mysqlUrl).toBe('mysql://u:p@db:3306/x');
  });

  it('takes the MSK IAM region from --region or AWS_REGION', () => {
    expect(parse('--msk-iam', '--region', 'eu-west-1', '--brokers', 'b-1:9098').mskIamRegion).toBe(
      'eu-west-1',
    );
    const fromEnv = parseCliOptions(['--msk-iam', '--brokers', 'b-1:9098'], {
      ...DEFAULTS,
      region: 'us-east-2',
    });
    expect(fromEnv.mskIamRegion).toBe('us-east-2');
  });

  it('shows the help without validating anything else', () => {
    expect(() => parse('--help', '--count', 'nope')).toThrow(HelpShown);
    expect(() => parse('-h')).toThrow(HelpShown);
  });

  it.each([
    [['--count', '0'], /--count must be an integer >= 1, got '0'/],
    [['--count', '1.5'], /--count must be an integer/],
    [['--count', 'ten'], /--count must be an integer >= 1, got 'ten'/],
    [['--count', '5', '--duration', '5'], /either --count or --duration/],
    [['--duration', '0'], /--duration must be a number of seconds > 0/],
    [['--rate=-1'], /--rate must be a number >= 0, got '-1'/],
    [['--bad-ratio', '1.2'], /--bad-ratio must be a number between 0 and 1, got '1.2'/],
    [['--suspicious-ratio', ''], /--suspicious-ratio must be a number/],
    [['--bad-ratio', '0.7', '--suspicious-ratio', '0.4'], /must be <= 1/],
    [['--accounts', '0'], /--accounts must be an integer between 1 and 10000000, got '0'/],
    [['--accounts', '10000001'], /--accounts must be an integer between 1 and 10000000, got '10000001'/],
    [['--brokers', 'localhost'], /--brokers entries must be host:port, got 'localhost'/],
    [['--brokers', ','], /--brokers must list at least one host:port/],
    [['--topic', 'bad topic'], /--topic must be 1-249 characters/],
    [['--compression', 'zstd'], /argument 'zstd' is invalid\. Allowed choices are none, gzip/],
    [['--msk-iam', '--brokers', 'b:9098'], /--msk-iam needs --region/],
    [['--msk-iam', '--region', 'eu-west-1'], /--msk-iam needs --brokers/],
    [['--region', 'eu-west-1'], /--region is only used with --msk-iam/],
    [['--mysql-url', 'postgres://x'], /--mysql-url must be a mysql:\/\/ URL/],
    [['--seed', ' '], /--seed must be non-empty, got ' '/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--count'], /option '--count <n>' argument missing/],
    [['--startup-timeout', 'soon'], /--startup-timeout must be a duration/],
    [['extra'], /too many arguments/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parse(...argv)).toThrow(UsageError);
    expect(() => parse(...argv)).toThrow(message);
  });
});
