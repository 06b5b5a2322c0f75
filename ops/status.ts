// `npm run ops:status`: the state of a deployed pipeline in one table: the lag of the consumer group and of the
// re-drive group, documents per category, the dead-letter topic's depth (read inside the VPC by the stack's ops
// function), and the pipeline's CloudWatch alarms in ALARM (read from here: the alarms that notify the stack's
// alarm topic). Exits 1 when an alarm is in ALARM, so that it serves as a health check.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CATEGORIES } from '../core/documents.js';
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
import type { StatusResult } from './ops-actions.js';
import { opsInvoker, opsLambdaClient, remoteStatus } from './ops-client.js';

export function statusCommand() {
  return createCommand(
    'npm run ops:status --',
    'The state of the deployed pipeline: consumer and re-drive group lag, documents per category, dead-letter ' +
      "topic depth (read by the stack's ops function inside the VPC) and the pipeline's alarms in ALARM. Exits 1 " +
      'when an alarm is in ALARM.',
  )
    .addOption(valueOption('--stack <name>', 'the deployed stack', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(valueOption('--region <region>', 'AWS region', nonEmpty), 'from the AWS environment/profile'),
    )
    .option('--json', 'print one JSON object instead of text')
    .addHelpText(
      'after',
      "\nThe credentials must be a role listed in the stack's operatorRoleArns (lambda:InvokeFunction on the ops\n" +
        "function) and may read the stack's outputs and cloudwatch:DescribeAlarms.",
    );
}

export function parseStatusArgs(argv: readonly string[]) {
  const { options } = parseCommand<{ stack: string; region?: string; json?: boolean }>(statusCommand(), argv);
  return { stackName: options.stack, region: options.region, json: options.json === true };
}

export interface AlarmState {
  readonly name: string;
  readonly reason: string;
}

/** The part of CloudWatchClient we use. */
export interface CloudWatchApi {
  send(command: DescribeAlarmsCommand): Promise<{ MetricAlarms?: MetricAlarm[]; NextToken?: string }>;
}

/** The alarms in ALARM that notify `alarmTopicArn`: the stack's own (lib/observability.ts wires each to it). */
export async function alarmsInAlarm(cloudWatch: CloudWatchApi, alarmTopicArn: string): Promise<AlarmState[]> {
  const found: AlarmState[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new DescribeAlarmsCommand({ StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], NextToken: nextToken }),
    );
    for (const alarm of page.MetricAlarms ?? []) {
      if ((alarm.AlarmActions ?? []).includes(alarmTopicArn)) {
        found.push({ name: alarm.AlarmName ?? '(unnamed)', reason: alarm.StateReason ?? '' });
      }
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return found;
}

export function formatStatus(status: StatusResult, alarms: readonly AlarmState[]): string {
  const lines = [`${'group'.padEnd(32)}${'topic'.padEnd(24)}${'lag'.padStart(12)}`];
  for (const g of status.groups) {
    lines.push(
      `${g.groupId.padEnd(32)}${g.topic.padEnd(24)}${(g.committed ? g.lag : `${g.lag}*`).padStart(12)}`,
    );
  }
  if (status.groups.some((g) => !g.committed))
    lines.push('* the group has committed nothing on this topic yet');
  lines.push('');
  lines.push(`${'category'.padEnd(12)}${'documents'.padStart(12)}`);
  for (const c of CATEGORIES) lines.push(`${c.padEnd(12)}${String(status.documents[c]).padStart(12)}`);
  lines.push('');
  lines.push(`dead-letter topic: ${status.deadLetters} record(s) retained`);
  if (alarms.length === 0) lines.push('alarms: none in ALARM');
  else for (const a of alarms) lines.push(`ALARM ${a.name}: ${a.reason}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = parseStatusArgs(process.argv.slice(2));
  const outputs = await readStackOutputs(
    args.stackName,
    new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi,
  );
  const functionName = requireOutput(outputs, STACK_OUTPUTS.opsFunctionName, args.stackName);
  const alarmTopicArn = requireOutput(outputs, STACK_OUTPUTS.alarmTopicArn, args.stackName);
  const [status, alarms] = await Promise.all([
    remoteStatus(opsInvoker(opsLambdaClient(args.region), functionName)),
    alarmsInAlarm(new CloudWatchClient({ region: args.region }) as unknown as CloudWatchApi, alarmTopicArn),
  ]);
  console.log(args.json ? JSON.stringify({ ...status, alarms }, null, 2) : formatStatus(status, alarms));
  return alarms.length === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runCli('ops:status', main);
