// `npm run ops:redrive`: re-drives the dead-letter topic of a deployed stack, the AWS counterpart of
// `npm run consume -- --topic server-logs-dlq --group log-pipeline-redrive --redrive --until-caught-up`: each dead
// letter is indexed under the identity of the record it came from (core/dead-letter.ts deadLetteredRecord), a cut
// one as a `bad` document under the full record's id. The stack's ops function does the work inside the VPC, in
// bounded invocations (each well under Lambda's 15 minutes) that this command repeats until the re-drive group
// has read the topic to its end, printing progress after each.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CATEGORIES } from '../core/documents.js';
import {
  createCommand,
  durationMs,
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
import {
  type OpsInvoke,
  opsInvoker,
  opsLambdaClient,
  type RedriveTotals,
  runRedriveLoop,
} from './ops-client.js';

export function redriveCommand() {
  return createCommand(
    'npm run ops:redrive --',
    "Re-drives the deployed stack's dead-letter topic into OpenSearch: every dead letter is indexed under the " +
      'identity of the record it came from (a record cut to fit the topic becomes a bad document under the full ' +
      "record's id), as the consumer group log-pipeline-redrive, which commits after each indexed chunk. The " +
      "stack's ops function does the work inside the VPC in bounded invocations, repeated until the group has " +
      'read the topic to its end. Re-running is safe: documents are overwritten in place.',
  )
    .addOption(valueOption('--stack <name>', 'the deployed stack', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(valueOption('--region <region>', 'AWS region', nonEmpty), 'from the AWS environment/profile'),
    )
    .addOption(
      fallback(
        valueOption(
          '--slice <duration>',
          "longest time one invocation works, e.g. 2m (at most the function's 10-minute timeout less a minute)",
          durationMs,
        ),
        `${DEFAULT_SLICE_MS / 60_000}m`,
      ),
    )
    .addHelpText(
      'after',
      "\nThe credentials must be a role listed in the stack's operatorRoleArns (lambda:InvokeFunction on the ops\n" +
        "function) and may read the stack's outputs. A dead letter that no index accepts again stops the re-drive\n" +
        'with the reason; its offset is not committed.',
    );
}

/**
 * A few minutes per invocation: progress shows that often, and no synchronous call stays silent for long on the
 * operator's network (home routers and proxies drop idle connections).
 */
export const DEFAULT_SLICE_MS = 4 * 60_000;

export interface RedriveArgs {
  readonly stackName: string;
  readonly region?: string;
  readonly sliceMs: number;
}

export function parseRedriveArgs(argv: readonly string[]): RedriveArgs {
  const { options } = parseCommand<{ stack: string; region?: string; slice?: number }>(
    redriveCommand(),
    argv,
  );
  return { stackName: options.stack, region: options.region, sliceMs: options.slice ?? DEFAULT_SLICE_MS };
}

export function formatRedrive(totals: RedriveTotals): string {
  const counts = CATEGORIES.map((c) => `${c} ${totals.counts[c]}`).join(', ');
  return `dead-letter topic re-driven: ${totals.records} record(s) indexed (${counts}) in ${totals.slices} invocation(s), ${totals.remaining} left`;
}

export async function runRedrive(
  invoke: OpsInvoke,
  args: Pick<RedriveArgs, 'sliceMs'>,
  io: { out: (line: string) => void; progress: (line: string) => void },
): Promise<number> {
  const totals = await runRedriveLoop(invoke, { sliceMs: args.sliceMs, progress: io.progress });
  io.out(formatRedrive(totals));
  return totals.done ? 0 : 1;
}

async function main(): Promise<number> {
  const args = parseRedriveArgs(process.argv.slice(2));
  const outputs = await readStackOutputs(
    args.stackName,
    new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi,
  );
  const functionName = requireOutput(outputs, STACK_OUTPUTS.opsFunctionName, args.stackName);
  const progress = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  progress(`re-driving through the ops function ${functionName}`);
  return runRedrive(opsInvoker(opsLambdaClient(args.region), functionName), args, {
    out: (line) => console.log(line),
    progress,
  });
}

if (isMain(import.meta.url)) runCli('ops:redrive', main);
