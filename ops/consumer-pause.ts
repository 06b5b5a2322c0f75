// Pausing and resuming the deployed consumer around a replay, since Kafka refuses to move the offsets of a group
// that has members: the Lambda mode disables its MSK event source mapping, the Fargate mode scales its ECS
// service to zero tasks. Each pause remembers what it changed so that resume restores exactly that. The clients
// are passed in so that tests can script them.

import {
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  UpdateServiceCommand,
  type UpdateServiceCommandOutput,
} from '@aws-sdk/client-ecs';
import {
  GetEventSourceMappingCommand,
  type GetEventSourceMappingCommandOutput,
  UpdateEventSourceMappingCommand,
  type UpdateEventSourceMappingCommandOutput,
} from '@aws-sdk/client-lambda';
import { PipelineError } from '../core/errors.js';

/** The part of LambdaClient we use. */
export interface LambdaApi {
  send(command: GetEventSourceMappingCommand): Promise<Pick<GetEventSourceMappingCommandOutput, 'State'>>;
  send(
    command: UpdateEventSourceMappingCommand,
  ): Promise<Pick<UpdateEventSourceMappingCommandOutput, 'State'>>;
}

/** The part of ECSClient we use. */
export interface EcsApi {
  send(
    command: DescribeServicesCommand,
  ): Promise<Pick<DescribeServicesCommandOutput, 'services' | 'failures'>>;
  send(command: UpdateServiceCommand): Promise<Pick<UpdateServiceCommandOutput, 'service'>>;
}

/** A failure of one component, in one line: what went wrong and what to do about it. */
export class ReplayError extends PipelineError {
  constructor(
    readonly component: 'Stack' | 'MSK' | 'Kafka' | 'Lambda' | 'ECS',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${component}: ${message}`, options);
  }
}

export interface Waiting {
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface PausableConsumer {
  /** What is paused, for the plan and the progress lines. */
  readonly description: string;
  /** Stops the consumer and waits until it has stopped, reporting each change of state. */
  pause(onProgress: (line: string) => void): Promise<void>;
  /** Restores what pause changed, nothing if it changed nothing; returns the progress line. */
  resume(): Promise<string>;
}

/**
 * Whether a failed call certainly changed nothing: the service answered with a 4xx (refused, throttled, not
 * found). Anything else (a timeout, a 5xx, no answer) may have taken effect, so resume must undo it.
 */
function refusedByService(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status !== undefined && status >= 400 && status < 500;
}

const reason = (error: unknown) => (error as Error).message ?? String(error);

async function waitFor<T>(
  wait: Waiting,
  poll: () => Promise<T>,
  done: (value: T) => boolean,
  onTimeout: (last: T, seconds: number) => ReplayError,
  onChange?: (value: T) => void,
): Promise<T> {
  const deadline = wait.now() + wait.timeoutMs;
  for (;;) {
    const value = await poll();
    if (done(value)) return value;
    onChange?.(value);
    if (wait.now() >= deadline) throw onTimeout(value, Math.round(wait.timeoutMs / 1000));
    await wait.sleep(wait.pollMs);
  }
}

/** Lambda mode: disable the event source mapping, wait until it is `Disabled`; resume enables it again. */
export function lambdaMapping(lambda: LambdaApi, uuid: string, wait: Waiting): PausableConsumer {
  const byHand = `aws lambda update-event-source-mapping --uuid ${uuid} --enabled`;
  let disabled = false;
  const state = async (doing: string) => {
    try {
      return (await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State ?? 'unknown';
    } catch (error) {
      throw new ReplayError(
        'Lambda',
        `cannot read event source mapping ${uuid} while ${doing} (${reason(error)}): check the stack's EventSourceMappingId output and that the caller may lambda:GetEventSourceMapping`,
        { cause: error },
      );
    }
  };
  return {
    description: `Lambda event source mapping ${uuid}`,
    async pause(onProgress) {
      const before = await state('pausing');
      if (before === 'Disabled') {
        onProgress(`Lambda: event source mapping ${uuid} is already Disabled; it stays disabled afterwards`);
        return;
      }
      onProgress(`Lambda: disabling event source mapping ${uuid} (${before})`);
      try {
        await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
        disabled = true;
      } catch (error) {
        disabled = !refusedByService(error);
        throw new ReplayError(
          'Lambda',
          `cannot disable event source mapping ${uuid} (${reason(error)}): the caller needs lambda:UpdateEventSourceMapping, and the mapping must not be in the middle of an update`,
          { cause: error },
        );
      }
      let last = '';
      await waitFor(
        wait,
        () => state('waiting for it to stop'),
        (s) => s === 'Disabled',
        (s, seconds) =>
          new ReplayError(
            'Lambda',
            `event source mapping ${uuid} is still ${s} after ${seconds} s: see its StateTransitionReason (aws lambda get-event-source-mapping --uuid ${uuid}), then run again or raise --wait`,
          ),
        (s) => {
          if (s !== last) onProgress(`Lambda: event source mapping ${uuid} is ${s}, waiting for Disabled`);
          last = s;
        },
      );
      onProgress(`Lambda: event source mapping ${uuid} is Disabled`);
    },
    async resume() {
      if (!disabled) return `Lambda: event source mapping ${uuid} left as it was`;
      try {
        const out = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
        disabled = false;
        return `Lambda: enabling event source mapping ${uuid} (${out.State ?? 'state unknown'}); it resumes from the group's committed offsets`;
      } catch (error) {
        throw new ReplayError(
          'Lambda',
          `cannot re-enable event source mapping ${uuid} (${reason(error)}), the Lambda consumer is stopped: enable it with ${byHand}`,
          { cause: error },
        );
      }
    },
  };
}

