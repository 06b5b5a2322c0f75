import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaApi } from '../../aws/msk-brokers.js';
import { HelpShown, UsageError } from '../../local/cli.js';
import type { CloudFormationApi } from '../../ops/cli.js';
import type { EcsApi, LambdaApi } from '../../ops/consumer-pause.js';
import {
  parseReplayArgs,
  planFromOutputs,
  type ReplayAdmin,
  type ReplayDeps,
  runReplay,
} from '../../ops/replay.js';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/logs/abc-1';
const LAMBDA_OUTPUTS = {
  ClusterArn: CLUSTER_ARN,
  ConsumerMode: 'lambda',
  ConsumerGroupId: 'log-pipeline-consumer',
  Topic: 'server-logs',
  EventSourceMappingId: 'esm-1',
};
const FARGATE_OUTPUTS = {
  ClusterArn: CLUSTER_ARN,
  ConsumerMode: 'fargate',
  ConsumerGroupId: 'log-pipeline-consumer',
  Topic: 'server-logs',
  ConsumerClusterName: 'consumers',
  ConsumerServiceName: 'consumer-svc',
};

const cfn = mockClient(CloudFormationClient);
const msk = mockClient(KafkaClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
afterAll(() => {
  for (const mock of [cfn, msk, lambda, ecs]) mock.restore();
});

/** Every call with a side effect or a wait, from every client and the admin, in the order made. */
let log: string[];

beforeEach(() => {
  log = [];
  for (const mock of [cfn, msk, lambda, ecs]) mock.reset();
  msk.on(GetBootstrapBrokersCommand).callsFake((input) => {
    log.push(`msk GetBootstrapBrokers ${input.ClusterArn}`);
    return { BootstrapBrokerStringSaslIam: 'b-1.logs:9098,b-2.logs:9098' };
  });
});

function stackWith(outputs: Record<string, string>) {
  cfn.on(DescribeStacksCommand).callsFake((input) => {
    log.push(`cloudformation DescribeStacks ${input.StackName}`);
    return {
      Stacks: [
        { Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) },
      ],
    };
  });
}

/** The mapping answers the given states in turn, the last one from then on. */
function mappingStates(...states: string[]) {
  lambda.on(GetEventSourceMappingCommand).callsFake((input) => {
    const State = states.length > 1 ? states.shift() : states[0];
    log.push(`lambda GetEventSourceMapping ${input.UUID} -> ${State}`);
    return { UUID: input.UUID, State };
  });
  lambda.on(UpdateEventSourceMappingCommand).callsFake((input) => {
    log.push(`lambda UpdateEventSourceMapping ${input.UUID} Enabled=${input.Enabled}`);
    return { UUID: input.UUID, State: input.Enabled ? 'Enabling' : 'Disabling' };
  });
}

/** The service answers the given (desired, running) counts in turn, the last one from then on. */
function serviceCounts(...counts: [desired: number, running: number][]) {
  ecs.on(DescribeServicesCommand).callsFake((input) => {
    const [desiredCount, runningCount] = (counts.length > 1 ? counts.shift() : counts[0]) as [number, number];
    log.push(`ecs DescribeServices ${input.cluster}/${input.services[0]} -> ${desiredCount}/${runningCount}`);
    return { services: [{ status: 'ACTIVE', desiredCount, runningCount, pendingCount: 0 }] };
  });
  ecs.on(UpdateServiceCommand).callsFake((input) => {
    log.push(`ecs UpdateService ${input.cluster}/${input.service} desiredCount=${input.desiredCount}`);
    return { service: { desiredCount: input.desiredCount } };
  });
}

/**
 * A topic of two partitions (0: offsets 0..100, 1: 10..50, retention having removed 0..9), the group committed
 * at the end of both; records from 12:00 on start at 40 in partition 0 and at the end in partition 1.
 */
