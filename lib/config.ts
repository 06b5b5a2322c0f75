// The one typed configuration of LogPipelineStack: read from the `logPipeline` context object (cdk.json or
// `-c logPipeline='{...}'`) and/or stack props, merged over defaults sized for a small dev deployment, and
// validated once at synth so a bad value fails with the key, the value received and the fix.
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DEFAULT_REFRESH_INTERVAL } from '../core/index-templates.js';
import { checkFargateConsumerProps } from './fargate-consumer.js';
import { checkGeneratorFleetProps } from './generator-fleet.js';
import { checkLambdaConsumerProps } from './lambda-consumer.js';
import { checkObservabilityProps } from './observability.js';
import { checkOpsFunctionProps } from './ops-function.js';
import { DEFAULT_PROFILE, PROFILE_NAMES, PROFILES, type ProfileName } from './profiles.js';
import { checkBrokerStorageScalingProps } from './scaling/broker-storage-scaling.js';
import { checkSearchIndexProps, checkSearchProps } from './search.js';
import { checkStreamingProps, checkTopicSpecs, instanceTypeOfMskName, type TopicSpec } from './streaming.js';
import { checkUsersDatabaseProps } from './users-database.js';
import { type Fail, PropsError } from './validation.js';

/** How records leave Kafka: a Lambda event source mapping, or a Fargate kafkajs consumer group. */
export type ConsumerMode = 'lambda' | 'fargate';

/** How people sign in to OpenSearch Dashboards: Cognito user pool, or none (SigV4 clients only). */
export type DashboardsAuthMode = 'cognito' | 'none';

/** MSK enhanced monitoring level (consumer-lag metrics need at least DEFAULT). */
export type MskMonitoringLevel =
  | 'DEFAULT'
  | 'PER_BROKER'
  | 'PER_TOPIC_PER_BROKER'
  | 'PER_TOPIC_PER_PARTITION';

/**
 * The settings of a pipeline: the props of LogPipeline (all optional there) and the keys of the `logPipeline`
 * context object of LogPipelineStack. Each `@default` is the `dev` profile's value (the default profile), with the
 * `production` profile's where it differs (lib/profiles.ts). Checked by the construct that owns the value.
 */
