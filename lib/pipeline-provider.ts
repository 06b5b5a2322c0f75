// A custom-resource provider whose onEvent handler is one of the project's functions: the CDK provider
// framework (which reports back to CloudFormation, with retries) in front of a PipelineFunction, both with
// log groups that expire.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeCfnLint, acknowledgeCheckov } from './iac-checks.js';
import { acknowledgeNag, logicalIdOf } from './nag.js';
import { PipelineFunction, type PipelineFunctionProps } from './pipeline-function.js';

export type PipelineProviderProps = PipelineFunctionProps;

export class PipelineProvider extends Construct {
  /** The onEvent handler: grant it what the resource needs. */
  readonly handler: PipelineFunction;
  readonly provider: cr.Provider;

  constructor(scope: Construct, id: string, props: PipelineProviderProps) {
    super(scope, id);
    this.handler = new PipelineFunction(this, 'OnEvent', { timeout: Duration.minutes(5), ...props });
    this.provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: new logs.LogGroup(this, 'FrameworkLogs', {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    acknowledgeCustomResourceFunction(this.handler.function);
    const framework = this.provider.node.findChild('framework-onEvent') as lambda.Function;
    acknowledgeCustomResourceFunction(framework);
    acknowledgeCheckov(
      framework,
      'CKV_AWS_117',
      "CDK provider framework function: it only invokes the onEvent function and answers CloudFormation's pre-signed S3 URL, reaching nothing in the VPC",
    );
    acknowledgeCheckov(
      framework,
      'CKV_AWS_173',
      'CDK provider framework function: its environment holds only the ARN of the onEvent function',
    );
    acknowledgeCfnLint(framework, 'W3005', 'redundant DependsOn on the service role, written by CDK');
    const frameworkRole = framework.role;
    if (frameworkRole) {
      acknowledgeNag(
        frameworkRole,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK provider framework function: AWS-maintained policy limited to its own log streams',
      );
      acknowledgeNag(
        frameworkRole.node.findChild('DefaultPolicy'),
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.handler.function)}.Arn>:*]`,
        'CDK provider framework may invoke every version of its own onEvent function and nothing else',
      );
    }
  }

  get serviceToken(): string {
    return this.provider.serviceToken;
  }
}

/** Findings that do not apply to a function that runs once per stack operation. */
function acknowledgeCustomResourceFunction(fn: lambda.IFunction): void {
  acknowledgeCheckov(
    fn,
    'CKV_AWS_115',
    'Custom-resource function: runs once per stack operation; reserved concurrency would only take capacity from the account pool',
  );
  acknowledgeCheckov(
    fn,
    'CKV_AWS_116',
    'Custom-resource function: a failed lifecycle event fails the stack operation, which is the signal; a dead-lettered event could not be replayed against a stack that has moved on',
  );
}
