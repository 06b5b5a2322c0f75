// The generator's command line (`npm run produce`, or `node generator.mjs` once bundled for the EC2
// fleet): parse options, optionally seed the users table, produce, print the ground truth.
// Exit status: 0 done, 1 producing failed (or Kafka never answered), 2 invalid options, 130 interrupted.
import { createMskKafka } from '../aws/msk-iam.js';
import { createLogger } from '../core/logger.js';
import { formatCount, runCli } from '../local/cli.js';
import { localEndpoints } from '../local/endpoints.js';
import { waitForLocalStack } from '../local/startup.js';
import { type CliOptions, parseCliOptions } from './cli-options.js';
import { createProgressReporter, formatGroundTruth } from './cli-output.js';
import { GeneratorError, type GroundTruth, runGenerator } from './run.js';

function describeTarget(options: CliOptions, seed: string): string {
  const amount =
    options.count === undefined ? `for ${options.durationSeconds}s` : `${formatCount(options.count)} events`;
  const pace = options.rate > 0 ? `at ${formatCount(options.rate)} events/s` : 'as fast as possible';
  return `producing ${amount} ${pace} to ${options.topic} on ${options.brokers.join(',')} (seed ${seed}, bad ${options.badRatio}, suspicious ${options.suspiciousRatio})`;
}

function printTruth(truth: GroundTruth, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(truth, null, 2)}\n`);
  else process.stdout.write(`${formatGroundTruth(truth)}\n`);
}

async function main(): Promise<number> {
  const local = localEndpoints();
  const options = parseCliOptions(process.argv.slice(2), {
    brokers: local.brokers,
    mysqlUrl: local.mysqlUrl,
    ...(process.env.AWS_REGION === undefined ? {} : { region: process.env.AWS_REGION }),
  });

  // Without --seed a random one is used and printed, so any run can be repeated exactly.
  const seed = options.seed ?? String(Math.floor(Math.random() * 2 ** 31));
  const log = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  // One line naming what does not answer, instead of kafkajs's retries (MSK IAM needs its own client: skipped).
  if (options.mskIamRegion === undefined) {
    await waitForLocalStack(
      options.mysqlUrl === undefined ? ['kafka'] : ['kafka', 'mysql'],
      {
        ...local,
        brokers: [...options.brokers],
        mysqlUrl: options.mysqlUrl ?? local.mysqlUrl,
      },
      { timeoutMs: options.startupTimeoutMs, logger: createLogger({ service: 'generator' }) },
    );
  }
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
        partitions: options.partitions,
        compression: options.compression,
        chunkSize: options.chunkSize,
        maxInFlight: options.maxInFlight,
      },
      {
        signal: abort.signal,
        onTopicCreated: (partitions) =>
          log(`topic ${options.topic} did not exist: created it with ${partitions} partitions`),
        onUsersSeeded: (accounts) =>
          log(
            accounts === null
              ? 'users table not seeded (no --seed-users / --mysql-url): it must already hold the accounts'
              : `users table seeded with accounts 1..${formatCount(accounts)}`,
          ),
        ...(progress === undefined ? {} : { onProgress: (p) => progress.update(p) }),
      },
    );
    progress?.finish();
    printTruth(truth, options.json);
    return truth.aborted ? 130 : 0;
  } catch (error) {
    progress?.finish();
    // What was acknowledged before the failure is still exact: print it, then the one-line error.
    if (error instanceof GeneratorError) printTruth(error.groundTruth, options.json);
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

runCli('produce', main);
