import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { topicRecreationGuard } from '../../core/topic-recreation.js';

/** A kafkajs Kafka whose admin answers from `state`: the group's committed offsets and the log start offsets. */
function fakeKafka(state: {
  committed: Record<number, string>;
  low: Record<number, string>;
  failConnect?: number;
}) {
  const calls = { connects: 0, disconnects: 0, fetchOffsets: 0 };
  const kafka = {
    admin: () => ({
      connect: async () => {
        calls.connects++;
        if ((state.failConnect ?? 0) > 0) {
          state.failConnect = (state.failConnect ?? 0) - 1;
          throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        }
      },
      disconnect: async () => {
        calls.disconnects++;
      },
      fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) => {
        calls.fetchOffsets++;
        expect({ groupId, topics }).toEqual({ groupId: 'group', topics: ['logs'] });
        return [
          {
            topic: 'logs',
            partitions: Object.entries(state.committed).map(([p, offset]) => ({
              partition: Number(p),
              offset,
            })),
          },
        ];
      },
      fetchTopicOffsets: async (topic: string) => {
        expect(topic).toBe('logs');
        return Object.entries(state.low).map(([p, low]) => ({
          partition: Number(p),
          low,
          high: '100',
          offset: '100',
        }));
      },
    }),
  } as unknown as Kafka;
  return { kafka, calls };
}

describe('topicRecreationGuard', () => {
  it('asks nothing before its first commit of a partition', async () => {
    const { kafka, calls } = fakeKafka({ committed: {}, low: { 0: '0' } });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    expect(await guard.recreatedSince(0)).toBeUndefined();
    expect(calls.fetchOffsets).toBe(0);
  });

  it('sees nothing while the group still has the offset it committed', async () => {
    const { kafka } = fakeKafka({ committed: { 0: '2000', 1: '7' }, low: { 0: '0', 1: '0' } });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '2000');
    expect(await guard.recreatedSince(0)).toBeUndefined();
  });

  it('takes a later offset of another member as the partition moving on, not as a recreation', async () => {
    const state = { committed: { 0: '2500' } as Record<number, string>, low: { 0: '0' } };
    const { kafka } = fakeKafka(state);
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '2000');
    expect(await guard.recreatedSince(0)).toBeUndefined();
    // 2500 is now the offset to miss: going back to 2400 is a reset behind it.
    state.committed[0] = '2400';
    expect(await guard.recreatedSince(0)).toEqual({ lostOffset: '2500', startOffset: '0' });
  });

  it('reports a recreation when the committed offset is gone, with where the new partition starts', async () => {
    const state = { committed: { 0: '-1', 1: '50' } as Record<number, string>, low: { 0: '3', 1: '0' } };
    const { kafka } = fakeKafka(state);
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '2000');
    guard.committed(1, '50');
    expect(await guard.recreatedSince(0)).toEqual({ lostOffset: '2000', startOffset: '3' });
    expect(await guard.recreatedSince(1)).toBeUndefined();
    // Reported once: the consumer's seek commits the new start, which is the offset to keep from now on.
    state.committed[0] = '3';
    expect(await guard.recreatedSince(0)).toBeUndefined();
  });

  it('reports a recreation when the partition is missing from the answer or its offset moved back', async () => {
    const { kafka } = fakeKafka({ committed: { 1: '10' }, low: { 0: '0', 1: '7' } });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '9007199254740993');
    guard.committed(1, '11');
    expect(await guard.recreatedSince(0)).toEqual({ lostOffset: '9007199254740993', startOffset: '0' });
    // Each partition restarts where its own log starts (retention may have trimmed one already).
    expect(await guard.recreatedSince(1)).toEqual({ lostOffset: '11', startOffset: '7' });
  });

  it('starts a partition the offsets answer does not list at offset 0', async () => {
    const { kafka } = fakeKafka({ committed: {}, low: { 1: '5' } });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '40');
    expect(await guard.recreatedSince(0)).toEqual({ lostOffset: '40', startOffset: '0' });
  });

  it('compares offsets as integers, not as text', async () => {
    const { kafka } = fakeKafka({ committed: { 0: '10000' }, low: { 0: '0' } });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '9999');
    expect(await guard.recreatedSince(0)).toBeUndefined();
  });

  it('passes an outage on and connects again on the next call; close disconnects once', async () => {
    const { kafka, calls } = fakeKafka({ committed: { 0: '5' }, low: { 0: '0' }, failConnect: 1 });
    const guard = topicRecreationGuard(kafka, 'group', 'logs');
    guard.committed(0, '5');
    await expect(guard.recreatedSince(0)).rejects.toThrow('ECONNREFUSED');
    expect(await guard.recreatedSince(0)).toBeUndefined();
    expect(await guard.recreatedSince(0)).toBeUndefined();
    expect(calls.connects).toBe(2);
    await guard.close();
    await guard.close();
    expect(calls.disconnects).toBe(1);
  });
});
