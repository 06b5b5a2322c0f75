import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { Pool, PoolOptions } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { DbSecretError, DbSecretReader, parseRdsSecret, rdsPoolConfig } from '../../aws/db-secret.js';
import { RotatingPool } from '../../aws/rotating-pool.js';

const secretJson = (password: string) =>
  JSON.stringify({
    username: 'admin',
    password,
    engine: 'mysql',
    host: 'db.x.rds.amazonaws.com',
    port: 3306,
    dbname: 'logpipeline',
  });

function fakeSecrets(versions: { SecretString?: string; VersionId?: string }[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    send: async (_command: GetSecretValueCommand) => versions[Math.min(calls++, versions.length - 1)],
  };
}

describe('parseRdsSecret', () => {
  it('reads the fields RDS writes into its secret', () => {
    expect(parseRdsSecret(secretJson('p'))).toEqual({
      username: 'admin',
      password: 'p',
      host: 'db.x.rds.amazonaws.com',
      port: 3306,
      dbname: 'logpipeline',
    });
  });

  it('names the missing field', () => {
    expect(() => parseRdsSecret('{"username":"a","host":"h"}', 'arn:s')).toThrow(
      "arn:s has no string field 'password'",
    );
  });

  it('rejects a secret that is not JSON', () => {
    expect(() => parseRdsSecret('hunter2')).toThrow(DbSecretError);
  });
});

describe('rdsPoolConfig', () => {
  it('always verifies TLS against the RDS CA bundle', () => {
    const config = rdsPoolConfig(parseRdsSecret(secretJson('p')));

    expect(config.ssl).toMatchObject({ rejectUnauthorized: true });
    expect((config.ssl as { ca: string[] }).ca.length).toBeGreaterThan(0);
    expect(config).toMatchObject({ host: 'db.x.rds.amazonaws.com', user: 'admin', database: 'logpipeline' });
  });

  it('lets the caller choose the database', () => {
    expect(rdsPoolConfig(parseRdsSecret(secretJson('p')), { database: 'other' }).database).toBe('other');
  });
});

describe('DbSecretReader', () => {
  it('calls Secrets Manager once per TTL', async () => {
    let now = 0;
    const client = fakeSecrets([
      { SecretString: secretJson('one'), VersionId: 'v1' },
      { SecretString: secretJson('two'), VersionId: 'v2' },
    ]);
    const reader = new DbSecretReader({ secretArn: 'arn:s', ttlSeconds: 60, client, now: () => now });

    await Promise.all([reader.read(), reader.read()]);
    now = 59_000;
    expect((await reader.read()).secret.password).toBe('one');
    now = 60_000;
    expect(await reader.read()).toMatchObject({ version: 'v2', secret: { password: 'two' } });
    expect(client.calls).toBe(2);
  });

  it('fails when the secret has no string value', async () => {
    const reader = new DbSecretReader({ secretArn: 'arn:s', client: fakeSecrets([{}]) });

    await expect(reader.read()).rejects.toThrow('secret arn:s has no SecretString');
  });
});

describe('RotatingPool', () => {
  it('replaces the pool when the secret rotates and closes the old one', async () => {
    let now = 0;
    const reader = new DbSecretReader({
      secretArn: 'arn:s',
      ttlSeconds: 1,
      now: () => now,
      client: fakeSecrets([
        { SecretString: secretJson('one'), VersionId: 'v1' },
        { SecretString: secretJson('two'), VersionId: 'v2' },
      ]),
    });
    const created: { config: PoolOptions; ended: boolean }[] = [];
    const factory = (config: PoolOptions) => {
      const entry = { config, ended: false };
      created.push(entry);
      return {
        end: async () => {
          entry.ended = true;
        },
      } as unknown as Pool;
    };
    const pools = new RotatingPool(reader, {}, factory);

    const first = await pools.get();
    expect(await pools.get()).toBe(first);
    now = 1_000;
    const second = await pools.get();

    expect(second).not.toBe(first);
    expect(created.map((c) => [c.config.password, c.ended])).toEqual([
      ['one', true],
      ['two', false],
    ]);
  });

  it('re-reads the secret on refresh, before its TTL, and moves to the new version', async () => {
    const client = new SecretsManagerClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const secrets = mockClient(client);
    secrets
      .on(GetSecretValueCommand, { SecretId: 'arn:s' })
      .resolvesOnce({ SecretString: secretJson('one'), VersionId: 'v1' })
      .resolves({ SecretString: secretJson('two'), VersionId: 'v2' });
    const reader = new DbSecretReader({
      secretArn: 'arn:s',
      ttlSeconds: 300,
      client,
    });
    const passwords: (string | undefined)[] = [];
    const pools = new RotatingPool(reader, {}, (config) => {
      passwords.push(config.password);
      return { end: async () => undefined } as unknown as Pool;
    });

    const first = await pools.get();
    expect(await pools.get()).toBe(first);
    const refreshed = await pools.refresh();

    expect(refreshed).not.toBe(first);
    expect(passwords).toEqual(['one', 'two']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(pools.user).toBe('admin');
    expect(pools.secretArn).toBe('arn:s');
  });
});
