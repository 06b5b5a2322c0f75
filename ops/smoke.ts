// `npm run smoke`: the post-deploy smoke test. Runs the generator fleet through SSM for a short run, reads each
// instance's ground truth from the command output, waits until the consumer group has committed past the
// records the run appended, then counts exactly those records' documents per category in OpenSearch and
// checks that the dead-letter topic holds only poison records (none from this run). Exits 1 on any
// difference, printing one line for each.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetCommandInvocationCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Admin } from 'kafkajs';
import { CATEGORIES, type Category } from '../core/documents.js';
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
import {
  type CloudFormationApi,
  DEFAULT_STACK_NAME,
  readStackOutputs,
  requireOutput,
  STACK_OUTPUTS,
  StackOutputsError,
} from './cli.js';
import { type GeneratorParameters, runFleet, type SsmApi } from './fleet.js';
import {
  opsInvoker,
  opsLambdaClient,
  remoteAdmin,
  remoteDeadLetterCheck,
  remoteSearch,
} from './ops-client.js';
import {
  appendedRanges,
  type CountResponse,
  countDifferences,
  countQuery,
  type IndexedCounts,
  indexedCounts,
  type OffsetRange,
  type PrintedTruth,
  parseGroundTruth,
  partitionEnds,
  recordCount,
  sumTruths,
  uncommitted,
} from './smoke-verdict.js';

export function smokeCommand() {
  return createCommand(
    'npm run smoke --',
    'Post-deploy smoke test of a deployed LogPipelineStack: runs the generator on the fleet through SSM for a ' +
      'short run, waits for the run and for the consumer to catch up, then compares the documents of exactly the ' +
      "records the run appended, per category, with the generators' ground truth, and checks that the " +
      'dead-letter topic holds only poison records (and none of this run). Exits 0 when everything matches, 1 ' +
      'with one line per difference.',
  )
    .addOption(
      valueOption('--rate <n>', 'events per second per instance', integer({ min: 1, max: 999_999 }), 20),
    )
    .addOption(
      valueOption('--duration <seconds>', 'how long each instance produces', integer({ max: 3600 }), 60),
    )
    .addOption(valueOption('--bad-ratio <0..1>', 'share of bad events', ratio, 0.1))
    .addOption(valueOption('--suspicious-ratio <0..1>', 'share of suspicious events', ratio, 0.1))
    .addOption(valueOption('--stack <name>', 'the deployed stack', nonEmpty, DEFAULT_STACK_NAME))
    .addOption(
      fallback(
        valueOption('--region <region>', 'AWS region', nonEmpty),
        "the cluster's, from the stack outputs",
      ),
    )
    .addOption(
      valueOption(
        '--wait <seconds>',
        'how long the consumer may take to catch up after the run',
        integer(),
        600,
      ),
    )
    .addOption(
      valueOption(
        '--settle <seconds>',
        'how long counts may take to become searchable after that',
        integer({ min: 0 }),
        60,
      ),
    )
    .addOption(valueOption('--poll <seconds>', 'seconds between checks', integer(), 10))
    .addHelpText(
      'after',
      "\nRuns from anywhere with AWS credentials: the stack's ops function (OpsFunctionName output) reads Kafka and\n" +
        'OpenSearch inside the VPC, with the deployed topic, dead-letter topic and index prefix. The credentials must\n' +
        "be a role listed in the stack's operatorRoleArns (lambda:InvokeFunction on that function) and may read the\n" +
        "stack's outputs and send the generator document through SSM.\n" +
        'Another producer writing to the topic during the run makes the test fail: it says so.',
    );
}

export interface SmokeArgs {
  readonly stackName: string;
  readonly region?: string;
  readonly parameters: GeneratorParameters;
  readonly waitSeconds: number;
  readonly settleSeconds: number;
  readonly pollSeconds: number;
}

export function parseSmokeArgs(argv: readonly string[]): SmokeArgs {
  const { options, args } = parseCommand<{
    rate: number;
    duration: number;
    badRatio: number;
    suspiciousRatio: number;
    stack: string;
    region?: string;
    wait: number;
    settle: number;
    poll: number;
  }>(smokeCommand(), argv);
  if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
  const { badRatio, suspiciousRatio } = options;
  if (badRatio + suspiciousRatio > 1) {
    throw new UsageError(
      `--bad-ratio + --suspicious-ratio must not exceed 1, got ${badRatio + suspiciousRatio}`,
    );
  }
  return {
    stackName: options.stack,
    region: options.region,
    // Zero events would make every check pass vacuously: --rate and --duration are at least 1.
    parameters: { rate: options.rate, duration: options.duration, badRatio, suspiciousRatio },
    waitSeconds: options.wait,
    settleSeconds: options.settle,
    pollSeconds: options.poll,
  };
}

