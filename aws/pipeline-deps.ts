// Builds the runtime core's dependencies (users lookup over RDS, bulk indexer over a SigV4 OpenSearch client)
// from the environment. Shared by the Lambda MSK consumer and the Fargate consumer so both run the same
// configuration surface.

import { DEFAULT_INDEX_PREFIX } from '../core/documents.js';
import { intEnv, optionalEnv, requireEnv } from '../core/env.js';
import { EnvError } from '../core/errors.js';
import { BulkIndexer, DEFAULT_MAX_REQUEST_BYTES, MIN_MAX_REQUEST_BYTES } from '../core/indexer.js';
import { UsersLookup } from '../core/users.js';
import { DbSecretReader } from './db-secret.js';
import { createOpenSearchClient } from './opensearch-client.js';
import { RdsUsersSource } from './rds-users-source.js';
import { RotatingPool } from './rotating-pool.js';

export interface PipelineConfig {
  readonly region: string;
  readonly indexPrefix: string;
  readonly opensearchEndpoint: string;
  readonly dbSecretArn: string;
  /** Optional override of the secret's dbname. */
  readonly databaseName?: string;
  readonly usersCacheTtlSeconds: number;
  /** How long one users query may wait for the database (e.g. on a table lock) before the batch is retried. */
  readonly usersQueryTimeoutMs: number;
  readonly secretTtlSeconds: number;
  readonly metricsNamespace: string;
  /** Upper bound of one _bulk request body. */
  readonly bulkMaxBytes: number;
}

/** Reads and validates every variable up front, so a misconfigured function fails on its first event. */
export function pipelineConfigFromEnv(): PipelineConfig {
  const databaseName = optionalEnv('DB_NAME', '');
  const usersQueryTimeoutMs = intEnv('USERS_QUERY_TIMEOUT_MS', 5_000);
  // 0 would mean "no timeout" to mysql2: the silent stall on a locked table the setting exists to prevent.
  if (usersQueryTimeoutMs < 1) {
    throw new EnvError('environment variable USERS_QUERY_TIMEOUT_MS must be at least 1 (ms), got 0');
  }
  return {
    region: requireEnv('AWS_REGION'),
    indexPrefix: optionalEnv('INDEX_PREFIX', DEFAULT_INDEX_PREFIX),
    opensearchEndpoint: requireEnv('OPENSEARCH_ENDPOINT'),
    dbSecretArn: requireEnv('DB_SECRET_ARN'),
    databaseName: databaseName === '' ? undefined : databaseName,
    usersCacheTtlSeconds: intEnv('USERS_CACHE_TTL_SECONDS', 60),
    usersQueryTimeoutMs,
    secretTtlSeconds: intEnv('DB_SECRET_TTL_SECONDS', 300),
    metricsNamespace: optionalEnv('METRICS_NAMESPACE', 'LogPipeline'),
    bulkMaxBytes: intEnv('BULK_MAX_BYTES', DEFAULT_MAX_REQUEST_BYTES, MIN_MAX_REQUEST_BYTES),
  };
}

export interface PipelineDeps {
  readonly users: UsersLookup;
  readonly indexer: BulkIndexer;
  readonly indexPrefix: string;
  /** Closes the database pool (Fargate shutdown; Lambda never calls it). */
  close(): Promise<void>;
}

export function createPipelineDeps(config: PipelineConfig): PipelineDeps {
  const pools = new RotatingPool(
    new DbSecretReader({ secretArn: config.dbSecretArn, ttlSeconds: config.secretTtlSeconds }),
    {
      database: config.databaseName,
    },
  );
  const client = createOpenSearchClient({ endpoint: config.opensearchEndpoint, region: config.region });
  return {
    users: new UsersLookup(new RdsUsersSource(pools, { queryTimeoutMs: config.usersQueryTimeoutMs }), {
      ttlMs: config.usersCacheTtlSeconds * 1000,
    }),
    indexer: new BulkIndexer(client, { maxRequestBytes: config.bulkMaxBytes }),
    indexPrefix: config.indexPrefix,
    close: async () => {
      await pools.end();
      await client.close();
    },
  };
}
