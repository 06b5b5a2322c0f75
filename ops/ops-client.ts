// The laptop side of the ops function: invokes it with the AWS SDK (lambda:InvokeFunction, which the stack grants
// to the roles in `operatorRoleArns` on this function only), unwraps its answers, and offers what the operator
// commands already take: a kafkajs-like admin (smoke, ops:replay), a search, the dead-letter check, and the
// re-drive repeated in bounded invocations until the dead-letter topic is drained. The function's name comes
// from the stack's `OpsFunctionName` output.
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { Admin } from 'kafkajs';
import type { Category } from '../core/documents.js';
import { CATEGORIES, emptyCounts } from '../core/documents.js';
import { PipelineError } from '../core/errors.js';
import type {
  CheckDeadLettersResult,
  OpsRequest,
  OpsResponse,
  RedriveResult,
  StatusResult,
} from './ops-actions.js';
import type { CountResponse, OffsetRange } from './smoke-verdict.js';

/** The part of LambdaClient we use: lets tests pass a mocked client. */
export interface LambdaInvokeApi {
  send(
    command: InvokeCommand,
  ): Promise<Pick<InvokeCommandOutput, 'StatusCode' | 'FunctionError' | 'Payload'>>;
}

/** The ops function could not be invoked, failed, or refused the request: one line saying what to do. */
export class OpsFunctionError extends PipelineError {}

export type OpsInvoke = <T>(request: OpsRequest) => Promise<T>;

/** The ops function's timeout (lib/ops-function.ts OPS_FUNCTION_TIMEOUT), plus a margin for the round trip. */
const INVOKE_SOCKET_TIMEOUT_MS = 16 * 60_000;

/**
 * A Lambda client for synchronous invocations that may run for minutes (a re-drive slice): the socket waits for
 * the answer longer than the function may run.
 */
export function opsLambdaClient(region: string | undefined): LambdaInvokeApi {
  return new LambdaClient({
    region,
    requestHandler: { requestTimeout: INVOKE_SOCKET_TIMEOUT_MS },
  }) as unknown as LambdaInvokeApi;
}

const decoder = new TextDecoder();

