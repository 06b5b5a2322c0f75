// `npm run consume`: the local consumer process. The same runtime core as the Lambda and Fargate
// consumers, against the local stack; prints live counts and lag; exits 1 when the consumer stops on a
// permanent error. Also replays (reset the group to a time or the beginning, re-consume into the same
// indices) and re-drives a dead-letter topic, each until caught up.
import { runConsumer, toSourceRecord } from '../core/consumer.js';
import { deadLetteredRecord, kafkaDeadLetter } from '../core/dead-letter.js';
import { DEFAULT_INDEX_PREFIX, emptyCounts } from '../core/documents.js';
import { ConfigError, PipelineError } from '../core/errors.js';
import {
  endOffsets,
  hasCaughtUp,
  type PartitionOffset,
  parseResetTarget,
  resetGroupOffsets,
} from '../core/group-offsets.js';
import { DEFAULT_MAX_REQUEST_BYTES } from '../core/indexer.js';
import { createLogger } from '../core/logger.js';
import { numberOption, parseCliArgs, runCli, UsageError } from './cli.js';
import { DEFAULT_TOPIC, localEndpoints } from './endpoints.js';
import { createLocalPipeline, prepareIndices } from './pipeline.js';

const HELP = `Usage: npm run consume -- [options]

Consumes the topic with a kafkajs consumer group, classifies every event and indexes it in OpenSearch.
Offsets are committed only after the documents are indexed. Runs until Ctrl-C (or SIGTERM).

Options:
  --topic <name>          topic to consume (default: ${DEFAULT_TOPIC})
  --group <id>            consumer group id (default: log-pipeline-local)
  --index-prefix <p>      index prefix (default: ${DEFAULT_INDEX_PREFIX})
  --from-latest           a new group starts at the end of the topic instead of replaying it
  --chunk-size <n>        records per users query (default: 2000)
  --bulk-max-bytes <n>    largest _bulk request body in bytes (default: ${DEFAULT_MAX_REQUEST_BYTES}, half of
                          the 10 MiB a t3.medium.search domain accepts)
  --dead-letter-topic <t> existing topic for records no index accepts (default: none, such a record
                          stops the consumer with exit code 1)
  --reset-to <when>       replay: first move the group (which must not be running) to 'earliest' or to an
                          ISO-8601 time such as 2026-12-01T00:00:00Z; the records are indexed again in place
  --until-caught-up       exit 0 once the group has reached the end offsets of the start (a batch run)
  --redrive               the topic is a dead-letter topic: each record is indexed under the identity of
                          the record it came from (run it after fixing what refused them)
  --quiet                 no live status line
  -h, --help              show this help

Replay the whole topic after a users-table change: --reset-to earliest --until-caught-up
Re-drive the dead-letter topic:  --topic ${DEFAULT_TOPIC}-dlq --group log-pipeline-redrive --redrive --until-caught-up
Endpoints come from KAFKA_BROKERS, OPENSEARCH_URL and MYSQL_URL, or default to the local stack.`;

async function main(): Promise<number> {
  const values = parseCliArgs({
    topic: { type: 'string', default: DEFAULT_TOPIC },
    group: { type: 'string', default: 'log-pipeline-local' },
    'index-prefix': { type: 'string', default: DEFAULT_INDEX_PREFIX },
    'from-latest': { type: 'boolean', default: false },
    'chunk-size': { type: 'string', default: '2000' },
    'bulk-max-bytes': { type: 'string', default: String(DEFAULT_MAX_REQUEST_BYTES) },
    'dead-letter-topic': { type: 'string' },
    'reset-to': { type: 'string' },
    'until-caught-up': { type: 'boolean', default: false },
    redrive: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const chunkSize = numberOption('chunk-size', values['chunk-size']);
  const bulkMaxBytes = numberOption('bulk-max-bytes', values['bulk-max-bytes'], { min: 1024 * 1024 });
  const resetTo = values['reset-to'] === undefined ? undefined : parseResetTarget(values['reset-to']);
  if (values['reset-to'] !== undefined && resetTo === undefined) {
    throw new UsageError(
      `--reset-to must be 'earliest' or an ISO-8601 time with a zone, got '${values['reset-to']}'`,
    );
  }
  const logger = createLogger({ service: 'consumer', group: values.group });
  const endpoints = localEndpoints();
  const pipeline = createLocalPipeline({
    ...endpoints,
    indexPrefix: values['index-prefix'],
    logger,
    bulkMaxBytes,
  });
  await prepareIndices(pipeline.search, values['index-prefix']);
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
  if (values['until-caught-up']) targets = await endOffsets(admin, values.topic);
  const deadLetterTopic = values['dead-letter-topic'];
  const deadLetter =
    deadLetterTopic === undefined ? undefined : kafkaDeadLetter(pipeline.kafka, deadLetterTopic);

  const totals = emptyCounts();
  let consumed = 0;
  const started = Date.now();
  const running = await runConsumer({
    kafka: pipeline.kafka,
    groupId: values.group,
    topic: values.topic,
    fromBeginning: !values['from-latest'],
    chunkSize,
    process: pipeline.process,
    toRecord: values.redrive ? deadLetteredRecord : toSourceRecord,
    deadLetter: deadLetter?.sink,
    logger,
    onBatch: (summary) => {
      consumed += summary.total;
      for (const [category, n] of Object.entries(summary.counts))
        totals[category as keyof typeof totals] += n;
    },
  });

  const status = setInterval(async () => {
    if (values.quiet) return;
    const lag = await pipeline.lag(values.group, values.topic).catch(() => Number.NaN);
    const rate = Math.round(consumed / ((Date.now() - started) / 1000));
    console.error(
      `consumed ${consumed.toLocaleString('en-US')} | good ${totals.good} suspicious ${totals.suspicious} bad ${totals.bad} | lag ${lag} | ${rate} ev/s`,
    );
  }, 2_000);

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
              `caught up: ${consumed.toLocaleString('en-US')} records (good ${totals.good}, suspicious ${totals.suspicious}, bad ${totals.bad}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
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
