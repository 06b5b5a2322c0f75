// `npm run consume`: the local consumer process. The same runtime core as the Lambda and Fargate
// consumers, against the local stack; prints live counts and lag; exits 1 when the consumer stops on a
// permanent error. Also replays (reset the group to a time or the beginning, re-consume into the same
// indices) and re-drives a dead-letter topic, each until caught up.
import {
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_IN_FLIGHT_BYTES,
  MIN_CHUNK_SIZE,
  runConsumer,
  toSourceRecord,
} from '../core/consumer.js';
import { deadLetteredRecord, kafkaDeadLetter } from '../core/dead-letter.js';
import { DEFAULT_INDEX_PREFIX, emptyCounts } from '../core/documents.js';
import { ConfigError, PipelineError } from '../core/errors.js';
import {
  endOffsets,
  hasCaughtUp,
  type PartitionOffset,
  parseResetTarget,
  type ResetTarget,
  resetGroupOffsets,
} from '../core/group-offsets.js';
import { DEFAULT_MAX_REQUEST_BYTES, MIN_MAX_REQUEST_BYTES } from '../core/indexer.js';
import { createLogger } from '../core/logger.js';
import { DEFAULT_TOPIC_PARTITIONS, ensureTopic } from '../core/topics.js';
import {
  createCommand,
  durationMs,
  envDefault,
  fallback,
  formatCount,
  indexPrefix,
  integer,
  nonEmpty,
  parseCommand,
  refreshInterval,
  runCli,
  topicName,
  UsageError,
  valueOption,
} from './cli.js';
import { DEFAULT_GROUP, DEFAULT_TOPIC, endpointsHelp, localEndpoints } from './endpoints.js';
import { createLocalPipeline, DEFAULT_LOCAL_REFRESH_INTERVAL, prepareIndices } from './pipeline.js';
import { startupTimeoutOption, waitForLocalStack } from './startup.js';

interface ConsumeOptions extends Record<string, unknown> {
  readonly topic: string;
  readonly group: string;
  readonly indexPrefix: string;
  readonly fromLatest?: boolean;
  readonly chunkSize: number;
  readonly bulkMaxBytes: number;
  readonly maxInFlightBytes: number;
  readonly refreshInterval: string;
  readonly deadLetterTopic?: string;
  readonly resetTo?: ResetTarget;
  readonly untilCaughtUp?: boolean;
  readonly redrive?: boolean;
  readonly quiet?: boolean;
  readonly statusEvery?: number;
  readonly startupTimeout: number;
}

/** A live view on a terminal; a log file or a CI console gets a line only now and then, and only on news. */
const STATUS_EVERY_TTY_MS = 2_000;
const STATUS_EVERY_PIPE_MS = 30_000;

function resetTarget(flag: string, raw: string): ResetTarget {
  const target = parseResetTarget(raw);
  if (target === undefined) {
    throw new UsageError(`${flag} must be 'earliest' or an ISO-8601 time with a zone, got '${raw}'`);
  }
  return target;
}

