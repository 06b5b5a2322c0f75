// kafkajs clients for MSK with IAM access control: TLS plus SASL/OAUTHBEARER, the token being a SigV4-signed
// URL produced by aws-msk-iam-sasl-signer-js from the default credential chain (Lambda/Fargate/EC2 role).
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, type KafkaConfig, type logLevel, type OauthbearerProviderResponse } from 'kafkajs';
import { KAFKA_LOG_LEVEL, kafkaLogCreator } from '../core/kafka-log.js';
import { createLogger, type Logger } from '../core/logger.js';

export interface MskKafkaOptions {
  readonly brokers: readonly string[];
  readonly region: string;
  readonly clientId: string;
  /** @default - warnings and up */
  readonly logLevel?: logLevel;
  /** Where kafkajs logs. @default - the process's logger */
  readonly logger?: Logger;
}

/** Token generator, injectable so the provider can be tested without AWS credentials. */
export type AuthTokenGenerator = (options: {
  region: string;
}) => Promise<{ token: string; expiryTime: number }>;

/**
 * kafkajs calls this on every (re)authentication; MSK tokens live 15 minutes and kafkajs re-authenticates
 * before the session expires, so a fresh token each call is what we want (no caching).
 */
export function mskOauthBearerProvider(
  region: string,
  generate: AuthTokenGenerator = generateAuthToken,
): () => Promise<OauthbearerProviderResponse> {
  return async () => {
    const { token } = await generate({ region });
    return { value: token };
  };
}

export function mskKafkaConfig(options: MskKafkaOptions, generate?: AuthTokenGenerator): KafkaConfig {
  return {
    clientId: options.clientId,
    brokers: [...options.brokers],
    ssl: true,
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: mskOauthBearerProvider(options.region, generate) },
    logLevel: options.logLevel ?? KAFKA_LOG_LEVEL,
    logCreator: kafkaLogCreator(options.logger ?? createLogger()),
  };
}

export function createMskKafka(options: MskKafkaOptions): Kafka {
  if (options.brokers.length === 0) throw new Error('createMskKafka: brokers must not be empty');
  return new Kafka(mskKafkaConfig(options));
}
