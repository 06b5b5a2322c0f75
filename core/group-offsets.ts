// Moving and watching a consumer group's committed offsets, for replays: reset a group to the beginning of a
// topic or to a point in time, then tell when it has caught up with the end offsets of a moment. Shared by the
// local consumer (`npm run consume -- --reset-to`) and the replay of a deployed stack (`npm run ops:replay`).
import type { Admin } from 'kafkajs';

export type ResetTarget = 'earliest' | Date;

export interface PartitionOffset {
  readonly partition: number;
  readonly offset: string;
}

/** Parses `earliest` or an ISO-8601 date-time with a zone; undefined when it is neither. */
export function parseResetTarget(raw: string): ResetTarget | undefined {
  if (raw === 'earliest') return 'earliest';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) return undefined;
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/**
 * Sets the group's committed offsets on `topic` to the target: the first retained record, or the first record
 * whose timestamp is at or after the time (the end where there is none). Kafka refuses this while the group
 * has members, which is what keeps a running consumer from being moved under its feet.
 */
export async function resetGroupOffsets(
  admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp' | 'setOffsets'>,
  groupId: string,
  topic: string,
  target: ResetTarget,
): Promise<PartitionOffset[]> {
  const partitions = await targetOffsets(admin, topic, target);
  await admin.setOffsets({ groupId, topic, partitions: [...partitions] });
  return partitions;
}

/** The offsets a reset to `target` would set, by partition, without setting them (what a replay will re-read). */
export async function targetOffsets(
  admin: Pick<Admin, 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp'>,
  topic: string,
  target: ResetTarget,
): Promise<PartitionOffset[]> {
  const partitions =
    target === 'earliest'
      ? (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, target.getTime());
  return partitions
    .map(({ partition, offset }) => ({ partition, offset }))
    .sort((a, b) => a.partition - b.partition);
}

/** The end offset of every partition that holds records now: what "caught up" means for a run started now. */
export async function endOffsets(admin: Admin, topic: string): Promise<PartitionOffset[]> {
  return (await admin.fetchTopicOffsets(topic))
    .filter((p) => p.high !== p.low)
    .map((p) => ({ partition: p.partition, offset: p.high }));
}

/** Whether the group has committed every partition up to `targets`. */
export async function hasCaughtUp(
  admin: Admin,
  groupId: string,
  topic: string,
  targets: readonly PartitionOffset[],
): Promise<boolean> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return targets.every((t) => {
    const done = byPartition.get(t.partition) ?? -1n;
    return done >= BigInt(t.offset);
  });
}

/**
 * What a group still has to read of a topic: per partition, the end offset minus the committed offset,
 * or minus the earliest retained offset where the group has committed nothing yet.
 */
export function lagOf(
  ends: readonly { partition: number; high: string; low: string }[],
  committed: readonly { partition: number; offset: string }[],
): bigint {
  const committedBy = new Map(committed.map((p) => [p.partition, BigInt(p.offset)]));
  return ends.reduce((lag, p) => {
    const done = committedBy.get(p.partition) ?? -1n;
    const from = done < 0n ? BigInt(p.low) : done;
    const high = BigInt(p.high);
    return lag + (high > from ? high - from : 0n);
  }, 0n);
}
