// Lag per consumer group for the dashboard: every consumer group with committed offsets, per topic it
// consumes, what it still has to read (end offsets minus committed, as `lagOf` in local/pipeline.ts counts it).
import type { Admin } from 'kafkajs';
import { lagOf } from '../pipeline.js';

export interface GroupLag {
  readonly groupId: string;
  readonly topic: string;
  readonly lag: number;
  /** Kafka's group state: `Stable` while consumers are in it, `Empty` when none is. */
  readonly state: string;
}

export async function consumerGroupLags(
  admin: Pick<Admin, 'listGroups' | 'describeGroups' | 'fetchOffsets' | 'fetchTopicOffsets' | 'listTopics'>,
): Promise<GroupLag[]> {
  const groupIds = (await admin.listGroups()).groups
    .filter((g) => g.protocolType === 'consumer')
    .map((g) => g.groupId)
    .sort();
  if (groupIds.length === 0) return [];
  const [described, topics] = await Promise.all([admin.describeGroups(groupIds), admin.listTopics()]);
  const stateOf = new Map(described.groups.map((g) => [g.groupId, g.state]));
  const existing = new Set(topics);
  const ends = new Map<string, ReturnType<Admin['fetchTopicOffsets']>>();
  const lags: GroupLag[] = [];
  for (const groupId of groupIds) {
    // Without `topics`, every topic the group has committed offsets for; a deleted topic keeps none to show.
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
      if (!existing.has(topic) || partitions.every((p) => p.offset === '-1')) continue;
      if (!ends.has(topic)) ends.set(topic, admin.fetchTopicOffsets(topic));
      const lag = lagOf(await (ends.get(topic) as ReturnType<Admin['fetchTopicOffsets']>), partitions);
      lags.push({ groupId, topic, lag: Number(lag), state: stateOf.get(groupId) ?? 'Unknown' });
    }
  }
  return lags;
}
