// AWS's limits that depend on the chosen instance types, checked at synth so that a configuration that cannot
// deploy (or that AWS would refuse to update later) fails with the key, the value and the fix instead of 30
// minutes into a create. Each table cites the AWS page it was copied from; a type missing from a table is
// refused with the page to read, rather than guessed.

/**
 * Largest gp3 EBS volume per data node, GiB, for the OpenSearch Service types that take EBS volumes (the domain
 * uses gp3: lib/search.ts). Minimum 10 GiB for every type. Source: Amazon OpenSearch Service developer guide,
 * "Amazon OpenSearch Service quotas", section "EBS volume size quotas"
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource).
 * Types with instance storage only (r6gd, i3) and those without gp3 (T2, previous generations) are absent.
 */
export const OPENSEARCH_GP3_MAX_GIB: Readonly<Record<string, number>> = {
  't3.small.search': 100,
  't3.medium.search': 200,
  'm5.large.search': 1024,
  'm5.xlarge.search': 2048,
  'm5.2xlarge.search': 3072,
  'm5.4xlarge.search': 6144,
  'm5.12xlarge.search': 18_432,
  'm6g.large.search': 1024,
  'm6g.xlarge.search': 2048,
  'm6g.2xlarge.search': 3072,
  'm6g.4xlarge.search': 6144,
  'm6g.8xlarge.search': 12_288,
  'm6g.12xlarge.search': 18_432,
  'c5.large.search': 256,
  'c5.xlarge.search': 512,
  'c5.2xlarge.search': 1024,
  'c5.4xlarge.search': 1536,
  'c5.9xlarge.search': 3584,
  'c5.18xlarge.search': 7168,
  'c6g.large.search': 256,
  'c6g.xlarge.search': 512,
  'c6g.2xlarge.search': 1024,
  'c6g.4xlarge.search': 1536,
  'c6g.8xlarge.search': 3072,
  'c6g.12xlarge.search': 4608,
  'r5.large.search': 2048,
  'r5.xlarge.search': 3072,
  'r5.2xlarge.search': 6144,
  'r5.4xlarge.search': 12_288,
  'r5.12xlarge.search': 24_576,
  'r6g.large.search': 2048,
  'r6g.xlarge.search': 3072,
  'r6g.2xlarge.search': 6144,
  'r6g.4xlarge.search': 12_288,
  'r6g.8xlarge.search': 16_384,
  'r6g.12xlarge.search': 24_576,
};

export const OPENSEARCH_MIN_VOLUME_GIB = 10;
export const OPENSEARCH_LIMITS_URL =
  'https://docs.aws.amazon.com/opensearch-service/latest/developerguide/limits.html#ebsresource';

/**
 * MSK Standard brokers: storage from 1 to 16384 GiB per broker for every broker type, 30 brokers per
 * ZooKeeper cluster and 60 per KRaft cluster. Source: Amazon MSK developer guide, "Amazon MSK quota"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/limits.html). Express brokers take no EBS storage
 * (lib/streaming.ts sets it), so only kafka.* types are accepted.
 */
export const MSK_MIN_VOLUME_GIB = 1;
export const MSK_MAX_VOLUME_GIB = 16_384;
export const MSK_LIMITS_URL = 'https://docs.aws.amazon.com/msk/latest/developerguide/limits.html';

export function mskMaxBrokers(kafkaVersion: string): number {
  return kafkaVersion.endsWith('.kraft') ? 60 : 30;
}

/**
 * Partitions (leaders and followers) one broker may hold; above it MSK refuses configuration updates, Kafka
 * version upgrades and smaller broker types. Source: Amazon MSK developer guide, "Best practices", "Right-size
 * your cluster: Number of partitions per broker"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/bestpractices.html#partitions-per-broker); the m7g
 * sizes follow the m5 sizes there.
 */
export const MSK_MAX_PARTITIONS_PER_BROKER: Readonly<Record<string, number>> = {
  'kafka.t3.small': 300,
  'kafka.m5.large': 1000,
  'kafka.m5.xlarge': 1000,
  'kafka.m5.2xlarge': 2000,
  'kafka.m5.4xlarge': 4000,
  'kafka.m5.8xlarge': 4000,
  'kafka.m5.12xlarge': 4000,
  'kafka.m5.16xlarge': 4000,
  'kafka.m5.24xlarge': 4000,
  'kafka.m7g.large': 1000,
  'kafka.m7g.xlarge': 1000,
  'kafka.m7g.2xlarge': 2000,
  'kafka.m7g.4xlarge': 4000,
  'kafka.m7g.8xlarge': 4000,
  'kafka.m7g.12xlarge': 4000,
  'kafka.m7g.16xlarge': 4000,
};

/**
 * New TCP connections per broker per second an IAM-authenticated cluster accepts: 4 on kafka.t3.small, 20 on
 * the other types (the MSK quota page above, "Limits on TCP connections"; newer M5/M7g quotas are higher, 20 is
 * the floor). The connection alarm (lib/observability.ts) is sized from it.
 */
export function mskConnectionRatePerBroker(brokerInstanceType: string): number {
  return brokerInstanceType === 'kafka.t3.small' ? 4 : 20;
}

/** `__consumer_offsets`: 50 partitions, replicated up to 3 times (Kafka's defaults, which MSK keeps). */
export function consumerOffsetsReplicas(brokerCount: number): number {
  return 50 * Math.min(3, brokerCount);
}
