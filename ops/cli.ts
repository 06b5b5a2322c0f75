// What the operator commands share beyond the project's CLI convention (local/cli.ts): the deployed stack's
// outputs, read from CloudFormation.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PipelineError } from '../core/errors.js';

export const DEFAULT_STACK_NAME = 'LogPipelineStack';

/** The output keys the stack exports for operators (see lib/: the stack defines them). */
export const STACK_OUTPUTS = {
  clusterArn: 'ClusterArn',
  openSearchEndpoint: 'OpenSearchEndpoint',
  dashboardsUrl: 'DashboardsUrl',
  cloudWatchDashboardUrl: 'CloudWatchDashboardUrl',
  generatorDocumentName: 'GeneratorDocumentName',
  generatorTagKey: 'GeneratorTagKey',
  generatorTagValue: 'GeneratorTagValue',
  consumerMode: 'ConsumerMode',
  consumerGroupId: 'ConsumerGroupId',
  topic: 'Topic',
  eventSourceMappingId: 'EventSourceMappingId',
  consumerClusterName: 'ConsumerClusterName',
  consumerServiceName: 'ConsumerServiceName',
  /** The ops function in the VPC that the operator commands invoke (lib/ops-function.ts). */
  opsFunctionName: 'OpsFunctionName',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

/** The stack's outputs could not be read, or lack one the command needs. */
export class StackOutputsError extends PipelineError {}

/** The part of CloudFormationClient we use: lets tests pass a fake. */
export interface CloudFormationApi {
  send(
    command: DescribeStacksCommand,
  ): Promise<{ Stacks?: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] }>;
}

export async function readStackOutputs(
  stackName: string,
  client: CloudFormationApi = new CloudFormationClient({}) as unknown as CloudFormationApi,
): Promise<Record<string, string>> {
  let stacks: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] | undefined;
  try {
    stacks = (await client.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks;
  } catch (error) {
    throw new StackOutputsError(`cannot describe stack ${stackName}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const stack = stacks?.[0];
  if (stack === undefined) throw new StackOutputsError(`stack ${stackName} not found`);
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? [])
    if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

export function requireOutput(outputs: Record<string, string>, key: string, stackName: string): string {
  const value = outputs[key];
  if (value === undefined || value === '') {
    throw new StackOutputsError(`stack ${stackName} has no output ${key} (deployed from an older version?)`);
  }
  return value;
}
