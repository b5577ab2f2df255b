/**
 * The native API's JSON shapes (API.md, snake_case) of what the services answer: topic and
 * partition descriptions and fetched records. Byte fields are rendered per `encoding`.
 */
import { effectiveConfigs } from "../protocol/config.ts";
import type { LogRecord } from "../protocol/types.ts";
import type { PartitionDescription as ContractPartition, TopicDescription as ContractTopic } from "../contract/types.ts";
import type { PartitionDescription, TopicDescription } from "../services/topics.ts";
import { encodeBytes, type BytesEncoding } from "./params.ts";

export function partitionJson(p: PartitionDescription): ContractPartition {
  return {
    partition: p.partition,
    leader: p.leader,
    leader_epoch: p.leaderEpoch,
    replicas: p.replicas,
    isr: p.isr,
    offline_replicas: p.offlineReplicas,
    log_start_offset: p.offsets?.logStartOffset ?? null,
    high_watermark: p.offsets?.highWatermark ?? null,
    log_end_offset: p.offsets?.logEndOffset ?? null,
  };
}

export function topicJson(d: TopicDescription): ContractTopic {
  return {
    name: d.meta.name,
    topic_id: d.meta.topicId,
    partitions: d.partitions.map(partitionJson),
    replication_factor: d.meta.replicationFactor,
    configs: effectiveConfigs(d.meta.configs),
  };
}

/** The contract's JSON records of a fetch. */
export function recordsJson(records: readonly LogRecord[], encoding: BytesEncoding) {
  return records.map((rec) => ({
    offset: rec.offset,
    timestamp: rec.timestamp,
    key: encodeBytes(rec.key, encoding),
    value: encodeBytes(rec.value, encoding),
    headers: Object.fromEntries(rec.headers.map((h) => [h.key, encodeBytes(h.value, encoding)])),
  }));
}
