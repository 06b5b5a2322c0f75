// The `RunLogGenerator` SSM Command document: operators (ops scripts, or the console) send it by tag to the
// generator fleet. Each run fetches the current generator bundle from S3, resolves the IAM bootstrap brokers
// and produces with the given rate, duration, ratios, topic and account count (the fleet cannot read the
// users table, so it is told how many accounts were seeded). Every parameter is pattern-checked by SSM
// before it reaches the shell.
import { Aws } from 'aws-cdk-lib';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { MAX_SEEDED_ACCOUNTS } from '../core/users-schema.js';

export const GENERATOR_DOCUMENT_NAME = 'RunLogGenerator';

const RATIO_PATTERN = '^(0(\\.[0-9]{1,4})?|1(\\.0{1,4})?)$';

export interface GeneratorCommandProps {
  /** The zipped generator bundle. */
  readonly bundle: s3assets.Asset;
  /** File name of the script inside the bundle. */
  readonly scriptName: string;
  readonly clusterArn: string;
  readonly defaultTopic: string;
  /**
   * Accounts 1..accounts are in the users table (the stack's `seedAccounts`): the default of the document's
   * `accounts` parameter, so the fleet's ground truth counts exactly those as known.
   */
  readonly accounts: number;
  /** @default 'RunLogGenerator' */
  readonly documentName?: string;
}

export class GeneratorCommand extends Construct {
  readonly document: ssm.CfnDocument;
  readonly documentName: string;

  constructor(scope: Construct, id: string, props: GeneratorCommandProps) {
    super(scope, id);
    this.documentName = props.documentName ?? GENERATOR_DOCUMENT_NAME;
    if (!Number.isSafeInteger(props.accounts) || props.accounts < 1 || props.accounts > MAX_SEEDED_ACCOUNTS) {
      throw new Error(
        `GeneratorCommand accounts must be an integer from 1 to ${MAX_SEEDED_ACCOUNTS} (the seeded account count), got ${props.accounts}`,
      );
    }
    const script = [
      'set -euo pipefail',
      `export AWS_REGION=${Aws.REGION}`,
      'mkdir -p /opt/log-generator && cd /opt/log-generator',
      `aws s3 cp --only-show-errors ${props.bundle.s3ObjectUrl} bundle.zip`,
      'unzip -o -q bundle.zip',
      `BROKERS=$(aws kafka get-bootstrap-brokers --cluster-arn ${props.clusterArn} --query BootstrapBrokerStringSaslIam --output text)`,
      'NODE=$(command -v node-20 || command -v node)',
      [
        `exec "$NODE" ${props.scriptName} --msk-iam --region "$AWS_REGION" --brokers "$BROKERS"`,
        "--topic '{{ topic }}' --rate {{ rate }} --duration {{ duration }}",
        '--bad-ratio {{ badRatio }} --suspicious-ratio {{ suspiciousRatio }} --accounts {{ accounts }}',
      ].join(' '),
    ];
    this.document = new ssm.CfnDocument(this, 'Document', {
      name: this.documentName,
      documentType: 'Command',
      documentFormat: 'JSON',
      updateMethod: 'NewVersion',
      content: {
        schemaVersion: '2.2',
        description: 'Runs the log-pipeline event generator against the MSK topic for a bounded time.',
        parameters: {
          rate: {
            type: 'String',
            description: 'Events per second per instance (0 = as fast as possible).',
            default: '500',
            allowedPattern: '^[0-9]{1,6}$',
          },
          duration: {
            type: 'String',
            description: 'Seconds to produce for.',
            default: '300',
            allowedPattern: '^[1-9][0-9]{0,4}$',
          },
          badRatio: {
            type: 'String',
            description: 'Share of malformed events, 0 to 1.',
            default: '0.05',
            allowedPattern: RATIO_PATTERN,
          },
          suspiciousRatio: {
            type: 'String',
            description: 'Share of suspicious events (device mismatch, unknown account), 0 to 1.',
            default: '0.05',
            allowedPattern: RATIO_PATTERN,
          },
          topic: {
            type: 'String',
            description: 'Kafka topic to produce to.',
            default: props.defaultTopic,
            allowedPattern: '^[a-zA-Z0-9._-]{1,249}$',
          },
          accounts: {
            type: 'String',
            description:
              'Accounts 1..n that the users table holds (defaults to the seeded count); others count as unknown.',
            default: String(props.accounts),
            // 1 to 10,000,000 (MAX_SEEDED_ACCOUNTS), the generator's own limit.
            allowedPattern: '^([1-9][0-9]{0,6}|10000000)$',
          },
          executionTimeout: {
            type: 'String',
            description:
              'Seconds before SSM stops the run; the default outlasts the longest allowed duration.',
            default: '100800',
            allowedPattern: '^[1-9][0-9]{1,5}$',
          },
        },
        mainSteps: [
          {
            action: 'aws:runShellScript',
            name: 'runGenerator',
            inputs: { runCommand: script, timeoutSeconds: '{{ executionTimeout }}' },
          },
        ],
      },
    });
  }
}
