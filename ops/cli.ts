// Shared plumbing of the operator commands: usage errors, number options, the stack's outputs, and a runner
// that maps outcomes to exit codes (0 ok, 1 failure, 2 usage).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

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
} as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class StackOutputsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StackOutputsError';
  }
}

export function numberOption(
  name: string,
  raw: string | undefined,
  options: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const inRange = value >= options.min && (options.max === undefined || value <= options.max);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    !inRange ||
    (options.integer && !Number.isInteger(value))
  ) {
    const range =
      options.max === undefined ? `>= ${options.min}` : `between ${options.min} and ${options.max}`;
    throw new UsageError(
      `--${name} must be ${options.integer ? 'an integer' : 'a number'} ${range}, got '${raw}'`,
    );
  }
  return value;
}

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

/** Runs a command's main and exits with its code; usage errors print the hint to use --help. */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        console.error(`${(error as Error).message}\n(see --help)`);
        process.exit(2);
      }
      const cause = (error as Error).cause ? ` (${String((error as Error).cause)})` : '';
      console.error(`error: ${(error as Error).message}${cause}`);
      process.exit(1);
    },
  );
}

/** True when the module is the script node/tsx was started with (not when a test imports it). */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(realpathSync(entry)).href === moduleUrl;
}
