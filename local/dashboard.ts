// `npm run dashboard`: the live local dashboard on 127.0.0.1: counts per category over time (the saved
// "Events per category over time" visualisation, run as Dashboards runs it), totals per category, events/s
// and lag per consumer group, refreshed every few seconds. It keeps running while the stack is down and
// says so, on the page and in one line here.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import { runCli } from './cli.js';
import { startDashboard } from './dashboard/server.js';
import { LOCAL_HOST, LOCAL_PORTS, localEndpoints } from './endpoints.js';

function integerIn(min: number, max: number) {
  return (raw: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be an integer from ${min} to ${max}, got '${raw}'`);
    }
    return value;
  };
}

function program(): Command {
  return new Command()
    .name('npm run dashboard --')
    .description(
      `Serves the live local dashboard on ${LOCAL_HOST}: documents per category over time and in total, ` +
        'events/s and lag per consumer group.',
    )
    .option(
      '--port <n>',
      `port on ${LOCAL_HOST} (0: any free port)`,
      integerIn(0, 65_535),
      LOCAL_PORTS.dashboard,
    )
    .option('--index-prefix <p>', 'index prefix of the documents to show', DEFAULT_INDEX_PREFIX)
    .option('--refresh <seconds>', 'how often the page refreshes', integerIn(1, 3_600), 3)
    .addHelpText(
      'after',
      '\nOPENSEARCH_URL and KAFKA_BROKERS point it at other servers than the local stack ' +
        `(${localEndpoints({}).opensearchUrl}, ${localEndpoints({}).brokers.join(',')}).`,
    )
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`dashboard: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    });
}

async function main(): Promise<number> {
  const cli = program();
  try {
    cli.parse();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const options = cli.opts<{ port: number; indexPrefix: string; refresh: number }>();
  const endpoints = localEndpoints();
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
      port: options.port,
      indexPrefix: options.indexPrefix,
      opensearchUrl: endpoints.opensearchUrl,
      brokers: endpoints.brokers,
      refreshSeconds: options.refresh,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(
        `dashboard: ${LOCAL_HOST}:${options.port} is in use (a dashboard already running?): pass --port`,
      );
      return 1;
    }
    throw error;
  }
  console.log(`dashboard  ${dashboard.url}  (index prefix ${options.indexPrefix}; Ctrl-C stops it)`);
  const down = await dashboard.probe();
  if (down) console.log(`dashboard: ${down}; the page says so until it is up`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  return 0;
}

runCli('dashboard', main);
