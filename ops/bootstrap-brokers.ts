// `npm run brokers`: prints the IAM bootstrap brokers of an MSK cluster (given, or the stack's cluster), as the
// comma-separated list kafkajs/Kafka CLIs take (KAFKA_BROKERS, --bootstrap-server).
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { type KafkaApi, resolveIamBrokers } from '../aws/msk-brokers.js';
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  isMain,
  readStackOutputs,
  requireOutput,
  runCli,
  STACK_OUTPUTS,
} from './cli.js';

export const HELP = `Usage: npm run brokers -- [options]

Prints the IAM (SASL/IAM, port 9098) bootstrap brokers of the MSK cluster.

Options:
  --cluster-arn <arn>   the cluster (default: the ${STACK_OUTPUTS.clusterArn} output of the stack)
  --stack <name>        stack to read the cluster from (default: ${DEFAULT_STACK_NAME})
  --region <region>     AWS region (default: from the AWS environment/profile)
  --lines               one broker a line instead of comma-separated
  -h, --help            show this help

Credentials come from the default AWS chain (env, profile, SSO).`;

export function parseBrokersArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'cluster-arn': { type: 'string' },
      stack: { type: 'string', default: DEFAULT_STACK_NAME },
      region: { type: 'string' },
      lines: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return {
    clusterArn: values['cluster-arn'],
    stack: values.stack as string,
    region: values.region,
    lines: values.lines as boolean,
    help: values.help as boolean,
  };
}

async function main(): Promise<number> {
  const args = parseBrokersArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return 0;
  }
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

if (isMain(import.meta.url)) runCli(main);
