import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerStorageScaling } from '../../../lib/scaling/broker-storage-scaling.js';
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

  it('fails if the maximum volume is below the current one', () => {
    const stack = new Stack(testApp(), 'TestStack');
    expect(
      () =>
        new BrokerStorageScaling(stack, 'Storage', {
          clusterArn: CLUSTER_ARN,
          minVolumeGiB: 100,
          maxVolumeGiB: 50,
          targetUtilizationPercent: 60,
        }),
    ).toThrow('maxVolumeGiB must be between minVolumeGiB (100) and 16384, got 50');
  });
});
