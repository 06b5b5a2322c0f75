import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATOR_TAG, GeneratorFleet } from '../../lib/generator-fleet.js';
import { FakeStreaming } from '../support/fake-parts.js';
import { constructStack, removeOutdir, testApp } from './stack-fixture.js';

describe('GeneratorFleet', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack();
    const subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    // A fake cluster: the fleet needs only IStreaming's grants and security group of it.
    const streaming = new FakeStreaming(fixture.stack, 'Streaming');
    new GeneratorFleet(fixture.stack, 'Fleet', {
      vpc: fixture.vpc,
      subnets,
      streaming,
      topic: 'server-logs',
      instanceType: new ec2.InstanceType('t4g.small'),
      minInstances: 1,
      maxInstances: 3,
    });
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('launches instances with IMDSv2 required, an encrypted root volume and no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 30, DeleteOnTermination: true },
          },
        ],
        InstanceType: 't4g.small',
        Monitoring: { Enabled: true },
      }),
    });
    const data = (
      Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as {
        Properties: { LaunchTemplateData: Record<string, unknown> };
      }
    ).Properties.LaunchTemplateData;
    expect(data.KeyName).toBeUndefined();
    expect(JSON.stringify(data.UserData)).toContain('dnf install -y nodejs20');
  });

  it('marks the end of a successful boot-time install for the SSM document to wait for', () => {
    const data = (
      Object.values(template.findResources('AWS::EC2::LaunchTemplate'))[0] as {
        Properties: { LaunchTemplateData: { UserData: unknown } };
      }
    ).Properties.LaunchTemplateData;
    const userData = Buffer.from(
      (data.UserData as { 'Fn::Base64': string })['Fn::Base64'],
      'utf8',
    ).toString();
    expect(userData).toMatch(
      /dnf install -y nodejs20 unzip && .*&& touch \/var\/lib\/log-generator\/installed/,
    );
  });

  it("may protect instances of its own group from scale-in, and no other group's", () => {
    const policy = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^FleetInstanceRole') }] },
      }),
    );
    expect(policy).toContain('autoscaling:SetInstanceProtection');
    expect(policy).toMatch(
      /:autoScalingGroup:\*:autoScalingGroupName\/",\{"Ref":"FleetGroupASG[0-9A-F]{8}"\}/,
    );
  });

  it('manages instances through SSM only and lets them write just the pipeline topic', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
      }),
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
          ],
        },
      ],
    });
    const policy = JSON.stringify(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^FleetInstanceRole') }] },
      }),
    );
    expect(policy).toContain('kafka-cluster:WriteData');
    expect(policy).toContain('/server-logs');
    expect(policy).not.toContain('kafka-cluster:ReadData');
    expect(policy).toContain('kafka:GetBootstrapBrokers');
  });

  it('reads only the generator bundle object from the asset bucket, nothing else in it', () => {
    const found = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^FleetInstanceRole') }] },
    });
    const statements = Object.values(found).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3.map((s) => s.Action)).toEqual(['s3:GetObject']);
    // The object's key is the bundle's content hash: no wildcard over the bucket.
    expect(JSON.stringify(s3[0]?.Resource)).toMatch(/\/[0-9a-f]{64}\.zip"/);
    expect(JSON.stringify(s3[0]?.Resource)).not.toContain('*');
  });

  it('runs an Auto Scaling group within the configured bounds, tagged for SSM targeting', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '3',
      Tags: Match.arrayWith([
        { Key: GENERATOR_TAG.key, Value: GENERATOR_TAG.value, PropagateAtLaunch: true },
      ]),
    });
  });
});

describe('GeneratorFleet props', () => {
  it.each([
    [
      { instanceType: new ec2.InstanceType('t3.small') },
      'instanceType: use a Graviton (arm64) type such as t4g.small: the fleet runs the arm64 Amazon Linux 2023 image, got "t3.small"',
    ],
    [
      { instanceType: new ec2.InstanceType('small') },
      'instanceType: use an EC2 type such as t4g.small, got "small"',
    ],
    [{ minInstances: -1 }, 'minInstances: must be an integer between 0 and 100, got -1'],
    [{ minInstances: 0, maxInstances: 0 }, 'maxInstances: must be an integer between 1 and 100, got 0'],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    const stack = new Stack(testApp(), 'Bad');
    const build = () =>
      new GeneratorFleet(stack, 'Fleet', {
        vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] }),
        subnets: {},
        streaming: new FakeStreaming(stack, 'Streaming'),
        topic: 'server-logs',
        instanceType: new ec2.InstanceType('t4g.small'),
        minInstances: 1,
        maxInstances: 3,
        ...props,
      });
    expect(build).toThrow(`Bad/Fleet: ${message}`);
  });
});
