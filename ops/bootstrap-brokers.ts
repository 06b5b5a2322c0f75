// `npm run brokers`: prints the IAM bootstrap brokers of an MSK cluster (given, or the stack's cluster), as the
// comma-separated list kafkajs/Kafka CLIs take (KAFKA_BROKERS, --bootstrap-server).
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { type KafkaApi, resolveIamBrokers } from '../aws/msk-brokers.js';
import {
  createCommand,
  fallback,
  isMain,
  nonEmpty,
  parseCommand,
  runCli,
  valueOption,
} from '../local/cli.js';
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  readStackOutputs,
  requireOutput,
  STACK_OUTPUTS,
} from './cli.js';

export function brokersCommand() {
  return createCommand(
    'npm run brokers --',
    'Prints the IAM (SASL/IAM, port 9098) bootstrap brokers of the MSK cluster. Credentials come from the ' +
      'default AWS chain (env, profile, SSO).',
  )
    .addOption(
      fallback(
        valueOption('--cluster-arn <arn>', 'the cluster', nonEmpty),
        `the ${STACK_OUTPUTS.clusterArn} output of the stack`,
      ),
    )
    .addOption(valueOption('--stack <name>', 'stack to read the cluster from', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(valueOption('--region <region>', 'AWS region', nonEmpty), 'from the AWS environment/profile'),
    )
    .option('--lines', 'one broker a line instead of comma-separated');
}

export function parseBrokersArgs(argv: readonly string[]) {
  const { options } = parseCommand<{ clusterArn?: string; stack: string; region?: string; lines?: boolean }>(
    brokersCommand(),
    argv,
  );
  return {
    clusterArn: options.clusterArn,
    stack: options.stack,
    region: options.region,
    lines: options.lines === true,
  };
}

async function main(): Promise<number> {
  const args = parseBrokersArgs(process.argv.slice(2));
  const clusterArn =
    args.clusterArn ??
    requireOutput(
      await readStackOutputs(
        args.stack,
        new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi,
      ),
      STACK_OUTPUTS.clusterArn,
      args.stack,
    );
  const brokers = await resolveIamBrokers(
    clusterArn,
    new KafkaClient({ region: args.region }) as unknown as KafkaApi,
  );
  console.log(args.lines ? brokers.join('\n') : brokers.join(','));
  return 0;
}

if (isMain(import.meta.url)) runCli('brokers', main);
