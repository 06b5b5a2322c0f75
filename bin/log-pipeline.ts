// The CDK app: one LogPipelineStack, checked by cdk-nag's AwsSolutions rules on every synth. The stack is
// environment-agnostic unless `account` and `region` are given as context (`-c account=... -c region=...`).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LogPipelineStack } from '../lib/log-pipeline-stack.js';

const app = new App();
const account = app.node.tryGetContext('account') as string | undefined;
const region = app.node.tryGetContext('region') as string | undefined;
new LogPipelineStack(app, 'LogPipelineStack', {
  env: account || region ? { account, region } : undefined,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
