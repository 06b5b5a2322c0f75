// LogPipeline composed into a user's own stack: the same pipeline as LogPipelineStack, under the user's
// construct id, with the outputs the operator commands read under their fixed names.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogPipeline } from '../../lib/index.js';
import { removeScratchOutdirs, testApp } from './stack-fixture.js';

describe('LogPipeline', () => {
  let stack: Stack;
  let template: Template;

  beforeAll(() => {
    const app = testApp();
    stack = new Stack(app, 'PlatformStack', { env: { account: '123456789012', region: 'eu-west-1' } });
    new LogPipeline(stack, 'Logs', { consumerMode: 'fargate', topicName: 'app-logs' });
    template = Template.fromStack(stack);
  });
  afterAll(removeScratchOutdirs);

  it("keeps the operator commands' output names whatever the construct's id", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const key of ['ClusterArn', 'OpsFunctionName', 'ConsumerMode', 'Topic', 'ConsumerServiceName']) {
      expect(outputs[key], key).toBeDefined();
    }
    expect(outputs.Topic?.Value).toBe('app-logs');
    expect(outputs.ConsumerMode?.Value).toBe('fargate');
  });

  it('builds its resources under its own construct path', () => {
    const cluster = template.findResources('AWS::MSK::Cluster');
    expect(Object.keys(cluster)).toHaveLength(1);
    expect(Object.keys(cluster)[0]).toMatch(/^LogsStreamingCluster/);
  });

  it('refuses a second pipeline in the same stack, naming both paths', () => {
    expect(() => new LogPipeline(stack, 'Second')).toThrow(
      /PlatformStack\/Second: stack PlatformStack already holds a log pipeline.*a stack of its own/,
    );
  });
});
