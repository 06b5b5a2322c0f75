// One metrics helper: CloudWatch Embedded Metric Format lines on stdout, which Lambda and the awslogs
// driver turn into metrics without an API call on the hot path.
import type { BatchSummary } from './process-batch.js';

export interface MetricsOptions {
  readonly namespace: string;
  readonly dimensions?: Record<string, string>;
  /** @default process.stdout.write */
  readonly write?: (line: string) => void;
}

export function emitBatchMetrics(summary: BatchSummary, options: MetricsOptions): void {
  const dimensions = options.dimensions ?? {};
  const line = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: ['Events', 'Good', 'Suspicious', 'Bad', 'Rerouted', 'DeadLettered'].map((Name) => ({
            Name,
            Unit: 'Count',
          })),
        },
      ],
    },
    ...dimensions,
    Events: summary.total,
    Good: summary.counts.good,
    Suspicious: summary.counts.suspicious,
    Bad: summary.counts.bad,
    Rerouted: summary.rerouted,
    DeadLettered: summary.deadLettered ?? 0,
  };
  (options.write ?? ((text) => process.stdout.write(text)))(`${JSON.stringify(line)}\n`);
}
