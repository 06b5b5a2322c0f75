// Custom resource that prepares the OpenSearch domain: index templates (their refresh interval, RefreshInterval,
// put on the existing indices too), ISM retention, the consumers' FGAC write-only role mapping, the Dashboards
// users' read-only role mapping and the Dashboards saved objects. It runs the same idempotent setup on Create and
// on Update; SavedObjectsHash is a property only so that a change to core/dashboards.ts changes the resource and
// CloudFormation sends an Update. Delete leaves everything in place: the indices hold data and the domain itself
// goes away with the stack. This function's role must be the domain's FGAC master user, or, in a domain the
// pipeline did not create (SharedDomain), mapped to all_access and security_manager by its owner
// (lib/existing-search-domain.ts). What must succeed for the deploy to succeed, and the retries:
// aws/search-setup.ts.
// A failed Dashboards import does not fail the resource: it is an ERROR log line and the DashboardsImport
// attribute (a stack output), which says how to run the setup again.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { createOpenSearchClient } from '../aws/opensearch-client.js';
import { applySearchSetup, describeDashboardsImport, type SearchSetupOptions } from '../aws/search-setup.js';
import { requireEnv } from '../core/env.js';
import { DEFAULT_REFRESH_INTERVAL, isRefreshInterval } from '../core/index-templates.js';
import { createLogger } from '../core/logger.js';
import {
  intProp,
  type OnEventResponse,
  PropertyError,
  type Props,
  stringListProp,
  stringProp,
} from './custom-resource.js';

export interface SearchSetupProps extends SearchSetupOptions {
  readonly endpoint: string;
}

export function parseSearchSetupProps(props: Props): SearchSetupProps {
  return {
    endpoint: stringProp(props, 'Endpoint'),
    indexPrefix: stringProp(props, 'IndexPrefix'),
    retentionDays: intProp(props, 'RetentionDays', { min: 1 }),
    writerRoleArns: stringListProp(props, 'WriterRoleArns'),
    // Absent (a stack without Dashboards sign-in, or one deployed before it existed) means no readers.
    readerRoleArns: props.ReaderRoleArns === undefined ? [] : stringListProp(props, 'ReaderRoleArns'),
    // Absent (a stack deployed before the ops function existed) means no operators.
    operatorRoleArns: props.OperatorRoleArns === undefined ? [] : stringListProp(props, 'OperatorRoleArns'),
    // 'true' for a domain the pipeline did not create (lib/existing-search-domain.ts); absent on its own.
    sharedDomain: props.SharedDomain === 'true' || props.SharedDomain === true,
    templates: {
      shards: intProp(props, 'Shards', { min: 1, fallback: 1 }),
      replicas: intProp(props, 'Replicas', { min: 0, fallback: 1 }),
      refreshInterval: refreshIntervalProp(props),
    },
  };
}

/** Absent (a stack deployed before the setting existed) means the interval its indices were created with. */
function refreshIntervalProp(props: Props): string {
  if (props.RefreshInterval === undefined) return DEFAULT_REFRESH_INTERVAL;
  const value = stringProp(props, 'RefreshInterval');
  if (!isRefreshInterval(value)) {
    throw new PropertyError(
      `property RefreshInterval must be a whole number of ms, s or m, such as 500ms or 5s, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const logger = createLogger({ handler: 'search-setup-provider' });

/**
 * Time kept back from the function's timeout: a request started just before the deadline may take its full
 * 30 s timeout (aws/opensearch-client.ts), and the answer to CloudFormation must still go out.
 */
const ANSWER_MARGIN_MS = 45_000;

export async function handler(
  event: CloudFormationCustomResourceEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<OnEventResponse> {
  if (event.RequestType === 'Delete') {
    logger.info('delete: leaving indices, templates and saved objects in place', {
      physicalId: event.PhysicalResourceId,
    });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const props = parseSearchSetupProps(event.ResourceProperties as Props);
  const client = createOpenSearchClient({ endpoint: props.endpoint, region: requireEnv('AWS_REGION') });
  try {
    const result = await applySearchSetup(client, {
      ...props,
      retry: {
        deadline: Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
        onRetry: (request, error, attempt, delayMs) =>
          logger.warn('the domain refused or did not answer, retrying', {
            request,
            attempt,
            delayMs,
            error: error as Error,
          }),
      },
    });
    const dashboardsImport = describeDashboardsImport(result.dashboardsImport, result.savedObjects);
    if (result.dashboardsImport.ok) {
      logger.info('search setup applied', { requestType: event.RequestType, ...result });
    } else {
      logger.error(`search setup applied, but the Dashboards import ${dashboardsImport}`, {
        requestType: event.RequestType,
        ...result,
      });
    }
    return {
      PhysicalResourceId: `search-setup@${props.endpoint}/${props.indexPrefix}`,
      Data: {
        IsmPolicyId: result.ismPolicyId,
        SavedObjects: result.savedObjects,
        DashboardsImport: dashboardsImport,
      },
    };
  } finally {
    await client.close();
  }
}
