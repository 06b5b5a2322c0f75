// Wiring of the runtime core to the local stack: the same processBatch, users lookup and indexer the AWS
// consumers use, with plain clients (PLAINTEXT Kafka, HTTP OpenSearch, a MariaDB URL).
import { Client } from '@opensearch-project/opensearch';
import { type Admin, Kafka } from 'kafkajs';
import { createPool, type Pool } from 'mysql2/promise';
import { CATEGORIES, type Category, emptyCounts, indexPattern } from '../core/documents.js';
import { lagOf } from '../core/group-offsets.js';
import { applyIndexTemplates } from '../core/index-templates.js';
import { BulkIndexer } from '../core/indexer.js';
import { KAFKA_LOG_LEVEL, kafkaLogCreator } from '../core/kafka-log.js';
import { createLogger, type Logger } from '../core/logger.js';
import { type BatchSummary, processBatch } from '../core/process-batch.js';

export { ensureTopic } from '../core/topics.js';

import type { SourceRecord } from '../core/source-record.js';
import { MysqlUsersSource, UsersLookup } from '../core/users.js';

export interface LocalPipelineOptions {
  readonly brokers: readonly string[];
  readonly opensearchUrl: string;
  readonly mysqlUrl: string;
  readonly indexPrefix: string;
  readonly clientId?: string;
  readonly logger?: Logger;
  /** @default DEFAULT_MAX_REQUEST_BYTES */
  readonly bulkMaxBytes?: number;
}

export interface LocalPipeline {
  readonly kafka: Kafka;
  readonly pool: Pool;
  readonly search: Client;
  readonly users: UsersLookup;
  readonly indexer: BulkIndexer;
  readonly process: (records: SourceRecord[]) => Promise<BatchSummary>;
  /** Records the group still has to read of the topic (one admin connection, kept across calls). */
  lag(groupId: string, topic: string): Promise<number>;
  close(): Promise<void>;
}

/** kafkajs logs through our logger (see core/kafka-log.ts). */
export function createKafka(
  brokers: readonly string[],
  clientId: string,
  logger: Logger = createLogger(),
): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
    logLevel: KAFKA_LOG_LEVEL,
    logCreator: kafkaLogCreator(logger),
  });
}

export function createLocalPipeline(options: LocalPipelineOptions): LocalPipeline {
  const logger = options.logger ?? createLogger();
  const kafka = createKafka(options.brokers, options.clientId ?? 'log-pipeline-local', logger);
  const pool = createPool({ uri: options.mysqlUrl, connectionLimit: 4 });
  const search = new Client({ node: options.opensearchUrl });
  const users = new UsersLookup(new MysqlUsersSource(pool));
  const indexer = new BulkIndexer(search, { logger, maxRequestBytes: options.bulkMaxBytes });
  // Callers poll the lag several times a second: connect once, and again only after a failure.
  const admin = lazyAdmin(kafka);
  return {
    kafka,
    pool,
    search,
    users,
    indexer,
    process: (records) => processBatch(records, { users, indexer, indexPrefix: options.indexPrefix, logger }),
    lag: async (groupId, topic) => {
      try {
        return await groupLag(await admin.get(), groupId, topic);
      } catch (error) {
        await admin.drop();
        throw error;
      }
    },
    close: async () => {
      await admin.drop();
      await pool.end();
      await search.close();
    },
  };
}

export interface LazyAdmin {
  /** The admin client, connected on first use and shared. */
  get(): Promise<Admin>;
  /** Disconnects it (after a failure), so that the next get() connects again. */
  drop(): Promise<void>;
}

export function lazyAdmin(kafka: Kafka): LazyAdmin {
  let admin: Promise<Admin> | undefined;
  return {
    get: () => {
      admin ??= (async () => {
        const a = kafka.admin();
        await a.connect();
        return a;
      })();
      return admin;
    },
    drop: async () => {
      const a = admin;
      admin = undefined;
      await a?.then((connected) => connected.disconnect()).catch(() => undefined);
    },
  };
}

/**
 * How long an acknowledged document may stay unsearchable locally. Half of OpenSearch's 1 s default: at 20,000
 * events/s the pipeline itself takes 24-28 ms (p50) and 132-443 ms (p99) until a document is indexed, so the
 * refresh was nearly all of produce -> searchable (p99 1.3-1.7 s at 1 s, 0.72 s at 500 ms), and a 1,000,000-event
 * backlog took as long with either (`npm run bench -- --e2e --latency-only`, README "Performance").
 */
export const DEFAULT_LOCAL_REFRESH_INTERVAL = '500ms';

/** Local indices: the same templates as AWS, with 0 replicas so a single node stays green. */
export async function prepareIndices(
  search: Client,
  prefix: string,
  refreshInterval = DEFAULT_LOCAL_REFRESH_INTERVAL,
): Promise<void> {
  await applyIndexTemplates(search, prefix, { replicas: 0, refreshInterval });
}

/** Documents per category, as searchable now (refresh first to include everything acknowledged). */
export async function countIndexed(search: Client, prefix: string): Promise<Record<Category, number>> {
  const counts = emptyCounts();
  for (const category of CATEGORIES) {
    const response = await search.count({
      index: indexPattern(prefix),
      ignore_unavailable: true,
      allow_no_indices: true,
      body: { query: { term: { category } } },
    });
    counts[category] = response.body.count;
  }
  return counts;
}

/** Moved to core/group-offsets.ts (the ops function counts lag the same way); kept here for the local tools. */
export { lagOf };

export async function refreshIndices(search: Client, prefix: string): Promise<void> {
  await search.indices.refresh({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
}

async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return Number(lagOf(ends, committed[0]?.partitions ?? []));
}
