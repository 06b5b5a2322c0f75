import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsumerLagScaling } from '../../../lib/scaling/consumer-lag-scaling.js';
import { removeScratchOutdirs, testApp } from '../stack-fixture.js';

const LAG = new cloudwatch.Metric({
  namespace: 'AWS/Kafka',
  metricName: 'MaxOffsetLag',
  dimensionsMap: { 'Cluster Name': 'logs', 'Consumer Group': 'g', Topic: 'server-logs' },
  statistic: 'Maximum',
});

function service(stack: Stack): ecs.FargateService {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const task = new ecs.FargateTaskDefinition(stack, 'Task');
  task.addContainer('c', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
  });
  return new ecs.FargateService(stack, 'Service', {
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
    taskDefinition: task,
    minHealthyPercent: 100,
  });
}

describe('ConsumerLagScaling', () => {
  afterAll(removeScratchOutdirs);

  it('steps the task count on MSK MaxOffsetLag within the task bounds', () => {
    const stack = new Stack(testApp(), 'TestStack');
    new ConsumerLagScaling(stack, 'Lag', {
      service: service(stack),
      lagMetric: LAG,
      minTasks: 1,
      maxTasks: 6,
      scaleOutLag: 10_000,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'ecs',
      MinCapacity: 1,
      MaxCapacity: 6,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Kafka',
      MetricName: 'MaxOffsetLag',
      Dimensions: Match.arrayWith([
        { Name: 'Consumer Group', Value: 'g' },
        { Name: 'Topic', Value: 'server-logs' },
      ]),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 10_000,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({
        AdjustmentType: 'ChangeInCapacity',
        StepAdjustments: Match.arrayWith([Match.objectLike({ ScalingAdjustment: 3 })]),
      }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'MaxOffsetLag',
      ComparisonOperator: 'LessThanOrEqualToThreshold',
      Threshold: 1000,
    });
  });

  it('fails on inverted task bounds', () => {
    const stack = new Stack(testApp(), 'TestStack');
    expect(
      () =>
        new ConsumerLagScaling(stack, 'Lag', {
          service: service(stack),
          lagMetric: LAG,
          minTasks: 4,
          maxTasks: 2,
          scaleOutLag: 100,
        }),
    ).toThrow('TestStack/Lag: maxTasks: must be an integer between 4 and 100, got 2');
  });

  it.each([
    [{ minTasks: 0 }, 'minTasks: must be an integer between 1 and 100, got 0'],
    [{ scaleOutLag: 9 }, 'scaleOutLag: must be an integer between 10 and 100000000, got 9'],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    const stack = new Stack(testApp(), 'TestStack');
    expect(
      () =>
        new ConsumerLagScaling(stack, 'Lag', {
          service: service(stack),
          lagMetric: LAG,
          minTasks: 1,
          maxTasks: 2,
          scaleOutLag: 100,
          ...props,
        }),
    ).toThrow(`TestStack/Lag: ${message}`);
  });
});
