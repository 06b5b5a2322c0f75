// The CDK app: one LogPipelineStack, checked by cdk-nag's AwsSolutions rules on every synth. The stack is
// environment-agnostic unless `account` and `region` are given as context (`-c account=... -c region=...`).
// A configuration mistake is the user's, not a bug: it is one line on stderr (key, value, fix) and exit 1,
// without the stack trace Node would print for an uncaught error.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LogPipelineStack } from '../lib/log-pipeline-stack.js';
import { PropsError } from '../lib/validation.js';

function main(): void {
  // No synth on exit: under the CLI the App would otherwise synthesize a half-built stack after the error.
  const app = new App({ autoSynth: false });
  const account = app.node.tryGetContext('account') as string | undefined;
  const region = app.node.tryGetContext('region') as string | undefined;
  new LogPipelineStack(app, 'LogPipelineStack', {
    env: account || region ? { account, region } : undefined,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
}

try {
  main();
} catch (error) {
  if (!(error instanceof PropsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
