// `npm run monitor`: a live read-only view of the pipeline: documents per category index, the consumer
// group's lag and the indexing rate. Safe to run beside a consumer; `--once` prints one snapshot.
import { CATEGORIES, DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import { createLogger, silentLogger } from '../core/logger.js';
import {
  createCommand,
  decimal,
  formatCount,
  indexPrefix,
  nonEmpty,
  parseCommand,
  runCli,
  topicName,
  valueOption,
} from './cli.js';
import { DEFAULT_GROUP, DEFAULT_TOPIC, endpointsHelp, localEndpoints } from './endpoints.js';
import { countIndexed, createLocalPipeline } from './pipeline.js';
import { startupTimeoutOption, waitForLocalStack } from './startup.js';

interface MonitorOptions extends Record<string, unknown> {
  readonly topic: string;
  readonly group: string;
  readonly indexPrefix: string;
  readonly interval: number;
  readonly once?: boolean;
  readonly startupTimeout: number;
}

export function monitorCommand() {
  return createCommand(
    'npm run monitor --',
    'Shows the documents per category, the consumer group lag and the indexing rate, refreshed every interval.',
  )
    .addOption(valueOption('--topic <name>', 'topic', topicName, DEFAULT_TOPIC))
    .addOption(valueOption('--group <id>', 'consumer group', nonEmpty, DEFAULT_GROUP))
    .addOption(valueOption('--index-prefix <p>', 'index prefix', indexPrefix, DEFAULT_INDEX_PREFIX))
    .addOption(valueOption('--interval <seconds>', 'refresh interval', decimal({ min: 0.1 }), 2))
    .option('--once', 'print one snapshot and exit')
    .addOption(startupTimeoutOption())
    .addHelpText('after', endpointsHelp());
}

async function main(): Promise<number> {
  const { options } = parseCommand<MonitorOptions>(monitorCommand(), process.argv.slice(2));
  const endpoints = localEndpoints();
  await waitForLocalStack(['kafka', 'opensearch'], endpoints, {
    timeoutMs: options.startupTimeout,
    logger: createLogger({ service: 'monitor' }),
  });
  const prefix = options.indexPrefix;
  const pipeline = createLocalPipeline({ ...endpoints, indexPrefix: prefix, logger: silentLogger });
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  let previous: { total: number; at: number } | undefined;
  try {
    do {
      const [counts, lag] = await Promise.all([
        countIndexed(pipeline.search, prefix),
        pipeline
          .lag(options.group, options.topic)
          .then(formatCount, (error: Error) => `n/a (${error.message})`),
      ]);
      const total = CATEGORIES.reduce((n, c) => n + counts[c], 0);
      const now = Date.now();
      const rate = previous ? Math.round(((total - previous.total) * 1000) / (now - previous.at)) : 0;
      previous = { total, at: now };
      const cells = CATEGORIES.map((c) => `${c} ${formatCount(counts[c])}`).join('  ');
      console.log(
        `${new Date(now).toISOString().slice(11, 19)}  ${cells}  total ${formatCount(total)}  lag ${lag}  ${formatCount(rate)} docs/s`,
      );
      if (!options.once) await new Promise((resolve) => setTimeout(resolve, options.interval * 1000));
    } while (!options.once && !stop);
    return 0;
  } finally {
    await pipeline.close();
  }
}

runCli('monitor', main);