export interface PipelineConfig {
  /**
   * Availability zones the new VPC spans; the brokers, the search data nodes (when 2+) and the NAT gateways are
   * spread over them. An environment-agnostic stack of your own gets two zones: give it an env for 3.
   * @default 2 (`production`: 3)
   */
  readonly azCount: number;
  /**
   * NAT gateways of the new VPC, 1 to azCount (the generator fleet installs Node.js from the internet at boot).
   * @default 1 (`production`: 3)
   */
  readonly natGateways: number;
  /**
   * MSK brokers: a multiple of azCount.
   * @default 2 (`production`: 3)
   */
  readonly brokerCount: number;
  /**
   * MSK Standard broker type, with its `kafka.` prefix as MSK names it.
   * @default 'kafka.t3.small' (`production`: 'kafka.m7g.large')
   */
  readonly brokerInstanceType: string;
  /**
   * Kafka version of the MSK cluster, on the 3.9.x line (`3.9.x` or `3.9.x.kraft`).
   * @default '3.9.x'
   */
  readonly kafkaVersion: string;
  /**
   * EBS volume per broker at create, in GiB.
   * @default 100 (`production`: 300)
   */
  readonly brokerVolumeGiB: number;
  /**
   * Upper bound of broker storage auto-scaling, in GiB.
   * @default 1000
   */
  readonly brokerMaxVolumeGiB: number;
  /**
   * Disk utilisation (percent) that broker storage auto-scaling keeps the brokers under.
   * @default 60
   */
  readonly brokerStorageTargetPercent: number;
  /**
   * MSK enhanced monitoring level; `PER_BROKER` (paid metrics) adds the alarm on new connections per second.
   * @default 'DEFAULT'
   */
  readonly mskMonitoringLevel: MskMonitoringLevel;
  /**
   * The Kafka topic the generators write and the consumer reads.
   * @default 'server-logs'
   */
  readonly topicName: string;
  /**
   * The topic of the records the consumer could not index (poison records), re-driven with `ops:redrive`.
   * @default 'server-logs-dlq'
   */
  readonly deadLetterTopicName: string;
  /**
   * Partitions of both topics: the consumer's parallelism.
   * @default 6
   */
  readonly topicPartitions: number;
  /**
   * Replicas of each partition of both topics, at most brokerCount.
   * @default 2 (`production`: 3)
   */
  readonly replicationFactor: number;
  /**
   * The cluster's min.insync.replicas: at most replicationFactor - 1, so acks=all producers (the generator, the
   * dead-letter producer) keep writing while one broker restarts (every MSK patch restarts each broker in turn).
   * @default - replicationFactor - 1
   */
  readonly minInsyncReplicas: number;
  /**
   * The consumer group of the consumer (the Lambda event source mapping's or the Fargate tasks').
   * @default 'log-pipeline-consumer'
   */
  readonly consumerGroupId: string;
  /**
   * How records leave Kafka: `lambda` (an MSK event source mapping) or `fargate` (a kafkajs consumer group).
   * @default 'lambda'
   */
  readonly consumerMode: ConsumerMode;
  /**
   * Records per Lambda invocation (the event source mapping's BatchSize).
   * @default 500
   */
  readonly batchSize: number;
  /**
   * Seconds the event source mapping waits to fill a batch.
   * @default 5
   */
  readonly batchWindowSeconds: number;
  /**
   * Event pollers the mapping keeps, in `provisioned` poller mode.
   * @default 1
   */
  readonly minimumPollers: number;
  /**
   * Event pollers the mapping may scale to, in `provisioned` poller mode.
   * @default 4
   */
  readonly maximumPollers: number;
  /**
   * Fargate consumer tasks at the least.
   * @default 1 (`production`: 2)
   */
  readonly fargateMinTasks: number;
  /**
   * Fargate consumer tasks at the most (more than topicPartitions would idle).
   * @default 6
   */
  readonly fargateMaxTasks: number;
  /**
   * Consumer lag (records, MaxOffsetLag) above which the Fargate service scales out; ten times it raises the
   * lag alarm.
   * @default 10000
   */
  readonly lagScaleOutThreshold: number;
  /**
   * Prefix of the daily indices, `<indexPrefix>-<category>-<yyyy.mm.dd>`.
   * @default 'logs'
   */
  readonly indexPrefix: string;
  /**
   * Days an index is kept before the ISM policy deletes it.
   * @default 14
   */
  readonly indexRetentionDays: number;
  /**
   * How often OpenSearch refreshes the daily indices: a document the consumer has indexed is searchable (in
   * Dashboards, `npm run smoke`, the ops commands) only after the next refresh, so produce -> searchable takes the
   * pipeline's own time plus up to this. A whole number of ms, s or m (`500ms`, `1s`, `5s`, `2m`). Shorter is
   * fresher and costs indexing throughput: each refresh uses the resources of the indexing threads and writes a
   * new segment that merges later, which is why AWS advises longer intervals for heavy ingestion
   * (https://aws.amazon.com/premiumsupport/knowledge-center/opensearch-indexing-performance,
   * https://docs.opensearch.org/latest/api-reference/index-apis/refresh/). A change reaches the existing indices
   * too: the setup puts it on `<indexPrefix>-events-*` as well as in the template.
   * @default '5s'
   */
  readonly indexRefreshInterval: string;
  /**
   * OpenSearch data nodes (zone-aware when 2+; one node gets no replica shards).
   * @default 1 (`production`: 3)
   */
  readonly searchDataNodes: number;
  /**
   * OpenSearch data node type, with its `.search` suffix as OpenSearch Service names it.
   * @default 't3.small.search' (`production`: 'r6g.large.search')
   */
  readonly searchInstanceType: string;
  /**
   * gp3 volume per data node, in GiB, within the type's limits (lib/service-limits.ts).
   * @default 20 (`production`: 400)
   */
  readonly searchVolumeGiB: number;
  /**
   * How people sign in to Dashboards: `cognito` (a user pool, and an SSM port-forwarding hop) or `none`.
   * @default 'cognito'
   */
  readonly dashboardsAuth: DashboardsAuthMode;
  /**
   * RDS instance type of the users database, without the `db.` prefix.
   * @default 't4g.micro' (`production`: 't4g.small')
   */
  readonly dbInstanceType: string;
  /**
   * Whether the users database runs Multi-AZ.
   * @default false (`production`: true)
   */
  readonly dbMultiAz: boolean;
  /**
   * Whether the users database is protected from deletion once created (lib/database-protection.ts).
   * @default true
   */
  readonly dbDeletionProtection: boolean;
  /**
   * Days of automated backups of the users database, 1 to 35.
   * @default 7 (`production`: 14)
   */
  readonly dbBackupRetentionDays: number;
  /**
   * Accounts 1..seedAccounts get a users row; the generator fleet draws its known accounts from them.
   * @default 10000
   */
  readonly seedAccounts: number;
  /**
   * Seconds a consumer keeps a users row before reading it again.
   * @default 60
   */
  readonly usersCacheTtlSeconds: number;
  /**
   * EC2 type of the generator fleet's instances.
   * @default 't4g.small'
   */
  readonly generatorInstanceType: string;
  /**
   * Generator instances on weekdays from 07:00 UTC (a schedule empties the fleet at 20:00 UTC).
   * @default 1
   */
  readonly generatorMinInstances: number;
  /**
   * Generator instances at the most.
   * @default 3
   */
  readonly generatorMaxInstances: number;
  /**
   * An address subscribed to the alarm topic.
   * @default - none: subscribe to the alarm topic yourself
   */
  readonly alarmEmail?: string;
  /**
   * Days the pipeline's CloudWatch log groups keep their events (a CloudWatch Logs retention value).
   * @default 30
   */
  readonly logRetentionDays: number;
  /**
   * IAM roles of the people who operate the deployment from a laptop (`npm run smoke`, `ops:replay`,
   * `ops:redrive`, `ops:status`): each may invoke the ops function (its resource policy) and is mapped in
   * fine-grained access control to a read-only role on the pipeline's indices.
   * @default - none: nobody but an administrator's own IAM permissions
   */
  readonly operatorRoleArns: readonly string[];
  /**
   * The cost profile whose values (lib/profiles.ts) the other settings override: `dev` or `production`.
   * @default 'dev'
   */
  readonly profile: ProfileName;
  /**
   * Interface VPC endpoints for the AWS APIs in the new VPC (off: those calls go through the NAT gateway).
   * @default false (`production`: true)
   */
  readonly interfaceEndpoints: boolean;
  /**
   * How the Lambda consumer's event source mapping polls: `provisioned` (minimumPollers to maximumPollers,
   * billed per poller-hour) or `on-demand` (Lambda scales the pollers, no poller charge).
   * @default 'on-demand' (`production`: 'provisioned')
   */
  readonly pollerMode: PollerMode;
  /**
   * Dedicated master nodes of the OpenSearch domain: 0 (none), 3 or 5.
   * @default 0 (`production`: 3)
   */
  readonly searchMasterNodes: number;
  /**
   * Type of the dedicated master nodes.
   * @default 'm6g.large.search'
   */
  readonly searchMasterInstanceType: string;
}