function fakeAdmin(options: { connect?: Error; setOffsets?: Error; groupStates?: string[] } = {}) {
  const groupStates = [...(options.groupStates ?? ['Empty'])];
  const admin = {
    connect: async () => {
      log.push('kafka connect');
      if (options.connect) throw options.connect;
    },
    disconnect: async () => {
      log.push('kafka disconnect');
    },
    fetchTopicOffsets: async () => [
      { partition: 1, offset: '50', low: '10', high: '50' },
      { partition: 0, offset: '100', low: '0', high: '100' },
    ],
    fetchTopicOffsetsByTimestamp: async (_topic: string, timestamp?: number) => {
      log.push(`kafka fetchTopicOffsetsByTimestamp ${new Date(timestamp ?? 0).toISOString()}`);
      return [
        { partition: 0, offset: '40' },
        { partition: 1, offset: '50' },
      ];
    },
    fetchOffsets: async () => [
      {
        topic: 'server-logs',
        partitions: [
          { partition: 0, offset: '100', metadata: null },
          { partition: 1, offset: '50', metadata: null },
        ],
      },
    ],
    describeGroups: async (groupIds: string[]) => {
      const state = groupStates.length > 1 ? groupStates.shift() : groupStates[0];
      log.push(`kafka describeGroups ${groupIds.join(',')} -> ${state}`);
      return {
        groups: [
          {
            groupId: groupIds[0],
            state,
            members: state === 'Stable' ? [{ clientHost: '/10.0.1.7' }] : [],
            protocol: '',
            protocolType: 'consumer',
          },
        ],
      };
    },
    setOffsets: async (request: {
      groupId: string;
      topic: string;
      partitions: { partition: number; offset: string }[];
    }) => {
      log.push(
        `kafka setOffsets ${request.groupId} ${request.topic} ${request.partitions.map((p) => `${p.partition}@${p.offset}`).join(' ')}`,
      );
      if (options.setOffsets) throw options.setOffsets;
    },
  };
  return admin as unknown as ReplayAdmin;
}

function deps(admin: ReplayAdmin, overrides: Partial<ReplayDeps> = {}) {
  const out: string[] = [];
  const progress: string[] = [];
  let t = 0;
  const created: { brokers: readonly string[]; region: string }[] = [];
  const d: ReplayDeps = {
    cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }) as unknown as CloudFormationApi,
    msk: new KafkaClient({ region: 'eu-west-1' }) as unknown as KafkaApi,
    lambda: new LambdaClient({ region: 'eu-west-1' }) as unknown as LambdaApi,
    ecs: new ECSClient({ region: 'eu-west-1' }) as unknown as EcsApi,
    createAdmin: (brokers, region) => {
      created.push({ brokers, region });
      return admin;
    },
    interactive: false,
    confirm: async () => {
      throw new Error('confirm must not be called');
    },
    out: (line) => out.push(line),
    progress: (line) => progress.push(line),
    sleep: async (ms) => {
      t += ms;
    },
    now: () => t,
    ...overrides,
  };
  return { deps: d, out, progress, created };
}

const args = (...argv: string[]) => parseReplayArgs(['--reset-to', 'earliest', '--yes', ...argv]);

describe('parseReplayArgs', () => {
  it('reads the target and applies the defaults', () => {
    expect(parseReplayArgs(['--reset-to', 'earliest'])).toEqual({
      resetTo: 'earliest',
      stackName: 'LogPipelineStack',
      region: undefined,
      yes: false,
      waitSeconds: 600,
    });
    expect(
      parseReplayArgs(['--reset-to', '2026-12-01T12:00:00+01:00', '--stack', 'Other', '--yes']),
    ).toMatchObject({ resetTo: new Date('2026-12-01T11:00:00Z'), stackName: 'Other', yes: true });
  });

  it('requires --reset-to, except for --help', () => {
    expect(() => parseReplayArgs([])).toThrow(UsageError);
    expect(() => parseReplayArgs([])).toThrow(/--reset-to is required/);
    expect(() => parseReplayArgs(['--help'])).toThrow(HelpShown);
  });

  it('refuses a time without a zone, a word other than earliest, an unknown option and a stray argument', () => {
    expect(() => parseReplayArgs(['--reset-to', '2026-12-01T12:00:00'])).toThrow(
      "--reset-to must be 'earliest' or an ISO-8601 time with a zone, got '2026-12-01T12:00:00'",
    );
    expect(() => parseReplayArgs(['--reset-to', 'latest'])).toThrow(UsageError);
    expect(() => parseReplayArgs(['--reset-to', 'earliest', '--stack-name', 'S'])).toThrow(/unknown option/);
    expect(() => parseReplayArgs(['--reset-to', 'earliest', 'now'])).toThrow(/too many arguments/);
    expect(() => parseReplayArgs(['--reset-to', 'earliest', '--wait', '0'])).toThrow(
      "--wait must be an integer >= 1, got '0'",
    );
  });
});