export function consumeCommand() {
  return createCommand(
    'npm run consume --',
    'Consumes the topic with a kafkajs consumer group, classifies every event and indexes it in OpenSearch. ' +
      'Offsets are committed only after the documents are indexed. Runs until Ctrl-C (or SIGTERM). At start, ' +
      'Kafka, MySQL and OpenSearch must answer within --startup-timeout (exit 1 naming the one that did not); ' +
      'an outage after that is waited out. A missing topic is created.',
  )
    .addOption(valueOption('--topic <name>', 'topic to consume', topicName, DEFAULT_TOPIC))
    .addOption(valueOption('--group <id>', 'consumer group id', nonEmpty, DEFAULT_GROUP))
    .addOption(valueOption('--index-prefix <p>', 'index prefix', indexPrefix, DEFAULT_INDEX_PREFIX))
    .option('--from-latest', 'a new group starts at the end of the topic instead of replaying it')
    .addOption(
      envDefault(
        valueOption('--chunk-size <n>', 'records per users query', integer({ min: MIN_CHUNK_SIZE })),
        'CHUNK_SIZE',
        DEFAULT_CHUNK_SIZE,
        MIN_CHUNK_SIZE,
      ),
    )
    .addOption(
      envDefault(
        valueOption(
          '--bulk-max-bytes <n>',
          'largest _bulk request body in bytes (half of the 10 MiB a t3.medium.search domain accepts)',
          integer({ min: MIN_MAX_REQUEST_BYTES }),
        ),
        'BULK_MAX_BYTES',
        DEFAULT_MAX_REQUEST_BYTES,
        MIN_MAX_REQUEST_BYTES,
      ),
    )
    .addOption(
      valueOption(
        '--max-in-flight-bytes <n>',
        'record bytes of the chunks processed at once, all partitions together: the bound of what is in flight',
        integer(),
        DEFAULT_MAX_IN_FLIGHT_BYTES,
      ),
    )
    .addOption(
      valueOption(
        '--refresh-interval <interval>',
        "the index template's refresh interval: how long an indexed document may stay unsearchable (shorter costs indexing throughput)",
        refreshInterval,
        DEFAULT_LOCAL_REFRESH_INTERVAL,
      ),
    )
    .addOption(
      fallback(
        valueOption('--dead-letter-topic <t>', 'existing topic for records no index accepts', topicName),
        'none: such a record stops the consumer with exit code 1',
      ),
    )
    .addOption(
      valueOption(
        '--reset-to <when>',
        "replay: first move the group (which must not be running) to 'earliest' or to an ISO-8601 time such as " +
          '2026-12-01T00:00:00Z; the records are indexed again in place',
        resetTarget,
      ),
    )
    .option(
      '--until-caught-up',
      'exit 0 once the group has reached the end offsets of the start (a batch run)',
    )
    .option(
      '--redrive',
      'the topic is a dead-letter topic: each record is indexed under the identity of the record it came from',
    )
    .addOption(startupTimeoutOption())
    .option('--quiet', 'no live status line')
    .addOption(
      fallback(
        valueOption(
          '--status-every <duration>',
          'how often the status line is written, e.g. 10s; off a terminal only when the counts or the lag changed',
          durationMs,
        ),
        `${STATUS_EVERY_TTY_MS / 1000}s on a terminal, else ${STATUS_EVERY_PIPE_MS / 1000}s`,
      ),
    )
    .addHelpText(
      'after',
      [
        '',
        'Replay the whole topic after a users-table change: --reset-to earliest --until-caught-up',
        `Re-drive the dead-letter topic:  --topic ${DEFAULT_TOPIC}-dlq --group log-pipeline-redrive --redrive --until-caught-up`,
        endpointsHelp(),
      ].join('\n'),
    );
}

