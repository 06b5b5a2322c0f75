import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import {
  handleOpsRequest,
  type OpsDeps,
  OpsRequestError,
  type OpsTargets,
  parseOpsRequest,
} from '../../ops/ops-actions.js';

const targets: OpsTargets = {
  topic: 'server-logs',
  deadLetterTopic: 'server-logs-dlq',
  consumerGroupId: 'log-pipeline-consumer',
  redriveGroupId: 'log-pipeline-redrive',
  readGroupPrefix: 'log-pipeline-ops-read-',
  indexPrefix: 'logs',
};

describe('parseOpsRequest', () => {
  it('accepts the requests the operator commands send', () => {
    expect(parseOpsRequest({ action: 'topicOffsets', topic: 'server-logs-dlq' }, targets)).toEqual({
      action: 'topicOffsets',
      topic: 'server-logs-dlq',
    });
    expect(
      parseOpsRequest(
        {
          action: 'setOffsets',
          groupId: 'log-pipeline-consumer',
          topic: 'server-logs',
          partitions: [{ partition: 0, offset: '18446744073709551615', extra: true }],
        },
        targets,
      ),
    ).toEqual({
      action: 'setOffsets',
      groupId: 'log-pipeline-consumer',
      topic: 'server-logs',
      partitions: [{ partition: 0, offset: '18446744073709551615' }],
    });
    expect(parseOpsRequest({ action: 'redrive' }, targets)).toEqual({
      action: 'redrive',
      budgetMs: undefined,
    });
  });

  it.each([
    [null, 'the request must be a JSON object with an action'],
    [{ action: 'deleteTopics', topics: ['server-logs'] }, 'unknown action "deleteTopics"'],
    [
      { action: 'topicOffsets', topic: 'other' },
      "topic 'other' is not one of this deployment's: server-logs, server-logs-dlq",
    ],
    [{ action: 'groupOffsets', groupId: 'other', topic: 'server-logs' }, "groupId 'other' is not one of"],
    // Only the consumer group's offsets on the topic move: never the re-drive group's, never the dead-letter topic.
    [
      {
        action: 'setOffsets',
        groupId: 'log-pipeline-redrive',
        topic: 'server-logs',
        partitions: [{ partition: 0, offset: '0' }],
      },
      "groupId 'log-pipeline-redrive' is not one of this deployment's: log-pipeline-consumer",
    ],
    [
      {
        action: 'setOffsets',
        groupId: 'log-pipeline-consumer',
        topic: 'server-logs-dlq',
        partitions: [{ partition: 0, offset: '0' }],
      },
      "topic 'server-logs-dlq' is not one of this deployment's: server-logs",
    ],
    [
      {
        action: 'setOffsets',
        groupId: 'log-pipeline-consumer',
        topic: 'server-logs',
        partitions: [{ partition: 0, offset: '-1' }],
      },
      'partitions must be a non-empty list',
    ],
    [
      { action: 'setOffsets', groupId: 'log-pipeline-consumer', topic: 'server-logs', partitions: [] },
      'partitions must be a non-empty list',
    ],
    [{ action: 'search', body: [] }, 'body must be a _search request body'],
    [
      { action: 'checkDeadLetters', topic: 'server-logs', ranges: [{ partition: 0, from: 'x', to: '1' }] },
      'ranges must be a list',
    ],
    [{ action: 'redrive', budgetMs: 10 }, 'budgetMs must be an integer of at least 1000'],
    [
      { action: 'topicOffsetsByTimestamp', topic: 'server-logs', timestampMs: -1 },
      'timestampMs must be a non-negative integer',
    ],
  ])('refuses %j', (request, message) => {
    expect(() => parseOpsRequest(request, targets)).toThrow(OpsRequestError);
    expect(() => parseOpsRequest(request, targets)).toThrow(message);
  });
});

describe('handleOpsRequest', () => {
  const deps = (admin: Partial<OpsDeps['admin']>): OpsDeps =>
    ({ admin, logger: silentLogger, remainingMs: () => 600_000 }) as unknown as OpsDeps;

  it('answers a refused request without touching Kafka', async () => {
    const response = await handleOpsRequest({ action: 'topicOffsets', topic: 'x' }, targets, deps({}));
    expect(response).toEqual({
      ok: false,
      error: "refused: topic 'x' is not one of this deployment's: server-logs, server-logs-dlq",
    });
  });

  it('answers a failed action with its error, and a good one with its result', async () => {
    const failing = deps({
      fetchTopicOffsets: async () => {
        throw Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' });
      },
    });
    expect(
      await handleOpsRequest({ action: 'topicOffsets', topic: 'server-logs' }, targets, failing),
    ).toEqual({
      ok: false,
      error: 'topicOffsets failed: KafkaJSConnectionError: Connection timeout',
    });
    const ends = [{ partition: 0, offset: '5', high: '5', low: '0' }];
    const working = deps({ fetchTopicOffsets: async () => ends });
    expect(
      await handleOpsRequest({ action: 'topicOffsets', topic: 'server-logs' }, targets, working),
    ).toEqual({
      ok: true,
      result: ends,
    });
  });
});
