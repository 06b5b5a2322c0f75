// Resolves the IAM (SASL/IAM, port 9098) bootstrap brokers of an MSK cluster. Used by the Fargate consumer,
// the topics custom resource and the operator commands, so no one hard-codes broker host names.
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { PipelineError } from '../core/errors.js';

export class BootstrapBrokersError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The part of KafkaClient we use: lets tests pass a fake. */
export interface KafkaApi {
  send(command: GetBootstrapBrokersCommand): Promise<{ BootstrapBrokerStringSaslIam?: string }>;
}

/** Splits MSK's comma-separated broker string into host:port entries. */
export function parseBrokerString(brokers: string): string[] {
  return brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

export async function resolveIamBrokers(
  clusterArn: string,
  client: KafkaApi = new KafkaClient({}) as unknown as KafkaApi,
): Promise<string[]> {
  let iam: string | undefined;
  try {
    const out = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    iam = out.BootstrapBrokerStringSaslIam;
  } catch (err) {
    throw new BootstrapBrokersError(`cannot get bootstrap brokers of ${clusterArn}`, { cause: err });
  }
  const brokers = parseBrokerString(iam ?? '');
  if (brokers.length === 0) {
    throw new BootstrapBrokersError(
      `cluster ${clusterArn} has no IAM bootstrap brokers: enable IAM client authentication on the cluster`,
    );
  }
  return brokers;
}