describe('planFromOutputs', () => {
  it('takes the consumer of the deployed mode and the region from the cluster ARN', () => {
    expect(planFromOutputs(LAMBDA_OUTPUTS, 'S')).toEqual({
      clusterArn: CLUSTER_ARN,
      region: 'eu-west-1',
      groupId: 'log-pipeline-consumer',
      topic: 'server-logs',
      consumer: { mode: 'lambda', eventSourceMappingId: 'esm-1' },
    });
    expect(planFromOutputs(FARGATE_OUTPUTS, 'S').consumer).toEqual({
      mode: 'fargate',
      clusterName: 'consumers',
      serviceName: 'consumer-svc',
    });
  });

  it('names the output a stack from before ops:replay lacks', () => {
    const { EventSourceMappingId: _, ...older } = LAMBDA_OUTPUTS;
    expect(() => planFromOutputs(older, 'S')).toThrow('stack S has no output EventSourceMappingId');
    expect(() => planFromOutputs({ ...LAMBDA_OUTPUTS, ConsumerMode: 'batch' }, 'S')).toThrow(
      "output ConsumerMode is 'batch', expected lambda or fargate",
    );
  });
});

describe('runReplay in lambda mode', () => {
  it('disables the mapping, waits until it is Disabled, resets the group, then enables the mapping', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabling', 'Disabled');
    const run = deps(fakeAdmin());

    const code = await runReplay(args(), run.deps);

    expect(code).toBe(0);
    expect(log).toEqual([
      'cloudformation DescribeStacks LogPipelineStack',
      `msk GetBootstrapBrokers ${CLUSTER_ARN}`,
      'kafka connect',
      'lambda GetEventSourceMapping esm-1 -> Enabled',
      'lambda UpdateEventSourceMapping esm-1 Enabled=false',
      'lambda GetEventSourceMapping esm-1 -> Disabling',
      'lambda GetEventSourceMapping esm-1 -> Disabled',
      'kafka describeGroups log-pipeline-consumer -> Empty',
      'kafka setOffsets log-pipeline-consumer server-logs 0@0 1@10',
      'lambda UpdateEventSourceMapping esm-1 Enabled=true',
      'kafka disconnect',
    ]);
    expect(run.created).toEqual([{ brokers: ['b-1.logs:9098', 'b-2.logs:9098'], region: 'eu-west-1' }]);
    expect(run.out).toEqual([
      'group log-pipeline-consumer on server-logs reset to earliest:',
      '  partition 0: offset 0 (committed 100, end 100), 100 record(s)',
      '  partition 1: offset 10 (committed 50, end 50), 40 record(s)',
      '140 record(s) will be re-read',
    ]);
    expect(run.progress.filter((line) => /^\[\d\/5\]/.test(line))).toHaveLength(5);
  });

  it("moves the group through the stack's ops function, resolving no brokers from here", async () => {
    stackWith({ ...LAMBDA_OUTPUTS, OpsFunctionName: 'ops-fn' });
    mappingStates('Enabled', 'Disabled');
    const via: string[] = [];
    const run = deps(fakeAdmin(), {
      msk: undefined,
      createAdmin: undefined,
      viaOpsFunction: (plan) => {
        via.push(`${plan.opsFunctionName} ${plan.region}`);
        return { admin: fakeAdmin(), description: `the ops function ${plan.opsFunctionName}` };
      },
    });

    const code = await runReplay(args(), run.deps);

    expect(code).toBe(0);
    expect(via).toEqual(['ops-fn eu-west-1']);
    expect(log).not.toContain(`msk GetBootstrapBrokers ${CLUSTER_ARN}`);
    expect(log).toContain('kafka setOffsets log-pipeline-consumer server-logs 0@0 1@10');
    expect(run.progress).toContain(
      `[2/5] reaching the MSK brokers of ${CLUSTER_ARN} through the ops function ops-fn`,
    );
    expect(run.created).toEqual([]);
  });

  it('resets to the first offsets at or after a time', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabled');
    const run = deps(fakeAdmin());

    const code = await runReplay(parseReplayArgs(['--reset-to', '2026-12-01T12:00:00Z', '--yes']), run.deps);

    expect(code).toBe(0);
    expect(log).toContain('kafka setOffsets log-pipeline-consumer server-logs 0@40 1@50');
    expect(run.out.at(-1)).toBe('60 record(s) will be re-read');
  });

  it('enables the mapping again when the reset fails, and says why it failed', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabled');
    const run = deps(
      fakeAdmin({
        setOffsets: new Error('The consumer group must have no running instances, current state: Stable'),
      }),
    );

    const code = await runReplay(args(), run.deps);

    expect(code).toBe(1);
    expect(log.slice(-3)).toEqual([
      'kafka setOffsets log-pipeline-consumer server-logs 0@0 1@10',
      'lambda UpdateEventSourceMapping esm-1 Enabled=true',
      'kafka disconnect',
    ]);
    expect(run.progress.at(-1)).toMatch(
      /^error: Kafka: group log-pipeline-consumer got a member again while resetting group .*: .*run again$/,
    );
    expect(run.out).toEqual([]);
  });

  it('waits for the members of the stopped consumer to leave the group before resetting it', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabled');
    const run = deps(fakeAdmin({ groupStates: ['Stable', 'PreparingRebalance', 'Empty'] }));

    expect(await runReplay(args(), run.deps)).toBe(0);

    expect(log.filter((line) => line.startsWith('kafka describeGroups'))).toHaveLength(3);
    expect(log.indexOf('kafka describeGroups log-pipeline-consumer -> Empty')).toBeLessThan(
      log.findIndex((line) => line.startsWith('kafka setOffsets')),
    );
  });

  it('enables the mapping again when it does not stop within --wait, without touching the group', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabling');
    const run = deps(fakeAdmin(), { pollMs: 5_000 });

    const code = await runReplay(args('--wait', '12'), run.deps);

    expect(code).toBe(1);
    expect(log.filter((line) => line.startsWith('kafka setOffsets'))).toEqual([]);
    expect(log.slice(-2)).toEqual(['lambda UpdateEventSourceMapping esm-1 Enabled=true', 'kafka disconnect']);
    expect(run.progress.at(-1)).toMatch(
      /^error: Lambda: event source mapping esm-1 is still Disabling after 12 s/,
    );
  });

  it('leaves a mapping that was already disabled as it was', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Disabled');
    const run = deps(fakeAdmin());

    expect(await runReplay(args(), run.deps)).toBe(0);

    expect(log.filter((line) => line.includes('UpdateEventSourceMapping'))).toEqual([]);
  });

  it('does not enable a mapping that Lambda refused to disable', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled');
    lambda.on(UpdateEventSourceMappingCommand).callsFake((input) => {
      log.push(`lambda UpdateEventSourceMapping ${input.UUID} Enabled=${input.Enabled}`);
      throw Object.assign(new Error('User is not authorized to perform: lambda:UpdateEventSourceMapping'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 403 },
      });
    });
    const run = deps(fakeAdmin());

    expect(await runReplay(args(), run.deps)).toBe(1);

    expect(log.filter((line) => line.includes('UpdateEventSourceMapping'))).toEqual([
      'lambda UpdateEventSourceMapping esm-1 Enabled=false',
    ]);
    expect(run.progress.at(-1)).toMatch(
      /^error: Lambda: cannot disable event source mapping esm-1 \(User is not/,
    );
  });

  it('says how to enable the mapping by hand when enabling it again fails', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabled');
    lambda
      .on(UpdateEventSourceMappingCommand, { Enabled: true })
      .rejects(Object.assign(new Error('Rate exceeded'), { $metadata: { httpStatusCode: 429 } }));
    const run = deps(fakeAdmin());

    expect(await runReplay(args(), run.deps)).toBe(1);

    expect(run.progress.at(-1)).toBe(
      'error: Lambda: cannot re-enable event source mapping esm-1 (Rate exceeded), the Lambda consumer is stopped: enable it with aws lambda update-event-source-mapping --uuid esm-1 --enabled',
    );
  });

  it('stops nothing when the brokers cannot be reached, and says where to run from', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled');
    const unreachable = Object.assign(new Error('Connection timeout'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }),
    });
    const run = deps(fakeAdmin({ connect: unreachable }));

    expect(await runReplay(args(), run.deps)).toBe(1);

    expect(log.filter((line) => line.startsWith('lambda'))).toEqual([]);
    expect(run.progress.at(-1)).toMatch(
      /^error: Kafka: cannot reach the MSK brokers while reading the offsets of server-logs \(Connection timeout\): run ops:replay from a host inside the stack's VPC/,
    );
  });

  it('names the output an older stack lacks and how to get it', async () => {
    const { EventSourceMappingId: _, ...older } = LAMBDA_OUTPUTS;
    stackWith(older);
    const run = deps(fakeAdmin());

    expect(await runReplay(args(), run.deps)).toBe(1);

    expect(log).toEqual(['cloudformation DescribeStacks LogPipelineStack']);
    expect(run.progress.at(-1)).toBe(
      'error: Stack: stack LogPipelineStack has no output EventSourceMappingId (deployed from an older version?): deploy this version of the stack (npx cdk deploy LogPipelineStack)',
    );
  });
});