/** Event poller mode of the Lambda consumer's MSK event source mapping. */
export type PollerMode = 'provisioned' | 'on-demand';

export const DEFAULT_CONFIG: PipelineConfig = {
  azCount: 2,
  natGateways: 1,
  brokerCount: 2,
  brokerInstanceType: 'kafka.t3.small',
  kafkaVersion: '3.9.x',
  brokerVolumeGiB: 100,
  brokerMaxVolumeGiB: 1000,
  brokerStorageTargetPercent: 60,
  mskMonitoringLevel: 'DEFAULT',
  topicName: 'server-logs',
  deadLetterTopicName: 'server-logs-dlq',
  topicPartitions: 6,
  replicationFactor: 2,
  minInsyncReplicas: 1,
  consumerGroupId: 'log-pipeline-consumer',
  consumerMode: 'lambda',
  batchSize: 500,
  batchWindowSeconds: 5,
  minimumPollers: 1,
  maximumPollers: 4,
  fargateMinTasks: 1,
  fargateMaxTasks: 6,
  lagScaleOutThreshold: 10_000,
  indexPrefix: 'logs',
  indexRetentionDays: 14,
  indexRefreshInterval: DEFAULT_REFRESH_INTERVAL,
  searchDataNodes: 2,
  searchInstanceType: 't3.medium.search',
  searchVolumeGiB: 20,
  dashboardsAuth: 'cognito',
  dbInstanceType: 't4g.micro',
  dbMultiAz: false,
  dbDeletionProtection: true,
  dbBackupRetentionDays: 7,
  seedAccounts: 10_000,
  usersCacheTtlSeconds: 60,
  generatorInstanceType: 't4g.small',
  generatorMinInstances: 1,
  generatorMaxInstances: 3,
  logRetentionDays: 30,
  operatorRoleArns: [],
  profile: DEFAULT_PROFILE,
  interfaceEndpoints: true,
  pollerMode: 'provisioned',
  searchMasterNodes: 0,
  searchMasterInstanceType: 'm6g.large.search',
};

