import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { acknowledgeCfnLint, acknowledgeCheckov } from '../../lib/iac-checks.js';

function queueStack() {
  const stack = new Stack(new App(), 'TestStack');
  return { stack, queue: new sqs.Queue(stack, 'Queue') };
}

function metadataOf(stack: Stack): Record<string, unknown> {
  const resources = Template.fromStack(stack).findResources('AWS::SQS::Queue');
  return (Object.values(resources)[0] as { Metadata: Record<string, unknown> }).Metadata;
}

describe('acknowledgeCheckov', () => {
  it("writes each skip with its reason into the L2's CloudFormation resource, once per id", () => {
    const { stack, queue } = queueStack();
    acknowledgeCheckov(queue, 'CKV_AWS_27', 'first reason');
    acknowledgeCheckov(queue, 'CKV2_AWS_73', 'second reason');
    acknowledgeCheckov(queue, 'CKV_AWS_27', 'repeated');
    expect(metadataOf(stack).checkov).toEqual({
      skip: [
        { id: 'CKV_AWS_27', comment: 'first reason' },
        { id: 'CKV2_AWS_73', comment: 'second reason' },
      ],
    });
  });

  it('refuses an id that is not a checkov AWS check, an empty reason, and a construct with no resource', () => {
    const { stack, queue } = queueStack();
    expect(() => acknowledgeCheckov(queue, 'AwsSolutions-SQS3', 'x')).toThrow(/not a checkov AWS check id/);
    expect(() => acknowledgeCheckov(queue, 'CKV_AWS_27', ' ')).toThrow(/needs a reason/);
    expect(() => acknowledgeCheckov(new Construct(stack, 'Empty'), 'CKV_AWS_27', 'x')).toThrow(
      /TestStack\/Empty is not a CloudFormation resource/,
    );
  });
});

describe('acknowledgeCfnLint', () => {
  it('adds the rule to the resource-level ignore_checks that cfn-lint reads, once', () => {
    const { stack, queue } = queueStack();
    acknowledgeCfnLint(queue, 'W3005', 'reason');
    acknowledgeCfnLint(queue, 'W3005', 'reason');
    acknowledgeCfnLint(queue, 'I3011', 'reason');
    expect(metadataOf(stack)['cfn-lint']).toEqual({ config: { ignore_checks: ['W3005', 'I3011'] } });
  });

  it('refuses a rule id that cfn-lint does not have', () => {
    const { queue } = queueStack();
    expect(() => acknowledgeCfnLint(queue, 'CKV_AWS_27', 'reason')).toThrow(/not a cfn-lint rule id/);
  });
});