describe('runReplay in fargate mode', () => {
  it('scales the service to 0, waits until no task runs, resets the group, then restores the desired count', async () => {
    stackWith(FARGATE_OUTPUTS);
    serviceCounts([3, 3], [0, 2], [0, 0]);
    const run = deps(fakeAdmin());

    expect(await runReplay(args(), run.deps)).toBe(0);

    expect(log).toEqual([
      'cloudformation DescribeStacks LogPipelineStack',
      `msk GetBootstrapBrokers ${CLUSTER_ARN}`,
      'kafka connect',
      'ecs DescribeServices consumers/consumer-svc -> 3/3',
      'ecs UpdateService consumers/consumer-svc desiredCount=0',
      'ecs DescribeServices consumers/consumer-svc -> 0/2',
      'ecs DescribeServices consumers/consumer-svc -> 0/0',
      'kafka describeGroups log-pipeline-consumer -> Empty',
      'kafka setOffsets log-pipeline-consumer server-logs 0@0 1@10',
      'ecs UpdateService consumers/consumer-svc desiredCount=3',
      'kafka disconnect',
    ]);
  });

  it('restores the desired count when the reset fails', async () => {
    stackWith(FARGATE_OUTPUTS);
    serviceCounts([2, 2], [0, 0]);
    const run = deps(fakeAdmin({ setOffsets: new Error('Broker: Group authorization failed') }));

    expect(await runReplay(args(), run.deps)).toBe(1);

    expect(log.slice(-2)).toEqual([
      'ecs UpdateService consumers/consumer-svc desiredCount=2',
      'kafka disconnect',
    ]);
    expect(run.progress.at(-1)).toMatch(/^error: Kafka: resetting group log-pipeline-consumer failed/);
  });
});

