// `npm run endpoints`: prints where the deployed pipeline lives: MSK bootstrap brokers, the OpenSearch endpoint,
// the OpenSearch Dashboards URL and the CloudWatch dashboard, from the stack's outputs.
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { type KafkaApi, resolveIamBrokers } from '../aws/msk-brokers.js';
import { normaliseEndpoint } from '../aws/opensearch-client.js';
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  isMain,
  readStackOutputs,
  runCli,
  STACK_OUTPUTS,
} from './cli.js';

export const HELP = `Usage: npm run endpoints -- [options]

Prints the deployed pipeline's endpoints from the outputs of the CloudFormation stack.

Options:
  --stack <name>      stack name (default: ${DEFAULT_STACK_NAME})
  --region <region>   AWS region (default: from the AWS environment/profile)
  --json              print one JSON object instead of text
  -h, --help          show this help

Credentials come from the default AWS chain (env, profile, SSO).`;

export interface Endpoints {
  readonly clusterArn?: string;
  readonly bootstrapBrokers?: readonly string[];
  readonly openSearchEndpoint?: string;
  readonly dashboardsUrl?: string;
  readonly cloudWatchDashboardUrl?: string;
}

/** Picks the endpoints from the outputs; the Dashboards URL falls back to `https://<endpoint>/_dashboards`. */
export function endpointsFromOutputs(outputs: Record<string, string>): Endpoints {
  const openSearch = outputs[STACK_OUTPUTS.openSearchEndpoint];
  return {
    clusterArn: outputs[STACK_OUTPUTS.clusterArn],
    openSearchEndpoint: openSearch === undefined ? undefined : normaliseEndpoint(openSearch),
    dashboardsUrl:
      outputs[STACK_OUTPUTS.dashboardsUrl] ??
      (openSearch === undefined ? undefined : `${normaliseEndpoint(openSearch)}/_dashboards`),
    cloudWatchDashboardUrl: outputs[STACK_OUTPUTS.cloudWatchDashboardUrl],
  };
}

export function formatEndpoints(e: Endpoints): string {
  const row = (label: string, value: string | undefined) =>
    `${label.padEnd(24)}${value ?? '(not in the stack outputs)'}`;
  return [
    row('MSK cluster', e.clusterArn),
    row('Bootstrap brokers (IAM)', e.bootstrapBrokers?.join(',')),
    row('OpenSearch endpoint', e.openSearchEndpoint),
    row('OpenSearch Dashboards', e.dashboardsUrl),
    row('CloudWatch dashboard', e.cloudWatchDashboardUrl),
  ].join('\n');
}

export function parseEndpointsArgs(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      stack: { type: 'string', default: DEFAULT_STACK_NAME },
      region: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return {
    stack: values.stack as string,
    region: values.region,
    json: values.json as boolean,
    help: values.help as boolean,
  };
}

async function main(): Promise<number> {
  const args = parseEndpointsArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const cfn = new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi;
  const base = endpointsFromOutputs(await readStackOutputs(args.stack, cfn));
  const bootstrapBrokers =
    base.clusterArn === undefined
      ? undefined
      : await resolveIamBrokers(
          base.clusterArn,
          new KafkaClient({ region: args.region }) as unknown as KafkaApi,
        );
  const endpoints = { ...base, bootstrapBrokers };
  console.log(args.json ? JSON.stringify(endpoints, null, 2) : formatEndpoints(endpoints));
  return 0;
}

if (isMain(import.meta.url)) runCli(main);
