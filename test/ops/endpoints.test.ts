import type { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { parseBrokersArgs } from '../../ops/bootstrap-brokers.js';
import { readStackOutputs, requireOutput, StackOutputsError } from '../../ops/cli.js';
import { endpointsFromOutputs, formatEndpoints, parseEndpointsArgs } from '../../ops/endpoints.js';

const fakeCfn = (
  answer: { Stacks?: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }[] } | Error,
) => ({
  send: async (_command: DescribeStacksCommand) => {
    if (answer instanceof Error) throw answer;
    return answer;
  },
});

describe('readStackOutputs', () => {
  it('returns the outputs by key', async () => {
    const cfn = fakeCfn({ Stacks: [{ Outputs: [{ OutputKey: 'ClusterArn', OutputValue: 'arn:c' }] }] });

    expect(await readStackOutputs('LogPipelineStack', cfn)).toEqual({ ClusterArn: 'arn:c' });
  });

  it('names the stack when it cannot be described', async () => {
    await expect(
      readStackOutputs('Nope', fakeCfn(new Error('Stack with id Nope does not exist'))),
    ).rejects.toThrow('cannot describe stack Nope: Stack with id Nope does not exist');
  });

  it('names the missing output', () => {
    expect(() => requireOutput({}, 'ClusterArn', 'S')).toThrow(StackOutputsError);
  });
});

describe('endpointsFromOutputs', () => {
  it('derives the Dashboards URL from the endpoint when the stack has no DashboardsUrl output', () => {
    const endpoints = endpointsFromOutputs({ OpenSearchEndpoint: 'vpc-logs.eu-west-1.es.amazonaws.com' });

    expect(endpoints).toMatchObject({
      openSearchEndpoint: 'https://vpc-logs.eu-west-1.es.amazonaws.com',
      dashboardsUrl: 'https://vpc-logs.eu-west-1.es.amazonaws.com/_dashboards',
    });
    expect(formatEndpoints(endpoints)).toContain('MSK cluster             (not in the stack outputs)');
  });

  it('keeps the outputs as the stack states them', () => {
    expect(
      endpointsFromOutputs({
        ClusterArn: 'arn:c',
        OpenSearchEndpoint: 'https://x',
        DashboardsUrl: 'https://x/_dashboards',
        CloudWatchDashboardUrl: 'https://console/cw',
      }),
    ).toEqual({
      clusterArn: 'arn:c',
      openSearchEndpoint: 'https://x',
      dashboardsUrl: 'https://x/_dashboards',
      cloudWatchDashboardUrl: 'https://console/cw',
    });
  });
});

describe('argument parsing', () => {
  it('parses the endpoints and brokers flags', () => {
    expect(parseEndpointsArgs(['--json', '--stack', 'S'])).toMatchObject({
      json: true,
      stack: 'S',
    });
    expect(parseBrokersArgs(['--cluster-arn', 'arn:c', '--lines'])).toMatchObject({
      clusterArn: 'arn:c',
      lines: true,
    });
    expect(() => parseBrokersArgs(['--cluster'])).toThrow(/unknown option/);
  });
});
