// Lambda handler of the ops function (lib/ops-function.ts): the operator commands on a laptop (`npm run smoke`,
// `ops:replay`, `ops:redrive`, `ops:status`) invoke it with the AWS SDK, and it does inside the VPC what they
// cannot do from outside: talk to the MSK brokers and the OpenSearch domain. Wiring only: it reads the
// deployment's names from the environment, connects with the function's IAM role (MSK IAM, SigV4) and hands the
// request to ops/ops-actions.ts, which the local stack test drives too. Each invocation connects and
// disconnects: operator commands are rare, and a client left connected would hold a broker connection idle.
import type { Context } from 'aws-lambda';
import { resolveIamBrokers } from '../aws/msk-brokers.js';
import { createMskKafka } from '../aws/msk-iam.js';
import { createOpenSearchClient } from '../aws/opensearch-client.js';
import { createPipelineDeps, type PipelineDeps, pipelineConfigFromEnv } from '../aws/pipeline-deps.js';
import { requireEnv } from '../core/env.js';
import { createLogger } from '../core/logger.js';
import { processBatch } from '../core/process-batch.js';
import { handleOpsRequest, type OpsResponse, type OpsTargets } from '../ops/ops-actions.js';

/** The deployment's names, from the environment the construct sets; a missing one fails the first request. */
export function opsTargetsFromEnv(): OpsTargets {
  return {
    topic: requireEnv('TOPIC'),
    deadLetterTopic: requireEnv('DEAD_LETTER_TOPIC'),
    consumerGroupId: requireEnv('CONSUMER_GROUP_ID'),
    redriveGroupId: requireEnv('REDRIVE_GROUP_ID'),
    readGroupPrefix: requireEnv('READ_GROUP_PREFIX'),
    indexPrefix: requireEnv('INDEX_PREFIX'),
  };
}

const logger = createLogger({ handler: 'ops' });
/** The users lookup and indexer (and their DB pool) live as long as the execution environment. */
let pipeline: PipelineDeps | undefined;

export async function handler(
  event: unknown,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<OpsResponse> {
  const targets = opsTargetsFromEnv();
  const region = requireEnv('AWS_REGION');
  const config = pipelineConfigFromEnv();
  const brokers = await resolveIamBrokers(requireEnv('CLUSTER_ARN'));
  const kafka = createMskKafka({ brokers, region, clientId: 'log-pipeline-ops', logger });
  const admin = kafka.admin();
  const search = createOpenSearchClient({ endpoint: config.opensearchEndpoint, region });
  await admin.connect();
  try {
    return await handleOpsRequest(event, targets, {
      kafka,
      admin,
      search,
      process: (records) => {
        pipeline ??= createPipelineDeps(config);
        return processBatch(records, { ...pipeline, logger });
      },
      logger,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  } finally {
    await admin.disconnect();
    await search.close();
  }
}
