import type { CommandInvocation } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../local/cli.js';
import {
  aggregateInvocations,
  documentParameters,
  FleetError,
  runFleet,
  type SsmApi,
} from '../../ops/fleet.js';
import { formatStatus, parseFleetArgs, resolveTargets } from '../../ops/run-generators.js';

describe('parseFleetArgs', () => {
  it('reads rate, duration, ratios and topic, with the defaults for the rest', () => {
    const args = parseFleetArgs([
      '--rate',
      '500',
      '--duration',
      '300',
      '--bad-ratio',
      '0.1',
      '--topic',
      'server-logs',
    ]);

    expect(args).toMatchObject({
      stack: 'LogPipelineStack',
      parameters: {
        rate: 500,
        duration: 300,
        badRatio: 0.1,
        suspiciousRatio: undefined,
        topic: 'server-logs',
      },
      waitTimeoutSeconds: 900,
      pollSeconds: 10,
    });
  });

  it('names the option and the value it rejects', () => {
    expect(() => parseFleetArgs(['--duration', '0'])).toThrow(
      "--duration must be an integer between 1 and 99999, got '0'",
    );
    expect(() => parseFleetArgs(['--bad-ratio', '1.5'])).toThrow(UsageError);
    expect(() => parseFleetArgs(['--bad-ratio', '0.6', '--suspicious-ratio', '0.6'])).toThrow(
      /must not exceed 1/,
    );
    expect(() => parseFleetArgs(['--tag', 'novalue'])).toThrow("--tag must be key=value, got 'novalue'");
    expect(() => parseFleetArgs(['--topic', 'a b'])).toThrow(/not a legal Kafka topic/);
  });

  it('rejects unknown options', () => {
    expect(() => parseFleetArgs(['--rat', '5'])).toThrow(/unknown option/);
  });

  it('skips the stack with --no-stack and splits the tag at the first =', () => {
    expect(parseFleetArgs(['--no-stack', '--tag', 'team=a=b'])).toMatchObject({
      stack: undefined,
      tag: { key: 'team', value: 'a=b' },
    });
  });
});

describe('resolveTargets', () => {
  it('prefers flags, then the stack outputs, then the default tag; the document name has no default', () => {
    const outputs = { GeneratorDocumentName: 'Doc-From-Stack', GeneratorTagKey: 'k', GeneratorTagValue: 'v' };

    expect(resolveTargets(parseFleetArgs([]), outputs)).toEqual({
      documentName: 'Doc-From-Stack',
      tag: { key: 'k', value: 'v' },
    });
    expect(resolveTargets(parseFleetArgs(['--document', 'Mine', '--tag', 'a=b']), outputs)).toEqual({
      documentName: 'Mine',
      tag: { key: 'a', value: 'b' },
    });
    expect(resolveTargets(parseFleetArgs(['--document', 'Mine']), {})).toEqual({
      documentName: 'Mine',
      tag: { key: 'log-pipeline:role', value: 'generator' },
    });
    // CloudFormation names the document: without the stack's output there is nothing to guess.
    expect(() => resolveTargets(parseFleetArgs(['--no-stack']), {})).toThrow(
      /--document is required with --no-stack/,
    );
    expect(() => resolveTargets(parseFleetArgs([]), {})).toThrow(
      /stack LogPipelineStack has no GeneratorDocumentName output; pass --document/,
    );
  });
});

describe('documentParameters', () => {
  it('passes only the parameters given, as SSM string lists, with an execution timeout above the duration', () => {
    expect(documentParameters({ rate: 500, duration: 300, badRatio: 0.1 })).toEqual({
      rate: ['500'],
      duration: ['300'],
      badRatio: ['0.1'],
      executionTimeout: ['1500'],
    });
  });
});

