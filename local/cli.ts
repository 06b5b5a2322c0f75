// The one command-line convention of every command in local/, generator/, ops/ and bench/: commander parses
// and writes the help (defaults come from the same constants the code uses); a usage mistake (unknown flag,
// bad or missing value) is one line on stderr and exit 2; an expected failure (a PipelineError, such as an
// unreachable dependency) is one line and exit 1; only a bug prints a stack trace.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { checkEnvAtLoad, intEnv } from '../core/env.js';
import { ConfigError, EnvError, PipelineError } from '../core/errors.js';
import { REFRESH_INTERVAL } from '../core/index-templates.js';
import { checkLogEnv } from '../core/logger.js';

/** A command line the command cannot run: the runner prints the message and exits 2. */
export class UsageError extends ConfigError {}

/** `--help` was given and the help printed: nothing else to do, exit 0. */
export class HelpShown extends Error {}

/** The fix printed with an unreachable local dependency. */
export const STACK_START_HINT = 'start the local stack with `npm run stack:start`';

/** A commander command that throws instead of exiting, so parsing stays testable and errors stay one line. */
export function createCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} });
}

/** Parses `argv` (without node and the script): the options, or HelpShown/UsageError. */
export function parseCommand<T extends Record<string, unknown>>(
  command: Command,
  argv: readonly string[],
): { options: T; args: string[] } {
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    // A value parser ran before commander saw --help: the help still wins.
    if (error instanceof UsageError && argv.some((a) => a === '--help' || a === '-h')) {
      command.outputHelp();
      throw new HelpShown();
    }
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') throw new HelpShown();
    // "error: unknown option '--x'\n(Did you mean --y?)" → one line, without commander's prefix.
    throw new UsageError(error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' '));
  }
  return { options: command.opts<T>(), args: command.args };
}

/** An option whose value goes through `parse` (which throws a UsageError naming the flag and the value). */
export function valueOption<V>(
  flags: string,
  description: string,
  parse: (flag: string, raw: string) => V,
  defaultValue?: V,
): Option {
  const option = new Option(flags, description);
  const flag = option.long ?? option.short ?? flags;
  option.argParser((raw: string) => parse(flag, raw));
  // Strings unquoted: the help shows what a person would type.
  if (defaultValue !== undefined)
    option.default(defaultValue, typeof defaultValue === 'string' ? defaultValue : undefined);
  return option;
}

/** Says in the help what an option without a fixed default falls back to (an environment variable, a random value). */
export function fallback(option: Option, text: string): Option {
  option.description = `${option.description} (default: ${text})`;
  return option;
}

/**
 * An integer option whose default the environment variable `name` sets, read by the same helper (and with the
 * same lower bound) as the Fargate and Lambda consumers read it: the flag wins, a bad value is an EnvError
 * (exit 2), and the help says which default is in use and where it came from.
 */
export function envDefault(option: Option, name: string, builtIn: number, min: number): Option {
  const value = intEnv(name, builtIn, min);
  const fromEnv = process.env[name] !== undefined && process.env[name]?.trim() !== '';
  return option.default(
    value,
    fromEnv ? `${value} from env ${name}; built-in ${builtIn}` : `${builtIn}, or env ${name}`,
  );
}

interface Range {
  readonly min?: number;
  readonly max?: number;
}

function rangeText(min: number, max: number | undefined): string {
  return max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
}

/** Parser of an integer value, `min` 1 unless given. */
export function integer({ min = 1, max }: Range = {}): (flag: string, raw: string) => number {
  return (flag, raw) => {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
      throw new UsageError(`${flag} must be an integer ${rangeText(min, max)}, got '${raw}'`);
    }
    return value;
  };
}

/** Parser of a finite number, `min` 0 unless given. */
export function decimal({ min = 0, max }: Range = {}): (flag: string, raw: string) => number {
  return (flag, raw) => {
    const value = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value) || value < min || (max !== undefined && value > max)) {
      throw new UsageError(`${flag} must be a number ${rangeText(min, max)}, got '${raw}'`);
    }
    return value;
  };
}

/** Parser of a share between 0 and 1. */
export const ratio = decimal({ min: 0, max: 1 });

/** Parser of a non-empty string matching `pattern`, described by `what` in the message. */
export function matching(pattern: RegExp, what: string): (flag: string, raw: string) => string {
  return (flag, raw) => {
    if (!pattern.test(raw)) throw new UsageError(`${flag} must be ${what}, got '${raw}'`);
    return raw;
  };
}

/** Kafka's own topic name rule: at most 249 of [a-zA-Z0-9._-]. */
export const topicName = matching(/^[a-zA-Z0-9._-]{1,249}$/, '1-249 characters of [a-zA-Z0-9._-]');

/** Index prefixes: lower case, as OpenSearch index names must be. */
export const indexPrefix = matching(
  /^[a-z0-9][a-z0-9_-]{0,99}$/,
  'lower-case letters, digits, _ or - (starting with a letter or digit)',
);

/** A non-empty value. */
export const nonEmpty = matching(/\S/, 'non-empty');

/** An index refresh interval as OpenSearch takes it (core/index-templates.ts). */
export const refreshInterval = matching(
  REFRESH_INTERVAL,
  'a whole number of ms, s or m, such as 500ms or 1s',
);

/**
 * A duration: `90`, `90s`, `2m` or `500ms` (a bare number is seconds), in milliseconds; used by flags and
 * by environment variables alike, so the message takes the name of either.
 */
export function durationMs(name: string, raw: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  const unit = { ms: 1, s: 1_000, m: 60_000 }[(match?.[2] ?? 's') as 'ms' | 's' | 'm'];
  const value = match === null ? Number.NaN : Number(match[1]) * unit;
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`${name} must be a duration such as 30s, 2m or 500ms, got '${raw}'`);
  }
  return Math.round(value);
}

/** Thousands separators, the same in every output. */
export const formatCount = (n: number | bigint): string => n.toLocaleString('en-US');

/** The error as one line: our errors say what to fix; anything else is a bug and keeps its stack. */
function describeFailure(error: unknown): string {
  if (error instanceof PipelineError) return error.message.replace(/\s*\n\s*/g, ' ');
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Runs a command's main and exits with its code: 2 for a usage mistake (a flag, or an environment variable the
 * command reads: checked first, so a bad one fails even `--help` the same way), 1 for any failure.
 */
export function runCli(name: string, main: () => Promise<number>): void {
  const run = async () => {
    checkEnvAtLoad();
    checkLogEnv();
    return main();
  };
  run().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof HelpShown) process.exit(0);
      if (error instanceof UsageError || error instanceof EnvError) {
        // A bad variable fails --help too: pointing at it would not help.
        console.error(`${name}: ${error.message}${error instanceof UsageError ? ' (see --help)' : ''}`);
        process.exit(2);
      }
      console.error(`${name}: ${describeFailure(error)}`);
      // What one line cannot hold (a failed component's last log lines): only our errors carry it.
      const details = error instanceof PipelineError ? (error as { details?: unknown }).details : undefined;
      if (typeof details === 'string' && details !== '') console.error(details);
      process.exit(1);
    },
  );
}

/** True when the module is the script node/tsx was started with (not when a test imports it). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return pathToFileURL(realpathSync(entry)).href === moduleUrl;
  } catch {
    return false;
  }
}