/**
 * Invokes the function synchronously and returns the action's result. Requests and answers are small (offsets,
 * counts, at most MAX_DIFFERENCE_LINES lines): far below the 6 MB a synchronous invocation carries each way
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 */
export function opsInvoker(lambda: LambdaInvokeApi, functionName: string): OpsInvoke {
  return async <T>(request: OpsRequest): Promise<T> => {
    let output: Pick<InvokeCommandOutput, 'StatusCode' | 'FunctionError' | 'Payload'>;
    try {
      output = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(request)),
        }),
      );
    } catch (error) {
      const e = error as Error;
      const fix =
        e.name === 'AccessDeniedException'
          ? `: add your role's ARN to the stack's operatorRoleArns and deploy (the function's resource policy lists the roles that may invoke it)`
          : e.name === 'ResourceNotFoundException'
            ? ': deploy this version of the stack (its OpsFunctionName output names the function)'
            : '';
      throw new OpsFunctionError(
        `cannot invoke the ops function ${functionName}: ${e.name}: ${e.message}${fix}`,
        {
          cause: error,
        },
      );
    }
    const text = output.Payload === undefined ? '' : decoder.decode(output.Payload);
    if (output.FunctionError !== undefined) {
      // Unhandled: a timeout, a crash, a bad environment. The payload is Lambda's { errorType, errorMessage }.
      let detail = text;
      try {
        const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        detail = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage ?? text}`;
      } catch {
        // not JSON: keep the text as it came
      }
      throw new OpsFunctionError(
        `the ops function ${functionName} failed on ${request.action} (${detail}): see its log group in CloudWatch Logs`,
      );
    }
    let response: OpsResponse<T>;
    try {
      response = JSON.parse(text) as OpsResponse<T>;
    } catch (error) {
      throw new OpsFunctionError(
        `the ops function ${functionName} answered ${request.action} with no JSON: ${text.slice(0, 200)}`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) throw new OpsFunctionError(`ops function: ${response.error}`);
    return response.result;
  };
}

/** The admin calls smoke and ops:replay make, answered by the ops function inside the VPC. */
export type RemoteAdmin = Pick<
  Admin,
  | 'connect'
  | 'disconnect'
  | 'fetchTopicOffsets'
  | 'fetchTopicOffsetsByTimestamp'
  | 'fetchOffsets'
  | 'setOffsets'
  | 'describeGroups'
>;

export function remoteAdmin(invoke: OpsInvoke): RemoteAdmin {
  const only = (topics: readonly unknown[] | undefined): string => {
    if (topics?.length !== 1 || typeof topics[0] !== 'string') {
      throw new OpsFunctionError('the ops function answers offsets of one topic at a time');
    }
    return topics[0];
  };
  return {
    // Nothing to connect: each invocation connects inside the VPC.
    connect: async () => {},
    disconnect: async () => {},
    fetchTopicOffsets: (topic) => invoke({ action: 'topicOffsets', topic }),
    fetchTopicOffsetsByTimestamp: (topic, timestamp) =>
      invoke({ action: 'topicOffsetsByTimestamp', topic: topic, timestampMs: timestamp ?? Date.now() }),
    fetchOffsets: (({ groupId, topics }: { groupId: string; topics?: string[] }) =>
      invoke({ action: 'groupOffsets', groupId, topic: only(topics) })) as Admin['fetchOffsets'],
    setOffsets: async ({ groupId, topic, partitions }) => {
      await invoke({ action: 'setOffsets', groupId, topic, partitions });
    },
    describeGroups: async (groupIds) => {
      if (groupIds.length !== 1) throw new OpsFunctionError('the ops function describes one group at a time');
      return invoke({ action: 'describeGroup', groupId: groupIds[0] as string });
    },
  };
}

/** The smoke test's `_search` on `<indexPrefix>-*`, run by the function. */
export const remoteSearch =
  (invoke: OpsInvoke) =>
  (body: Record<string, unknown>): Promise<CountResponse> =>
    invoke({ action: 'search', body });

/** The smoke test's dead-letter check, run by the function next to the topic (only lines come back). */
export const remoteDeadLetterCheck =
  (invoke: OpsInvoke) =>
  (topic: string, ranges: readonly OffsetRange[]): Promise<CheckDeadLettersResult> =>
    invoke({
      action: 'checkDeadLetters',
      topic,
      ranges: ranges.map((r) => ({ partition: r.partition, from: r.from.toString(), to: r.to.toString() })),
    });

export const remoteStatus = (invoke: OpsInvoke): Promise<StatusResult> => invoke({ action: 'status' });

export interface RedriveLoopOptions {
  /** Give up after this many invocations. @default 1000 */
  readonly maxSlices?: number;
  /** Time budget of one invocation; the function caps it below its own timeout. @default - the function's */
  readonly sliceMs?: number;
  readonly progress: (line: string) => void;
}

export interface RedriveTotals {
  readonly slices: number;
  readonly records: number;
  readonly counts: Record<Category, number>;
  readonly remaining: number;
  readonly done: boolean;
}

/**
 * Repeats bounded re-drive invocations (each well inside Lambda's 15-minute limit) until the re-drive group has
 * read the dead-letter topic to its end, printing progress after each. A slice that makes no progress while
 * records remain ends the loop: something else (another re-drive, a stuck partition) holds the group.
 */
export async function runRedriveLoop(invoke: OpsInvoke, options: RedriveLoopOptions): Promise<RedriveTotals> {
  const maxSlices = options.maxSlices ?? 1000;
  const counts = emptyCounts();
  let records = 0;
  let last: RedriveResult | undefined;
  let slices = 0;
  let idle = 0;
  while (slices < maxSlices) {
    last = await invoke<RedriveResult>({ action: 'redrive', budgetMs: options.sliceMs });
    slices++;
    records += last.records;
    for (const c of CATEGORIES) counts[c] += last.counts[c];
    options.progress(
      `slice ${slices}: ${last.records} dead letter(s) re-driven (${CATEGORIES.map((c) => `${c} ${last?.counts[c]}`).join(', ')}), ${last.remaining} left`,
    );
    if (last.done) break;
    idle = last.records === 0 ? idle + 1 : 0;
    if (idle >= 3) {
      throw new OpsFunctionError(
        `the re-drive made no progress in 3 invocations with ${last.remaining} dead letter(s) left: is another re-drive running? (the re-drive group must have no other member)`,
      );
    }
  }
  return { slices, records, counts, remaining: last?.remaining ?? 0, done: last?.done === true };
}
