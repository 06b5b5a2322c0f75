// kafkajs clients for MSK with IAM access control: TLS plus SASL/OAUTHBEARER, the token being a SigV4-signed
// URL produced by aws-msk-iam-sasl-signer-js from the default credential chain (Lambda/Fargate/EC2 role).
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import {
  Kafka,
  type KafkaConfig,
  type logLevel,
  type OauthbearerProviderResponse,
  type RetryOptions,
} from 'kafkajs';
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

/**
 * How every MSK client (Lambda dead-letter producers, Fargate tasks, generators, the topics resource) backs off
 * before it reconnects or retries a request: the first wait is drawn between 1 and 3 s (kafkajs waits
 * initialRetryTime ± factor), then each wait doubles with the same spread, up to 30 s. After a broker restart
 * (every MSK patch) the clients then come back spread over seconds instead of all at once: a kafka.t3.small
 * broker accepts 4 new TCP connections per second with IAM access control, the other types 20 (MSK developer
 * guide, "Amazon MSK quota"; it suggests a client reconnect backoff of 1 s). kafkajs's default starts at 300 ms
 * with ± 20 %.
 */
export const MSK_RETRY: Readonly<
  Required<Pick<RetryOptions, 'initialRetryTime' | 'factor' | 'multiplier' | 'maxRetryTime' | 'retries'>>
> = {
  initialRetryTime: 2_000,
  factor: 0.5,
  multiplier: 2,
  maxRetryTime: 30_000,
  retries: 5,
};

export function mskKafkaConfig(options: MskKafkaOptions, generate?: AuthTokenGenerator): KafkaConfig {
  return {
    clientId: options.clientId,
    retry: { ...MSK_RETRY },
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
