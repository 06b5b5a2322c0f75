// The two cost profiles of LogPipelineStack: the values a profile sets on top of the base configuration
// (lib/config.ts DEFAULT_CONFIG), before the `logPipeline` context and the stack props, so any other key still
// overrides them. Prices and the reasoning behind each value: README "What each profile costs".
import type { PipelineConfig } from './config.js';

/** The cost profiles; `dev` is what a deployment without `profile` gets. */
export type ProfileName = 'dev' | 'production';

export const PROFILE_NAMES: readonly ProfileName[] = ['dev', 'production'];

/** What `cdk deploy LogPipelineStack` gives without a `profile` key (README: "Which profile is the default"). */
export const DEFAULT_PROFILE: ProfileName = 'dev';

/**
 * `dev`: at most $200 a month idle in us-east-1 on-demand list prices, the same security settings and the same
 * never-skip guarantee as `production`. It keeps the base's VPC, MSK cluster and database as they are, so that
 * a deployment made before profiles existed is updated in place, never replaced, when it becomes `dev`. It drops:
 * - the interface VPC endpoints (7 × 2 AZs × $0.01/h ≈ $102 a month): AWS API calls leave through the NAT
 *   gateway instead, still TLS and SigV4 (the free S3 gateway endpoint stays);
 * - the provisioned event pollers (≈ $135 a month): the mapping runs in on-demand mode, which retries a failed
 *   batch until it succeeds or its records leave the topic, exactly what the provisioned settings say
 *   (lib/lambda-consumer.ts, ON_DEMAND_ERROR_HANDLING);
 * - one of the two OpenSearch nodes, and the size of the other (t3.medium → t3.small): one data node, no
 *   replica shards (the setup writes `number_of_replicas: 0` into the index templates).
 */
const DEV: Partial<PipelineConfig> = {
  searchDataNodes: 1,
  searchInstanceType: 't3.small.search',
  interfaceEndpoints: false,
  pollerMode: 'on-demand',
};

/**
 * `production`, sized for a stated load: 500 events/s sustained (≈ 43 million a day, about 250 bytes each on
 * the topic, ≈ 600 bytes each as a document), peaks of 2,500/s for up to an hour, the topic's 7 days of Kafka
 * retention and 14 days of indices.
 * - Three AZs, one NAT gateway and every interface endpoint in each.
 * - MSK: 3 × kafka.m7g.large (not burstable; one per AZ), replication factor 3 and min.insync.replicas 2 (it
 *   follows replicationFactor - 1): a write survives one broker restarting while MSK patches it. 300 GiB per
 *   broker: 7 days × 0.125 MB/s average × 3 copies / 3 brokers ≈ 76 GiB, four times over for the peaks and
 *   under the auto-scaling target; storage auto-scaling goes on up to brokerMaxVolumeGiB.
 * - OpenSearch: 3 × r6g.large.search data nodes, zone-aware over the 3 AZs, 400 GiB gp3 each: 43 M × 600 B ≈
 *   26 GB of documents a day × 2 copies × 1.45 (AWS's sizing overhead) × 14 days ≈ 1.05 TB over 3 nodes; and
 *   3 dedicated master nodes (m6g.large.search), which AWS recommends for every production domain.
 * - RDS MySQL Multi-AZ, t4g.small: the consumers send one query per 2,000-record chunk at most (cached for a
 *   minute), fewer than 2 a second at the peak.
 * - Lambda consumer: provisioned pollers (1 to 4); Fargate consumer: at least 2 tasks.
 */
const PRODUCTION: Partial<PipelineConfig> = {
  azCount: 3,
  natGateways: 3,
  brokerCount: 3,
  brokerInstanceType: 'kafka.m7g.large',
  brokerVolumeGiB: 300,
  replicationFactor: 3,
  searchDataNodes: 3,
  searchInstanceType: 'r6g.large.search',
  searchVolumeGiB: 400,
  searchMasterNodes: 3,
  searchMasterInstanceType: 'm6g.large.search',
  dbInstanceType: 't4g.small',
  dbMultiAz: true,
  dbBackupRetentionDays: 14,
  fargateMinTasks: 2,
  interfaceEndpoints: true,
  pollerMode: 'provisioned',
};

export const PROFILES: Readonly<Record<ProfileName, Partial<PipelineConfig>>> = {
  dev: DEV,
  production: PRODUCTION,
};