/** Fargate mode: scale the service to 0 tasks and wait until none runs; resume restores the desired count. */
export function fargateService(
  ecs: EcsApi,
  cluster: string,
  service: string,
  wait: Waiting,
): PausableConsumer {
  let previous: number | undefined;
  const describe = async (doing: string) => {
    let out: Pick<DescribeServicesCommandOutput, 'services' | 'failures'>;
    try {
      out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    } catch (error) {
      throw new ReplayError(
        'ECS',
        `cannot describe service ${service} in cluster ${cluster} while ${doing} (${reason(error)}): the caller needs ecs:DescribeServices`,
        { cause: error },
      );
    }
    const found = out.services?.[0];
    if (found === undefined || found.status === 'INACTIVE') {
      throw new ReplayError(
        'ECS',
        `service ${service} not found in cluster ${cluster} (${out.failures?.[0]?.reason ?? found?.status ?? 'no answer'}): check the stack's ConsumerClusterName and ConsumerServiceName outputs`,
      );
    }
    return {
      desired: found.desiredCount ?? 0,
      running: found.runningCount ?? 0,
      pending: found.pendingCount ?? 0,
    };
  };
  const update = (desiredCount: number) =>
    ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount }));
  return {
    description: `ECS service ${service} (cluster ${cluster})`,
    async pause(onProgress) {
      const before = await describe('pausing');
      if (before.desired === 0 && before.running === 0 && before.pending === 0) {
        onProgress(`ECS: service ${service} already runs no task; it stays at 0 afterwards`);
        return;
      }
      onProgress(
        `ECS: scaling service ${service} from ${before.desired} desired (${before.running} running) to 0`,
      );
      try {
        await update(0);
        previous = before.desired;
      } catch (error) {
        if (!refusedByService(error)) previous = before.desired;
        throw new ReplayError(
          'ECS',
          `cannot scale service ${service} to 0 (${reason(error)}): the caller needs ecs:UpdateService`,
          { cause: error },
        );
      }
      let last = '';
      await waitFor(
        wait,
        () => describe('waiting for its tasks to stop'),
        (s) => s.running === 0 && s.pending === 0,
        (s, seconds) =>
          new ReplayError(
            'ECS',
            `service ${service} still runs ${s.running} task(s) (${s.pending} pending) after ${seconds} s: see its events (aws ecs describe-services --cluster ${cluster} --services ${service}), then run again or raise --wait`,
          ),
        (s) => {
          const line = `ECS: service ${service} has ${s.running} running, ${s.pending} pending task(s), waiting for 0`;
          if (line !== last) onProgress(line);
          last = line;
        },
      );
      onProgress(`ECS: service ${service} runs no task`);
    },
    async resume() {
      if (previous === undefined) return `ECS: service ${service} left as it was`;
      try {
        await update(previous);
        const restored = previous;
        previous = undefined;
        return `ECS: service ${service} back to ${restored} desired task(s); they resume from the group's committed offsets`;
      } catch (error) {
        throw new ReplayError(
          'ECS',
          `cannot restore service ${service} to ${previous} task(s) (${reason(error)}), the Fargate consumer is stopped: run aws ecs update-service --cluster ${cluster} --service ${service} --desired-count ${previous}`,
          { cause: error },
        );
      }
    },
  };
}
