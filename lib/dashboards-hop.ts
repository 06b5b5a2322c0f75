// The always-on hop from an operator's browser to OpenSearch Dashboards in the VPC: one t4g.nano Amazon Linux
// 2023 instance (about $3.70 a month with its 8 GiB volume), kept at exactly one by an Auto Scaling group so it
// replaces itself, reachable only through SSM Session Manager port forwarding (no key pair, no inbound rule,
// IMDSv2 only, encrypted volume). It does not depend on the generator fleet, which its schedule empties every
// evening.
import { Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledgeNag } from './nag.js';
import { type Fail, failIn } from './validation.js';

/** Tag an operator finds the hop instance by (`aws ec2 describe-instances --filters Name=tag:...`). */
export const DASHBOARDS_HOP_TAG = { key: 'log-pipeline:role', value: 'dashboards-hop' } as const;

export interface DashboardsHopProps {
  /** The VPC of the OpenSearch domain the hop forwards to. */
  readonly vpc: ec2.IVpc;
  /**
   * Where in `vpc` the hop runs: private subnets with a route to Session Manager (its VPC endpoints or a NAT
   * gateway), since the hop has no public address and no inbound rule.
   * @default - the VPC's private subnets with egress
   */
  readonly subnets?: ec2.SubnetSelection;
  /**
   * The hop's instance type: an arm64 (Graviton) type, because it runs the arm64 Amazon Linux 2023 image.
   * @default ec2.InstanceType('t4g.nano'): port forwarding needs next to nothing
   */
  readonly instanceType?: ec2.InstanceType;
}

/** The checks of DashboardsHopProps: an instance type that runs the arm64 image. */
export function checkDashboardsHopProps(props: DashboardsHopProps, fail: Fail): void {
  const type = props.instanceType;
  if (type && !Token.isUnresolved(type.toString()) && type.architecture !== ec2.InstanceArchitecture.ARM_64) {
    fail(
      'instanceType',
      type.toString(),
      'use a Graviton (arm64) type such as t4g.nano: the hop runs the arm64 Amazon Linux 2023 image',
    );
  }
}

export class DashboardsHop extends Construct {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  /** Admit it where the browser must reach (the domain's security group, port 443). */
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: DashboardsHopProps) {
    super(scope, id);
    checkDashboardsHopProps(props, failIn(this));
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Dashboards SSM port-forwarding hop: SSM managed, no other permissions',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledgeNag(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      "The AWS-maintained minimum for Session Manager, the hop's only purpose and only access path",
    );
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Dashboards SSM port-forwarding hop (no inbound)',
      // Session Manager (through the VPC endpoints) and the forwarded connection to the domain, both HTTPS.
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.ipv4(props.vpc.vpcCidrBlock),
      ec2.Port.tcp(443),
      'HTTPS in the VPC',
    );
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      instanceType: props.instanceType ?? new ec2.InstanceType('t4g.nano'),
      role,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      healthChecks: autoscaling.HealthChecks.ec2(),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate(),
    });
    acknowledgeNag(
      this.autoScalingGroup,
      'AwsSolutions-AS3',
      'A single self-replacing hop: a replacement is visible in the group activity history and needs no notification',
    );
    Tags.of(this.autoScalingGroup).add(DASHBOARDS_HOP_TAG.key, DASHBOARDS_HOP_TAG.value, {
      applyToLaunchedInstances: true,
    });
  }
}
