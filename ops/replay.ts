// `npm run ops:replay`: replays the topic into the deployed pipeline, from the beginning or from a time. Both
// consumer modes resume from their Kafka group's committed offsets (Lambda ignores StartingPosition once the
// group exists) and Kafka refuses to move the offsets of a group that has members, so the command pauses the
// consumer, resets the group, and resumes the consumer whatever happened in between. Documents are overwritten
// in place (their ids are the records' identities), so a replay re-indexes rather than duplicates.
import { createInterface } from 'node:readline/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Admin } from 'kafkajs';
import { type KafkaApi, resolveIamBrokers } from '../aws/msk-brokers.js';
import {
  parseResetTarget,
  type ResetTarget,
  resetGroupOffsets,
  targetOffsets,
} from '../core/group-offsets.js';
import {
  createCommand,
  fallback,
  integer,
  isMain,
  nonEmpty,
  parseCommand,
  runCli,
  UsageError,
  valueOption,
} from '../local/cli.js';
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  readStackOutputs,
  requireOutput,
  STACK_OUTPUTS,
  StackOutputsError,
} from './cli.js';
import {
  type EcsApi,
  fargateService,
  type LambdaApi,
  lambdaMapping,
  type PausableConsumer,
  ReplayError,
  type Waiting,
} from './consumer-pause.js';
import { opsInvoker, opsLambdaClient, remoteAdmin } from './ops-client.js';

export function replayCommand() {
  return createCommand(
    'npm run ops:replay --',
    'Replays the topic into the deployed pipeline: pauses the consumer (disables the Lambda event source ' +
      'mapping, or scales the Fargate service to 0), moves the consumer group offsets, and resumes the consumer, ' +
      'also when the reset fails. Each record is indexed again under its own document id, so documents are ' +
      'overwritten in place.',
  )
    .addOption(
      valueOption(
        '--reset-to <when>',
        "'earliest' (the first retained record) or an ISO-8601 time with a zone, such as 2026-12-01T00:00:00Z " +
          '(the first record at or after it); required',
        resetTarget,
      ),
    )
    .addOption(valueOption('--stack <name>', 'stack to read the consumer from', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(
        valueOption('--region <region>', 'AWS region of the stack', nonEmpty),
        'from the AWS environment/profile',
      ),
    )
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .addOption(
      valueOption(
        '--wait <seconds>',
        'give up waiting for the consumer to stop, or the group to empty, after this long',
        integer(),
        600,
      ),
    )
    .addHelpText(
      'after',
      "\nRuns from anywhere with AWS credentials: the stack's ops function (OpsFunctionName output) reads and moves " +
        "the group's offsets inside the VPC. The credentials must be a role listed in the stack's operatorRoleArns " +
        '(lambda:InvokeFunction on that function) and may pause and resume the consumer (lambda:GetEventSourceMapping ' +
        'and UpdateEventSourceMapping, or ecs:DescribeServices and UpdateService).',
    );
}

function resetTarget(flag: string, raw: string): ResetTarget {
  const target = parseResetTarget(raw);
  if (target === undefined) {
    throw new UsageError(`${flag} must be 'earliest' or an ISO-8601 time with a zone, got '${raw}'`);
  }
  return target;
}

const STEPS = 5;
const POLL_MS = 5_000;

export interface ReplayArgs {
  readonly resetTo: ResetTarget;
  readonly stackName: string;
  readonly region?: string;
  readonly yes: boolean;
  readonly waitSeconds: number;
}

export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const { options } = parseCommand<{
    resetTo?: ResetTarget;
    stack: string;
    region?: string;
    yes?: boolean;
    wait: number;
  }>(replayCommand(), argv);
  if (options.resetTo === undefined) {
    throw new UsageError(
      "--reset-to is required: 'earliest' or an ISO-8601 time such as 2026-12-01T00:00:00Z",
    );
  }
  return {
    resetTo: options.resetTo,
    stackName: options.stack,
    region: options.region,
    yes: options.yes === true,
    waitSeconds: options.wait,
  };
}

