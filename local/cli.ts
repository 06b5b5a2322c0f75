// What the local CLIs (demo, consume, monitor, bench) share: argument parsing whose mistakes are usage
// errors (exit 2 with a one-line message), and a runner that maps failures to exit codes.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { PipelineError } from '../core/errors.js';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with its errors (unknown option, missing value) turned into UsageErrors. */
export function parseCliArgs<T extends Options>(options: T, args: string[] = process.argv.slice(2)) {
  try {
    return parseArgs({ options, args, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

/** A number from an option, checked; the message names the option and the value received. */
export function numberOption(
  name: string,
  raw: string | undefined,
  { integer = true, min = 1 }: { integer?: boolean; min?: number } = {},
): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${raw}'`);
  }
  return value;
}

/** Runs a CLI's main: exit code from main, 2 on a usage error, 1 on any other failure. */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`${name}: ${error.message} (see --help)`);
        process.exit(2);
      }
      // Our own errors say what to fix; anything else gets its stack, to be reported.
      const text =
        error instanceof PipelineError
          ? error.message
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      console.error(`${name} failed: ${text}`);
      process.exit(1);
    },
  );
}
