// What the ops function (lambdas/ops.ts, in the stack's VPC) does for the operator commands on a laptop: the
// Kafka admin reads and the one offset write a replay needs, the smoke test's count query and dead-letter check,
// a bounded slice of the dead-letter re-drive, and the status reads. Each request names an action; the handler
// answers with an envelope the CLI unwraps (ops/ops-client.ts). Every action is limited to the deployment's own
// topics, groups and indices (the names come from the function's environment, never from the request), so the
// function can do no more for an operator than these commands need, whatever its IAM role would allow.
// No AWS imports: the local stack test drives these functions with a plain kafkajs client and OpenSearch client.
import type { Client } from '@opensearch-project/opensearch';
import type { Admin, Kafka } from 'kafkajs';
import { runConsumer } from '../core/consumer.js';
import { deadLetteredRecord } from '../core/dead-letter.js';
import { CATEGORIES, type Category, categoryAlias, emptyCounts, indexPattern } from '../core/documents.js';
import { PipelineError } from '../core/errors.js';
import { endOffsets, hasCaughtUp, lagOf, type PartitionOffset } from '../core/group-offsets.js';
import type { Logger } from '../core/logger.js';
import type { BatchSummary } from '../core/process-batch.js';
import type { SourceRecord } from '../core/source-record.js';
import { readTopic } from './read-topic.js';
import { type DeadLetterMessage, deadLetterDifferences, type OffsetRange } from './smoke-verdict.js';

/** The names the function works on: the deployment's, from its environment. */
export interface OpsTargets {
  readonly topic: string;
  readonly deadLetterTopic: string;
  readonly consumerGroupId: string;
  /** The group the re-drive reads the dead-letter topic as (like `npm run consume -- --redrive --group`). */
  readonly redriveGroupId: string;
  /** Throwaway groups that read the dead-letter topic for the smoke test: `<prefix><random>`, deleted after. */
  readonly readGroupPrefix: string;
  readonly indexPrefix: string;
}

/** A range as JSON carries it: offsets as decimal strings (they may exceed 2^53). */
export interface JsonOffsetRange {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
}

export type OpsRequest =
  | { readonly action: 'topicOffsets'; readonly topic: string }
  | { readonly action: 'topicOffsetsByTimestamp'; readonly topic: string; readonly timestampMs: number }
  | { readonly action: 'groupOffsets'; readonly groupId: string; readonly topic: string }
  | { readonly action: 'describeGroup'; readonly groupId: string }
  | {
      readonly action: 'setOffsets';
      readonly groupId: string;
      readonly topic: string;
      readonly partitions: readonly PartitionOffset[];
    }
  | { readonly action: 'search'; readonly body: Record<string, unknown> }
  | {
      readonly action: 'checkDeadLetters';
      readonly topic: string;
      readonly ranges: readonly JsonOffsetRange[];
    }
  | { readonly action: 'redrive'; readonly budgetMs?: number }
  | { readonly action: 'status' };

export type OpsAction = OpsRequest['action'];

/** What the handler returns: the CLI turns `ok: false` into one error line. */
export type OpsResponse<T = unknown> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: string };

/** A request the function refuses: a malformed one, or one outside the deployment's topics, groups, indices. */
export class OpsRequestError extends PipelineError {}

export interface RedriveResult {
  /** Dead letters processed in this invocation. */
  readonly records: number;
  readonly counts: Record<Category, number>;
  /** Dead letters the re-drive group has still to read (end offsets minus its committed offsets). */
  readonly remaining: number;
  readonly done: boolean;
}

export interface StatusResult {
  readonly groups: readonly { groupId: string; topic: string; lag: string; committed: boolean }[];
  readonly documents: Record<Category, number>;
  /** Records the dead-letter topic retains now (end minus earliest offset, over its partitions). */
  readonly deadLetters: string;
}

export interface CheckDeadLettersResult {
  readonly read: number;
  /** At most MAX_DIFFERENCE_LINES lines: a response stays far below Lambda's 6 MB. */
  readonly differences: readonly string[];
}

/** Lambda's synchronous response is at most 6 MB (Lambda quotas; API_Invoke): lines beyond this are summarised. */
export const MAX_DIFFERENCE_LINES = 200;