export type ConsumerTarget =
  | { readonly mode: 'lambda'; readonly eventSourceMappingId: string }
  | { readonly mode: 'fargate'; readonly clusterName: string; readonly serviceName: string };

export interface ReplayPlan {
  readonly clusterArn: string;
  /** The cluster's region: the MSK IAM tokens are signed for it. */
  readonly region: string;
  readonly groupId: string;
  readonly topic: string;
  readonly consumer: ConsumerTarget;
  /** The stack's ops function, when it has one (OpsFunctionName output). */
  readonly opsFunctionName?: string;
}

/** What to pause and reset, from the stack's outputs; names the missing output of an older stack. */
export function planFromOutputs(outputs: Record<string, string>, stackName: string): ReplayPlan {
  const need = (key: string) => requireOutput(outputs, key, stackName);
  const clusterArn = need(STACK_OUTPUTS.clusterArn);
  const region = clusterArn.split(':')[3];
  if (!clusterArn.startsWith('arn:') || !region) {
    throw new StackOutputsError(`stack ${stackName} output ClusterArn is not an ARN: '${clusterArn}'`);
  }
  const mode = need(STACK_OUTPUTS.consumerMode);
  let consumer: ConsumerTarget;
  if (mode === 'lambda') {
    consumer = { mode, eventSourceMappingId: need(STACK_OUTPUTS.eventSourceMappingId) };
  } else if (mode === 'fargate') {
    consumer = {
      mode,
      clusterName: need(STACK_OUTPUTS.consumerClusterName),
      serviceName: need(STACK_OUTPUTS.consumerServiceName),
    };
  } else {
    throw new StackOutputsError(
      `stack ${stackName} output ConsumerMode is '${mode}', expected lambda or fargate`,
    );
  }
  return {
    clusterArn,
    region,
    groupId: need(STACK_OUTPUTS.consumerGroupId),
    topic: need(STACK_OUTPUTS.topic),
    consumer,
    opsFunctionName: outputs[STACK_OUTPUTS.opsFunctionName],
  };
}

/** The admin calls a replay makes: lets tests pass a fake, and the stack test a real kafkajs admin. */
export type ReplayAdmin = Pick<
  Admin,
  | 'connect'
  | 'disconnect'
  | 'fetchTopicOffsets'
  | 'fetchTopicOffsetsByTimestamp'
  | 'fetchOffsets'
  | 'setOffsets'
  | 'describeGroups'
>;

export interface PartitionReplay {
  readonly partition: number;
  /** The group's committed offset before the reset; undefined when it had none. */
  readonly committed?: string;
  /** Where the group starts reading again. */
  readonly offset: string;
  /** The partition's end offset now. */
  readonly end: string;
  /** How many records the consumer reads again (from `offset` to `end`). */
  readonly records: bigint;
}

async function combine(
  admin: ReplayAdmin,
  topic: string,
  offsets: readonly { partition: number; offset: string }[],
  committed: ReadonlyMap<number, string>,
): Promise<PartitionReplay[]> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  return offsets.map(({ partition, offset }) => {
    const end = ends.get(partition) ?? offset;
    const records = BigInt(end) - BigInt(offset);
    return {
      partition,
      committed: committed.get(partition),
      offset,
      end,
      records: records > 0n ? records : 0n,
    };
  });
}

async function committedOffsets(
  admin: ReplayAdmin,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const [found] = await admin.fetchOffsets({ groupId, topics: [topic] });
  // Kafka answers -1 for a partition the group never committed.
  return new Map(
    (found?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, p.offset]),
  );
}

/** What a reset to `target` would do, changing nothing: shown before the consumer is paused. */
export async function previewReset(
  admin: ReplayAdmin,
  groupId: string,
  topic: string,
  target: ResetTarget,
): Promise<PartitionReplay[]> {
  const committed = await committedOffsets(admin, groupId, topic);
  return combine(admin, topic, await targetOffsets(admin, topic, target), committed);
}

/**
 * Waits until the group has no members (a stopped consumer can stay a member until its session times out),
 * then sets its offsets on `topic` to `target` and tells what the consumer will read again.
 */
