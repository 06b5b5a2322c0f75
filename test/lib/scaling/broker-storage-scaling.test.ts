import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BrokerStorageScaling,
  type BrokerStorageScalingProps,
} from '../../../lib/scaling/broker-storage-scaling.js';
import { removeScratchOutdirs, testApp } from '../stack-fixture.js';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/logs/abcd-1';

describe('BrokerStorageScaling', () => {
  afterAll(removeScratchOutdirs);

  it('tracks KafkaBrokerStorageUtilization on the broker volume size without ever scaling in', () => {
    const stack = new Stack(testApp(), 'TestStack');
    new BrokerStorageScaling(stack, 'Storage', {
      clusterArn: CLUSTER_ARN,
      minVolumeGiB: 100,
      maxVolumeGiB: 1000,
      targetUtilizationPercent: 60,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'kafka',
      ScalableDimension: 'kafka:broker-storage:VolumeSize',
      ResourceId: CLUSTER_ARN,
      MinCapacity: 100,
      MaxCapacity: 1000,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'KafkaBrokerStorageUtilization' },
        TargetValue: 60,
        DisableScaleIn: true,
      },
    });
  });

  it('keeps the broker disks under 60% unless told otherwise', () => {
    const stack = new Stack(testApp(), 'TestStack');
    new BrokerStorageScaling(stack, 'Storage', {
      clusterArn: CLUSTER_ARN,
      minVolumeGiB: 100,
      maxVolumeGiB: 1000,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 60 }),
    });
  });

  it.each<[string, Partial<BrokerStorageScalingProps>, string]>([
    [
      'a maximum volume below the current one',
      { maxVolumeGiB: 50 },
      'TestStack/Storage: maxVolumeGiB: must be an integer between 100 and 16384, got 50',
    ],
    [
      'a maximum volume beyond MSK',
      { maxVolumeGiB: 20_000 },
      'TestStack/Storage: maxVolumeGiB: must be an integer between 100 and 16384, got 20000',
    ],
    [
      'an empty current volume',
      { minVolumeGiB: 0 },
      'TestStack/Storage: minVolumeGiB: must be an integer between 1 and 16384, got 0',
    ],
    [
      'a target that leaves no room to grow',
      { targetUtilizationPercent: 95 },
      'TestStack/Storage: targetUtilizationPercent: must be an integer between 10 and 80, got 95',
    ],
  ])('refuses %s, naming the prop, the value and the fix', (_, change, message) => {
    const stack = new Stack(testApp(), 'TestStack');
    expect(
      () =>
        new BrokerStorageScaling(stack, 'Storage', {
          clusterArn: CLUSTER_ARN,
          minVolumeGiB: 100,
          maxVolumeGiB: 1000,
          ...change,
        }),
    ).toThrow(message);
  });
});
