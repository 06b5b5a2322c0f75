import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  type CommandInvocationStatus,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS } from '../../core/dead-letter.js';
import { formatGroundTruth } from '../../generator/cli-output.js';
import { BAD_KINDS } from '../../generator/events.js';
import type { GroundTruth } from '../../generator/run.js';
import { UsageError } from '../../local/cli.js';
import { type CloudFormationApi, readStackOutputs, StackOutputsError } from '../../ops/cli.js';
import {
  formatReport,
  parseSmokeArgs,
  runSmoke,
  type SmokeDeps,
  type SmokeSsmApi,
  type SmokeTargets,
  targetsFromOutputs,
} from '../../ops/smoke.js';
import {
  type CountResponse,
  type DeadLetterMessage,
  deadLetterDifferences,
} from '../../ops/smoke-verdict.js';

const ssmMock = mockClient(SSMClient);
const cfnMock = mockClient(CloudFormationClient);
afterEach(() => {
  ssmMock.reset();
  cfnMock.reset();
});

const OUTPUTS = [
  { OutputKey: 'ClusterArn', OutputValue: 'arn:aws:kafka:eu-west-1:111122223333:cluster/logs/abc' },
  { OutputKey: 'OpenSearchEndpoint', OutputValue: 'vpc-logs-xyz.eu-west-1.es.amazonaws.com' },
  { OutputKey: 'Topic', OutputValue: 'server-logs' },
  { OutputKey: 'ConsumerGroupId', OutputValue: 'log-pipeline-consumer' },
  { OutputKey: 'GeneratorDocumentName', OutputValue: 'LogPipelineStack-RunLogGenerator' },
  { OutputKey: 'GeneratorTagKey', OutputValue: 'log-pipeline:role' },
  { OutputKey: 'GeneratorTagValue', OutputValue: 'generator' },
];

function truth(seed: string, good: number, suspicious: number, bad: number): GroundTruth {
  const byBadKind = Object.fromEntries(BAD_KINDS.map((k) => [k, 0])) as GroundTruth['byBadKind'];
  byBadKind.not_json = bad;
  return {
    topic: 'server-logs',
    seed,
    accounts: 10_000,
    usersSeeded: null,
    sent: good + suspicious + bad,
    byCategory: { good, suspicious, bad },
    byBadKind,
    bySuspiciousKind: { device_mismatch: suspicious, unknown_account: 0 },
    elapsedMs: 60_000,
    eventsPerSecond: Math.round((good + suspicious + bad) / 60),
    aborted: false,
  };
}

/** Two online generator instances whose runs succeed and print these ground truths, as the CLI does. */
function fleetOf(outputs: Record<string, GroundTruth>, statuses: Record<string, string> = {}): SmokeSsmApi {
  const ids = Object.keys(outputs);
  ssmMock.on(DescribeInstanceInformationCommand).resolves({
    InstanceInformationList: ids.map((InstanceId) => ({ InstanceId, PingStatus: 'Online' })),
  });
  ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
  ssmMock.on(ListCommandInvocationsCommand).resolves({
    CommandInvocations: ids.map((InstanceId) => ({
      InstanceId,
      Status: (statuses[InstanceId] ?? 'Success') as CommandInvocationStatus,
      StatusDetails: statuses[InstanceId] ?? 'Success',
    })),
  });
  for (const [InstanceId, t] of Object.entries(outputs)) {
    ssmMock
      .on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId })
      .resolves({ StandardOutputContent: `${formatGroundTruth(t)}\n`, Status: 'Success' });
  }
  return new SSMClient({ region: 'eu-west-1' }) as unknown as SmokeSsmApi;
}

const TARGETS: SmokeTargets = targetsFromOutputs(
  Object.fromEntries(OUTPUTS.map((o) => [o.OutputKey, o.OutputValue])),
  'LogPipelineStack',
);