export async function resetGroup(
  admin: ReplayAdmin,
  groupId: string,
  topic: string,
  target: ResetTarget,
  wait: Waiting,
  onProgress: (line: string) => void = () => {},
): Promise<PartitionReplay[]> {
  const deadline = wait.now() + wait.timeoutMs;
  let last = '';
  for (;;) {
    const group = (await admin.describeGroups([groupId])).groups.find((g) => g.groupId === groupId);
    // A group nobody ever joined, or whose members all left and whose offsets expired, is Dead.
    if (group === undefined || group.state === 'Empty' || group.state === 'Dead') break;
    const line = `Kafka: group ${groupId} is ${group.state} with ${group.members.length} member(s), waiting for it to empty`;
    if (line !== last) onProgress(line);
    last = line;
    if (wait.now() >= deadline) {
      throw new ReplayError(
        'Kafka',
        `group ${groupId} still has ${group.members.length} member(s) after ${Math.round(wait.timeoutMs / 1000)} s: another consumer of the group is running (${group.members.map((m) => m.clientHost).join(', ')}); stop it and run again`,
      );
    }
    await wait.sleep(wait.pollMs);
  }
  const committed = await committedOffsets(admin, groupId, topic);
  const offsets = await resetGroupOffsets(admin, groupId, topic, target);
  return combine(admin, topic, offsets, committed);
}

export function formatPartitions(partitions: readonly PartitionReplay[]): string[] {
  return partitions.map(
    (p) =>
      `  partition ${p.partition}: offset ${p.offset} (committed ${p.committed ?? 'none'}, end ${p.end}), ${p.records} record(s)`,
  );
}

export const totalRecords = (partitions: readonly PartitionReplay[]): bigint =>
  partitions.reduce((sum, p) => sum + p.records, 0n);

const describeTarget = (target: ResetTarget) => (target === 'earliest' ? 'earliest' : target.toISOString());

