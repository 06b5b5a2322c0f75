// The one logger of every process, on pino: JSON lines on stderr (stdout is left to CLI output and metrics),
// or readable lines when stderr is a terminal. LOG_FORMAT=json|pretty overrides the choice; Lambda and
// Fargate never have a terminal, so their logs stay JSON. LOG_LEVEL sets the level (default info). A bad value
// of either is an EnvError naming it (checkLogEnv), never a silent default.
// Aliased: the bundles' banners declare their own createRequire at the top level.
import { createRequire as requireFrom } from 'node:module';
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';
import { enumEnv } from './env.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const FORMATS = ['json', 'pretty'] as const;

/** LOG_LEVEL, or `fallback` when it is not set; throws an EnvError on a bad value. */
export function logLevelFromEnv(fallback: LogLevel = 'info'): LogLevel {
  return enumEnv('LOG_LEVEL', LEVELS) ?? fallback;
}

/** Validates LOG_LEVEL and LOG_FORMAT: every entry point calls it before it logs (an EnvError names the variable). */
export function checkLogEnv(): void {
  logLevelFromEnv();
  enumEnv('LOG_FORMAT', FORMATS);
}

/** Errors as plain fields: pino would otherwise serialise only the `err` key. */
function serialise(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] =
      value instanceof Error
        ? { name: value.name, message: value.message, cause: String(value.cause ?? '') }
        : value;
  }
  return out;
}

/**
 * pino-pretty's formatter, applied in this thread so that every line is written before a process exits
 * (its transport runs in a worker). Loaded only for a terminal: the Lambda and generator bundles leave it out.
 */
function prettyDestination(): DestinationStream | undefined {
  try {
    const { prettyFactory } = requireFrom(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    const format = prettyFactory({
      colorize: process.stderr.isTTY === true,
      messageKey: 'message',
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
    return { write: (line: string) => process.stderr.write(format(line)) };
  } catch {
    return undefined;
  }
}

function wantsPretty(): boolean {
  const format = enumEnv('LOG_FORMAT', FORMATS);
  if (format === 'json') return false;
  return format === 'pretty' || process.stderr.isTTY === true;
}

let root: PinoLogger | undefined;

/** One pino instance per process: synchronous writes, so the last lines before an exit are not lost. */
function rootLogger(): PinoLogger {
  root ??= pino(
    {
      level: 'debug',
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    (wantsPretty() ? prettyDestination() : undefined) ?? pino.destination({ fd: 2, sync: true }),
  );
  return root;
}

function wrap(logger: PinoLogger): Logger {
  return {
    debug: (message, fields) => logger.debug(serialise(fields ?? {}), message),
    info: (message, fields) => logger.info(serialise(fields ?? {}), message),
    warn: (message, fields) => logger.warn(serialise(fields ?? {}), message),
    error: (message, fields) => logger.error(serialise(fields ?? {}), message),
    child: (more) => wrap(logger.child(serialise(more))),
  };
}

/** A logger at `level` (@default LOG_LEVEL, else info); throws an EnvError on a bad LOG_LEVEL or LOG_FORMAT. */
export function createLogger(bindings: LogFields = {}, level: LogLevel = logLevelFromEnv()): Logger {
  const logger = rootLogger().child(serialise(bindings));
  logger.level = LEVELS.includes(level) ? level : logLevelFromEnv();
  return wrap(logger);
}

/**
 * Logs why a service could not start, also when the logging settings themselves are what is wrong (then as a
 * plain JSON line): the last word of a process must never be a second exception.
 */
export function logFatal(bindings: LogFields, message: string, error: unknown): void {
  try {
    createLogger(bindings, 'error').error(message, { error });
  } catch {
    const e = error as Error;
    process.stderr.write(
      `${JSON.stringify({ level: 'error', time: new Date().toISOString(), ...bindings, message, error: { name: e?.name, message: e?.message ?? String(error) } })}\n`,
    );
  }
}

/** A logger that drops everything: for tests and quiet CLIs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
