// The one logger of every process, on pino: JSON lines on stderr (stdout is left to CLI output and metrics),
// or readable lines when stderr is a terminal. LOG_FORMAT=json|pretty overrides the choice; Lambda and
// Fargate never have a terminal, so their logs stay JSON. LOG_LEVEL sets the level (default info).
// Aliased: the bundles' banners declare their own createRequire at the top level.
import { createRequire as requireFrom } from 'node:module';
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino';

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

function configuredLevel(): LogLevel {
  const level = (process.env.LOG_LEVEL ?? 'info').toLowerCase();
  return (LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : 'info';
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
  const format = (process.env.LOG_FORMAT ?? '').toLowerCase();
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

export function createLogger(bindings: LogFields = {}, level: LogLevel = configuredLevel()): Logger {
  const logger = rootLogger().child(serialise(bindings));
  logger.level = LEVELS.includes(level) ? level : configuredLevel();
  return wrap(logger);
}

/** A logger that drops everything: for tests and quiet CLIs. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