function errorChain(error: unknown): { name?: string; type?: string; code?: string; message?: string }[] {
  const chain = [];
  let e = error as { cause?: unknown; originalError?: unknown } | undefined;
  for (let depth = 0; e && depth < 8; depth++) {
    chain.push(e as { name?: string; type?: string; code?: string; message?: string });
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return chain;
}

/** Names what a Kafka failure means for the operator: where to run from, what to grant, what to stop. */
export function kafkaFailure(
  doing: string,
  error: unknown,
  plan: { groupId: string; topic: string },
): ReplayError {
  if (error instanceof ReplayError) return error;
  const chain = errorChain(error);
  const message = (error as Error).message ?? String(error);
  const any = (test: (e: (typeof chain)[number]) => boolean) => chain.some(test);
  if (
    any(
      (e) =>
        /^KafkaJS(Connection|ConnectionClosed|BrokerNotFound|RequestTimeout)Error$/.test(e.name ?? '') ||
        /^(ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(e.code ?? '') ||
        /Connection timeout|ECONNREFUSED|ETIMEDOUT|ENOTFOUND/.test(e.message ?? ''),
    )
  ) {
    return new ReplayError(
      'Kafka',
      `cannot reach the MSK brokers while ${doing} (${message}): run ops:replay from a host inside the stack's VPC that the cluster's security group admits, such as a generator instance through SSM`,
      { cause: error },
    );
  }
  if (
    any(
      (e) =>
        e.name === 'KafkaJSSASLAuthenticationError' ||
        /AUTHORIZATION_FAILED|SASL_AUTHENTICATION_FAILED/.test(e.type ?? ''),
    )
  ) {
    return new ReplayError(
      'Kafka',
      `access denied while ${doing} (${message}): the caller's IAM identity needs kafka-cluster:Connect, DescribeTopic and ReadData on ${plan.topic}, DescribeGroup and AlterGroup on ${plan.groupId}`,
      { cause: error },
    );
  }
  if (any((e) => /must have no running instances/.test(e.message ?? ''))) {
    return new ReplayError(
      'Kafka',
      `group ${plan.groupId} got a member again while ${doing} (${message}): something restarted a consumer of the group (the Fargate service's auto scaling, another deployment); run again`,
      { cause: error },
    );
  }
  return new ReplayError('Kafka', `${doing} failed (${message}): fix the cause and run again`, {
    cause: error,
  });
}

export interface ReplayDeps {
  readonly cloudFormation: CloudFormationApi;
  readonly lambda: LambdaApi;
  readonly ecs: EcsApi;
  /**
   * How the replay reaches Kafka: `viaOpsFunction` (what `npm run ops:replay` does: the stack's ops function
   * makes the admin calls inside the VPC), or directly, resolving the brokers with `msk` and connecting
   * `createAdmin` from this host (which must then be inside the VPC; the local stack test does this).
   */
  readonly viaOpsFunction?: (plan: ReplayPlan) => { admin: ReplayAdmin; description: string };
  readonly msk?: KafkaApi;
  readonly createAdmin?: (brokers: readonly string[], region: string) => ReplayAdmin;
  /** Whether stdin is a terminal a person can answer the confirmation from. */
  readonly interactive: boolean;
  readonly confirm: (question: string) => Promise<boolean>;
  /** The result: the offsets set, the records to re-read (stdout). */
  readonly out: (line: string) => void;
  /** Progress and errors (stderr). */
  readonly progress: (line: string) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** @default 5000 */
  readonly pollMs?: number;
}

function pausable(plan: ReplayPlan, deps: ReplayDeps, wait: Waiting): PausableConsumer {
  return plan.consumer.mode === 'lambda'
    ? lambdaMapping(deps.lambda, plan.consumer.eventSourceMappingId, wait)
    : fargateService(deps.ecs, plan.consumer.clusterName, plan.consumer.serviceName, wait);
}

async function readPlan(args: ReplayArgs, deps: ReplayDeps): Promise<ReplayPlan> {
  try {
    return planFromOutputs(await readStackOutputs(args.stackName, deps.cloudFormation), args.stackName);
  } catch (error) {
    if (!(error instanceof StackOutputsError)) throw error;
    const fix =
      error.cause === undefined
        ? `deploy this version of the stack (npx cdk deploy ${args.stackName})`
        : 'check --stack, --region and the AWS credentials';
    throw new ReplayError('Stack', `${error.message}: ${fix}`, { cause: error });
  }
}

/** The whole replay; returns the exit code (usage mistakes throw UsageError, which the runner maps to 2). */
export async function runReplay(args: ReplayArgs, deps: ReplayDeps): Promise<number> {
  const step = (n: number, text: string) => deps.progress(`[${n}/${STEPS}] ${text}`);
  const wait: Waiting = {
    timeoutMs: args.waitSeconds * 1000,
    pollMs: deps.pollMs ?? POLL_MS,
    sleep: deps.sleep,
    now: deps.now,
  };
  const target = describeTarget(args.resetTo);
  let admin: ReplayAdmin | undefined;
  try {
    step(1, `reading the outputs of stack ${args.stackName}`);
    const plan = await readPlan(args, deps);
    const consumer = pausable(plan, deps, wait);
    deps.progress(
      `${plan.consumer.mode} consumer: ${consumer.description}; group ${plan.groupId} on topic ${plan.topic}`,
    );

    let connected: ReplayAdmin;
    let reached: string;
    if (deps.viaOpsFunction !== undefined) {
      const remote = deps.viaOpsFunction(plan);
      step(2, `reaching the MSK brokers of ${plan.clusterArn} through ${remote.description}`);
      connected = remote.admin;
      reached = `reached through ${remote.description}`;
    } else {
      if (deps.msk === undefined || deps.createAdmin === undefined) {
        throw new Error('runReplay needs viaOpsFunction, or msk and createAdmin');
      }
      step(2, `connecting to the MSK brokers of ${plan.clusterArn}`);
      let brokers: string[];
      try {
        brokers = await resolveIamBrokers(plan.clusterArn, deps.msk);
      } catch (error) {
        throw new ReplayError(
          'MSK',
          `${(error as Error).message}${(error as Error).cause ? ` (${String((error as Error).cause)})` : ''}: check the stack's ClusterArn output and that the caller may kafka:GetBootstrapBrokers`,
          { cause: error },
        );
      }
      connected = deps.createAdmin(brokers, plan.region);
      reached = `${brokers.length} broker(s) reached`;
    }
    admin = connected;
    const preview = await connected
      .connect()
      .then(() => previewReset(connected, plan.groupId, plan.topic, args.resetTo))
      .catch((error: unknown) => {
        throw kafkaFailure(`reading the offsets of ${plan.topic}`, error, plan);
      });
    deps.progress(`Kafka: ${reached}; a reset to ${target} would set:`);
    for (const line of formatPartitions(preview)) deps.progress(line);

    if (!args.yes) {
      deps.progress(
        [
          'ops:replay will:',
          `  1. pause the ${consumer.description} and wait until it has stopped`,
          `  2. reset group ${plan.groupId} on ${plan.topic} to ${target}: about ${totalRecords(preview)} record(s) are consumed and indexed again, in place`,
          '  3. resume the consumer, also if step 2 fails',
        ].join('\n'),
      );
      if (!deps.interactive) {
        throw new UsageError('stdin is not a terminal, so nobody can confirm: pass --yes to replay');
      }
      if (!(await deps.confirm('Replay now? [y/N] '))) {
        deps.progress('replay cancelled: nothing was changed');
        return 1;
      }
    }

    step(3, `pausing the ${consumer.description}`);
    let failure: unknown;
    let reset: PartitionReplay[] | undefined;
    try {
      await consumer.pause(deps.progress);
      step(4, `resetting group ${plan.groupId} on ${plan.topic} to ${target}`);
      reset = await resetGroup(connected, plan.groupId, plan.topic, args.resetTo, wait, deps.progress).catch(
        (error: unknown) => {
          throw kafkaFailure(`resetting group ${plan.groupId}`, error, plan);
        },
      );
    } catch (error) {
      failure = error;
    } finally {
      step(5, `resuming the ${consumer.description}`);
      try {
        deps.progress(await consumer.resume());
      } catch (error) {
        if (failure !== undefined) deps.progress(`error: ${oneLine(failure)}`);
        failure = error;
      }
    }
    if (failure !== undefined) {
      deps.progress(`error: ${oneLine(failure)}`);
      return 1;
    }
    const offsets = reset ?? [];
    deps.out(`group ${plan.groupId} on ${plan.topic} reset to ${target}:`);
    for (const line of formatPartitions(offsets)) deps.out(line);
    deps.out(`${totalRecords(offsets)} record(s) will be re-read`);
    return 0;
  } catch (error) {
    if (!(error instanceof ReplayError)) throw error;
    deps.progress(`error: ${error.message}`);
    return 1;
  } finally {
    await admin?.disconnect().catch(() => {});
  }
}

/** Our errors already say what to fix; anything else is named with its type. */
function oneLine(error: unknown): string {
  if (error instanceof ReplayError) return error.message;
  const e = error as Error;
  return `unexpected ${e?.name ?? 'error'}: ${e?.message ?? String(error)}`;
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

async function main(): Promise<number> {
  const args = parseReplayArgs(process.argv.slice(2));
  const region = args.region;
  const cloudFormation = new CloudFormationClient({ region }) as unknown as CloudFormationApi;
  return runReplay(args, {
    cloudFormation,
    lambda: new LambdaClient({ region }) as unknown as LambdaApi,
    ecs: new ECSClient({ region }) as unknown as EcsApi,
    viaOpsFunction: (plan) => {
      const functionName = plan.opsFunctionName;
      if (functionName === undefined) {
        throw new ReplayError(
          'Stack',
          `stack ${args.stackName} has no output ${STACK_OUTPUTS.opsFunctionName}: deploy this version of the stack (npx cdk deploy ${args.stackName})`,
        );
      }
      return {
        admin: remoteAdmin(opsInvoker(opsLambdaClient(plan.region), functionName)) as ReplayAdmin,
        description: `the ops function ${functionName}`,
      };
    },
    interactive: process.stdin.isTTY === true,
    confirm: confirmOnTerminal,
    out: (line) => console.log(line),
    progress: (line) => console.error(line),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: Date.now,
  });
}

if (isMain(import.meta.url)) runCli('ops:replay', main);
