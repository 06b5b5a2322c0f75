// Custom resource that switches the users database's deletion protection on (or off, when dbDeletionProtection
// is false) on Create and Update. The stack orders it after every other resource, so the protection is on only
// once the whole first create has succeeded: a failed create rolls back an unprotected instance cleanly. Delete
// leaves the protection as it is: deleting the stack must not unprotect the database (the instance's own delete
// then fails while protected, as intended); turning it off is an Update with Enabled false. A Delete after a
// failed Create never reaches this handler (the CDK provider framework answers it itself).
import { RDSClient } from '@aws-sdk/client-rds';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { setDeletionProtection } from '../aws/database-protection.js';
import { createLogger } from '../core/logger.js';
import { type OnEventResponse, PropertyError, stringProp } from './custom-resource.js';

const logger = createLogger({ handler: 'database-protection-provider' });

/** Time kept back from the function's timeout to answer CloudFormation. */
const ANSWER_MARGIN_MS = 20_000;

export function parseEnabled(props: Record<string, unknown>): boolean {
  const raw = props.Enabled;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new PropertyError(`property Enabled must be true or false, got ${JSON.stringify(raw)}`);
}

export function databaseProtectionHandler(rds = new RDSClient({})) {
  return async (
    event: CloudFormationCustomResourceEvent,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ) => {
    if (event.RequestType === 'Delete') {
      logger.info('delete: leaving the deletion protection as it is', {
        physicalId: event.PhysicalResourceId,
      });
      return { PhysicalResourceId: event.PhysicalResourceId } satisfies OnEventResponse;
    }
    const props = event.ResourceProperties as Record<string, unknown>;
    const instanceId = stringProp(props, 'DBInstanceIdentifier');
    const physicalId = `deletion-protection@${instanceId}`;
    const enabled = parseEnabled(props);
    await setDeletionProtection(rds, instanceId, enabled, {
      deadline: Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
      logger,
    });
    return {
      PhysicalResourceId: physicalId,
      Data: { DeletionProtection: String(enabled) },
    } satisfies OnEventResponse;
  };
}

export const handler = databaseProtectionHandler();
