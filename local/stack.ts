// The local stack CLI: `start`, `stop` and `status` of real Apache Kafka (KRaft), OpenSearch and MariaDB
// on 127.0.0.1, from Maven Central jars and the system package, under the git-ignored `.local/` folder.
// Importing this module does not run the CLI: the demo and tests use ensureStackUp / stopStack.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ComponentStartError } from './components/errors.js';
import { ensureStackUp, StackStartError, stopStack } from './components/lifecycle.js';
import { CACHE_DIR, LOCAL_DIR } from './components/paths.js';
import { tailFile } from './components/processes.js';
import { createProgress } from './components/progress.js';
import { formatStatus, stackStatus } from './components/status.js';
import { LOCAL_PORTS } from './endpoints.js';

export {
  ensureStackUp,
  StackStartError,
  type StackUpResult,
  type StartOutcome,
  type StopReport,
  stopStack,
} from './components/lifecycle.js';
export { type StackStatus, stackStatus } from './components/status.js';

const HELP = `Usage: tsx local/stack.ts <command> [options]

Commands:
  start     fetch (once) and start Kafka 3.9 (KRaft) on 127.0.0.1:${LOCAL_PORTS.kafka}, OpenSearch 2.19 on
            127.0.0.1:${LOCAL_PORTS.opensearch} and MariaDB on 127.0.0.1:${LOCAL_PORTS.mariadb} (or check MYSQL_URL); reuses what is up
  stop      stop every component and check that no process of this project is left
  status    components, Kafka topics with end offsets, consumer group lag, documents per category

Options:
  --json                 status: print JSON
  --topic <name>         status: only this topic (default: every non-internal topic)
  --index-prefix <p>     status: index prefix (default: logs)
  --quiet                start/stop: no progress lines
  -h, --help             this help

Files: downloads in ${CACHE_DIR}, data/logs/pids in ${LOCAL_DIR}/{data,logs,run}.
`;

function printStartFailure(error: unknown): void {
  const failures =
    error instanceof StackStartError ? error.failures : error instanceof ComponentStartError ? [error] : [];
  if (failures.length === 0) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return;
  }
  for (const failure of failures) {
    console.error(`\n✗ ${failure.message}`);
    if (!failure.logPath) continue;
    console.error(`  log: ${failure.logPath}`);
    const tail = tailFile(failure.logPath, 20);
    if (tail) console.error(tail.replace(/^/gm, '  | '));
  }
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      topic: { type: 'string' },
      'index-prefix': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    console.log(HELP);
    return values.help || command === 'help' ? 0 : 1;
  }
  switch (command) {
    case 'start': {
      const started = Date.now();
      try {
        await ensureStackUp({ progress: createProgress(values.quiet) });
      } catch (error) {
        printStartFailure(error);
        return 1;
      }
      if (!values.quiet) console.log(`local stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    case 'stop': {
      const report = await stopStack({ progress: createProgress(values.quiet) });
      if (report.busyPorts.length > 0) {
        console.error(
          `warning: ports still in use by processes not started here: ${report.busyPorts.join(', ')}`,
        );
      }
      if (report.leftovers.length > 0) {
        console.error(`error: processes of this project still running: ${report.leftovers.join(', ')}`);
        return 1;
      }
      if (!values.quiet) console.log('local stack stopped: no process of this project left');
      return 0;
    }
    case 'status': {
      const status = await stackStatus({ topic: values.topic, indexPrefix: values['index-prefix'] });
      console.log(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
      return 0;
    }
    default:
      console.error(`unknown command: ${command}\n\n${HELP}`);
      return 1;
  }
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