/** A configuration value that cannot deploy; the message names the key, the value and the fix. */
export class PipelineConfigError extends PropsError {
  override name = 'PipelineConfigError';
  constructor(
    readonly key: string,
    value: unknown,
    fix: string,
  ) {
    super('logPipeline', key, value, fix, `logPipeline.${key}: ${fix}, got ${JSON.stringify(value)}`);
  }
}

/**
 * The `Fail` (lib/validation.ts) under which lib/config.ts runs a construct's checks on the context: the error
 * names the context key that `keys` maps the construct's prop to (the prop's own name when unmapped).
 */
export function failAsContextKey(keys: Readonly<Record<string, keyof PipelineConfig>> = {}): Fail {
  return (prop, value, fix) => {
    throw new PipelineConfigError(keys[prop] ?? prop, value, fix);
  };
}

const KNOWN_KEYS = new Set(Object.keys(DEFAULT_CONFIG).concat('alarmEmail'));

/**
 * Merges `overrides` (parsed context and/or props; unknown keys are rejected so a typo never passes silently)
 * over the chosen profile (the last layer's `profile`, else DEFAULT_PROFILE) over the base defaults, and
 * validates the result. Context values may arrive as strings (`-c`), so numeric and boolean keys accept their
 * string forms.
 */
export function resolveConfig(
  ...overrides: ReadonlyArray<Record<string, unknown> | undefined>
): PipelineConfig {
  return resolveConfigFor({}, ...overrides);
}

/** What a pipeline imports instead of creating: the keys that describe the created resource are not checked. */
export interface ImportedParts {
  /**
   * An existing MSK cluster (LogPipelineProps.existingKafkaCluster): the topic keys are checked, the keys of a
   * new cluster (broker count, type, version, storage, monitoring) are not, and the topics are not held to the
   * configured broker count (ExistingKafkaCluster checks them against the cluster's, when known).
   * @default false
   */
  readonly kafkaCluster?: boolean;
  /**
   * An existing OpenSearch domain (LogPipelineProps.existingSearchDomain): the index keys are checked, the keys of
   * a new domain (nodes, types, volume, Dashboards sign-in) are not.
   * @default false
   */
  readonly searchDomain?: boolean;
}

