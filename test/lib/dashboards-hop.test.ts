import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARDS_HOP_TAG, DashboardsHop } from '../../lib/dashboards-hop.js';
import { constructStack, onlyResource, removeOutdir } from './stack-fixture.js';

describe('DashboardsHop', () => {
  let fixture: ReturnType<typeof constructStack>;
  let template: Template;

  beforeAll(() => {
    fixture = constructStack();
    new DashboardsHop(fixture.stack, 'Hop', {
      vpc: fixture.vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    template = Template.fromStack(fixture.stack);
  });
  afterAll(() => removeOutdir(fixture));

  it('keeps exactly one instance running at all times, whatever the generator schedule does', () => {
    const group = onlyResource(template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(group.props).toMatchObject({ MinSize: '1', MaxSize: '1' });
    expect(group.props.Tags).toEqual([
      { Key: DASHBOARDS_HOP_TAG.key, Value: DASHBOARDS_HOP_TAG.value, PropagateAtLaunch: true },
    ]);
    template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 0);
  });

  it('is the smallest Graviton instance, IMDSv2 only, an encrypted volume and no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't4g.nano',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8, DeleteOnTermination: true },
          },
        ],
      }),
    });
    const data = onlyResource(template, 'AWS::EC2::LaunchTemplate').props.LaunchTemplateData;
    expect(data.KeyName).toBeUndefined();
  });

  it('accepts no inbound connection and sends only HTTPS inside the VPC (Session Manager, Dashboards)', () => {
    const sg = Object.values(template.findResources('AWS::EC2::SecurityGroup')).find((r) =>
      JSON.stringify(r).includes('Dashboards SSM port-forwarding hop'),
    ) as { Properties: { SecurityGroupIngress?: unknown; SecurityGroupEgress: unknown[] } };
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: expect.anything() }),
    ]);
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('may do nothing but be managed by SSM', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
          ],
        },
      ],
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('DashboardsHop validation', () => {
  it('refuses an x86 instance type, naming the prop, the value and the fix', () => {
    const fixture = constructStack();
    try {
      expect(
        () =>
          new DashboardsHop(fixture.stack, 'Hop', {
            vpc: fixture.vpc,
            instanceType: new ec2.InstanceType('t3.nano'),
          }),
      ).toThrow(
        'TestStack/Hop: instanceType: use a Graviton (arm64) type such as t4g.nano: the hop runs the arm64 Amazon Linux 2023 image, got "t3.nano"',
      );
    } finally {
      removeOutdir(fixture);
    }
  });
});
