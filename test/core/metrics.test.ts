import { describe, expect, it } from 'vitest';
import { emitBatchMetrics } from '../../core/metrics.js';

describe('emitBatchMetrics', () => {
  it('writes one EMF line with the counts, rerouted and dead-lettered records, under the given dimensions', () => {
    const lines: string[] = [];
    emitBatchMetrics(
      { total: 10, counts: { good: 6, suspicious: 2, bad: 1 }, rerouted: 1, deadLettered: 1 },
      { namespace: 'LogPipeline', dimensions: { Consumer: 'lambda' }, write: (line) => lines.push(line) },
    );

    expect(lines).toHaveLength(1);
    const metric = JSON.parse(lines[0]);
    expect(metric._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'LogPipeline',
      Dimensions: [['Consumer']],
    });
    expect(metric._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toContain(
      'DeadLettered',
    );
    expect(metric).toMatchObject({
      Consumer: 'lambda',
      Events: 10,
      Good: 6,
      Bad: 1,
      Rerouted: 1,
      DeadLettered: 1,
    });
  });

  it('counts no dead letters when the summary has none', () => {
    const lines: string[] = [];
    emitBatchMetrics(
      { total: 1, counts: { good: 1, suspicious: 0, bad: 0 }, rerouted: 0 },
      { namespace: 'N', write: (line) => lines.push(line) },
    );
    expect(JSON.parse(lines[0]).DeadLettered).toBe(0);
  });
});
