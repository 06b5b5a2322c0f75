// The generator's command line (`npm run produce`, or `node generator.mjs` once bundled for the EC2
// fleet): parse options, optionally seed the users table, produce, print the ground truth.
// Exit status: 0 done, 1 producing failed, 2 invalid options, 130 interrupted.
import { createMskKafka } from '../aws/msk-iam.js';
import { localEndpoints } from '../local/endpoints.js';
import { type CliOptions, parseCliOptions, USAGE, UsageError } from './cli-options.js';
import { createProgressReporter, formatGroundTruth } from './cli-output.js';
import { GeneratorError, type GroundTruth, runGenerator } from './run.js';

function describeTarget(options: CliOptions, seed: string): string {
  const amount =
    options.count === undefined
      ? `for ${options.durationSeconds}s`
      : `${options.count.toLocaleString('en-US')} events`;
  const pace = options.rate > 0 ? `at ${options.rate} events/s` : 'as fast as possible';
  return `producing ${amount} ${pace} to ${options.topic} on ${options.brokers.join(',')} (seed ${seed}, bad ${options.badRatio}, suspicious ${options.suspiciousRatio})`;
}

function printTruth(truth: GroundTruth, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(truth, null, 2)}\n`);
  else process.stdout.write(`${formatGroundTruth(truth)}\n`);
}

async function main(): Promise<number> {
  let options: CliOptions;
  try {
    const local = localEndpoints();
    options = parseCliOptions(process.argv.slice(2), {
      brokers: local.brokers,
      mysqlUrl: local.mysqlUrl,
      ...(process.env.AWS_REGION === undefined ? {} : { region: process.env.AWS_REGION }),
    });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\nRun with --help for the options.\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  // Without --seed a random one is used and printed, so any run can be repeated exactly.
  const seed = options.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  log(describeTarget(options, seed));

  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    log('\ninterrupted: waiting for in-flight requests (Ctrl-C again to quit now)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress = options.quiet ? undefined : createProgressReporter(process.stderr);
  try {
    const truth = await runGenerator(
      {
        topic: options.topic,
        ...(options.count === undefined ? {} : { count: options.count }),
        ...(options.durationSeconds === undefined ? {} : { durationSeconds: options.durationSeconds }),
        rate: options.rate,
        badRatio: options.badRatio,
        suspiciousRatio: options.suspiciousRatio,
        unknownAccountShare: options.unknownAccountShare,
        seed,
        accounts: options.accounts,
        ...(options.mskIamRegion === undefined
          ? { brokers: options.brokers }
          : {
              kafka: createMskKafka({
                brokers: options.brokers,
                region: options.mskIamRegion,
                clientId: 'log-generator',
              }),
            }),
        ...(options.mysqlUrl === undefined ? {} : { mysqlUrl: options.mysqlUrl }),
        ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
        compression: options.compression,
        chunkSize: options.chunkSize,
        maxInFlight: options.maxInFlight,
      },
      {
        signal: abort.signal,
        onUsersSeeded: (accounts) =>
          log(
            accounts === null
              ? 'users table not seeded (no --seed-users / --mysql-url): it must already hold the accounts'
              : `users table seeded with accounts 1..${accounts.toLocaleString('en-US')}`,
          ),
        ...(progress === undefined ? {} : { onProgress: (p) => progress.update(p) }),
      },
    );
    progress?.finish();
    printTruth(truth, options.json);
    return truth.aborted ? 130 : 0;
  } catch (error) {
    progress?.finish();
    if (error instanceof GeneratorError) {
      process.stderr.write(`error: ${error.message}\n`);
      printTruth(error.groundTruth, options.json);
      return 1;
    }
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
