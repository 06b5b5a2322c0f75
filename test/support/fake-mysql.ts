// A fake mysql2 pool for the users source's unit tests: one scripted answer, and what was sent.
import type { Pool } from 'mysql2/promise';

interface SentQuery {
  readonly sql: string;
  readonly timeout: number;
  readonly values: unknown;
}

/** A pool whose one query answers `rows` or throws `error`; counts connections released and destroyed. */
export function fakePool(answer: { rows?: Record<string, unknown>[]; error?: Error }) {
  const sent: SentQuery[] = [];
  const connections = { taken: 0, released: 0, destroyed: 0 };
  const pool = {
    escapeId: (name: string) => `\`${name.replaceAll('`', '``')}\``,
    getConnection: async () => {
      connections.taken++;
      return {
        query: async (options: { sql: string; timeout: number }, values: unknown) => {
          sent.push({ sql: options.sql, timeout: options.timeout, values });
          if (answer.error) throw answer.error;
          return [answer.rows ?? [], []];
        },
        release: () => {
          connections.released++;
        },
        destroy: () => {
          connections.destroyed++;
        },
      };
    },
  };
  return { pool: pool as unknown as Pool, sent, connections };
}
