// Fargate consumer: a kafkajs consumer group on MSK (IAM auth) running the same runtime core as the Lambda
// consumer. Offsets are committed only after indexing. SIGTERM (ECS stop, scale-in, deployment) stops
// cleanly: finish the chunk in flight, commit, leave the group, exit 0. A non-recoverable crash exits 1 so
// ECS replaces the task.

import { resolveIamBrokers } from '../aws/msk-brokers.js';
import { createMskKafka } from '../aws/msk-iam.js';
import { createPipelineDeps, pipelineConfigFromEnv } from '../aws/pipeline-deps.js';
import { DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, runConsumer } from '../core/consumer.js';
import { kafkaDeadLetter } from '../core/dead-letter.js';
import { boolEnv, intEnv, requireEnv } from '../core/env.js';
import { checkLogEnv, createLogger, logFatal } from '../core/logger.js';
import { emitBatchMetrics } from '../core/metrics.js';
import { processBatch } from '../core/process-batch.js';

async function main(): Promise<number> {
  // Every variable is read before any network call: a misconfigured task fails at once, naming the variable.
  checkLogEnv();
  const pipelineConfig = pipelineConfigFromEnv();
  const clusterArn = requireEnv('CLUSTER_ARN');
  const topic = requireEnv('KAFKA_TOPIC');
  const groupId = requireEnv('KAFKA_GROUP_ID');
  const chunkSize = intEnv('CHUNK_SIZE', DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE);
  const fromBeginning = boolEnv('FROM_BEGINNING', true);
  const deadLetterTopic = requireEnv('KAFKA_DLQ_TOPIC');

  const logger = createLogger({ service: 'fargate-consumer', topic, groupId });
  const brokers = await resolveIamBrokers(clusterArn);
  const kafka = createMskKafka({
    brokers,
    region: pipelineConfig.region,
    clientId: `log-pipeline-${groupId}`,
  });
  const deps = createPipelineDeps(pipelineConfig);
  const deadLetter = kafkaDeadLetter(kafka, deadLetterTopic);

  const running = await runConsumer({
    kafka,
    groupId,
    topic,
    fromBeginning,
    chunkSize,
    logger,
    process: (records) => processBatch(records, { ...deps, logger }),
    deadLetter: deadLetter.sink,
    onBatch: (summary) =>
      emitBatchMetrics(summary, {
        namespace: pipelineConfig.metricsNamespace,
        dimensions: { Consumer: 'fargate' },
      }),
  });
  logger.info('consuming', { brokers: brokers.length });

  const shutdown = (signal: string) => {
    logger.info('stopping', { signal });
    running.stop().catch((error: unknown) => logger.error('stop failed', { error }));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  try {
    await running.done;
    logger.info('stopped');
    return 0;
  } catch (error) {
    logger.error('consumer crashed', { error });
    return 1;
  } finally {
    await deadLetter.close();
    await deps.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    logFatal({ service: 'fargate-consumer' }, 'start-up failed', error);
    process.exit(1);
  },
);