/** `resolveConfig` for a pipeline that imports `imported` instead of creating them. */
export function resolveConfigFor(
  imported: ImportedParts,
  ...overrides: ReadonlyArray<Record<string, unknown> | undefined>
): PipelineConfig {
  const profile = chosenProfile(overrides);
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG, ...PROFILES[profile], profile };
  let minInsyncReplicasGiven = false;
  for (const layer of overrides) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (!KNOWN_KEYS.has(key)) {
        throw new PipelineConfigError(
          key,
          value,
          `unknown key; use one of ${[...KNOWN_KEYS].sort().join(', ')}`,
        );
      }
      if (value !== undefined) merged[key] = coerce(key, value);
      if (value !== undefined && key === 'minInsyncReplicas') minInsyncReplicasGiven = true;
    }
  }
  // Follows the replication factor unless set: RF - 1 is MSK's guidance for writes during broker restarts.
  if (!minInsyncReplicasGiven && typeof merged.replicationFactor === 'number') {
    merged.minInsyncReplicas = Math.max(1, merged.replicationFactor - 1);
  }
  const config = merged as unknown as PipelineConfig;
  validate(config, imported);
  return config;
}

/** The profile the layers name (the last one that does), refused with the key, value and fix if unknown. */
function chosenProfile(overrides: ReadonlyArray<Record<string, unknown> | undefined>): ProfileName {
  let profile: unknown = DEFAULT_PROFILE;
  for (const layer of overrides) {
    if (layer?.profile !== undefined) profile = layer.profile;
  }
  if (!(PROFILE_NAMES as readonly unknown[]).includes(profile)) {
    throw new PipelineConfigError(
      'profile',
      profile,
      `use ${PROFILE_NAMES.map((p) => `"${p}"`).join(' or ')}`,
    );
  }
  return profile as ProfileName;
}

/** Reads the `logPipeline` context value: an object in cdk.json, or a JSON string from `-c`. */
export function configFromContext(raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') {
    try {
      return configFromContext(JSON.parse(raw));
    } catch (error) {
      if (error instanceof PipelineConfigError) throw error;
      throw new PipelineConfigError('(context)', raw, 'pass the logPipeline context as a JSON object');
    }
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PipelineConfigError('(context)', raw, 'pass the logPipeline context as a JSON object');
  }
  return raw as Record<string, unknown>;
}

