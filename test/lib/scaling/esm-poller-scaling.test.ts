import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { EsmPollerScaling } from '../../../lib/scaling/esm-poller-scaling.js';
import { removeScratchOutdirs, testApp } from '../stack-fixture.js';

function mapping(stack: Stack): lambda.EventSourceMapping {
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('export const handler = async () => {};'),
  });
  return new lambda.EventSourceMapping(stack, 'Mapping', {
    target: fn,
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/logs/abcd-1',
    kafkaTopic: 'server-logs',
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
  });
}

describe('EsmPollerScaling', () => {
  afterAll(removeScratchOutdirs);

  it('puts the event source mapping in provisioned mode with the poller bounds', () => {
    const stack = new Stack(testApp(), 'TestStack');
    new EsmPollerScaling(stack, 'Pollers', {
      eventSourceMapping: mapping(stack),
      minimumPollers: 2,
      maximumPollers: 8,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 8 },
    });
  });

  it('fails when the minimum exceeds the maximum', () => {
    const stack = new Stack(testApp(), 'TestStack');
    expect(
      () =>
        new EsmPollerScaling(stack, 'Pollers', {
          eventSourceMapping: mapping(stack),
          minimumPollers: 5,
          maximumPollers: 2,
        }),
    ).toThrow('TestStack/Pollers: maximumPollers: must be an integer between 5 and 2000, got 2');
  });

  it.each([
    [0, 4, 'minimumPollers: must be an integer between 1 and 200, got 0'],
    [1.5, 4, 'minimumPollers: must be an integer between 1 and 200, got 1.5'],
    [1, 2001, 'maximumPollers: must be an integer between 1 and 2000, got 2001'],
  ])(
    'refuses minimumPollers %s and maximumPollers %s, naming the prop, the value and the fix',
    (min, max, message) => {
      const stack = new Stack(testApp(), 'TestStack');
      expect(
        () =>
          new EsmPollerScaling(stack, 'Pollers', {
            eventSourceMapping: mapping(stack),
            minimumPollers: min,
            maximumPollers: max,
          }),
      ).toThrow(`TestStack/Pollers: ${message}`);
    },
  );

  it('refuses an imported mapping, which has no CfnEventSourceMapping to configure', () => {
    const stack = new Stack(testApp(), 'TestStack');
    const imported = lambda.EventSourceMapping.fromEventSourceMappingId(stack, 'Imported', 'esm-1');
    expect(
      () =>
        new EsmPollerScaling(stack, 'Pollers', {
          eventSourceMapping: imported,
          minimumPollers: 1,
          maximumPollers: 2,
        }),
    ).toThrow('TestStack/Pollers: eventSourceMapping: use an event source mapping defined in this app');
  });
});
