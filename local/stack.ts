// The local stack CLI: `start`, `stop` and `status` of real Apache Kafka (KRaft), OpenSearch and MariaDB
// on 127.0.0.1, from Maven Central jars and the system package, under the git-ignored `.local/` folder.
// Importing this module does not run the CLI: the demo and tests use ensureStackUp / stopStack.
import { DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import {
  createCommand,
  fallback,
  indexPrefix,
  isMain,
  parseCommand,
  runCli,
  STACK_START_HINT,
  topicName,
  UsageError,
  valueOption,
} from './cli.js';
import { ensureStackUp, StackStartError, stopStack } from './components/lifecycle.js';
import { CACHE_DIR, LOCAL_DIR } from './components/paths.js';
import { createProgress } from './components/progress.js';
import { formatStatus, stackStatus } from './components/status.js';
import { LOCAL_HOST, LOCAL_PORTS } from './endpoints.js';

export {
  ensureStackUp,
  StackStartError,
  type StackUpResult,
  type StartOutcome,
  type StopReport,
  stopStack,
} from './components/lifecycle.js';
export { type StackStatus, stackStatus } from './components/status.js';

type StackCommand =
  | { readonly name: 'start' | 'stop'; readonly quiet: boolean }
  | {
      readonly name: 'status';
      readonly json: boolean;
      readonly topic?: string;
      readonly indexPrefix: string;
    };

/** The three subcommands; parsing records the chosen one (commander's own dispatch would exit). */
export function parseStackArgs(argv: readonly string[]): StackCommand {
  let chosen: StackCommand | undefined;
  const quiet = (name: 'start' | 'stop', description: string) =>
    createCommand(name, description)
      .option('--quiet', 'no progress lines')
      .action((o: { quiet?: boolean }) => {
        chosen = { name, quiet: o.quiet === true };
      });
  const program = createCommand(
    'npm run stack:<command> -- | tsx local/stack.ts <command>',
    'The local stack.',
  )
    .argument('[command]')
    .action((command: string | undefined) => {
      throw new UsageError(
        command === undefined
          ? 'give a command: start, stop or status'
          : `unknown command '${command}': give start, stop or status`,
      );
    })
    .addCommand(
      quiet(
        'start',
        `fetch (once) and start Kafka 3.9 (KRaft) on ${LOCAL_HOST}:${LOCAL_PORTS.kafka}, OpenSearch 2.19 on ` +
          `${LOCAL_HOST}:${LOCAL_PORTS.opensearch} and MariaDB on ${LOCAL_HOST}:${LOCAL_PORTS.mariadb} (or check ` +
          'MYSQL_URL); reuses what is up',
      ),
    )
    .addCommand(quiet('stop', 'stop every component and check that no process of this project is left'))
    .addCommand(
      createCommand(
        'status',
        'components, Kafka topics with end offsets, consumer group lag, documents per category; exits 1 when a ' +
          'component is down',
      )
        .option('--json', 'print JSON')
        .addOption(
          fallback(valueOption('--topic <name>', 'only this topic', topicName), 'every non-internal topic'),
        )
        .addOption(valueOption('--index-prefix <p>', 'index prefix', indexPrefix, DEFAULT_INDEX_PREFIX))
        .action((o: { json?: boolean; topic?: string; indexPrefix: string }) => {
          chosen = { name: 'status', json: o.json === true, topic: o.topic, indexPrefix: o.indexPrefix };
        }),
    )
    .addHelpText(
      'after',
      `\nFiles: downloads in ${CACHE_DIR}, data/logs/pids in ${LOCAL_DIR}/{data,logs,run}.`,
    );
  parseCommand(program, argv);
  if (chosen === undefined) throw new UsageError('give a command: start, stop or status');
  return chosen;
}

function printStartFailure(error: unknown): void {
  if (error instanceof StackStartError) console.error(`${error.message}\n${error.details}`);
  else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
}

export async function main(argv: string[]): Promise<number> {
  const command = parseStackArgs(argv);
  switch (command.name) {
    case 'start': {
      const started = Date.now();
      try {
        await ensureStackUp({ progress: createProgress(command.quiet) });
      } catch (error) {
        printStartFailure(error);
        return 1;
      }
      if (!command.quiet) console.log(`local stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'stop': {
      const report = await stopStack({ progress: createProgress(command.quiet) });
      if (report.busyPorts.length > 0) {
        console.error(
          `warning: ports still in use by processes not started here: ${report.busyPorts.join(', ')}`,
        );
      }
      if (report.leftovers.length > 0) {
        console.error(`error: processes of this project still running: ${report.leftovers.join(', ')}`);
        return 1;
      }
      if (!command.quiet) console.log('local stack stopped: no process of this project left');
      return 0;
    }
    case 'status': {
      const status = await stackStatus({ topic: command.topic, indexPrefix: command.indexPrefix });
      console.log(command.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      // A health check: non-zero, naming what is down.
      const down = status.components.filter((c) => !c.up).map((c) => c.name);
      if (down.length === 0) return 0;
      const external = status.components.some((c) => !c.up && c.name === 'mariadb' && process.env.MYSQL_URL);
      console.error(
        `stack:status: down: ${down.join(', ')} (${STACK_START_HINT}${external ? ', or fix MYSQL_URL' : ''})`,
      );
      return 1;
    }
  }
}

if (isMain(import.meta.url)) runCli('stack', () => main(process.argv.slice(2)));
