import { describe, expect, it } from 'vitest';
import { PropertyError } from '../../lambdas/custom-resource.js';
import { parseTopics, planTopics, TopicChangeError } from '../../lambdas/topics-provider.js';

describe('parseTopics', () => {
  it('accepts the numbers CloudFormation sends as strings', () => {
    expect(parseTopics([{ Name: 'server-logs', Partitions: '6', ReplicationFactor: '3' }])).toEqual([
      { name: 'server-logs', partitions: 6, replicationFactor: 3 },
    ]);
  });

  it('names the topic property that is wrong', () => {
    expect(() => parseTopics([{ Name: 'a', Partitions: 'six', ReplicationFactor: 3 }])).toThrow(
      'property Partitions must be an integer >= 1, got "six"',
    );
    expect(() => parseTopics([{ Name: 'bad name', Partitions: 1, ReplicationFactor: 1 }])).toThrow(
      PropertyError,
    );
    expect(() => parseTopics([])).toThrow('property Topics must be a non-empty list');
  });

  it('refuses a topic declared twice', () => {
    const t = { Name: 'a', Partitions: 1, ReplicationFactor: 1 };
    expect(() => parseTopics([t, t])).toThrow("topic 'a' is declared twice");
  });
});

describe('planTopics', () => {
  const spec = (name: string, partitions: number, replicationFactor = 3) => ({
    name,
    partitions,
    replicationFactor,
  });

  it('creates missing topics, grows smaller ones and leaves equal ones', () => {
    const existing = new Map([
      ['grows', { partitions: 3, replicationFactor: 3 }],
      ['same', { partitions: 6, replicationFactor: 3 }],
    ]);

    expect(planTopics([spec('new', 6), spec('grows', 6), spec('same', 6)], existing)).toEqual({
      create: [spec('new', 6)],
      grow: [{ name: 'grows', from: 3, to: 6 }],
      unchanged: ['same'],
    });
  });

  it('refuses to shrink partitions or change replication, explaining why, for every such topic', () => {
    const existing = new Map([
      ['a', { partitions: 6, replicationFactor: 3 }],
      ['b', { partitions: 6, replicationFactor: 2 }],
    ]);

    const error = (() => {
      try {
        planTopics([spec('a', 3), spec('b', 6)], existing);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();

    expect(error).toBeInstanceOf(TopicChangeError);
    expect(error?.message).toMatch(/a: has 6 partitions, asked for 3; Kafka cannot remove partitions/);
    expect(error?.message).toMatch(/b: replication factor is 2, asked for 3/);
  });
});