export interface OpsDeps {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly search: Client;
  /** processBatch with the deployment's users lookup and indexer: what the consumers run. */
  readonly process: (records: SourceRecord[]) => Promise<BatchSummary>;
  readonly logger: Logger;
  /** The invocation's time left (context.getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Time kept back from a re-drive slice to stop the consumer, commit and answer before the function times out. */
export const REDRIVE_RESERVE_MS = 60_000;

const requireString = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value === '')
    throw new OpsRequestError(`${field} must be a non-empty string`);
  return value;
};

const requireOneOf = (value: unknown, field: string, allowed: readonly string[]): string => {
  const s = requireString(value, field);
  if (!allowed.includes(s)) {
    throw new OpsRequestError(`${field} '${s}' is not one of this deployment's: ${allowed.join(', ')}`);
  }
  return s;
};

const OFFSET = /^\d{1,20}$/;

/** Checks the request's shape and that it stays within the deployment; returns it typed. */
export function parseOpsRequest(raw: unknown, targets: OpsTargets): OpsRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new OpsRequestError('the request must be a JSON object with an action');
  }
  const r = raw as Record<string, unknown>;
  const topics = [targets.topic, targets.deadLetterTopic];
  const groups = [targets.consumerGroupId, targets.redriveGroupId];
  switch (r.action) {
    case 'topicOffsets':
      return { action: r.action, topic: requireOneOf(r.topic, 'topic', topics) };
    case 'topicOffsetsByTimestamp': {
      if (typeof r.timestampMs !== 'number' || !Number.isSafeInteger(r.timestampMs) || r.timestampMs < 0) {
        throw new OpsRequestError('timestampMs must be a non-negative integer (epoch milliseconds)');
      }
      return { action: r.action, topic: requireOneOf(r.topic, 'topic', topics), timestampMs: r.timestampMs };
    }
    case 'groupOffsets':
      return {
        action: r.action,
        groupId: requireOneOf(r.groupId, 'groupId', groups),
        topic: requireOneOf(r.topic, 'topic', topics),
      };
    case 'describeGroup':
      return { action: r.action, groupId: requireOneOf(r.groupId, 'groupId', groups) };
    case 'setOffsets': {
      // The one write to Kafka an operator asks for: moving the consumer group on the topic (ops:replay).
      const partitions = r.partitions;
      if (
        !Array.isArray(partitions) ||
        partitions.length === 0 ||
        !partitions.every(
          (p) =>
            typeof p === 'object' &&
            p !== null &&
            Number.isSafeInteger((p as PartitionOffset).partition) &&
            (p as PartitionOffset).partition >= 0 &&
            typeof (p as PartitionOffset).offset === 'string' &&
            OFFSET.test((p as PartitionOffset).offset),
        )
      ) {
        throw new OpsRequestError(
          'partitions must be a non-empty list of { partition, offset } (offset a decimal string)',
        );
      }
      return {
        action: r.action,
        groupId: requireOneOf(r.groupId, 'groupId', [targets.consumerGroupId]),
        topic: requireOneOf(r.topic, 'topic', [targets.topic]),
        partitions: partitions.map((p: PartitionOffset) => ({ partition: p.partition, offset: p.offset })),
      };
    }
    case 'search': {
      if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) {
        throw new OpsRequestError('body must be a _search request body (a JSON object)');
      }
      return { action: r.action, body: r.body as Record<string, unknown> };
    }
    case 'checkDeadLetters': {
      const ranges = r.ranges;
      if (
        !Array.isArray(ranges) ||
        !ranges.every(
          (x) =>
            typeof x === 'object' &&
            x !== null &&
            Number.isSafeInteger((x as JsonOffsetRange).partition) &&
            OFFSET.test(String((x as JsonOffsetRange).from)) &&
            OFFSET.test(String((x as JsonOffsetRange).to)),
        )
      ) {
        throw new OpsRequestError(
          'ranges must be a list of { partition, from, to } (offsets as decimal strings)',
        );
      }
      return {
        action: r.action,
        topic: requireOneOf(r.topic, 'topic', [targets.topic]),
        ranges: ranges.map((x: JsonOffsetRange) => ({
          partition: x.partition,
          from: String(x.from),
          to: String(x.to),
        })),
      };
    }
    case 'redrive': {
      if (r.budgetMs !== undefined && (!Number.isSafeInteger(r.budgetMs) || (r.budgetMs as number) < 1_000)) {
        throw new OpsRequestError('budgetMs must be an integer of at least 1000 (ms)');
      }
      return { action: r.action, budgetMs: r.budgetMs as number | undefined };
    }
    case 'status':
      return { action: r.action };
    default:
      throw new OpsRequestError(
        `unknown action ${JSON.stringify(r.action)}: use one of topicOffsets, topicOffsetsByTimestamp, groupOffsets, describeGroup, setOffsets, search, checkDeadLetters, redrive, status`,
      );
  }
}