/** Where the smoke test runs, from the stack's outputs; names the missing output of an older stack. */
export interface SmokeTargets {
  readonly clusterArn: string;
  readonly region: string;
  readonly openSearchEndpoint: string;
  readonly topic: string;
  readonly groupId: string;
  readonly documentName: string;
  readonly tag: { readonly key: string; readonly value: string };
}

export function targetsFromOutputs(outputs: Record<string, string>, stackName: string): SmokeTargets {
  const need = (key: string) => requireOutput(outputs, key, stackName);
  const clusterArn = need(STACK_OUTPUTS.clusterArn);
  const region = clusterArn.split(':')[3];
  if (!clusterArn.startsWith('arn:') || !region) {
    throw new StackOutputsError(`stack ${stackName} output ClusterArn is not an ARN: '${clusterArn}'`);
  }
  return {
    clusterArn,
    region,
    openSearchEndpoint: need(STACK_OUTPUTS.openSearchEndpoint),
    topic: need(STACK_OUTPUTS.topic),
    groupId: need(STACK_OUTPUTS.consumerGroupId),
    documentName: need(STACK_OUTPUTS.generatorDocumentName),
    tag: { key: need(STACK_OUTPUTS.generatorTagKey), value: need(STACK_OUTPUTS.generatorTagValue) },
  };
}

/** SSM with the one call the smoke test adds to the fleet's: each instance's standard output. */
export type SmokeSsmApi = SsmApi & {
  send(command: GetCommandInvocationCommand): Promise<{ StandardOutputContent?: string }>;
};

/** Everything the smoke test talks to, passed in: tests give fakes with the real response shapes. */
export interface SmokeDeps {
  readonly ssm: SmokeSsmApi;
  readonly admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;
  /** A `_search` on the stack's indices with the given body; returns the response body. */
  readonly search: (body: Record<string, unknown>) => Promise<CountResponse>;
  /**
   * Reads the dead-letter topic and returns how many records it holds and the differences for the run's ranges
   * (smoke-verdict.ts deadLetterDifferences): done by the ops function, next to the topic.
   */
  readonly checkDeadLetters: (
    topic: string,
    ranges: readonly OffsetRange[],
  ) => Promise<{ read: number; differences: readonly string[] }>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly progress: (line: string) => void;
}

export interface SmokeOptions {
  readonly targets: SmokeTargets;
  readonly parameters: GeneratorParameters;
  readonly waitSeconds: number;
  readonly settleSeconds: number;
  readonly pollSeconds: number;
}

export interface SmokeReport {
  readonly truths: readonly (PrintedTruth & { instanceId: string })[];
  readonly expected?: Record<Category, number>;
  readonly ranges: readonly OffsetRange[];
  readonly indexed?: IndexedCounts;
  readonly differences: readonly string[];
}

async function groundTruths(
  ssm: SmokeSsmApi,
  sent: readonly { commandId: string; instanceId: string }[],
  differences: string[],
): Promise<(PrintedTruth & { instanceId: string })[]> {
  const truths: (PrintedTruth & { instanceId: string })[] = [];
  for (const { commandId, instanceId } of sent) {
    const out = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
    );
    try {
      truths.push({ instanceId, ...parseGroundTruth(out.StandardOutputContent ?? '') });
    } catch (error) {
      differences.push(`instance ${instanceId}: cannot read its ground truth: ${(error as Error).message}`);
    }
  }
  return truths;
}

