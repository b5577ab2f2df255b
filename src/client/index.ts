/**
 * The client's public surface, for `import { FlarelogClient } from ".../src/client/index.ts"`.
 * Every module here runs in Node and in Workers (no Node-only imports).
 */
export {
  FlarelogClient,
  type Acl,
  type ApiKey,
  type ApiResult,
  type BatchFetchResponse,
  type BatchRecordInput,
  type ClientOptions,
  type ClientRecord,
  type CommitOffsetsBody,
  type CreatedKey,
  type CreateKeyBody,
  type GroupDescription,
  type GroupListing,
  type GroupMemberDescription,
  type GroupOffset,
  type GroupPollQuery,
  type GroupPollResponse,
  type GroupRecord,
  type GroupStateName,
  type HeartbeatBody,
  type JoinGroupBody,
  type KeyList,
  type MemberAssignment,
  type OffsetResetTarget,
  type ResetOffsetsBody,
  type TopicPartitionList,
  type TopicPartitionOffset,
  type FetchedRecord,
  type FetchFn,
  type FetchResponse,
  type InitProducerIdBody,
  type PartitionDescription,
  type ProducerFields,
  type ProducerIdAndEpoch,
  type Quotas,
  type RecordOffset,
  type Tenant,
  type TenantList,
  type TopicDescription,
} from "./flarelog-client.ts";
export { FlarelogError, type ClientErrorName } from "./flarelog-error.ts";
export { Producer, type ProducerRecord } from "./producer.ts";
export { SendError, incrementSequence, estimateRecordSize, MAX_SEQUENCE, type RecordMetadata } from "./producer-batch.ts";
export {
  PRODUCER_DEFAULTS,
  systemScheduler,
  type ProducerAcks,
  type ProducerConfig,
  type ResolvedProducerConfig,
  type Scheduler,
} from "./producer-config.ts";
export { Consumer, type ConsumerConfig, type ConsumerRecord } from "./consumer.ts";
export {
  GroupConsumer,
  GROUP_CONSUMER_DEFAULTS,
  isFencingError,
  type GroupConsumerConfig,
  type PartitionsCallback,
  type TopicPartition,
} from "./group-consumer.ts";
export { kafkaSocketFactory, kafkaWebSocketUrl, KafkaWebSocket, type KafkaSocketFactoryOptions } from "./kafka-socket-factory.ts";
