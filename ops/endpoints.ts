// `npm run endpoints`: prints where the deployed pipeline lives: MSK bootstrap brokers, the OpenSearch endpoint,
// the OpenSearch Dashboards URL and the CloudWatch dashboard, from the stack's outputs.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { type KafkaApi, resolveIamBrokers } from '../aws/msk-brokers.js';
import { normaliseEndpoint } from '../aws/opensearch-client.js';
import {
  createCommand,
  fallback,
  isMain,
  nonEmpty,
  parseCommand,
  runCli,
  valueOption,
} from '../local/cli.js';
import { type CloudFormationApi, DEFAULT_STACK_NAME, readStackOutputs, STACK_OUTPUTS } from './cli.js';

export function endpointsCommand() {
  return createCommand(
    'npm run endpoints --',
    "Prints the deployed pipeline's endpoints from the outputs of the CloudFormation stack. Credentials come " +
      'from the default AWS chain (env, profile, SSO).',
  )
    .addOption(valueOption('--stack <name>', 'stack name', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(valueOption('--region <region>', 'AWS region', nonEmpty), 'from the AWS environment/profile'),
    )
    .option('--json', 'print one JSON object instead of text');
}

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

export function parseEndpointsArgs(argv: readonly string[]) {
  const { options } = parseCommand<{ stack: string; region?: string; json?: boolean }>(
    endpointsCommand(),
    argv,
  );
  return { stack: options.stack, region: options.region, json: options.json === true };
}

async function main(): Promise<number> {
  const args = parseEndpointsArgs(process.argv.slice(2));
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

if (isMain(import.meta.url)) runCli('endpoints', main);
