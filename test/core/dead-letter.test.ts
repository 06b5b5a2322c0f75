// The dead-letter sink against a scripted Kafka client: a failed send is an outage retried with a new
// producer, a permanent refusal is not; and a re-driven record gets back the identity of its original.
import {
  type Kafka,
  KafkaJSConnectionError,
  KafkaJSProtocolError,
  type KafkaMessage,
  type Message,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isRetriable } from '../../core/consumer.js';
import {
  DEAD_LETTER_HEADERS,
  DeadLetterUnavailableError,
  deadLetteredRecord,
  kafkaDeadLetter,
} from '../../core/dead-letter.js';
import { recordId } from '../../core/documents.js';
import type { SourceRecord } from '../../core/source-record.js';

const record: SourceRecord = {
  topic: 'server-logs',
  partition: 4,
  offset: '1234',
  timestampMs: Date.parse('2026-11-30T08:00:00Z'),
  key: Buffer.from('42'),
  value: Buffer.from('{"broken'),
};

/** A Kafka client whose producers fail their sends with the scripted errors, in order, then succeed. */
function scriptedKafka(failures: Error[]) {
  const sent: Message[][] = [];
  let producers = 0;
  const kafka = {
    producer: () => {
      producers++;
      return {
        connect: async () => {},
        disconnect: async () => {},
        send: async ({ messages }: { messages: Message[] }) => {
          const failure = failures.shift();
          if (failure) throw failure;
          sent.push(messages);
          return [];
        },
        sendBatch: async () => [],
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, sent, producers: () => producers };
}

describe('kafkaDeadLetter', () => {
  it('sends the exact key and value with the source coordinates as headers', async () => {
    const { kafka, sent } = scriptedKafka([]);
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    await deadLetter.sink([record], new Error('mapper_parsing_exception'));
    expect(sent[0][0]).toMatchObject({
      key: Buffer.from('42'),
      value: Buffer.from('{"broken'),
      headers: {
        [DEAD_LETTER_HEADERS.topic]: 'server-logs',
        [DEAD_LETTER_HEADERS.partition]: '4',
        [DEAD_LETTER_HEADERS.offset]: '1234',
        [DEAD_LETTER_HEADERS.timestamp]: String(record.timestampMs),
        [DEAD_LETTER_HEADERS.error]: 'mapper_parsing_exception',
      },
    });
  });

  it('takes a failed send for an outage, and sends the retry through a new producer', async () => {
    const { kafka, sent, producers } = scriptedKafka([
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
    ]);
    const deadLetter = kafkaDeadLetter(kafka, 'server-logs-dlq');
    const failure = await deadLetter.sink([record], new Error('x')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DeadLetterUnavailableError);
    expect(isRetriable(failure)).toBe(true);
    await deadLetter.sink([record], new Error('x'));
    expect(producers()).toBe(2);
    expect(sent).toHaveLength(1);
  });

  it('lets a permanent refusal through, so that the consumer stops', async () => {
    const denied = new KafkaJSProtocolError({
      message: 'Not authorized to access topics',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as never);
    const { kafka } = scriptedKafka([denied]);
    const failure = await kafkaDeadLetter(kafka, 'server-logs-dlq')
      .sink([record], new Error('x'))
      .catch((e: unknown) => e);
    expect(failure).toBe(denied);
    expect(isRetriable(failure)).toBe(false);
  });
});

describe('deadLetteredRecord', () => {
  it('rebuilds the original record from the headers, with its identity', async () => {
    const { kafka, sent } = scriptedKafka([]);
    await kafkaDeadLetter(kafka, 'dlq').sink([record], new Error('x'));
    const message = sent[0][0];
    const rebuilt = deadLetteredRecord('dlq', 0, {
      key: message.key as Buffer,
      value: message.value as Buffer,
      headers: message.headers,
      offset: '7',
      timestamp: String(Date.now()),
      attributes: 0,
      size: 0,
    } as KafkaMessage);
    expect(rebuilt).toEqual({ ...record });
    expect(recordId(rebuilt)).toBe(recordId(record));
  });

  it('treats a message without the headers as a record of the topic it is in', () => {
    const rebuilt = deadLetteredRecord('dlq', 1, {
      key: null,
      value: Buffer.from('v'),
      offset: '3',
      timestamp: '1000',
      attributes: 0,
      size: 0,
    });
    expect(rebuilt).toMatchObject({ topic: 'dlq', partition: 1, offset: '3', timestampMs: 1000 });
  });
});
