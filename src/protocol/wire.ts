/**
 * JSON shapes of the HTTP contract (API.md) that both the server and the typed client use.
 * Field names are the contract's, snake_case, exactly.
 */

/**
 * The binary bulk format (an addition to API.md, docs/api.md "Binary record batches"): a produce
 * body of this type is one record batch in the stored format (src/codec/record-batch.ts); a fetch
 * that accepts it gets frames `baseOffset:uvarint length:uvarint batch` instead of JSON.
 */
export const RECORD_BATCH_CONTENT_TYPE = "application/vnd.flarelog.record-batch";

/** A binary produce's answer (Kafka's ProduceResponse partition entry). */
export interface BatchProduceResponse {
  partition: number;
  base_offset: number;
  record_count: number;
  /** The leader's append time for a LogAppendTime topic, else null (the records keep their CreateTime). */
  log_append_time: number | null;
}

/** Response headers of a binary fetch (the JSON fetch's fields). */
export const FETCH_HEADERS = {
  nextOffset: "flarelog-next-offset",
  highWatermark: "flarelog-high-watermark",
  logStartOffset: "flarelog-log-start-offset",
} as const;

export interface PartitionDescription {
  partition: number;
  leader: number;
  leader_epoch: number;
  replicas: number[];
  isr: number[];
  offline_replicas: number[];
  /** Null when the partition's leader could not be reached for its offsets. */
  log_start_offset: number | null;
  high_watermark: number | null;
  log_end_offset: number | null;
}

export interface TopicDescription {
  name: string;
  topic_id: string;
  partitions: PartitionDescription[];
  replication_factor: number;
  configs: Record<string, string>;
}