describe('confirmation', () => {
  it('refuses without --yes when stdin is not a terminal, after showing the plan and before pausing anything', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled');
    const run = deps(fakeAdmin(), { interactive: false });

    await expect(runReplay(parseReplayArgs(['--reset-to', 'earliest']), run.deps)).rejects.toThrow(
      new UsageError('stdin is not a terminal, so nobody can confirm: pass --yes to replay'),
    );

    expect(log.filter((line) => line.startsWith('lambda'))).toEqual([]);
    expect(log.at(-1)).toBe('kafka disconnect');
    expect(run.progress.join('\n')).toContain(
      'reset group log-pipeline-consumer on server-logs to earliest: about 140 record(s)',
    );
  });

  it('asks on a terminal and changes nothing when the answer is no', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled');
    const questions: string[] = [];
    const run = deps(fakeAdmin(), {
      interactive: true,
      confirm: async (question) => {
        questions.push(question);
        return false;
      },
    });

    expect(await runReplay(parseReplayArgs(['--reset-to', 'earliest']), run.deps)).toBe(1);

    expect(questions).toEqual(['Replay now? [y/N] ']);
    expect(log.filter((line) => line.startsWith('lambda'))).toEqual([]);
    expect(run.progress.at(-1)).toBe('replay cancelled: nothing was changed');
  });

  it('replays on a terminal when the answer is yes', async () => {
    stackWith(LAMBDA_OUTPUTS);
    mappingStates('Enabled', 'Disabled');
    const run = deps(fakeAdmin(), { interactive: true, confirm: async () => true });

    expect(await runReplay(parseReplayArgs(['--reset-to', 'earliest']), run.deps)).toBe(0);

    expect(log).toContain('kafka setOffsets log-pipeline-consumer server-logs 0@0 1@10');
  });
});
