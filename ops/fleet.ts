// Runs the generator fleet through SSM Run Command: find the managed instances carrying the fleet's tag, send
// them the stack's generator document (its $LATEST version), poll the invocations until every instance is done, and aggregate the
// result. The SSM client is passed in so the whole flow is testable with a fake.
import {
  type CommandInvocation,
  DescribeInstanceInformationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { PipelineError } from '../core/errors.js';

/** The part of SSMClient we use. */
export interface SsmApi {
  send(command: DescribeInstanceInformationCommand): Promise<{
    InstanceInformationList?: { InstanceId?: string; PingStatus?: string }[];
    NextToken?: string;
  }>;
  send(command: SendCommandCommand): Promise<{ Command?: { CommandId?: string } }>;
  send(
    command: ListCommandInvocationsCommand,
  ): Promise<{ CommandInvocations?: CommandInvocation[]; NextToken?: string }>;
}

export class FleetError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface GeneratorParameters {
  readonly rate: number;
  readonly duration: number;
  readonly badRatio?: number;
  readonly suspiciousRatio?: number;
  readonly topic?: string;
}

/**
 * The version a run uses: the newest, i.e. the one the last deploy wrote (the stack updates the document with
 * new versions and nothing else writes it), never an older default someone left behind.
 */
export const DOCUMENT_VERSION = '$LATEST';

export interface FleetRunOptions {
  readonly documentName: string;
  readonly tag: { readonly key: string; readonly value: string };
  readonly parameters: GeneratorParameters;
  /** Give up waiting after this long (the command itself keeps its own execution timeout). */
  readonly waitTimeoutSeconds: number;
  readonly pollSeconds: number;
}

const TERMINAL = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);

export interface InstanceStatus {
  readonly instanceId: string;
  readonly status: string;
  readonly details?: string;
  readonly output?: string;
}

export interface FleetStatus {
  readonly done: boolean;
  readonly instances: readonly InstanceStatus[];
  readonly counts: Record<string, number>;
  readonly failed: number;
}

/**
 * One row per targeted instance (an instance SSM has not listed yet is `Pending`); done once every instance
 * reached a terminal status; failed counts everything that is not `Success`.
 */
export function aggregateInvocations(
  instanceIds: readonly string[],
  invocations: readonly CommandInvocation[],
): FleetStatus {
  const byInstance = new Map(invocations.filter((i) => i.InstanceId).map((i) => [i.InstanceId as string, i]));
  const instances = instanceIds.map((instanceId) => {
    const inv = byInstance.get(instanceId);
    const output = inv?.CommandPlugins?.map((p) => p.Output ?? '')
      .join('\n')
      .trim();
    return {
      instanceId,
      status: inv?.Status ?? 'Pending',
      details: inv?.StatusDetails,
      output: output === '' ? undefined : output,
    };
  });
  const counts: Record<string, number> = {};
  for (const i of instances) counts[i.status] = (counts[i.status] ?? 0) + 1;
  return {
    done: instances.every((i) => TERMINAL.has(i.status)),
    instances,
    counts,
    failed: instances.filter((i) => i.status !== 'Success').length,
  };
}

export function documentParameters(p: GeneratorParameters): Record<string, string[]> {
  const params: Record<string, string[]> = { rate: [String(p.rate)], duration: [String(p.duration)] };
  if (p.badRatio !== undefined) params.badRatio = [String(p.badRatio)];
  if (p.suspiciousRatio !== undefined) params.suspiciousRatio = [String(p.suspiciousRatio)];
  if (p.topic !== undefined) params.topic = [p.topic];
  // SSM's own execution timeout must outlast the run, with room for the wait for a fresh instance's boot-time
  // install (up to 600 s), the bundle download and start-up.
  params.executionTimeout = [String(p.duration + 1200)];
  return params;
}

export async function findFleetInstances(
  ssm: SsmApi,
  tag: { key: string; value: string },
): Promise<string[]> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new DescribeInstanceInformationCommand({
        Filters: [{ Key: `tag:${tag.key}`, Values: [tag.value] }],
        MaxResults: 50,
        NextToken,
      }),
    );
    for (const i of page.InstanceInformationList ?? []) {
      if (i.InstanceId && i.PingStatus === 'Online') ids.push(i.InstanceId);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return ids.sort();
}

async function listInvocations(
  ssm: SsmApi,
  commandId: string,
  details: boolean,
): Promise<CommandInvocation[]> {
  const all: CommandInvocation[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ssm.send(
      new ListCommandInvocationsCommand({ CommandId: commandId, Details: details, NextToken }),
    );
    all.push(...(page.CommandInvocations ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return all;
}

export interface FleetRunHooks {
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly onProgress?: (status: FleetStatus) => void;
  readonly onSent?: (commandId: string, instanceIds: readonly string[]) => void;
}

/** Sends the command to every online fleet instance (50 per SendCommand, SSM's limit) and waits for all. */
export async function runFleet(
  ssm: SsmApi,
  options: FleetRunOptions,
  hooks: FleetRunHooks,
): Promise<FleetStatus & { commandIds: string[] }> {
  const instanceIds = await findFleetInstances(ssm, options.tag);
  if (instanceIds.length === 0) {
    throw new FleetError(
      `no online SSM-managed instance is tagged ${options.tag.key}=${options.tag.value}: is the generator fleet scaled to zero?`,
    );
  }
  const commandIds: string[] = [];
  for (let i = 0; i < instanceIds.length; i += 50) {
    const batch = instanceIds.slice(i, i + 50);
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: options.documentName,
        DocumentVersion: DOCUMENT_VERSION,
        InstanceIds: batch,
        Parameters: documentParameters(options.parameters),
        Comment: `log-pipeline generator: ${options.parameters.rate}/s for ${options.parameters.duration}s`,
        TimeoutSeconds: 600,
      }),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new FleetError('SendCommand returned no command id');
    commandIds.push(commandId);
    hooks.onSent?.(commandId, batch);
  }
  const deadline = hooks.now() + options.waitTimeoutSeconds * 1000;
  for (;;) {
    const invocations = (await Promise.all(commandIds.map((id) => listInvocations(ssm, id, false)))).flat();
    const status = aggregateInvocations(instanceIds, invocations);
    hooks.onProgress?.(status);
    if (status.done) {
      // One more round with Details for the failed instances' output.
      const detailed =
        status.failed === 0
          ? status
          : aggregateInvocations(
              instanceIds,
              (await Promise.all(commandIds.map((id) => listInvocations(ssm, id, true)))).flat(),
            );
      return { ...detailed, commandIds };
    }
    if (hooks.now() >= deadline) {
      throw new FleetError(
        `gave up waiting after ${options.waitTimeoutSeconds}s (${JSON.stringify(status.counts)}); the command keeps running: ${commandIds.join(', ')}`,
      );
    }
    await hooks.sleep(options.pollSeconds * 1000);
  }
}
