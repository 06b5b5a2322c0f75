// `npm run consume`: the local consumer process. The same runtime core as the Lambda and Fargate
// consumers, against the local stack; prints live counts and lag; exits non-zero if the consumer crashes.
import { kafkaDeadLetter, runConsumer } from '../core/consumer.js';
import { DEFAULT_INDEX_PREFIX, emptyCounts } from '../core/documents.js';
import { createLogger } from '../core/logger.js';
import { numberOption, parseCliArgs, runCli } from './cli.js';
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
  --chunk-size <n>        records per users query and _bulk request (default: 2000)
  --dead-letter-topic <t> existing topic for records no index accepts (default: none, such a record
                          stops the consumer with exit code 1)
  --quiet                 no live status line
  -h, --help              show this help

Endpoints come from KAFKA_BROKERS, OPENSEARCH_URL and MYSQL_URL, or default to the local stack.`;

async function main(): Promise<number> {
  const values = parseCliArgs({
    topic: { type: 'string', default: DEFAULT_TOPIC },
    group: { type: 'string', default: 'log-pipeline-local' },
    'index-prefix': { type: 'string', default: DEFAULT_INDEX_PREFIX },
    'from-latest': { type: 'boolean', default: false },
    'chunk-size': { type: 'string', default: '2000' },
    'dead-letter-topic': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const chunkSize = numberOption('chunk-size', values['chunk-size']);
  const logger = createLogger({ service: 'consumer', group: values.group });
  const endpoints = localEndpoints();
  const pipeline = createLocalPipeline({ ...endpoints, indexPrefix: values['index-prefix'], logger });
  await prepareIndices(pipeline.search, values['index-prefix']);
  const deadLetterTopic = values['dead-letter-topic'];
  const deadLetterProducer = deadLetterTopic === undefined ? undefined : pipeline.kafka.producer();
  await deadLetterProducer?.connect();

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
    deadLetter:
      deadLetterProducer && deadLetterTopic
        ? kafkaDeadLetter(deadLetterProducer, deadLetterTopic)
        : undefined,
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
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  try {
    await running.done;
    return 0;
  } catch (error) {
    console.error(`consumer crashed: ${(error as Error).message}`);
    return 1;
  } finally {
    clearInterval(status);
    await deadLetterProducer?.disconnect();
    await pipeline.close();
  }
}

runCli('consume', main);
