import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OpsRequest, RedriveResult, StatusResult } from '../../ops/ops-actions.js';
import {
  type LambdaInvokeApi,
  OpsFunctionError,
  opsInvoker,
  remoteAdmin,
  remoteDeadLetterCheck,
  runRedriveLoop,
} from '../../ops/ops-client.js';
import { formatRedrive, parseRedriveArgs, runRedrive } from '../../ops/redrive.js';
import { alarmsInAlarm, type CloudWatchApi, formatStatus } from '../../ops/status.js';

const FUNCTION = 'LogPipelineStack-OpsFunctionHandlerFunction0FDC4B17-abc';
const lambda = mockClient(LambdaClient);
const cloudWatch = mockClient(CloudWatchClient);
afterEach(() => {
  lambda.reset();
  cloudWatch.reset();
});
afterAll(() => {
  lambda.restore();
  cloudWatch.restore();
});

/** The payload as the SDK hands it over (a Uint8Array with string helpers, which the invoker does not use). */
const payload = (value: unknown) =>
  new TextEncoder().encode(JSON.stringify(value)) as unknown as InvokeCommandOutput['Payload'];
const client = () => new LambdaClient({ region: 'eu-west-1' }) as unknown as LambdaInvokeApi;
/** The requests the function received, parsed. */
const sent = (): OpsRequest[] =>
  lambda
    .commandCalls(InvokeCommand)
    .map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)) as OpsRequest);

const slice = (records: number, remaining: number, good = records): RedriveResult => ({
  records,
  counts: { good, suspicious: records - good, bad: 0 },
  remaining,
  done: remaining === 0,
});

describe('opsInvoker', () => {
  it('invokes the function synchronously with the request as JSON and returns its result', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: payload({ ok: true, result: [{ partition: 0 }] }) });

    const result = await opsInvoker(client(), FUNCTION)({ action: 'topicOffsets', topic: 'server-logs' });

    expect(result).toEqual([{ partition: 0 }]);
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call?.args[0].input).toMatchObject({ FunctionName: FUNCTION, InvocationType: 'RequestResponse' });
    expect(sent()).toEqual([{ action: 'topicOffsets', topic: 'server-logs' }]);
  });

  it("turns the function's refusal into one line", async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({
        ok: false,
        error: "refused: topic 'x' is not one of this deployment's: server-logs",
      }),
    });

    await expect(opsInvoker(client(), FUNCTION)({ action: 'topicOffsets', topic: 'x' })).rejects.toThrow(
      new OpsFunctionError("ops function: refused: topic 'x' is not one of this deployment's: server-logs"),
    );
  });

  it('names an unhandled function error (a timeout) and where its log is', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({
        errorType: 'Sandbox.Timedout',
        errorMessage: 'Task timed out after 600.00 seconds',
      }),
    });

    await expect(opsInvoker(client(), FUNCTION)({ action: 'status' })).rejects.toThrow(
      `the ops function ${FUNCTION} failed on status (Sandbox.Timedout: Task timed out after 600.00 seconds): see its log group in CloudWatch Logs`,
    );
  });

  it('says how to get access when the caller may not invoke the function', async () => {
    const denied = Object.assign(new Error('User: arn:aws:sts::1:assumed-role/dev/me is not authorized'), {
      name: 'AccessDeniedException',
    });
    lambda.on(InvokeCommand).rejects(denied);

    await expect(opsInvoker(client(), FUNCTION)({ action: 'status' })).rejects.toThrow(
      /AccessDeniedException: .*: add your role's ARN to the stack's operatorRoleArns and deploy/,
    );
  });
});

describe('remote admin and dead-letter check', () => {
  it('sends the admin calls of smoke and ops:replay as ops requests, offsets as strings', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: payload({ ok: true, result: { groups: [] } }) });
    const admin = remoteAdmin(opsInvoker(client(), FUNCTION));

    await admin.connect();
    await admin.fetchTopicOffsets('server-logs');
    await admin.fetchTopicOffsetsByTimestamp('server-logs', 1_764_547_200_000);
    await admin.fetchOffsets({ groupId: 'log-pipeline-consumer', topics: ['server-logs'] });
    await admin.setOffsets({
      groupId: 'log-pipeline-consumer',
      topic: 'server-logs',
      partitions: [{ partition: 0, offset: '17' }],
    });
    await admin.describeGroups(['log-pipeline-consumer']);
    await admin.disconnect();
    await remoteDeadLetterCheck(opsInvoker(client(), FUNCTION))('server-logs', [
      { partition: 2, from: 10n, to: 2n ** 60n },
    ]);

    expect(sent()).toEqual([
      { action: 'topicOffsets', topic: 'server-logs' },
      { action: 'topicOffsetsByTimestamp', topic: 'server-logs', timestampMs: 1_764_547_200_000 },
      { action: 'groupOffsets', groupId: 'log-pipeline-consumer', topic: 'server-logs' },
      {
        action: 'setOffsets',
        groupId: 'log-pipeline-consumer',
        topic: 'server-logs',
        partitions: [{ partition: 0, offset: '17' }],
      },
      { action: 'describeGroup', groupId: 'log-pipeline-consumer' },
      {
        action: 'checkDeadLetters',
        topic: 'server-logs',
        ranges: [{ partition: 2, from: '10', to: '1152921504606846976' }],
      },
    ]);
  });
});

