// Apache Kafka 3.9 in KRaft mode (one combined broker + controller) from Maven Central jars, on 127.0.0.1.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { LOCAL_HOST, LOCAL_PORTS } from '../endpoints.js';
import type { Component } from './component.js';
import { StackError } from './errors.js';
import { ensureLibs } from './maven.js';
import { dataDir, LOGS_DIR, libDir, logFile } from './paths.js';
import { commandLine, isPortOpen, spawnDetached } from './processes.js';
import type { Progress } from './progress.js';

const execFileAsync = promisify(execFile);

const configDir = () => dataDir('kafka');
const serverProperties = () => join(configDir(), 'server.properties');
const log4jProperties = () => join(configDir(), 'log4j.properties');
const logDirs = () => join(configDir(), 'log');
const clusterIdFile = () => join(configDir(), 'cluster-id');

function serverConfig(): string {
  return [
    '# Written by local/components/kafka.ts on every start: edit that file, not this one.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${LOCAL_HOST}:${LOCAL_PORTS.kafkaController}`,
    `listeners=PLAINTEXT://${LOCAL_HOST}:${LOCAL_PORTS.kafka},CONTROLLER://${LOCAL_HOST}:${LOCAL_PORTS.kafkaController}`,
    `advertised.listeners=PLAINTEXT://${LOCAL_HOST}:${LOCAL_PORTS.kafka}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDirs()}`,
    // Topics are created on purpose (demo, tests), never by a typo in a producer.
    'auto.create.topics.enable=false',
    'num.partitions=3',
    'default.replication.factor=1',
    // One broker: the internal topics must not ask for 3 replicas, or group joins and transactions hang.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    // Tests create many short-lived groups: don't make each join wait 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

const LOG4J = [
  'log4j.rootLogger=INFO, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.KafkaConfig=WARN',
  'log4j.logger.org.apache.kafka.clients=WARN',
  'log4j.logger.org.apache.kafka.common.config=WARN',
  '',
].join('\n');

/** A Kafka cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka avoids ids starting with '-' so they are never mistaken for a CLI flag.
    if (!id.startsWith('-')) return id;
  }
}

function classpath(): string {
  return `${libDir('kafka')}/*`;
}

function jarVersionIn(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const file of readdirSync(dir)) {
    const match = /^kafka_2\.13-(.+)\.jar$/.exec(file);
    if (match) return match[1];
  }
  return undefined;
}

/** The lib folder of the running broker (it may be another checkout's stack that this one reuses). */
function runningBrokerLibDir(): string | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = commandLine(Number(entry))?.split(' ') ?? [];
    if (!args.includes('kafka.Kafka')) continue;
    const classpath = args[args.indexOf('-cp') + 1];
    if (args.includes('-cp') && classpath?.endsWith('/*')) return classpath.slice(0, -2);
  }
  return undefined;
}

/** Kafka version from the server jar's name (kafka_2.13-<version>.jar) of the running broker or our cache. */
export function kafkaJarVersion(): string | undefined {
  const running = runningBrokerLibDir();
  return (running ? jarVersionIn(running) : undefined) ?? jarVersionIn(libDir('kafka'));
}

async function format(progress: Progress): Promise<void> {
  // The cluster id lives next to the data: reformatting old data with a new id would fail.
  if (!existsSync(clusterIdFile())) writeFileSync(clusterIdFile(), `${newClusterId()}\n`);
  if (existsSync(join(logDirs(), 'meta.properties'))) return;
  const clusterId = readFileSync(clusterIdFile(), 'utf8').trim();
  progress('kafka', `formatting KRaft storage (cluster id ${clusterId})`);
  try {
    await execFileAsync('java', [
      '-Xmx256m',
      '-cp',
      classpath(),
      `-Dlog4j.configuration=file:${log4jProperties()}`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      serverProperties(),
      '--ignore-formatted',
    ]);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    throw new StackError(`kafka storage format failed: ${`${e.stdout ?? ''}${e.stderr ?? ''}`.trim()}`, {
      cause: error,
    });
  }
}

export const kafka: Component = {
  name: 'kafka',
  port: LOCAL_PORTS.kafka,
  healthTimeoutMs: 90_000,
  isExternal: () => false,

  async probe() {
    if (!(await isPortOpen(LOCAL_PORTS.kafka))) return false;
    const admin = new Kafka({
      clientId: 'local-stack-probe',
      brokers: [`${LOCAL_HOST}:${LOCAL_PORTS.kafka}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      requestTimeout: 3_000,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0 || cluster.controller === null || cluster.controller < 0) return false;
      // A fresh broker creates __consumer_offsets on the first group lookup and answers "coordinator not
      // available" until it is loaded, which kafkajs waits out with backoff: a first consumer took 3-17 s to its
      // first batch. Up means a consumer can join now.
      await admin.describeGroups(['local-stack-probe']);
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  },

  async prepare(progress) {
    await ensureLibs('kafka', progress);
    mkdirSync(logDirs(), { recursive: true });
    writeFileSync(serverProperties(), serverConfig());
    writeFileSync(log4jProperties(), LOG4J);
    await format(progress);
  },

  launch() {
    return spawnDetached(
      'java',
      [
        '-Xms512m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        `-Dkafka.logs.dir=${join(LOGS_DIR, 'kafka-server')}`,
        `-Dlog4j.configuration=file:${log4jProperties()}`,
        '-cp',
        classpath(),
        'kafka.Kafka',
        serverProperties(),
      ],
      { logPath: logFile('kafka'), cwd: configDir() },
    );
  },

  async version() {
    return kafkaJarVersion();
  },
};
