// `npm run fleet:run`: runs the event generator on every instance of the generator fleet through SSM Run
// Command, waits for the runs to finish and prints each instance's status. Exits 1 if any instance failed.
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  isMain,
  numberOption,
  readStackOutputs,
  runCli,
  STACK_OUTPUTS,
  UsageError,
} from './cli.js';
import { type FleetRunOptions, type FleetStatus, runFleet, type SsmApi } from './fleet.js';

export const DEFAULT_TAG = 'log-pipeline:role=generator';

export const HELP = `Usage: npm run fleet:run -- [options]

Sends the stack's generator SSM document (its $LATEST version, the one the stack deployed) to every online
instance of the generator fleet (found by tag), waits until each run ends and prints per-instance status.
Exits 1 if any instance did not succeed.

Options:
  --rate <n>               events per second per instance (default: 500; 0 = as fast as possible)
  --duration <seconds>     how long each instance produces (default: 300)
  --bad-ratio <0..1>       share of malformed events (default: the document's, 0.05)
  --suspicious-ratio <0..1> share of suspicious events (default: the document's, 0.05)
  --topic <name>           Kafka topic (default: the document's, server-logs)
  --tag <key=value>        fleet tag (default: the stack's GeneratorTagKey/Value outputs, else ${DEFAULT_TAG})
  --document <name>        SSM document (default: the stack's GeneratorDocumentName output; required with --no-stack)
  --stack <name>           stack to read the defaults from (default: ${DEFAULT_STACK_NAME}; --no-stack to skip)
  --no-stack               do not read the stack outputs
  --region <region>        AWS region (default: from the AWS environment/profile)
  --wait <seconds>         give up waiting after this long (default: duration + 600)
  --poll <seconds>         seconds between status checks (default: 10)
  -h, --help               show this help

Credentials come from the default AWS chain (env, profile, SSO).`;

export interface FleetArgs {
  readonly help: boolean;
  readonly stack?: string;
  readonly region?: string;
  readonly documentName?: string;
  readonly tag?: { key: string; value: string };
  readonly parameters: FleetRunOptions['parameters'];
  readonly waitTimeoutSeconds: number;
  readonly pollSeconds: number;
}

export function parseTag(raw: string): { key: string; value: string } {
  const at = raw.indexOf('=');
  if (at <= 0 || at === raw.length - 1) throw new UsageError(`--tag must be key=value, got '${raw}'`);
  return { key: raw.slice(0, at), value: raw.slice(at + 1) };
}

export function parseFleetArgs(argv: string[]): FleetArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rate: { type: 'string', default: '500' },
      duration: { type: 'string', default: '300' },
      'bad-ratio': { type: 'string' },
      'suspicious-ratio': { type: 'string' },
      topic: { type: 'string' },
      tag: { type: 'string' },
      document: { type: 'string' },
      stack: { type: 'string', default: DEFAULT_STACK_NAME },
      'no-stack': { type: 'boolean', default: false },
      region: { type: 'string' },
      wait: { type: 'string' },
      poll: { type: 'string', default: '10' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const rate = numberOption('rate', values.rate, { min: 0, max: 999_999, integer: true }) as number;
  const duration = numberOption('duration', values.duration, {
    min: 1,
    max: 99_999,
    integer: true,
  }) as number;
  const badRatio = numberOption('bad-ratio', values['bad-ratio'], { min: 0, max: 1 });
  const suspiciousRatio = numberOption('suspicious-ratio', values['suspicious-ratio'], { min: 0, max: 1 });
  if ((badRatio ?? 0) + (suspiciousRatio ?? 0) > 1) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must not exceed 1, got ${(badRatio ?? 0) + (suspiciousRatio ?? 0)}`,
    );
  }
  if (values.topic !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(values.topic)) {
    throw new UsageError(`--topic '${values.topic}' is not a legal Kafka topic name`);
  }
  return {
    help: values.help as boolean,
    stack: values['no-stack'] ? undefined : values.stack,
    region: values.region,
    documentName: values.document,
    tag: values.tag === undefined ? undefined : parseTag(values.tag),
    parameters: { rate, duration, badRatio, suspiciousRatio, topic: values.topic },
    waitTimeoutSeconds: numberOption('wait', values.wait, { min: 1, integer: true }) ?? duration + 600,
    pollSeconds: numberOption('poll', values.poll, { min: 1, integer: true }) as number,
  };
}

/** Explicit flags win, then the stack's outputs, then the built-in defaults. */
export function resolveTargets(
  args: FleetArgs,
  outputs: Record<string, string>,
): { documentName: string; tag: { key: string; value: string } } {
  const key = outputs[STACK_OUTPUTS.generatorTagKey];
  const value = outputs[STACK_OUTPUTS.generatorTagValue];
  return {
    documentName: args.documentName ?? outputs[STACK_OUTPUTS.generatorDocumentName] ?? noDocument(args),
    tag: args.tag ?? (key && value ? { key, value } : parseTag(DEFAULT_TAG)),
  };
}

/** CloudFormation names the document, so there is no name to fall back to. */
function noDocument(args: FleetArgs): never {
  throw new UsageError(
    args.stack === undefined
      ? '--document is required with --no-stack (the GeneratorDocumentName output of the stack)'
      : `stack ${args.stack} has no GeneratorDocumentName output; pass --document`,
  );
}

export function formatStatus(status: FleetStatus): string {
  const rows = status.instances.map((i) => {
    const line = `${i.instanceId.padEnd(22)}${i.status.padEnd(12)}${i.details ?? ''}`;
    return i.status === 'Success' || !i.output
      ? line
      : `${line}\n    ${i.output.split('\n').slice(-10).join('\n    ')}`;
  });
  const summary = Object.entries(status.counts)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return [...rows, `${status.instances.length} instance(s): ${summary}`].join('\n');
}

async function main(): Promise<number> {
  const args = parseFleetArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return 0;
  }
  const outputs =
    args.stack === undefined
      ? {}
      : await readStackOutputs(
          args.stack,
          new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi,
        );
  const { documentName, tag } = resolveTargets(args, outputs);
  let last = '';
  const status = await runFleet(
    new SSMClient({ region: args.region }) as unknown as SsmApi,
    {
      documentName,
      tag,
      parameters: args.parameters,
      waitTimeoutSeconds: args.waitTimeoutSeconds,
      pollSeconds: args.pollSeconds,
    },
    {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
      onSent: (id, ids) =>
        console.error(
          `sent ${documentName} to ${ids.length} instance(s) tagged ${tag.key}=${tag.value}: command ${id}`,
        ),
      onProgress: (s) => {
        const line = JSON.stringify(s.counts);
        if (line !== last) console.error(`${new Date().toISOString()} ${line}`);
        last = line;
      },
    },
  );
  console.log(formatStatus(status));
  return status.failed === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runCli(main);