async function main(): Promise<number> {
  const { options: values } = parseCommand<ConsumeOptions>(consumeCommand(), process.argv.slice(2));
  const { chunkSize, bulkMaxBytes, resetTo } = values;
  const logger = createLogger({ service: 'consumer', group: values.group });
  const endpoints = localEndpoints();
  // Bounded: a dependency that never answers is a wrong address or a stack that is down, not an outage.
  await waitForLocalStack(['kafka', 'mysql', 'opensearch'], endpoints, {
    timeoutMs: values.startupTimeout,
    logger,
  });
  const pipeline = createLocalPipeline({
    ...endpoints,
    indexPrefix: values.indexPrefix,
    logger,
    bulkMaxBytes,
  });
  await prepareIndices(pipeline.search, values.indexPrefix, values.refreshInterval);
  if (await ensureTopic(pipeline.kafka, values.topic, DEFAULT_TOPIC_PARTITIONS)) {
    console.error(
      `topic ${values.topic} did not exist: created it with ${DEFAULT_TOPIC_PARTITIONS} partitions`,
    );
  }
  const admin = pipeline.kafka.admin();
  await admin.connect();
  if (resetTo !== undefined) {
    const offsets = await resetGroupOffsets(admin, values.group, values.topic, resetTo).catch(
      (error: unknown) => {
        throw new ConfigError(
          `cannot reset group ${values.group} on ${values.topic} (${(error as Error).message}): stop its consumers first`,
          { cause: error },
        );
      },
    );
    console.error(
      `group ${values.group} reset on ${values.topic}: ${offsets.map((p) => `${p.partition}@${p.offset}`).join(' ')}`,
    );
  }
  // What "caught up" means is fixed at the start, so that producers still writing cannot keep a batch run going.
  let targets: PartitionOffset[] | undefined;
  if (values.untilCaughtUp === true) targets = await endOffsets(admin, values.topic);
  const deadLetterTopic = values.deadLetterTopic;
  const deadLetter =
    deadLetterTopic === undefined ? undefined : kafkaDeadLetter(pipeline.kafka, deadLetterTopic);

  const totals = emptyCounts();
  let consumed = 0;
  const started = Date.now();
  const running = await runConsumer({
    kafka: pipeline.kafka,
    groupId: values.group,
    topic: values.topic,
    fromBeginning: values.fromLatest !== true,
    chunkSize,
    maxInFlightBytes: values.maxInFlightBytes,
    process: pipeline.process,
    toRecord: values.redrive === true ? deadLetteredRecord : toSourceRecord,
    deadLetter: deadLetter?.sink,
    logger,
    onBatch: (summary) => {
      consumed += summary.total;
      for (const [category, n] of Object.entries(summary.counts))
        totals[category as keyof typeof totals] += n;
    },
  });

  // The rate over the last interval, like monitor's: an average since the start would decay while idle.
  let previous = { consumed: 0, at: started };
  const onTerminal = process.stderr.isTTY === true;
  let lastState = `${consumed} | lag 0`;
  const status = setInterval(
    async () => {
      if (values.quiet === true) return;
      const lag = await pipeline.lag(values.group, values.topic).then(formatCount, () => 'n/a');
      // Off a terminal an idle consumer writes nothing: a line says that something moved (or Kafka went away).
      const state = `${consumed} | lag ${lag}`;
      if (!onTerminal && state === lastState) return;
      lastState = state;
      const now = Date.now();
      const rate = Math.round(((consumed - previous.consumed) * 1000) / Math.max(1, now - previous.at));
      previous = { consumed, at: now };
      console.error(
        `consumed ${formatCount(consumed)} | good ${formatCount(totals.good)} suspicious ${formatCount(totals.suspicious)} bad ${formatCount(totals.bad)} | lag ${lag} | ${formatCount(rate)} ev/s`,
      );
    },
    values.statusEvery ?? (onTerminal ? STATUS_EVERY_TTY_MS : STATUS_EVERY_PIPE_MS),
  );

  const shutdown = () => {
    logger.info('stopping');
    void running.stop();
  };
  const caughtUp =
    targets === undefined
      ? undefined
      : setInterval(async () => {
          if (await hasCaughtUp(admin, values.group, values.topic, targets).catch(() => false)) {
            clearInterval(caughtUp);
            console.error(
              `caught up: ${formatCount(consumed)} records (good ${formatCount(totals.good)}, suspicious ${formatCount(totals.suspicious)}, bad ${formatCount(totals.bad)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
            );
            shutdown();
          }
        }, 500);
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    await running.done;
    return 0;
  } catch (error) {
    console.error(`consumer stopped: ${oneLine(error)}`);
    return 1;
  } finally {
    clearInterval(status);
    clearInterval(caughtUp);
    await admin.disconnect();
    await deadLetter?.close();
    await pipeline.close();
  }
}

/** The cause in one line: our errors say what to fix; anything else is a bug, named with its type. */
function oneLine(error: unknown): string {
  if (error instanceof PipelineError) return error.message;
  const e = error as Error;
  return `unexpected ${e?.name ?? 'error'} (a bug, please report it with the log above): ${e?.message ?? String(error)}`;
}

runCli('consume', main);
