// kafkajs logs through the project's logger, so a process prints one format. Its info lines are connection
// chatter; errors that are normal while a group or a topic is forming (and that kafkajs retries by itself)
// go to debug instead of ERROR, so a fresh start does not look like a failure.
import { type LogEntry, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from './logger.js';

/** Retried by kafkajs and expected around start-up, topic creation and rebalances. */
const TRANSIENTS = [
  'The group coordinator is not available',
  'The coordinator is loading and hence can',
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition',
  'This server does not host this topic-partition',
  'The group is rebalancing, so a rejoin is needed',
];

export function isStartupTransient(entry: LogEntry['log']): boolean {
  const text = `${entry.message} ${String((entry as { error?: unknown }).error ?? '')}`;
  return TRANSIENTS.some((t) => text.includes(t));
}

/** The kafkajs level to configure with this creator: warnings and up reach it. */
export const KAFKA_LOG_LEVEL = logLevel.WARN;

export function kafkaLogCreator(logger: Logger): logCreator {
  const log = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, namespace, log: entry }: LogEntry) => {
      const {
        message,
        timestamp: _timestamp,
        logger: _name,
        ...fields
      } = entry as LogEntry['log'] & {
        logger?: string;
      };
      const all = { namespace, ...fields };
      if (isStartupTransient(entry)) log.debug(message, all);
      else if (level <= logLevel.ERROR) log.error(message, all);
      else if (level === logLevel.WARN) log.warn(message, all);
      else log.info(message, all);
    };
}
