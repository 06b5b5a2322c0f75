import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../../lib/network.js';
import { removeScratchOutdirs, testApp } from './stack-fixture.js';

describe('Network', () => {
  afterAll(removeScratchOutdirs);

  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(), 'TestStack');
    new Network(stack, 'Network', { azCount: 2, natGateways: 1, logRetention: logs.RetentionDays.ONE_MONTH });
    template = Template.fromStack(stack);
  });

  it('spans two zones with private subnets behind one NAT gateway', () => {
    const subnets = template.findResources('AWS::EC2::Subnet', {
      Properties: { MapPublicIpOnLaunch: false },
    });
    expect(Object.keys(subnets)).toHaveLength(2);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  it('records flow logs of all traffic to a log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('adds the S3 gateway and the interface endpoints the workloads call', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])],
      }),
    });
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface' },
    });
    const services = Object.values(interfaces).map((e) =>
      JSON.stringify((e as { Properties: unknown }).Properties),
    );
    for (const service of [
      'secretsmanager',
      '.ssm"',
      'ssmmessages',
      'ec2messages',
      '.logs"',
      '.sts"',
      '.kafka"',
    ]) {
      expect(services.some((s) => s.includes(service))).toBe(true);
    }
  });

  it('creates no interface endpoint when they are turned off, and keeps the free S3 gateway', () => {
    const stack = new Stack(testApp(), 'NoEndpointsStack');
    new Network(stack, 'Network', {
      azCount: 2,
      natGateways: 1,
      logRetention: logs.RetentionDays.ONE_MONTH,
      interfaceEndpoints: false,
    });
    const noEndpoints = Template.fromStack(stack);
    expect(
      noEndpoints.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    ).toEqual({});
    noEndpoints.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  it.each([
    [{ azCount: 4, natGateways: 1 }, 'azCount: must be an integer between 2 and 3, got 4'],
    [{ azCount: 2, natGateways: 3 }, 'natGateways: must be an integer between 0 and 2, got 3'],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    const stack = new Stack(testApp(), 'Bad');
    expect(
      () => new Network(stack, 'Network', { ...props, logRetention: logs.RetentionDays.ONE_MONTH }),
    ).toThrow(`Bad/Network: ${message}`);
  });
});