describe('the re-drive loop', () => {
  it('repeats bounded invocations until nothing is left, with progress after each', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: payload({ ok: true, result: slice(2000, 3000) }) })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ ok: true, result: slice(2500, 500, 2400) }) })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ ok: true, result: slice(500, 0) }) });
    const progress: string[] = [];
    const out: string[] = [];

    const code = await runRedrive(opsInvoker(client(), FUNCTION), parseRedriveArgs(['--slice', '2m']), {
      out: (line) => out.push(line),
      progress: (line) => progress.push(line),
    });

    expect(code).toBe(0);
    expect(sent()).toEqual(Array(3).fill({ action: 'redrive', budgetMs: 120_000 }));
    expect(progress).toEqual([
      'slice 1: 2000 dead letter(s) re-driven (good 2000, suspicious 0, bad 0), 3000 left',
      'slice 2: 2500 dead letter(s) re-driven (good 2400, suspicious 100, bad 0), 500 left',
      'slice 3: 500 dead letter(s) re-driven (good 500, suspicious 0, bad 0), 0 left',
    ]);
    expect(out).toEqual([
      'dead-letter topic re-driven: 5000 record(s) indexed (good 4900, suspicious 100, bad 0) in 3 invocation(s), 0 left',
    ]);
  });

  it('stops after three invocations without progress, saying what may hold the group', async () => {
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: payload({ ok: true, result: slice(0, 40) }) });

    await expect(runRedriveLoop(opsInvoker(client(), FUNCTION), { progress: () => {} })).rejects.toThrow(
      /no progress in 3 invocations with 40 dead letter\(s\) left: is another re-drive running\?/,
    );
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(3);
  });

  it('stops at once when a slice fails, with the function’s reason', async () => {
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: payload({ ok: true, result: slice(10, 5) }) })
      .resolves({
        StatusCode: 200,
        Payload: payload({
          ok: false,
          error: 'redrive failed: OpsRequestError: the re-drive stopped after 3 record(s): 403',
        }),
      });

    await expect(runRedriveLoop(opsInvoker(client(), FUNCTION), { progress: () => {} })).rejects.toThrow(
      'ops function: redrive failed: OpsRequestError: the re-drive stopped after 3 record(s): 403',
    );
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(2);
  });

  it('works in slices of 4 minutes unless told otherwise', () => {
    expect(parseRedriveArgs([]).sliceMs).toBe(240_000);
  });

  it('formats the totals', () => {
    expect(
      formatRedrive({
        slices: 1,
        records: 0,
        counts: { good: 0, suspicious: 0, bad: 0 },
        remaining: 0,
        done: true,
      }),
    ).toBe(
      'dead-letter topic re-driven: 0 record(s) indexed (good 0, suspicious 0, bad 0) in 1 invocation(s), 0 left',
    );
  });
});

describe('ops:status', () => {
  const topicArn = 'arn:aws:sns:eu-west-1:123456789012:LogPipelineStack-AlarmTopic';

  it("lists only the stack's alarms in ALARM, over every page", async () => {
    cloudWatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({
        MetricAlarms: [
          {
            AlarmName: 'ConsumerLag',
            StateReason: 'Threshold Crossed: 1 datapoint',
            AlarmActions: [topicArn],
          },
          { AlarmName: 'someone-elses', StateReason: 'x', AlarmActions: ['arn:aws:sns:eu-west-1:1:other'] },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricAlarms: [{ AlarmName: 'ConsumerErrors', StateReason: 'errors', AlarmActions: [topicArn] }],
      });

    const alarms = await alarmsInAlarm(new CloudWatchClient({}) as unknown as CloudWatchApi, topicArn);

    expect(alarms).toEqual([
      { name: 'ConsumerLag', reason: 'Threshold Crossed: 1 datapoint' },
      { name: 'ConsumerErrors', reason: 'errors' },
    ]);
    const calls = cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], NextToken: undefined },
      { StateValue: 'ALARM', AlarmTypes: ['MetricAlarm'], NextToken: 'page-2' },
    ]);
  });

  it('prints lag per group, documents per category, dead-letter depth and the alarms', () => {
    const status: StatusResult = {
      groups: [
        { groupId: 'log-pipeline-consumer', topic: 'server-logs', lag: '120', committed: true },
        { groupId: 'log-pipeline-redrive', topic: 'server-logs-dlq', lag: '3', committed: false },
      ],
      documents: { good: 960, suspicious: 120, bad: 120 },
      deadLetters: '3',
    };

    expect(formatStatus(status, [{ name: 'ConsumerLag', reason: 'Threshold Crossed' }]).split('\n')).toEqual([
      'group                           topic                            lag',
      'log-pipeline-consumer           server-logs                      120',
      'log-pipeline-redrive            server-logs-dlq                   3*',
      '* the group has committed nothing on this topic yet',
      '',
      'category       documents',
      'good                 960',
      'suspicious           120',
      'bad                  120',
      '',
      'dead-letter topic: 3 record(s) retained',
      'ALARM ConsumerLag: Threshold Crossed',
    ]);
    expect(formatStatus(status, [])).toMatch(/alarms: none in ALARM$/);
  });
});
