// The soak's own names on the shared local stack: a topic, a consumer group, an index prefix and a database,
// unique to the run, so that it never reads or writes anyone's data; and their removal afterwards.
import { randomBytes } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import type { Kafka } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { templateName } from '../../core/index-templates.js';

export interface Sandbox {
  readonly topic: string;
  readonly group: string;
  readonly indexPrefix: string;
  readonly database: string;
  /** The server URL with the soak's database as its path. */
  readonly mysqlUrl: string;
}

export function sandboxNames(serverUrl: string): Sandbox {
  const id = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/soak_${id}`;
  return {
    topic: `soak-${id}`,
    group: `soak-${id}`,
    indexPrefix: `soak-${id}`,
    database: `soak_${id}`,
    mysqlUrl: url.toString(),
  };
}

/** Creates the topic (the broker does not auto-create) and the empty database. */
export async function createSandbox(
  sandbox: Sandbox,
  { kafka, serverUrl, partitions }: { kafka: Kafka; serverUrl: string; partitions: number },
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: sandbox.topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  const db = await createConnection({ uri: serverUrl });
  try {
    await db.query(`CREATE DATABASE ${db.escapeId(sandbox.database)}`);
  } finally {
    await db.end();
  }
}

/** Removes whatever of the sandbox exists; each part is attempted even when another fails. */
export async function removeSandbox(
  sandbox: Sandbox,
  { kafka, search, serverUrl }: { kafka: Kafka; search: Client; serverUrl: string },
): Promise<string[]> {
  const failures: string[] = [];
  const attempt = async (what: string, action: () => Promise<unknown>) => {
    await action().catch((error: unknown) => failures.push(`${what}: ${(error as Error).message}`));
  };
  await attempt('indices', () =>
    search.indices.delete({
      index: `${sandbox.indexPrefix}-*`,
      ignore_unavailable: true,
      allow_no_indices: true,
    }),
  );
  await attempt('index template', () =>
    search.indices.deleteIndexTemplate({ name: templateName(sandbox.indexPrefix) }, { ignore: [404] }),
  );
  await attempt('topic and group', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      // The group first: once its topic is gone Kafka drops an empty group by itself, racing our delete.
      const { groups } = await admin.listGroups();
      if (groups.some((g) => g.groupId === sandbox.group)) {
        await admin.deleteGroups([sandbox.group]).catch((error: unknown) => {
          if (!isGroupGone(error)) throw error;
        });
      }
      if ((await admin.listTopics()).includes(sandbox.topic))
        await admin.deleteTopics({ topics: [sandbox.topic] });
    } finally {
      await admin.disconnect();
    }
  });
  await attempt('database', async () => {
    const db = await createConnection({ uri: serverUrl });
    try {
      await db.query(`DROP DATABASE IF EXISTS ${db.escapeId(sandbox.database)}`);
    } finally {
      await db.end();
    }
  });
  return failures;
}

/** kafkajs's DeleteGroups error when the group vanished between listing and deleting it. */
function isGroupGone(error: unknown): boolean {
  const groups = (error as { groups?: { error?: { type?: string } }[] }).groups;
  return groups?.every((g) => g.error?.type === 'GROUP_ID_NOT_FOUND') === true;
}
