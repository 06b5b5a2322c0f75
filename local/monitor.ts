// `npm run monitor`: a live read-only view of the pipeline: documents per category index, the consumer
// group's lag and the indexing rate. Safe to run beside a consumer; `--once` prints one snapshot.
import { CATEGORIES, DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import { silentLogger } from '../core/logger.js';
import { numberOption, parseCliArgs, runCli } from './cli.js';
import { DEFAULT_TOPIC, localEndpoints } from './endpoints.js';
import { countIndexed, createLocalPipeline } from './pipeline.js';

const HELP = `Usage: npm run monitor -- [options]

Shows the documents per category, the consumer group's lag and the indexing rate, refreshed every interval.

Options:
  --topic <name>        topic (default: ${DEFAULT_TOPIC})
  --group <id>          consumer group (default: log-pipeline-local)
  --index-prefix <p>    index prefix (default: ${DEFAULT_INDEX_PREFIX})
  --interval <seconds>  refresh interval (default: 2)
  --once                print one snapshot and exit
  -h, --help            show this help`;

async function main(): Promise<number> {
  const values = parseCliArgs({
    topic: { type: 'string', default: DEFAULT_TOPIC },
    group: { type: 'string', default: 'log-pipeline-local' },
    'index-prefix': { type: 'string', default: DEFAULT_INDEX_PREFIX },
    interval: { type: 'string', default: '2' },
    once: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const interval = numberOption('interval', values.interval, { integer: false, min: 0.1 });
  const prefix = values['index-prefix'];
  const pipeline = createLocalPipeline({ ...localEndpoints(), indexPrefix: prefix, logger: silentLogger });
  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
  });
  let previous: { total: number; at: number } | undefined;
  try {
    do {
      const [counts, lag] = await Promise.all([
        countIndexed(pipeline.search, prefix),
        pipeline.lag(values.group, values.topic).catch((error: Error) => `n/a (${error.message})`),
      ]);
      const total = CATEGORIES.reduce((n, c) => n + counts[c], 0);
      const now = Date.now();
      const rate = previous ? Math.round(((total - previous.total) * 1000) / (now - previous.at)) : 0;
      previous = { total, at: now };
      const cells = CATEGORIES.map((c) => `${c} ${counts[c].toLocaleString('en-US')}`).join('  ');
      console.log(
        `${new Date(now).toISOString().slice(11, 19)}  ${cells}  total ${total.toLocaleString('en-US')}  lag ${lag}  ${rate} docs/s`,
      );
      if (!values.once) await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    } while (!values.once && !stop);
    return 0;
  } finally {
    await pipeline.close();
  }
}

runCli('monitor', main);
