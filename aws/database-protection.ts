// Switches an RDS instance's deletion protection on or off and waits until RDS reports it. The stack's last
// resource (lib/database-protection.ts) calls it once everything else is created: an instance protected from its
// own creation on would make a failed first create end in ROLLBACK_FAILED, because CloudFormation cannot delete a
// protected instance while it rolls back: RDS refuses to delete an instance until its deletion protection is
// turned off (Amazon RDS user guide, "Deleting a DB instance", deletion protection; AWS Security Hub control RDS.8).
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import type { Logger } from '../core/logger.js';
import { retryUntilDeadline } from '../core/retry.js';

/** The part of RDSClient used here, so that tests can pass a fake. */
export type RdsApi = Pick<RDSClient, 'send'>;

/** RDS answers these while the instance is busy (a backup right after creation) or the API throttles. */
const RETRIABLE_NAMES = new Set([
  'InvalidDBInstanceStateFault',
  'InvalidDBInstanceState',
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

export function isRetriableRdsError(error: unknown): boolean {
  const { name, $metadata, code } = (error ?? {}) as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  if (name !== undefined && RETRIABLE_NAMES.has(name)) return true;
  if (($metadata?.httpStatusCode ?? 0) >= 500) return true;
  return code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'ECONNREFUSED' || code === 'EAI_AGAIN';
}

/** Thrown when RDS accepted the change but did not report it before the deadline. */
export class DeletionProtectionNotAppliedError extends Error {
  override readonly name = 'DeletionProtectionNotAppliedError';
}

export interface SetDeletionProtectionOptions {
  /** Epoch ms: no attempt starts after it. */
  readonly deadline: number;
  readonly logger?: Logger;
  /** @default 2_000 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export async function setDeletionProtection(
  rds: RdsApi,
  instanceId: string,
  enabled: boolean,
  options: SetDeletionProtectionOptions,
): Promise<void> {
  const retry = {
    isRetriable: isRetriableRdsError,
    deadline: options.deadline,
    baseDelayMs: options.baseDelayMs ?? 2_000,
    sleep: options.sleep,
    onRetry: (error: unknown, attempt: number, delayMs: number) =>
      options.logger?.warn('RDS refused the change for now, retrying', {
        instanceId,
        attempt,
        delayMs,
        error: error as Error,
      }),
  };
  // The protection applies at once; ApplyImmediately keeps any other pending change from waiting on it.
  await retryUntilDeadline(
    () =>
      rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: instanceId,
          DeletionProtection: enabled,
          ApplyImmediately: true,
        }),
      ),
    retry,
  );
  await retryUntilDeadline(
    async () => {
      const described = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
      const actual = described.DBInstances?.[0]?.DeletionProtection;
      if (actual !== enabled) {
        throw new DeletionProtectionNotAppliedError(
          `RDS still reports DeletionProtection ${String(actual)} on ${instanceId}`,
        );
      }
    },
    {
      ...retry,
      isRetriable: (e) => e instanceof DeletionProtectionNotAppliedError || isRetriableRdsError(e),
    },
  );
  options.logger?.info('deletion protection set', { instanceId, enabled });
}
