// Guard for the integration tests of the local stack: fail fast, with the fix, when the stack is down.
import { Kafka, logLevel } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { localEndpoints } from '../../local/endpoints.js';

async function answers(name: string, check: () => Promise<void>): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    return `${name} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Throws when Kafka, OpenSearch or MySQL of the local stack does not answer. */
export async function requireLocalStack(): Promise<void> {
  const { brokers, opensearchUrl, mysqlUrl } = localEndpoints();
  const down = (
    await Promise.all([
      answers(`Kafka at ${brokers.join(',')}`, async () => {
        const admin = new Kafka({
          brokers,
          logLevel: logLevel.NOTHING,
          connectionTimeout: 2_000,
          retry: { retries: 0 },
        }).admin();
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      }),
      answers(`OpenSearch at ${opensearchUrl}`, async () => {
        const response = await fetch(`${opensearchUrl}/_cluster/health`, {
          signal: AbortSignal.timeout(3_000),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      }),
      answers(`MySQL at ${mysqlUrl}`, async () => {
        const connection = await createConnection({ uri: mysqlUrl, connectTimeout: 3_000 });
        await connection.end();
      }),
    ])
  ).filter((d): d is string => d !== undefined);
  if (down.length > 0) {
    throw new Error(
      `local stack is not up: run \`npm run stack:start\` first. Not answering: ${down.join('; ')}`,
    );
  }
}

/** A name unique to this test run (topics, groups, databases, index prefixes). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