/** Topic end offsets: `before` at the first call, `after` from then on (kafkajs shapes). */
function adminOf(
  before: Record<number, number>,
  after: Record<number, number>,
  committedSequence: Record<number, number>[],
): SmokeDeps['admin'] & { fetchOffsetsCalls: number } {
  let reads = 0;
  const shape = (ends: Record<number, number>) =>
    Object.entries(ends).map(([p, high]) => ({
      partition: Number(p),
      offset: String(high),
      high: String(high),
      low: '0',
    }));
  const admin = {
    fetchOffsetsCalls: 0,
    fetchTopicOffsets: async (topic: string) => {
      expect(topic).toBe('server-logs');
      return shape(reads++ === 0 ? before : after);
    },
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics?: string[] }) => {
      expect({ groupId, topics }).toEqual({ groupId: 'log-pipeline-consumer', topics: ['server-logs'] });
      const committed =
        committedSequence[Math.min(admin.fetchOffsetsCalls++, committedSequence.length - 1)] ?? {};
      return [
        {
          topic: 'server-logs',
          partitions: Object.entries(committed).map(([p, offset]) => ({
            partition: Number(p),
            offset: String(offset),
            metadata: null,
          })),
        },
      ];
    },
  };
  return admin as unknown as SmokeDeps['admin'] & { fetchOffsetsCalls: number };
}

/** A `_search` response with the aggregation shape OpenSearch returns for countQuery. */
function searchResponse(counts: Record<string, number>): CountResponse {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    hits: { total: { value: total } },
    aggregations: {
      category: { buckets: Object.entries(counts).map(([key, doc_count]) => ({ key, doc_count })) },
    },
  };
}

function deps(
  ssm: SmokeSsmApi,
  admin: SmokeDeps['admin'],
  searches: CountResponse[],
  deadLetters: DeadLetterMessage[] = [],
): SmokeDeps & { clock: { t: number }; queries: Record<string, unknown>[]; lines: string[] } {
  const clock = { t: 0 };
  const queries: Record<string, unknown>[] = [];
  const lines: string[] = [];
  return {
    ssm,
    admin,
    search: async (body) => {
      queries.push(body);
      return searches[Math.min(queries.length - 1, searches.length - 1)] as CountResponse;
    },
    checkDeadLetters: async (topic, ranges) => ({
      read: deadLetters.length,
      differences: deadLetterDifferences(deadLetters, topic, ranges),
    }),
    sleep: async (ms) => {
      clock.t += ms;
    },
    now: () => clock.t,
    progress: (line) => lines.push(line),
    clock,
    queries,
    lines,
  };
}

const OPTIONS = {
  targets: TARGETS,
  parameters: { rate: 20, duration: 60, badRatio: 0.1, suspiciousRatio: 0.1 },
  waitSeconds: 600,
  settleSeconds: 60,
  pollSeconds: 10,
};

// Instance a: 800 good, 100 suspicious, 100 bad; instance b: 700, 200, 100. 2,000 records in all, appended to
// partitions 0 (from 10 to 1,010) and 1 (from 5 to 1,005).
const TWO_RUNS = { 'i-a': truth('11', 800, 100, 100), 'i-b': truth('22', 700, 200, 100) };
const BEFORE = { 0: 10, 1: 5 };
const AFTER = { 0: 1010, 1: 1005 };