function coerce(key: string, value: unknown): unknown {
  const expected = typeof (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
  if (
    expected === 'number' &&
    typeof value === 'string' &&
    value.trim() !== '' &&
    !Number.isNaN(Number(value))
  ) {
    return Number(value);
  }
  if (expected === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

function integer(config: PipelineConfig, key: keyof PipelineConfig, min: number, max: number): void {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PipelineConfigError(key, value, `must be an integer between ${min} and ${max}`);
  }
}

function pattern(config: PipelineConfig, key: keyof PipelineConfig, re: RegExp, fix: string): void {
  const value = config[key];
  if (typeof value !== 'string' || !re.test(value)) throw new PipelineConfigError(key, value, fix);
}

function boolean(config: PipelineConfig, key: keyof PipelineConfig): void {
  if (typeof config[key] !== 'boolean')
    throw new PipelineConfigError(key, config[key], 'must be true or false');
}

/**
 * A context value in seconds as the Duration a construct's check takes; a value no Duration holds (negative,
 * not a number) is passed as it is, for the check to refuse it by name.
 */
function secondsForCheck(value: number): Duration {
  return typeof value === 'number' && value >= 0 ? Duration.seconds(value) : (value as unknown as Duration);
}

function validate(c: PipelineConfig, imported: ImportedParts): void {
  // Stricter than checkNetworkProps, which lets a Network alone be isolated (no NAT gateway): the pipeline's
  // generator fleet needs the internet.
  integer(c, 'azCount', 2, 3);
  if (c.natGateways === 0) {
    throw new PipelineConfigError(
      'natGateways',
      c.natGateways,
      'must be at least 1: the generator fleet installs Node.js from the internet at boot, and the VPC has no endpoints for Lambda, ECR or CloudWatch metrics',
    );
  }
  integer(c, 'natGateways', 1, c.azCount);
  checkKafkaKeys(c, imported);
  const usersCacheTtl = secondsForCheck(c.usersCacheTtlSeconds);
  checkObservabilityProps(
    {
      brokerCount: c.brokerCount,
      consumerMode: c.consumerMode,
      lagAlarmThreshold: c.lagScaleOutThreshold * 10,
      alarmEmail: c.alarmEmail,
    },
    failAsContextKey(),
  );
  checkLambdaConsumerProps(
    {
      consumerGroupId: c.consumerGroupId,
      batchSize: c.batchSize,
      batchWindow: secondsForCheck(c.batchWindowSeconds),
      pollerMode: c.pollerMode,
      minimumPollers: c.minimumPollers,
      maximumPollers: c.maximumPollers,
      usersCacheTtl,
    },
    failAsContextKey({ batchWindow: 'batchWindowSeconds', usersCacheTtl: 'usersCacheTtlSeconds' }),
  );
  checkFargateConsumerProps(
    {
      consumerGroupId: c.consumerGroupId,
      usersCacheTtl,
      minTasks: c.fargateMinTasks,
      maxTasks: c.fargateMaxTasks,
      scaleOutLag: c.lagScaleOutThreshold,
    },
    failAsContextKey({
      usersCacheTtl: 'usersCacheTtlSeconds',
      minTasks: 'fargateMinTasks',
      maxTasks: 'fargateMaxTasks',
      scaleOutLag: 'lagScaleOutThreshold',
    }),
  );
  // Across parts: the consumer cannot know the topic's partition count.
  if (c.consumerMode === 'fargate' && c.fargateMaxTasks > c.topicPartitions) {
    throw new PipelineConfigError(
      'fargateMaxTasks',
      c.fargateMaxTasks,
      `must not exceed topicPartitions (${c.topicPartitions}): extra group members would sit idle`,
    );
  }
  checkOpsFunctionProps(
    { consumerGroupId: c.consumerGroupId, usersCacheTtl, operatorRoleArns: c.operatorRoleArns },
    failAsContextKey({ usersCacheTtl: 'usersCacheTtlSeconds' }),
  );
  if (imported.searchDomain) {
    checkSearchIndexProps(
      {
        indexPrefix: c.indexPrefix,
        retentionDays: c.indexRetentionDays,
        refreshInterval: c.indexRefreshInterval,
      },
      failAsContextKey(SEARCH_KEYS),
    );
  } else {
    checkSearchProps(
      {
        azCount: c.azCount,
        dataNodes: c.searchDataNodes,
        instanceType: c.searchInstanceType,
        volumeGiB: c.searchVolumeGiB,
        masterNodes: c.searchMasterNodes,
        masterInstanceType: c.searchMasterInstanceType,
        indexPrefix: c.indexPrefix,
        retentionDays: c.indexRetentionDays,
        refreshInterval: c.indexRefreshInterval,
        dashboardsAuth: c.dashboardsAuth,
      },
      failAsContextKey(SEARCH_KEYS),
      'searchInstanceType',
    );
  }
  checkUsersDatabaseProps(
    {
      instanceType: new ec2.InstanceType(c.dbInstanceType),
      multiAz: c.dbMultiAz,
      deletionProtection: c.dbDeletionProtection,
      backupRetention: Duration.days(c.dbBackupRetentionDays),
      seedAccounts: c.seedAccounts,
    },
    failAsContextKey({
      instanceType: 'dbInstanceType',
      multiAz: 'dbMultiAz',
      deletionProtection: 'dbDeletionProtection',
      backupRetention: 'dbBackupRetentionDays',
    }),
  );
  checkGeneratorFleetProps(
    {
      instanceType: new ec2.InstanceType(c.generatorInstanceType),
      minInstances: c.generatorMinInstances,
      maxInstances: c.generatorMaxInstances,
    },
    failAsContextKey({
      instanceType: 'generatorInstanceType',
      minInstances: 'generatorMinInstances',
      maxInstances: 'generatorMaxInstances',
    }),
  );
  boolean(c, 'interfaceEndpoints');
  const retentions = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  ];
  if (!retentions.includes(c.logRetentionDays)) {
    throw new PipelineConfigError(
      'logRetentionDays',
      c.logRetentionDays,
      `use one of ${retentions.join(', ')}`,
    );
  }
}

/** The context keys that Streaming's and BrokerStorageScaling's props come from. */
const KAFKA_KEYS: Readonly<Record<string, keyof PipelineConfig>> = {
  clientSubnetCount: 'azCount',
  monitoringLevel: 'mskMonitoringLevel',
  'topics[0].name': 'topicName',
  'topics[1].name': 'deadLetterTopicName',
  'topics[0].partitions': 'topicPartitions',
  'topics[1].partitions': 'topicPartitions',
  'topics[0].replicationFactor': 'replicationFactor',
  'topics[1].replicationFactor': 'replicationFactor',
  minVolumeGiB: 'brokerVolumeGiB',
  maxVolumeGiB: 'brokerMaxVolumeGiB',
  targetUtilizationPercent: 'brokerStorageTargetPercent',
};

/** The pipeline's topic and its dead-letter topic, as the context describes them. */
export function pipelineTopics(c: PipelineConfig): TopicSpec[] {
  return [c.topicName, c.deadLetterTopicName].map((name) => ({
    name,
    partitions: c.topicPartitions,
    replicationFactor: c.replicationFactor,
  }));
}

/** The Kafka keys, by the checks of the constructs they configure (lib/streaming.ts, broker storage scaling). */
function checkKafkaKeys(c: PipelineConfig, imported: ImportedParts): void {
  const fail = failAsContextKey(KAFKA_KEYS);
  if (imported.kafkaCluster) {
    checkTopicSpecs(pipelineTopics(c), { minInsyncReplicas: c.minInsyncReplicas }, fail);
    return;
  }
  // The context names MSK's type (kafka.t3.small); the construct takes the EC2 type inside it.
  pattern(
    c,
    'brokerInstanceType',
    /^kafka\.[a-z0-9]+\.[a-z0-9]+$/,
    'use an MSK broker type such as kafka.t3.small',
  );
  checkStreamingProps(
    {
      clientSubnetCount: c.azCount,
      brokerCount: c.brokerCount,
      brokerInstanceType: instanceTypeOfMskName(c.brokerInstanceType),
      kafkaVersion: c.kafkaVersion,
      brokerVolumeGiB: c.brokerVolumeGiB,
      monitoringLevel: c.mskMonitoringLevel,
      topics: pipelineTopics(c),
      minInsyncReplicas: c.minInsyncReplicas,
    },
    fail,
  );
  checkBrokerStorageScalingProps(
    {
      minVolumeGiB: c.brokerVolumeGiB,
      maxVolumeGiB: c.brokerMaxVolumeGiB,
      targetUtilizationPercent: c.brokerStorageTargetPercent,
    },
    fail,
  );
}

/** The context keys of SearchProps (lib/search.ts), for errors that name what the context user set. */
const SEARCH_KEYS = {
  dataNodes: 'searchDataNodes',
  instanceType: 'searchInstanceType',
  volumeGiB: 'searchVolumeGiB',
  masterNodes: 'searchMasterNodes',
  masterInstanceType: 'searchMasterInstanceType',
  retentionDays: 'indexRetentionDays',
  refreshInterval: 'indexRefreshInterval',
} as const;
