// The network every workload runs in: a VPC whose workloads live in private subnets, with flow logs and the
// VPC endpoints that keep AWS API traffic (secrets, SSM sessions, logs, STS, MSK control plane, S3) off the
// NAT gateway (the `dev` profile turns the interface endpoints off and pays for the NAT traffic instead).
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeCfnLint } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { checkInteger, type Fail, failIn } from './validation.js';

export interface NetworkProps {
  /** Availability zones the VPC spans: 2 or 3, the zones an MSK cluster's brokers are spread over. */
  readonly azCount: number;
  /**
   * NAT gateways, 0 to azCount; with 0 the private subnets are isolated and reach AWS only through the
   * endpoints.
   */
  readonly natGateways: number;
  /** How long the flow log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Interface endpoints added on top of the always-present ones (for example ECR for Fargate images).
   * @default - none
   */
  readonly extraInterfaceEndpoints?: Readonly<Record<string, ec2.IInterfaceVpcEndpointService>>;
  /**
   * Whether to create the interface endpoints at all. Without them, the workloads reach the AWS APIs through
   * the NAT gateway (still TLS and SigV4; the S3 gateway endpoint, which costs nothing, stays). Each interface
   * endpoint is billed per AZ-hour (https://aws.amazon.com/privatelink/pricing/).
   * @default true
   */
  readonly interfaceEndpoints?: boolean;
}

/** Checks the props of `Network`; lib/config.ts runs it on the context too. */
export function checkNetworkProps(props: Pick<NetworkProps, 'azCount' | 'natGateways'>, fail: Fail): void {
  checkInteger(fail, 'azCount', props.azCount, 2, 3);
  checkInteger(fail, 'natGateways', props.natGateways, 0, props.azCount);
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where the workloads (brokers, database, domain, functions, tasks, generator) are placed. */
  readonly workloadSubnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    checkNetworkProps(props, failIn(this));
    const isolated = props.natGateways === 0;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.azCount,
      natGateways: props.natGateways,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        ...(isolated ? [] : [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }]),
        {
          name: 'private',
          subnetType: isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
          cidrMask: 20,
        },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    this.workloadSubnets = {
      subnetType: isolated ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
    };

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // In a stack with an account and region, the CDK writes the AZ names it looked up (cdk.context.json) into the
    // subnets; an environment-agnostic stack (LogPipelineStack's default) gets Fn::GetAZs instead.
    for (const subnet of [
      ...this.vpc.publicSubnets,
      ...this.vpc.privateSubnets,
      ...this.vpc.isolatedSubnets,
    ]) {
      if (!Token.isUnresolved(subnet.availabilityZone)) {
        acknowledgeCfnLint(
          subnet,
          'W3010',
          'AZ names the CDK looked up for this stack account and region and keeps in cdk.context.json',
        );
      }
    }
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.TEN_MINUTES,
    });

    const endpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
      SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
      Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
      ...props.extraInterfaceEndpoints,
    };
    if (props.interfaceEndpoints === false) {
      if (isolated) {
        throw new Error(
          'interfaceEndpoints cannot be turned off without a NAT gateway: nothing would reach AWS',
        );
      }
      return;
    }
    for (const [name, service] of Object.entries(endpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.workloadSubnets,
        privateDnsEnabled: true,
      });
      acknowledgeNag(
        endpoint.node.findChild('SecurityGroup'),
        'AwsSolutions-EC23',
        'Ingress is HTTPS from the VPC CIDR only; the rule references the CIDR as an intrinsic cdk-nag cannot resolve',
      );
    }
  }
}

/** Converts a day count from the configuration into the CloudWatch Logs enum (validated by the config). */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}