export async function runOpsRequest(
  request: OpsRequest,
  targets: OpsTargets,
  deps: OpsDeps,
): Promise<unknown> {
  switch (request.action) {
    case 'topicOffsets':
      return deps.admin.fetchTopicOffsets(request.topic);
    case 'topicOffsetsByTimestamp':
      return deps.admin.fetchTopicOffsetsByTimestamp(request.topic, request.timestampMs);
    case 'groupOffsets':
      return deps.admin.fetchOffsets({ groupId: request.groupId, topics: [request.topic] });
    case 'describeGroup': {
      // Only what ops:replay looks at: member assignments are bytes, and nobody's business here.
      const { groups } = await deps.admin.describeGroups([request.groupId]);
      return {
        groups: groups.map((g) => ({
          groupId: g.groupId,
          state: g.state,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            clientId: m.clientId,
            clientHost: m.clientHost,
          })),
        })),
      };
    }
    case 'setOffsets':
      await deps.admin.setOffsets({
        groupId: request.groupId,
        topic: request.topic,
        partitions: [...request.partitions],
      });
      return { set: request.partitions.length };
    case 'search':
      // Only the pipeline's indices; the function's FGAC read role could read nothing else anyway.
      return (await deps.search.search({ index: indexPattern(targets.indexPrefix), body: request.body }))
        .body;
    case 'checkDeadLetters':
      return checkDeadLetters(request, targets, deps);
    case 'redrive':
      return redriveSlice(request.budgetMs, targets, deps);
    case 'status':
      return status(targets, deps);
  }
}

async function checkDeadLetters(
  request: Extract<OpsRequest, { action: 'checkDeadLetters' }>,
  targets: OpsTargets,
  deps: OpsDeps,
): Promise<CheckDeadLettersResult> {
  const suffix = Math.random().toString(16).slice(2, 10);
  const messages: DeadLetterMessage[] = await readTopic(deps.kafka, {
    topic: targets.deadLetterTopic,
    groupId: `${targets.readGroupPrefix}${suffix}`,
    timeoutMs: Math.max(10_000, Math.min(120_000, deps.remainingMs() - 30_000)),
  });
  const ranges: OffsetRange[] = request.ranges.map((r) => ({
    partition: r.partition,
    from: BigInt(r.from),
    to: BigInt(r.to),
  }));
  const lines = deadLetterDifferences(messages, request.topic, ranges);
  const differences =
    lines.length <= MAX_DIFFERENCE_LINES
      ? lines
      : [
          ...lines.slice(0, MAX_DIFFERENCE_LINES),
          `${lines.length - MAX_DIFFERENCE_LINES} more dead-letter difference(s) not shown`,
        ];
  return { read: messages.length, differences };
}

async function groupLag(admin: Admin, groupId: string, topic: string) {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const partitions = committed?.partitions ?? [];
  return {
    groupId,
    topic,
    lag: lagOf(ends, partitions).toString(),
    committed: partitions.some((p) => p.offset !== '-1'),
  };
}

/**
 * One slice of the dead-letter re-drive: the same consumer loop as `npm run consume -- --redrive` (each dead
 * letter indexed under the identity of the record it came from: core/dead-letter.ts deadLetteredRecord, through
 * processBatch), as group `redriveGroupId`, until the group has caught up with the end offsets seen at the start
 * of the slice or the time budget is spent. Offsets are committed per chunk after its documents are indexed, so
 * the next slice goes on where this one stopped. No dead-letter sink: a record no index accepts stops the
 * re-drive with the reason, as it stops `consume --redrive` without `--dead-letter-topic`.
 */
