// The public API of log-pipeline's CDK constructs: what a user composing their own stacks imports. Anything in
// lib/ that is not exported here is an implementation detail of these constructs.

export type {
  ConsumerMode,
  DashboardsAuthMode,
  MskMonitoringLevel,
  PipelineConfig,
  PollerMode,
} from './config.js';
export { PipelineConfigError } from './config.js';
export { DashboardsAuth } from './dashboards-auth.js';
export { DashboardsHop, type DashboardsHopProps } from './dashboards-hop.js';
export {
  ExistingKafkaCluster,
  type ExistingKafkaClusterAttributes,
  type ExistingKafkaClusterProps,
} from './existing-kafka-cluster.js';
export {
  ExistingSearchDomain,
  type ExistingSearchDomainAttributes,
  type ExistingSearchDomainProps,
} from './existing-search-domain.js';
export { ExistingUsersTable, type ExistingUsersTableProps } from './existing-users-table.js';
export { FargateConsumer, type FargateConsumerProps } from './fargate-consumer.js';
export { GeneratorCommand, type GeneratorCommandProps } from './generator-command.js';
export { GeneratorFleet, type GeneratorFleetProps } from './generator-fleet.js';
export { LambdaConsumer, type LambdaConsumerProps } from './lambda-consumer.js';
export { LogEncryption } from './log-encryption.js';
export { LogPipeline, type LogPipelineProps, type PipelineParts } from './log-pipeline.js';
export { LogPipelineStack, type LogPipelineStackProps } from './log-pipeline-stack.js';
export { Network, type NetworkProps } from './network.js';
export { Observability, type ObservabilityProps } from './observability.js';
export { OpsFunction, type OpsFunctionProps } from './ops-function.js';
export { PROFILE_NAMES, type ProfileName } from './profiles.js';
export {
  BrokerStorageScaling,
  type BrokerStorageScalingProps,
} from './scaling/broker-storage-scaling.js';
export { type ISearch, Search, type SearchProps } from './search.js';
export {
  type IStreaming,
  Streaming,
  StreamingBase,
  type StreamingProps,
  type TopicSpec,
} from './streaming.js';
export { type IUsersDatabase, UsersDatabase, type UsersDatabaseProps } from './users-database.js';
export { PropsError } from './validation.js';
