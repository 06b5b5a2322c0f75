import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogEncryption } from '../../lib/log-encryption.js';
import { type CfnProperties, onlyResource, removeScratchOutdirs, testApp } from './stack-fixture.js';

describe('LogEncryption', () => {
  let template: Template;

  beforeAll(() => {
    const stack = new Stack(testApp(), 'TestStack');
    new LogEncryption(stack, 'LogEncryption');
    // One log group directly in the stack, one deep in another construct, one that brings its own key.
    new logs.LogGroup(stack, 'Direct', { removalPolicy: RemovalPolicy.DESTROY });
    new logs.LogGroup(new Construct(new Construct(stack, 'A'), 'B'), 'Nested', {
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new logs.CfnLogGroup(stack, 'OwnKey', { kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/own' });
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it('encrypts every log group of the stack with the one rotated key, and leaves a chosen key alone', () => {
    const key = onlyResource(template, 'AWS::KMS::Key');
    expect(key.props.EnableKeyRotation).toBe(true);
    const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).map(
      ([id, r]) => [id, (r as { Properties: CfnProperties }).Properties.KmsKeyId] as const,
    );
    expect(groups).toHaveLength(3);
    for (const [id, kmsKeyId] of groups) {
      expect(kmsKeyId, id).toEqual(
        id.startsWith('OwnKey')
          ? 'arn:aws:kms:eu-west-1:111122223333:key/own'
          : { 'Fn::GetAtt': [key.id, 'Arn'] },
      );
    }
  });

  it("lets only this region's CloudWatch Logs use the key, and only for this account's log groups", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchLogsOfThisAccount',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':log-group:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });
});
