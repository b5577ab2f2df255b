/**
 * JSON shapes of the HTTP contract (API.md) that both the server and the typed client use.
 * Field names are the contract's, snake_case, exactly.
 */

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