describe('runSmoke', () => {
  it('passes when the run is indexed in its categories and the dead-letter topic holds only poison records', async () => {
    const earlierPoison: DeadLetterMessage = {
      partition: 0,
      message: {
        offset: '0',
        headers: {
          [DEAD_LETTER_HEADERS.topic]: 'server-logs',
          [DEAD_LETTER_HEADERS.partition]: '0',
          [DEAD_LETTER_HEADERS.offset]: '3',
          [DEAD_LETTER_HEADERS.timestamp]: '1764547200000',
          [DEAD_LETTER_HEADERS.error]: 'mapper_parsing_exception',
        },
      },
    };
    const d = deps(
      fleetOf(TWO_RUNS),
      adminOf(BEFORE, AFTER, [{ 0: 500 }, { 0: 1010, 1: 1005 }]),
      [searchResponse({ good: 1500, suspicious: 300, bad: 200 })],
      [earlierPoison],
    );

    const report = await runSmoke(d, OPTIONS);

    expect(report.differences).toEqual([]);
    expect(report.expected).toEqual({ good: 1500, suspicious: 300, bad: 200 });
    expect(report.truths.map((t) => [t.instanceId, t.seed, t.sent])).toEqual([
      ['i-a', '11', 1000],
      ['i-b', '22', 1000],
    ]);
    // It counted exactly the appended offsets of the run's topic.
    expect(JSON.stringify(d.queries[0])).toContain('"gte":"10","lt":"1010"');
    expect(JSON.stringify(d.queries[0])).toContain('"gte":"5","lt":"1005"');
    const sent = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(sent?.DocumentName).toBe('LogPipelineStack-RunLogGenerator');
    expect(sent?.Parameters).toMatchObject({ rate: ['20'], duration: ['60'], topic: ['server-logs'] });
    expect(formatReport(report)).toMatch(
      /^category +expected +indexed\ngood +1500 +1500\n[\s\S]*smoke test passed/,
    );
    expect(d.lines).toContain(
      'consumer group log-pipeline-consumer: 1510 record(s) of the run not committed',
    );
  });

  it('reports each category whose count differs, one line each, after waiting for the counts to settle', async () => {
    const d = deps(fleetOf(TWO_RUNS), adminOf(BEFORE, AFTER, [{ 0: 1010, 1: 1005 }]), [
      searchResponse({ good: 1500, suspicious: 300, bad: 197 }),
    ]);

    const report = await runSmoke(d, OPTIONS);

    expect(report.differences).toEqual(['bad: expected 200, indexed 197 (3 missing)']);
    expect(formatReport(report)).toContain('difference: bad: expected 200, indexed 197 (3 missing)');
    // Polled every 10 s for the 60 s the counts may take to become searchable.
    expect(d.queries).toHaveLength(7);
  });

  it('says so when another producer wrote to the topic during the run', async () => {
    const d = deps(fleetOf(TWO_RUNS), adminOf(BEFORE, { 0: 1010, 1: 1009 }, [{ 0: 1010, 1: 1009 }]), [
      searchResponse({ good: 1504, suspicious: 300, bad: 200 }),
    ]);

    const report = await runSmoke({ ...d }, { ...OPTIONS, settleSeconds: 0 });

    expect(report.differences).toEqual([
      'topic server-logs grew by 2004 record(s) during the run, the generators acknowledged 2000: another producer wrote to it',
      'good: expected 1500, indexed 1504 (4 extra)',
    ]);
  });

  it('reports a consumer that has not caught up within --wait, then what it did index', async () => {
    const d = deps(fleetOf(TWO_RUNS), adminOf(BEFORE, AFTER, [{ 0: 1010, 1: -1 }]), [
      searchResponse({ good: 750, suspicious: 150, bad: 100 }),
    ]);

    const report = await runSmoke(d, { ...OPTIONS, waitSeconds: 30, settleSeconds: 0 });

    expect(report.differences).toEqual([
      "consumer group log-pipeline-consumer has not committed 1000 of the run's 2000 record(s) after 30s",
      'good: expected 1500, indexed 750 (750 missing)',
      'suspicious: expected 300, indexed 150 (150 missing)',
      'bad: expected 200, indexed 100 (100 missing)',
    ]);
    expect(d.clock.t).toBe(30_000);
  });

  it('fails on a record of the run in the dead-letter topic and on a message no consumer wrote', async () => {
    const ofThisRun: DeadLetterMessage = {
      partition: 2,
      message: {
        offset: '7',
        headers: {
          [DEAD_LETTER_HEADERS.topic]: 'server-logs',
          [DEAD_LETTER_HEADERS.partition]: '1',
          [DEAD_LETTER_HEADERS.offset]: '42',
          [DEAD_LETTER_HEADERS.timestamp]: '1764547200000',
          [DEAD_LETTER_HEADERS.error]: 'document refused: mapper_parsing_exception',
        },
      },
    };
    const stray: DeadLetterMessage = { partition: 0, message: { offset: '8', headers: {} } };
    const d = deps(
      fleetOf(TWO_RUNS),
      adminOf(BEFORE, AFTER, [{ 0: 1010, 1: 1005 }]),
      [searchResponse({ good: 1500, suspicious: 300, bad: 199 })],
      [ofThisRun, stray],
    );

    const report = await runSmoke(d, { ...OPTIONS, settleSeconds: 0 });

    expect(report.differences).toEqual([
      'bad: expected 200, indexed 199 (1 missing)',
      'dead-letter record 2/7 is record server-logs/1/42 of this run, which no index took: document refused: mapper_parsing_exception',
      'dead-letter record 0/8 is not a poison record from the consumer: no x-source-topic, x-source-partition, x-source-offset, x-source-timestamp, x-error header',
    ]);
  });

  it('stops after the run when an instance failed, naming it, and counts nothing', async () => {
    const d = deps(fleetOf(TWO_RUNS, { 'i-b': 'Failed' }), adminOf(BEFORE, AFTER, [{ 0: 1010, 1: 1005 }]), [
      searchResponse({}),
    ]);

    const report = await runSmoke(d, OPTIONS);

    expect(report.differences).toEqual(['instance i-b: the generator run ended Failed (Failed)']);
    expect(d.queries).toEqual([]);
    expect(ssmMock.commandCalls(GetCommandInvocationCommand)).toEqual([]);
  });

  it('names an instance whose output holds no ground truth', async () => {
    const ssm = fleetOf(TWO_RUNS);
    ssmMock
      .on(GetCommandInvocationCommand, { CommandId: 'cmd-1', InstanceId: 'i-a' })
      .resolves({ StandardOutputContent: 'node: command not found\n' });
    const d = deps(ssm, adminOf(BEFORE, AFTER, [{ 0: 1010, 1: 1005 }]), [searchResponse({})]);

    const report = await runSmoke(d, OPTIONS);

    expect(report.differences).toEqual([
      'instance i-a: cannot read its ground truth: no "Ground truth (...)" table in the output',
    ]);
  });
});

