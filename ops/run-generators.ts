// `npm run fleet:run`: runs the event generator on every instance of the generator fleet through SSM Run
// Command, waits for the runs to finish and prints each instance's status. Exits 1 if any instance failed.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  createCommand,
  fallback,
  integer,
  isMain,
  nonEmpty,
  parseCommand,
  ratio,
  runCli,
  UsageError,
  valueOption,
} from '../local/cli.js';
import { type CloudFormationApi, DEFAULT_STACK_NAME, readStackOutputs, STACK_OUTPUTS } from './cli.js';
import { type FleetRunOptions, type FleetStatus, runFleet, type SsmApi } from './fleet.js';

export const DEFAULT_TAG = 'log-pipeline:role=generator';

export function fleetCommand() {
  return createCommand(
    'npm run fleet:run --',
    "Sends the stack's generator SSM document (its $LATEST version, the one the stack deployed) to every online " +
      'instance of the generator fleet (found by tag), ' +
      'waits until each run ends and prints per-instance status. Exits 1 if any instance did not succeed. ' +
      'Credentials come from the default AWS chain (env, profile, SSO).',
  )
    .addOption(
      valueOption(
        '--rate <n>',
        'events per second per instance; 0 = as fast as possible',
        integer({ min: 0, max: 999_999 }),
        500,
      ),
    )
    .addOption(
      valueOption('--duration <seconds>', 'how long each instance produces', integer({ max: 99_999 }), 300),
    )
    .addOption(
      fallback(valueOption('--bad-ratio <0..1>', 'share of malformed events', ratio), "the document's, 0.05"),
    )
    .addOption(
      fallback(
        valueOption('--suspicious-ratio <0..1>', 'share of suspicious events', ratio),
        "the document's, 0.05",
      ),
    )
    .addOption(
      fallback(valueOption('--topic <name>', 'Kafka topic', fleetTopic), "the document's, server-logs"),
    )
    .addOption(
      fallback(
        valueOption('--tag <key=value>', 'fleet tag', (_flag, raw) => parseTag(raw)),
        `the stack's GeneratorTagKey/Value outputs, else ${DEFAULT_TAG}`,
      ),
    )
    .addOption(
      fallback(
        valueOption('--document <name>', 'SSM document', nonEmpty),
        "the stack's GeneratorDocumentName output; required with --no-stack",
      ),
    )
    .addOption(valueOption('--stack <name>', 'stack to read the defaults from', nonEmpty, DEFAULT_STACK_NAME))
    .option('--no-stack', 'do not read the stack outputs')
    .addOption(
      fallback(valueOption('--region <region>', 'AWS region', nonEmpty), 'from the AWS environment/profile'),
    )
    .addOption(
      fallback(
        valueOption('--wait <seconds>', 'give up waiting after this long', integer()),
        'duration + 600',
      ),
    )
    .addOption(valueOption('--poll <seconds>', 'seconds between status checks', integer(), 10));
}

function fleetTopic(flag: string, raw: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(raw))
    throw new UsageError(`${flag} '${raw}' is not a legal Kafka topic name`);
  return raw;
}

export interface FleetArgs {
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

export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  const { options } = parseCommand<{
    rate: number;
    duration: number;
    badRatio?: number;
    suspiciousRatio?: number;
    topic?: string;
    tag?: { key: string; value: string };
    document?: string;
    stack: string | false;
    region?: string;
    wait?: number;
    poll: number;
  }>(fleetCommand(), argv);
  const { badRatio, suspiciousRatio } = options;
  if ((badRatio ?? 0) + (suspiciousRatio ?? 0) > 1) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must not exceed 1, got ${(badRatio ?? 0) + (suspiciousRatio ?? 0)}`,
    );
  }
  return {
    stack: options.stack === false ? undefined : options.stack,
    region: options.region,
    documentName: options.document,
    tag: options.tag,
    parameters: {
      rate: options.rate,
      duration: options.duration,
      badRatio,
      suspiciousRatio,
      topic: options.topic,
    },
    waitTimeoutSeconds: options.wait ?? options.duration + 600,
    pollSeconds: options.poll,
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

if (isMain(import.meta.url)) runCli('fleet:run', main);