export async function runSmoke(deps: SmokeDeps, options: SmokeOptions): Promise<SmokeReport> {
  const { targets } = options;
  const differences: string[] = [];
  const before = partitionEnds(await deps.admin.fetchTopicOffsets(targets.topic));
  deps.progress(`topic ${targets.topic}: ${before.size} partition(s), end offsets noted before the run`);

  const sent: { commandId: string; instanceId: string }[] = [];
  let lastCounts = '';
  const fleet = await runFleet(
    deps.ssm,
    {
      documentName: targets.documentName,
      tag: targets.tag,
      parameters: { ...options.parameters, topic: targets.topic },
      waitTimeoutSeconds: options.parameters.duration + 600,
      pollSeconds: options.pollSeconds,
    },
    {
      sleep: deps.sleep,
      now: deps.now,
      onSent: (commandId, instanceIds) => {
        for (const instanceId of instanceIds) sent.push({ commandId, instanceId });
        deps.progress(
          `sent ${targets.documentName} to ${instanceIds.length} instance(s) tagged ${targets.tag.key}=${targets.tag.value}: command ${commandId}`,
        );
      },
      onProgress: (status) => {
        const counts = JSON.stringify(status.counts);
        if (counts !== lastCounts) deps.progress(`generator run: ${counts}`);
        lastCounts = counts;
      },
    },
  );
  for (const instance of fleet.instances) {
    if (instance.status !== 'Success') {
      differences.push(
        `instance ${instance.instanceId}: the generator run ended ${instance.status}${instance.details ? ` (${instance.details})` : ''}`,
      );
    }
  }
  if (differences.length > 0) return { truths: [], ranges: [], differences };

  const truths = await groundTruths(deps.ssm, sent, differences);
  if (differences.length > 0) return { truths, ranges: [], differences };
  const truth = sumTruths(truths);
  deps.progress(
    `the generators acknowledged ${truth.sent} event(s) (seeds ${truths.map((t) => `${t.instanceId}:${t.seed}`).join(', ')})`,
  );

  const ranges = appendedRanges(before, partitionEnds(await deps.admin.fetchTopicOffsets(targets.topic)));
  const appended = recordCount(ranges);
  if (appended !== truth.sent) {
    differences.push(
      `topic ${targets.topic} grew by ${appended} record(s) during the run, the generators acknowledged ${truth.sent}: ${appended > truth.sent ? 'another producer wrote to it' : 'acknowledged records are missing'}`,
    );
  }

  const caughtUpBy = deps.now() + options.waitSeconds * 1000;
  let lastBehind = -1;
  for (;;) {
    const [committed] = await deps.admin.fetchOffsets({ groupId: targets.groupId, topics: [targets.topic] });
    const behind = uncommitted(ranges, committed?.partitions ?? []);
    if (behind !== lastBehind)
      deps.progress(`consumer group ${targets.groupId}: ${behind} record(s) of the run not committed`);
    lastBehind = behind;
    if (behind === 0) break;
    if (deps.now() >= caughtUpBy) {
      differences.push(
        `consumer group ${targets.groupId} has not committed ${behind} of the run's ${appended} record(s) after ${options.waitSeconds}s`,
      );
      break;
    }
    await deps.sleep(options.pollSeconds * 1000);
  }

  // Committed means indexed (offsets follow the documents); a refresh interval later they are searchable.
  const settledBy = deps.now() + options.settleSeconds * 1000;
  let indexed: IndexedCounts;
  let countLines: string[];
  for (;;) {
    indexed = indexedCounts(await deps.search(countQuery(targets.topic, ranges)));
    countLines = countDifferences(truth.byCategory, indexed);
    if (countLines.length === 0 || deps.now() >= settledBy) break;
    deps.progress(`OpenSearch: ${indexed.total} of the run's document(s) searchable so far`);
    await deps.sleep(options.pollSeconds * 1000);
  }
  differences.push(...countLines);

  const deadLetters = await deps.checkDeadLetters(targets.topic, ranges);
  deps.progress(`dead-letter topic: ${deadLetters.read} record(s) read`);
  differences.push(...deadLetters.differences);
  return { truths, expected: truth.byCategory, ranges, indexed, differences };
}

export function formatReport(report: SmokeReport): string {
  const lines: string[] = [];
  if (report.expected && report.indexed) {
    const indexed = report.indexed;
    lines.push(`${'category'.padEnd(12)}${'expected'.padStart(10)}${'indexed'.padStart(10)}`);
    for (const c of CATEGORIES) {
      lines.push(
        `${c.padEnd(12)}${String(report.expected[c]).padStart(10)}${String(indexed.byCategory[c]).padStart(10)}`,
      );
    }
  }
  if (report.differences.length === 0)
    lines.push('smoke test passed: every record indexed in its category, no dead letter from the run');
  else lines.push(...report.differences.map((d) => `difference: ${d}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = parseSmokeArgs(process.argv.slice(2));
  const progress = (line: string) => console.error(`${new Date().toISOString()} ${line}`);
  progress(`reading the outputs of stack ${args.stackName}`);
  const outputs = await readStackOutputs(
    args.stackName,
    new CloudFormationClient({ region: args.region }) as unknown as CloudFormationApi,
  );
  const targets = targetsFromOutputs(outputs, args.stackName);
  const region = args.region ?? targets.region;
  // The brokers and the domain are reached by the stack's ops function, inside the VPC; SSM from here.
  const functionName = requireOutput(outputs, STACK_OUTPUTS.opsFunctionName, args.stackName);
  const invoke = opsInvoker(opsLambdaClient(region), functionName);
  progress(`the ops function ${functionName} reads Kafka and OpenSearch inside the VPC`);
  const report = await runSmoke(
    {
      ssm: new SSMClient({ region }) as unknown as SmokeSsmApi,
      admin: remoteAdmin(invoke),
      search: remoteSearch(invoke),
      checkDeadLetters: remoteDeadLetterCheck(invoke),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: Date.now,
      progress,
    },
    {
      targets,
      parameters: args.parameters,
      waitSeconds: args.waitSeconds,
      settleSeconds: args.settleSeconds,
      pollSeconds: args.pollSeconds,
    },
  );
  console.log(formatReport(report));
  return report.differences.length === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) runCli('smoke', main);
