// The Lambda consumer's cost per event, for the end-to-end bench (bench/e2e.ts starts it as bundled JavaScript,
// as Lambda runs it): `node local/run-built.mjs bench/lambda-handler.ts <events> <index prefix> <result file>`.
// The real handler (lambdas/msk-consumer.ts) indexes MSK events of the deployed batch size into the local stack,
// one invocation after another; each event arrives as the JSON text the Lambda runtime parses in the same
// process. The CPU time of this process from the first measured invocation to the last, per event, is what Lambda
// bills for; the first 10 % are a warm-up (an execution environment serves many invocations).
import { writeFileSync } from 'node:fs';
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import type { KafkaMessage } from 'kafkajs';
import { silentLogger } from '../core/logger.js';
import { emitBatchMetrics } from '../core/metrics.js';
import { DEFAULT_SEEDED_ACCOUNTS } from '../core/users-schema.js';
import { createEventSource } from '../generator/events.js';
import { createMskHandler } from '../lambdas/msk-consumer.js';
import { DEFAULT_CONFIG } from '../lib/config.js';
import { localEndpoints } from '../local/endpoints.js';
import { mskEvent, toMskRecord } from '../local/event-source-mapping.js';
import { createLocalPipeline, prepareIndices } from '../local/pipeline.js';

export interface LambdaHandlerRun {
  readonly events: number;
  readonly batchSize: number;
  readonly cpuUsPerEvent: number;
  readonly eventsPerSecond: number;
}

/**
 * MSK events as the runtime receives them: JSON text, records of 3 partitions in the shape the local event
 * source mapping gives them (base64 keys and values, a tombstone's value null).
 */
function mskPayloads(events: number, batchSize: number): string[] {
  const source = createEventSource({
    seed: 'bench-lambda',
    badRatio: 0.1,
    suspiciousRatio: 0.15,
    accounts: DEFAULT_SEEDED_ACCOUNTS,
  });
  const payloads: string[] = [];
  const offsets = [0, 0, 0];
  for (let i = 0; i < events; i += batchSize) {
    const records: MSKRecord[] = [];
    for (let j = i; j < Math.min(events, i + batchSize); j++) {
      const event = source.next();
      const partition = j % 3;
      const message = {
        key: Buffer.from(event.key),
        value: event.value,
        offset: String(offsets[partition]++),
        timestamp: String(Date.now()),
        headers: {},
      } as KafkaMessage;
      records.push(toMskRecord('bench-lambda', partition, message));
    }
    payloads.push(JSON.stringify(mskEvent(records, 'arn:bench')));
  }
  return payloads;
}

async function main(): Promise<void> {
  const [events, prefix, resultFile] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
  const pipeline = createLocalPipeline({ ...localEndpoints(), indexPrefix: prefix, logger: silentLogger });
  try {
    await prepareIndices(pipeline.search, prefix);
    const { batchSize } = DEFAULT_CONFIG;
    const handler = createMskHandler({
      deps: () => ({ users: pipeline.users, indexer: pipeline.indexer, indexPrefix: prefix }),
      logger: silentLogger,
      // The metrics line every invocation writes, to a sink instead of stdout.
      emitMetrics: (summary) => emitBatchMetrics(summary, { namespace: 'bench', write: () => undefined }),
    });
    const payloads = mskPayloads(events, batchSize);
    const warmUp = Math.ceil(payloads.length / 10);
    for (const payload of payloads.slice(0, warmUp)) await handler(JSON.parse(payload) as MSKEvent);
    const measured = payloads.slice(warmUp);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const payload of measured) await handler(JSON.parse(payload) as MSKEvent);
    const seconds = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const count = events - warmUp * batchSize;
    const run: LambdaHandlerRun = {
      events: count,
      batchSize,
      cpuUsPerEvent: Number(((used.user + used.system) / count).toFixed(1)),
      eventsPerSecond: Math.round(count / seconds),
    };
    writeFileSync(resultFile, JSON.stringify(run));
  } finally {
    await pipeline.close();
  }
}

await main();
