import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DeletionProtectionNotAppliedError,
  isRetriableRdsError,
  setDeletionProtection,
} from '../../aws/database-protection.js';
import { DeadlineExceededError } from '../../core/retry.js';
import { databaseProtectionHandler, parseEnabled } from '../../lambdas/database-protection-provider.js';

const rds = mockClient(RDSClient);
const noSleep = async () => undefined;
const farDeadline = () => Date.now() + 60_000;

function rdsError(name: string, status = 400) {
  return Object.assign(new Error(`${name} from RDS`), { name, $metadata: { httpStatusCode: status } });
}

describe('setDeletionProtection', () => {
  beforeEach(() => rds.reset());

  it('switches the protection on at once and returns when RDS reports it', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DeletionProtection: true }] });

    await setDeletionProtection(new RDSClient({}), 'db-1', true, { deadline: farDeadline(), sleep: noSleep });

    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]?.args[0].input).toEqual({
      DBInstanceIdentifier: 'db-1',
      DeletionProtection: true,
      ApplyImmediately: true,
    });
  });

  it('retries a busy instance (its first backup), throttling and 5xx, then waits until RDS reports the change', async () => {
    rds
      .on(ModifyDBInstanceCommand)
      .rejectsOnce(rdsError('InvalidDBInstanceStateFault'))
      .rejectsOnce(rdsError('ThrottlingException'))
      .rejectsOnce(rdsError('InternalFailure', 500))
      .resolves({});
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DeletionProtection: false }] })
      .resolves({ DBInstances: [{ DeletionProtection: true }] });

    await setDeletionProtection(new RDSClient({}), 'db-1', true, { deadline: farDeadline(), sleep: noSleep });

    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(4);
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(2);
  });

  it('fails at once on an error retrying cannot fix, such as a missing permission', async () => {
    rds.on(ModifyDBInstanceCommand).rejects(rdsError('AccessDenied', 403));

    await expect(
      setDeletionProtection(new RDSClient({}), 'db-1', true, { deadline: farDeadline(), sleep: noSleep }),
    ).rejects.toThrow(/AccessDenied from RDS/);
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(1);
  });

  it('gives up when the deadline leaves no time for another attempt, with the last error', async () => {
    rds.on(ModifyDBInstanceCommand).rejects(rdsError('InvalidDBInstanceStateFault'));

    const failure = setDeletionProtection(new RDSClient({}), 'db-1', true, {
      deadline: Date.now() + 1,
      sleep: noSleep,
    });
    await expect(failure).rejects.toBeInstanceOf(DeadlineExceededError);
    await expect(failure).rejects.toThrow(/still failing after 1 attempts: InvalidDBInstanceStateFault/);
  });

  it('tells retriable RDS answers from the rest', () => {
    expect(isRetriableRdsError(rdsError('Throttling'))).toBe(true);
    expect(isRetriableRdsError(rdsError('ServiceUnavailable', 503))).toBe(true);
    expect(isRetriableRdsError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetriableRdsError(rdsError('DBInstanceNotFound', 404))).toBe(false);
    expect(new DeletionProtectionNotAppliedError('x').name).toBe('DeletionProtectionNotAppliedError');
  });
});

describe('the deletion protection custom resource', () => {
  beforeEach(() => rds.reset());
  const context = { getRemainingTimeInMillis: () => 300_000 };
  const event = (RequestType: 'Create' | 'Update' | 'Delete', Enabled: unknown) =>
    ({
      RequestType,
      PhysicalResourceId: 'deletion-protection@db-1',
      ResourceProperties: { ServiceToken: 'arn', DBInstanceIdentifier: 'db-1', Enabled },
    }) as never;

  it('switches the protection on at Create and off at an Update with Enabled false', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [{ DeletionProtection: true }] })
      .resolves({ DBInstances: [{ DeletionProtection: false }] });
    const handler = databaseProtectionHandler(new RDSClient({}));

    await expect(handler(event('Create', 'true'), context)).resolves.toEqual({
      PhysicalResourceId: 'deletion-protection@db-1',
      Data: { DeletionProtection: 'true' },
    });
    await handler(event('Update', 'false'), context);

    expect(rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input.DeletionProtection)).toEqual([
      true,
      false,
    ]);
  });

  it('leaves the protection on at Delete, so that deleting the stack never unprotects the database', async () => {
    const handler = databaseProtectionHandler(new RDSClient({}));

    await expect(handler(event('Delete', 'true'), context)).resolves.toEqual({
      PhysicalResourceId: 'deletion-protection@db-1',
    });
    expect(rds.calls()).toHaveLength(0);
  });

  it('refuses an Enabled that is not a boolean', () => {
    expect(parseEnabled({ Enabled: 'true' })).toBe(true);
    expect(() => parseEnabled({ Enabled: 'yes' })).toThrow(/property Enabled must be true or false/);
  });
});