export async function redriveSlice(
  budgetMs: number | undefined,
  targets: OpsTargets,
  deps: OpsDeps,
): Promise<RedriveResult> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const available = deps.remainingMs() - REDRIVE_RESERVE_MS;
  const budget = Math.min(budgetMs ?? available, available);
  if (budget < 1_000) {
    throw new OpsRequestError(
      `the function has ${Math.round(deps.remainingMs() / 1000)} s left, too little for a re-drive slice: raise its timeout`,
    );
  }
  const { deadLetterTopic: topic, redriveGroupId: groupId } = targets;
  const targetsNow = await endOffsets(deps.admin, topic);
  const counts = emptyCounts();
  let records = 0;
  if (targetsNow.length > 0 && !(await hasCaughtUp(deps.admin, groupId, topic, targetsNow))) {
    const running = await runConsumer({
      kafka: deps.kafka,
      groupId,
      topic,
      fromBeginning: true,
      process: deps.process,
      toRecord: deadLetteredRecord,
      // One chunk at a time: a slice stops at its budget after the chunks in flight, so the fewer the sooner.
      maxInFlightBytes: 1,
      logger: deps.logger,
      onBatch: (summary) => {
        records += summary.total;
        for (const c of CATEGORIES) counts[c] += summary.counts[c];
      },
    });
    let failure: unknown;
    running.done.catch((error: unknown) => {
      failure = error;
    });
    const deadline = Date.now() + budget;
    try {
      while (failure === undefined && Date.now() < deadline) {
        if (await hasCaughtUp(deps.admin, groupId, topic, targetsNow)) break;
        await sleep(500);
      }
    } finally {
      await running.stop();
      await running.done.catch(() => undefined);
    }
    if (failure !== undefined) {
      throw new OpsRequestError(
        `the re-drive stopped after ${records} record(s): ${(failure as Error).message ?? String(failure)}`,
        { cause: failure },
      );
    }
  }
  const { lag } = await groupLag(deps.admin, groupId, topic);
  return { records, counts, remaining: Number(lag), done: lag === '0' };
}

async function status(targets: OpsTargets, deps: OpsDeps): Promise<StatusResult> {
  const groups = await Promise.all([
    groupLag(deps.admin, targets.consumerGroupId, targets.topic),
    groupLag(deps.admin, targets.redriveGroupId, targets.deadLetterTopic),
  ]);
  const documents = emptyCounts();
  for (const category of CATEGORIES) {
    // Through the category's filtered alias, as Dashboards and `npm run stack:status` count.
    // A deployment that has indexed nothing yet has no alias: 404, no documents.
    const response = await deps.search.count(
      {
        index: categoryAlias(targets.indexPrefix, category),
        ignore_unavailable: true,
        allow_no_indices: true,
      },
      { ignore: [404] },
    );
    documents[category] = response.statusCode === 404 ? 0 : (response.body as { count: number }).count;
  }
  const dlq = await deps.admin.fetchTopicOffsets(targets.deadLetterTopic);
  const deadLetters = dlq.reduce((n, p) => n + (BigInt(p.high) - BigInt(p.low)), 0n).toString();
  return { groups, documents, deadLetters };
}

/** Runs a raw request and wraps the outcome: a refused request or a failed action is an `ok: false` answer. */
export async function handleOpsRequest(
  raw: unknown,
  targets: OpsTargets,
  deps: OpsDeps,
): Promise<OpsResponse> {
  let request: OpsRequest;
  try {
    request = parseOpsRequest(raw, targets);
  } catch (error) {
    if (error instanceof OpsRequestError) return { ok: false, error: `refused: ${error.message}` };
    throw error;
  }
  try {
    return { ok: true, result: await runOpsRequest(request, targets, deps) };
  } catch (error) {
    deps.logger.error('ops action failed', { action: request.action, error: error as Error });
    const e = error as Error;
    return {
      ok: false,
      error: `${request.action} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
    };
  }
}
