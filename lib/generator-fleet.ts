// The load-generator fleet: an Auto Scaling group of arm64 Amazon Linux 2023 instances from a launch
// template (IMDSv2 only, encrypted gp3 root volume, no key pair: access is SSM Session Manager only), with
// Node.js installed at boot (a marker file says when it is done) and IAM rights to resolve the MSK brokers,
// write the one topic it feeds, and protect itself from scale-in while it runs a generator.
import * as path from 'node:path';
import { Aws, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { GeneratorBundle } from './generator-bundle.js';
import { acknowledgeNag, logicalIdOf } from './nag.js';
import type { IStreaming } from './streaming.js';
import { checkInteger, checkPattern, type Fail, failIn } from './validation.js';

/** Written by the user data once Node.js is installed; the SSM document waits for it. */
export const GENERATOR_READY_MARKER = '/var/lib/log-generator/installed';

/** Tag the SSM run command targets the fleet by. */
export const GENERATOR_TAG = { key: 'log-pipeline:role', value: 'generator' } as const;

export interface GeneratorFleetProps {
  /** The VPC of the brokers: the instances run in it. */
  readonly vpc: ec2.IVpc;
  /** Private subnets of `vpc` with a route to the internet (the boot-time `dnf install`) and the AWS APIs. */
  readonly subnets: ec2.SubnetSelection;
  /** The MSK cluster (IAM authentication) the generators produce to. */
  readonly streaming: IStreaming;
  /** Topic the generator may write. */
  readonly topic: string;
  /**
   * A Graviton (arm64) type such as `t4g.small`: the fleet runs the arm64 Amazon Linux 2023 image. An
   * `ec2.InstanceType`, as `ec2.LaunchTemplate` takes it.
   */
  readonly instanceType: ec2.InstanceType;
  /** Instances the morning schedule restores (0-100). */
  readonly minInstances: number;
  /** Instances at most (minInstances-100, and at least 1). */
  readonly maxInstances: number;
}

/** Graviton families: a `g` after the generation digit (t4g, m7g, c8gd...). */
const GRAVITON = /^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/;

/** Checks the props of `GeneratorFleet`; lib/config.ts runs it on the context too. */
export function checkGeneratorFleetProps(
  props: Pick<GeneratorFleetProps, 'instanceType' | 'minInstances' | 'maxInstances'>,
  fail: Fail,
): void {
  const type = props.instanceType.toString();
  checkPattern(fail, 'instanceType', type, /^[a-z0-9]+\.[a-z0-9]+$/, 'use an EC2 type such as t4g.small');
  checkPattern(
    fail,
    'instanceType',
    type,
    GRAVITON,
    'use a Graviton (arm64) type such as t4g.small: the fleet runs the arm64 Amazon Linux 2023 image',
  );
  checkInteger(fail, 'minInstances', props.minInstances, 0, 100);
  checkInteger(fail, 'maxInstances', props.maxInstances, Math.max(1, props.minInstances), 100);
}

export class GeneratorFleet extends Construct {
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly role: iam.Role;
  readonly bundle: GeneratorBundle;
  readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: GeneratorFleetProps) {
    super(scope, id);
    checkGeneratorFleetProps(props, failIn(this));
    this.bundle = new GeneratorBundle(this, 'Bundle');
    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Log generator instances: SSM managed, produce to the pipeline topic',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledgeNag(
      this.role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      "The AWS-maintained minimum for SSM Run Command and Session Manager, the fleet's only access path",
    );
    // The one object the SSM document downloads, not the whole CDK asset bucket that Asset.grantRead opens.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bundle.asset.bucket.arnForObjects(this.bundle.asset.s3ObjectKey)],
      }),
    );
    props.streaming.grantProduce(this.role, props.topic);

    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Log generator fleet (no inbound)',
      allowAllOutbound: true,
    });
    props.streaming.allowClientsFrom(securityGroup, 'log generator fleet');

    const userData = ec2.UserData.forLinux();
    // One command line: the marker exists only if the install succeeded.
    userData.addCommands(
      `dnf install -y nodejs20 unzip && mkdir -p /opt/log-generator ${path.posix.dirname(GENERATOR_READY_MARKER)} && touch ${GENERATOR_READY_MARKER}`,
    );
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      instanceType: props.instanceType,
      role: this.role,
      securityGroup,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(30, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      launchTemplate: this.launchTemplate,
      minCapacity: props.minInstances,
      maxCapacity: props.maxInstances,
      healthChecks: autoscaling.HealthChecks.ec2(),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate(),
    });
    acknowledgeNag(
      this.autoScalingGroup,
      'AwsSolutions-AS3',
      "Load-generator fleet: scaling activity is expected (schedule, CPU) and visible in the group's activity history",
    );
    Tags.of(this.autoScalingGroup).add(GENERATOR_TAG.key, GENERATOR_TAG.value, {
      applyToLaunchedInstances: true,
    });
    // A run protects its instance from scale-in and lifts the protection when it ends (the SSM document), so
    // a scheduled scale-in waits for the run instead of terminating the generator in the middle of it.
    const groupArn = `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroup.autoScalingGroupName}`;
    // Its own policy: the launch template waits for the role's default policy, and this one names the group.
    const protection = new iam.Policy(this, 'ScaleInProtection', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: ['autoscaling:SetInstanceProtection'], resources: [groupArn] }),
      ],
    });
    acknowledgeNag(
      protection,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${logicalIdOf(this.autoScalingGroup)}>]`,
      "Scale-in protection of the fleet's own group only: the wildcard is the group's id, which only exists after deployment; the name is exact",
    );
  }
}
