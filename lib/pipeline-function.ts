// One way to build the project's Node.js Lambda functions: esbuild local bundling (never Docker) of an entry
// file in the repository to one ESM file, arm64, the current Node.js runtime, an explicit log group with
// retention, and placement in the VPC's private subnets.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeCfnLint, acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag } from './nag.js';
import { checkInteger, type Fail, failIn } from './validation.js';

/** The repository root: asset paths and entry files are resolved against it. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Lambda runtime of every function the project owns. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** CJS dependencies (kafkajs, mysql2) call `require` on Node built-ins; an ESM bundle needs one in scope. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface PipelineFunctionProps {
  /** Entry file relative to the repository root, exporting `handler`. */
  readonly entry: string;
  /** The function's description in the Lambda console. */
  readonly description: string;
  /** The VPC the function runs in. */
  readonly vpc: ec2.IVpc;
  /** Private subnets of `vpc` with a route to the AWS APIs the function calls. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The function's security groups (their rules are the callers' grants). */
  readonly securityGroups: ec2.ISecurityGroup[];
  /** How long the function's log group keeps its events. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Environment variables, on top of NODE_OPTIONS (source maps): settings and ARNs, never a secret's value.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * How long an invocation may run (at most Lambda's 15 minutes).
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB (128-10,240, Lambda's range); CPU grows with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The execution role, used as it is (like `lambda.Function`'s `role`): it must trust lambda.amazonaws.com and
   * hold what AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole grant.
   * @default - a new role with those two AWS managed policies
   */
  readonly role?: iam.IRole;
}

/** Checks the props of `PipelineFunction` against Lambda's limits (Lambda quotas: memory and timeout). */
export function checkPipelineFunctionProps(
  props: Pick<PipelineFunctionProps, 'timeout' | 'memorySize'>,
  fail: Fail,
): void {
  if (props.memorySize !== undefined) checkInteger(fail, 'memorySize', props.memorySize, 128, 10_240);
  if (props.timeout !== undefined) {
    checkInteger(fail, 'timeout', props.timeout.toSeconds({ integral: false }), 1, 900);
  }
}

export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    checkPipelineFunctionProps(props, failIn(this));
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      role: props.role,
      timeout: props.timeout ?? Duration.minutes(1),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        sourceMap: true,
        minify: true,
        // The SDK v3 clients the adapters use ship with the runtime, but bundling pins the tested versions.
        externalModules: [],
        forceDockerBundling: false,
      },
    });
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_173',
      "The environment holds no secret (endpoints, names, the DB secret's ARN, never its value); Lambda encrypts it at rest with its AWS-managed key",
    );
    // CDK always adds DependsOn on the role next to the GetAtt (it also waits for the role's policy).
    acknowledgeCfnLint(this.function, 'W3005', 'redundant DependsOn on the service role, written by CDK');
    const role = this.function.role;
    if (role && !props.role) {
      acknowledgeNag(
        role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "AWS-maintained policy limited to writing this function's own CloudWatch log streams",
      );
      acknowledgeNag(
        role,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        'AWS-maintained policy for the ENI management a VPC function needs; EC2 offers no resource scoping for it',
      );
    }
  }
}