describe('aggregateInvocations', () => {
  const inv = (
    InstanceId: string,
    Status: CommandInvocation['Status'],
    output?: string,
  ): CommandInvocation => ({
    InstanceId,
    Status,
    StatusDetails: Status,
    CommandPlugins: output === undefined ? undefined : [{ Output: output }],
  });

  it('is not done while an instance is running or not yet listed', () => {
    const status = aggregateInvocations(
      ['i-1', 'i-2', 'i-3'],
      [inv('i-1', 'Success'), inv('i-2', 'InProgress')],
    );

    expect(status.done).toBe(false);
    expect(status.counts).toEqual({ Success: 1, InProgress: 1, Pending: 1 });
  });

  it('counts every terminal status other than Success as failed', () => {
    const status = aggregateInvocations(
      ['i-1', 'i-2', 'i-3'],
      [inv('i-1', 'Success'), inv('i-2', 'Failed', 'boom'), inv('i-3', 'TimedOut')],
    );

    expect(status).toMatchObject({ done: true, failed: 2 });
    expect(formatStatus(status)).toContain('boom');
    expect(formatStatus(status)).toMatch(/3 instance\(s\): 1 Success, 1 Failed, 1 TimedOut$/);
  });
});

/** A fake SSM: two online instances (one offline), the runs finishing on the third poll. */
function fakeSsm(
  final: Record<string, CommandInvocation['Status']>,
  instances = ['i-b', 'i-a', 'i-offline'],
) {
  const sent: Record<string, unknown>[] = [];
  let polls = 0;
  const client = {
    sent,
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      switch (command.constructor.name) {
        case 'DescribeInstanceInformationCommand':
          return {
            InstanceInformationList: instances.map((id) => ({
              InstanceId: id,
              PingStatus: id === 'i-offline' ? 'ConnectionLost' : 'Online',
            })),
          };
        case 'SendCommandCommand':
          sent.push(command.input);
          return { Command: { CommandId: 'cmd-1' } };
        case 'ListCommandInvocationsCommand': {
          polls++;
          const ids = instances.filter((id) => id !== 'i-offline');
          return {
            CommandInvocations: ids.map((InstanceId) => ({
              InstanceId,
              Status: polls < 3 ? 'InProgress' : final[InstanceId],
              CommandPlugins: command.input.Details ? [{ Output: `output of ${InstanceId}` }] : undefined,
            })),
          };
        }
        default:
          throw new Error(`unexpected ${command.constructor.name}`);
      }
    },
  };
  return client as typeof client & SsmApi;
}

describe('runFleet', () => {
  const options = {
    documentName: 'LogPipelineStack-GeneratorCommandDocument-AbC123',
    tag: { key: 'log-pipeline:role', value: 'generator' },
    parameters: { rate: 100, duration: 60 },
    waitTimeoutSeconds: 600,
    pollSeconds: 5,
  };
  const clock = () => {
    let t = 0;
    return {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
  };

  it('targets the online tagged instances and waits until every run succeeded', async () => {
    const ssm = fakeSsm({ 'i-a': 'Success', 'i-b': 'Success' });

    const result = await runFleet(ssm, options, clock());

    expect(ssm.sent).toEqual([
      expect.objectContaining({
        DocumentName: 'LogPipelineStack-GeneratorCommandDocument-AbC123',
        // The version the stack deployed, not whichever version is the document's default.
        DocumentVersion: '$LATEST',
        InstanceIds: ['i-a', 'i-b'],
        Parameters: documentParameters(options.parameters),
      }),
    ]);
    expect(result).toMatchObject({ done: true, failed: 0, commandIds: ['cmd-1'] });
  });

  it('reports the failed instances with their output', async () => {
    const result = await runFleet(fakeSsm({ 'i-a': 'Success', 'i-b': 'Failed' }), options, clock());

    expect(result.failed).toBe(1);
    expect(result.instances.find((i) => i.instanceId === 'i-b')).toMatchObject({
      status: 'Failed',
      output: 'output of i-b',
    });
  });

  it('fails when no instance carries the tag', async () => {
    await expect(runFleet(fakeSsm({}, []), options, clock())).rejects.toThrow(FleetError);
  });

  it('gives up after the wait timeout', async () => {
    await expect(
      runFleet(
        fakeSsm({ 'i-a': 'Success', 'i-b': 'Success' }),
        { ...options, waitTimeoutSeconds: 5 },
        clock(),
      ),
    ).rejects.toThrow(/gave up waiting after 5s/);
  });
});
