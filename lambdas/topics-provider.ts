// Custom resource that creates the pipeline's Kafka topics on MSK (IAM auth): MSK's cluster configuration
// turns auto topic creation off, so topics, their partition counts and replication are declared in the stack.
// Update creates new topics and grows partition counts; it never shrinks or re-replicates (Kafka cannot drop
// partitions, and a replication change needs a reassignment plan), and fails with that explanation instead.
// Delete leaves the topics in place: they hold the data, a custom-resource replacement or a rollback must not
// erase it, and deleting the stack deletes the whole cluster anyway.
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { Admin, ITopicMetadata } from 'kafkajs';
import { resolveIamBrokers } from '../aws/msk-brokers.js';
import { createMskKafka } from '../aws/msk-iam.js';
import { requireEnv } from '../core/env.js';
import { createLogger } from '../core/logger.js';
import { intProp, type OnEventResponse, PropertyError, stringProp } from './custom-resource.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface ExistingTopic {
  readonly partitions: number;
  readonly replicationFactor: number;
}

export interface TopicPlan {
  readonly create: readonly TopicSpec[];
  readonly grow: readonly { readonly name: string; readonly from: number; readonly to: number }[];
  readonly unchanged: readonly string[];
}

export class TopicChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicChangeError';
  }
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Parses the `Topics` property: `[{ Name, Partitions, ReplicationFactor }]`, numbers possibly as strings. */
export function parseTopics(value: unknown): TopicSpec[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new PropertyError(`property Topics must be a non-empty list, got ${JSON.stringify(value)}`);
  }
  const topics = value.map((entry, i) => {
    const props = (entry ?? {}) as Record<string, unknown>;
    const name = stringProp(props, 'Name');
    if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
      throw new PropertyError(
        `Topics[${i}].Name '${name}' is not a legal Kafka topic name ([a-zA-Z0-9._-], 1-249)`,
      );
    }
    return {
      name,
      partitions: intProp(props, 'Partitions', { min: 1 }),
      replicationFactor: intProp(props, 'ReplicationFactor', { min: 1 }),
    };
  });
  const names = topics.map((t) => t.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new PropertyError(`topic '${duplicate}' is declared twice in Topics`);
  return topics;
}

/** Decides what to change; refuses, naming every offending topic, when the desired state cannot be reached. */
export function planTopics(
  desired: readonly TopicSpec[],
  existing: ReadonlyMap<string, ExistingTopic>,
): TopicPlan {
  const create: TopicSpec[] = [];
  const grow: { name: string; from: number; to: number }[] = [];
  const unchanged: string[] = [];
  const problems: string[] = [];
  for (const topic of desired) {
    const current = existing.get(topic.name);
    if (current === undefined) {
      create.push(topic);
      continue;
    }
    if (topic.partitions < current.partitions) {
      problems.push(
        `${topic.name}: has ${current.partitions} partitions, asked for ${topic.partitions}; Kafka cannot remove partitions ` +
          '(keep the count, or create a new topic and move the consumers to it)',
      );
    }
    if (topic.replicationFactor !== current.replicationFactor) {
      problems.push(
        `${topic.name}: replication factor is ${current.replicationFactor}, asked for ${topic.replicationFactor}; ` +
          'changing it needs a partition reassignment (kafka-reassign-partitions), which this resource does not do',
      );
    }
    if (topic.partitions > current.partitions)
      grow.push({ name: topic.name, from: current.partitions, to: topic.partitions });
    else unchanged.push(topic.name);
  }
  if (problems.length > 0)
    throw new TopicChangeError(`cannot apply the topic changes: ${problems.join('; ')}`);
  return { create, grow, unchanged };
}

function describe(metadata: ITopicMetadata): ExistingTopic {
  return {
    partitions: metadata.partitions.length,
    replicationFactor: Math.max(0, ...metadata.partitions.map((p) => p.replicas.length)),
  };
}

/** Converges the cluster to `desired` through a connected kafkajs Admin. */
export async function reconcileTopics(admin: Admin, desired: readonly TopicSpec[]): Promise<TopicPlan> {
  const listed = new Set(await admin.listTopics());
  const present = desired.filter((t) => listed.has(t.name)).map((t) => t.name);
  const existing = new Map<string, ExistingTopic>();
  if (present.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: present });
    for (const t of topics) existing.set(t.name, describe(t));
  }
  const plan = planTopics(desired, existing);
  if (plan.create.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: plan.create.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
      })),
    });
  }
  if (plan.grow.length > 0) {
    await admin.createPartitions({ topicPartitions: plan.grow.map((g) => ({ topic: g.name, count: g.to })) });
  }
  return plan;
}

const logger = createLogger({ handler: 'topics-provider' });

export async function handler(event: CloudFormationCustomResourceEvent): Promise<OnEventResponse> {
  const props = event.ResourceProperties as Record<string, unknown>;
  if (event.RequestType === 'Delete') {
    logger.info('delete: leaving the topics and their data in place', {
      physicalId: event.PhysicalResourceId,
    });
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const clusterArn = stringProp(props, 'ClusterArn');
  const topics = parseTopics(props.Topics);
  const brokers = await resolveIamBrokers(clusterArn);
  const admin = createMskKafka({
    brokers,
    region: requireEnv('AWS_REGION'),
    clientId: 'log-pipeline-topics',
  }).admin();
  await admin.connect();
  try {
    const plan = await reconcileTopics(admin, topics);
    logger.info('topics reconciled', {
      requestType: event.RequestType,
      created: plan.create.map((t) => t.name),
      grown: plan.grow,
      unchanged: plan.unchanged,
    });
    // Same id on update: the resource is "the topics of this cluster"; a new cluster gets a new id.
    return {
      PhysicalResourceId: `${clusterArn}/topics`,
      Data: { Topics: topics.map((t) => t.name).join(',') },
    };
  } finally {
    await admin.disconnect();
  }
}