describe('targetsFromOutputs', () => {
  it('reads what the smoke test needs from the described stack', async () => {
    cfnMock.on(DescribeStacksCommand, { StackName: 'LogPipelineStack' }).resolves({
      Stacks: [
        {
          StackName: 'LogPipelineStack',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: OUTPUTS,
        },
      ],
    });
    const outputs = await readStackOutputs(
      'LogPipelineStack',
      new CloudFormationClient({ region: 'eu-west-1' }) as unknown as CloudFormationApi,
    );

    expect(targetsFromOutputs(outputs, 'LogPipelineStack')).toEqual({
      clusterArn: 'arn:aws:kafka:eu-west-1:111122223333:cluster/logs/abc',
      region: 'eu-west-1',
      openSearchEndpoint: 'vpc-logs-xyz.eu-west-1.es.amazonaws.com',
      topic: 'server-logs',
      groupId: 'log-pipeline-consumer',
      documentName: 'LogPipelineStack-RunLogGenerator',
      tag: { key: 'log-pipeline:role', value: 'generator' },
    });
  });

  it('names the output an older stack lacks', () => {
    const outputs = Object.fromEntries(
      OUTPUTS.filter((o) => o.OutputKey !== 'ConsumerGroupId').map((o) => [o.OutputKey, o.OutputValue]),
    );
    expect(() => targetsFromOutputs(outputs, 'LogPipelineStack')).toThrow(
      new StackOutputsError(
        'stack LogPipelineStack has no output ConsumerGroupId (deployed from an older version?)',
      ),
    );
  });
});

describe('parseSmokeArgs', () => {
  it('defaults to a short run, the stack defaults and ten-second polls', () => {
    expect(parseSmokeArgs([])).toEqual({
      stackName: 'LogPipelineStack',
      region: undefined,
      parameters: { rate: 20, duration: 60, badRatio: 0.1, suspiciousRatio: 0.1 },
      waitSeconds: 600,
      settleSeconds: 60,
      pollSeconds: 10,
    });
  });

  it('refuses a run of no events, impossible ratios, empty names and stray arguments', () => {
    expect(() => parseSmokeArgs(['--rate', '0'])).toThrow(
      "--rate must be an integer between 1 and 999999, got '0'",
    );
    expect(() => parseSmokeArgs(['--bad-ratio', '0.7', '--suspicious-ratio', '0.5'])).toThrow(
      /must not exceed 1/,
    );
    expect(() => parseSmokeArgs(['--stack', ''])).toThrow("--stack must be non-empty, got ''");
    expect(() => parseSmokeArgs(['now'])).toThrow(UsageError);
    expect(() => parseSmokeArgs(['--durations', '5'])).toThrow(/unknown option '--durations'/);
  });
});
