// Custom resource that prepares the OpenSearch domain: index templates, ISM retention, the consumers' FGAC
// write-only role mapping, the Dashboards users' read-only role mapping and the Dashboards saved objects. It
// runs the same idempotent setup on Create and on Update; SavedObjectsHash is a property only so that a change
// to core/dashboards.ts changes the resource and CloudFormation sends an Update. Delete leaves everything in
// place: the indices hold data and the domain itself goes away with the stack. This function's role must be
// the domain's FGAC master user.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { createOpenSearchClient } from '../aws/opensearch-client.js';
import { applySearchSetup, type SearchSetupOptions } from '../aws/search-setup.js';
import { requireEnv } from '../core/env.js';
import { createLogger } from '../core/logger.js';
import { intProp, type OnEventResponse, type Props, stringListProp, stringProp } from './custom-resource.js';

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
    templates: {
      shards: intProp(props, 'Shards', { min: 1, fallback: 1 }),
      replicas: intProp(props, 'Replicas', { min: 0, fallback: 1 }),
    },
  };
}

const logger = createLogger({ handler: 'search-setup-provider' });

export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  if (event.RequestType === 'Delete') {
    logger.info('delete: leaving indices, templates and saved objects in place', {
      physicalId: event.PhysicalResourceId,
    });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const props = parseSearchSetupProps(event.ResourceProperties as Props);
  const client = createOpenSearchClient({ endpoint: props.endpoint, region: requireEnv('AWS_REGION') });
  try {
    const result = await applySearchSetup(client, props);
    logger.info('search setup applied', { requestType: event.RequestType, ...result });
    return {
      PhysicalResourceId: `search-setup@${props.endpoint}/${props.indexPrefix}`,
      Data: { IsmPolicyId: result.ismPolicyId, SavedObjects: result.savedObjects },
    };
  } finally {
    await client.close();
  }
}
