import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { afterAll, describe, expect, it } from 'vitest';
import { GeneratorBundle } from '../../lib/generator-bundle.js';
import { PipelineFunction, type PipelineFunctionProps } from '../../lib/pipeline-function.js';
import { removeScratchOutdirs, testApp } from './stack-fixture.js';

afterAll(removeScratchOutdirs);

function build(props: Partial<PipelineFunctionProps>) {
  const stack = new Stack(testApp(undefined, { bundling: false }), 'Bad');
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: ['eu-west-1a'],
    privateSubnetIds: ['subnet-1'],
  });
  return new PipelineFunction(stack, 'Fn', {
    entry: 'lambdas/msk-consumer.ts',
    description: 'test',
    vpc,
    vpcSubnets: {},
    securityGroups: [],
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...props,
  });
}

describe('PipelineFunction props', () => {
  it.each([
    [{ memorySize: 64 }, 'memorySize: must be an integer between 128 and 10240, got 64'],
    [{ timeout: Duration.minutes(16) }, 'timeout: must be an integer between 1 and 900, got 960'],
  ])('refuses %o, naming the prop, the value and the fix', (props, message) => {
    expect(() => build(props)).toThrow(`Bad/Fn: ${message}`);
  });

  it('accepts Lambda limits themselves', () => {
    expect(() => build({ memorySize: 10_240, timeout: Duration.minutes(15) })).not.toThrow();
  });
});

describe('GeneratorBundle props', () => {
  it('refuses an entry that is not in the repository, naming it', () => {
    const stack = new Stack(testApp(undefined, { bundling: false }), 'Bad');
    expect(() => new GeneratorBundle(stack, 'Bundle', { entry: 'generator/missing.ts' })).toThrow(
      /^Bad\/Bundle: entry: name a file under the repository root \(.*\), got "generator\/missing.ts"$/,
    );
  });
});
