/**
 * Plain data shared by every layer and carried over Durable Object RPC.
 *
 * Offsets, epochs and timestamps are JavaScript numbers: exact below 2^53, which a log
 * appending a million records a second would reach after ~285 years. Inputs above
 * `Number.MAX_SAFE_INTEGER` are rejected at the edge.
 */

export type Offset = number;
export type TimestampMs = number;

/** Injected time source: `src/log` never reads the wall clock itself. */
export interface Clock {
  now(): TimestampMs;
}

export const systemClock: Clock = { now: () => Date.now() };

export type TimestampType = "CreateTime" | "LogAppendTime";

/** One header; values are bytes (null allowed, as in Kafka). */
export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A record as a producer hands it to a partition leader. */
export interface RecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
  /** CreateTime given by the producer; absent → the append time. */
  timestamp?: TimestampMs;
}

/** A record as stored and served, with its offset and final timestamp. */
export interface LogRecord {
  offset: Offset;
  timestamp: TimestampMs;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** What an append returns (Kafka's LogAppendInfo, reduced). */
export interface AppendInfo {
  baseOffset: Offset;
  lastOffset: Offset;
  /**
   * Per record, in order, its stored timestamp, where the caller cannot know it: records given
   * as objects (a missing timestamp became the append time) and a duplicate (the original
   * batch's). Absent for pre-encoded records: they keep their own, or all take `logAppendTime`.
   */
  timestamps?: TimestampMs[];
  logAppendTime: TimestampMs | null;
  /** An idempotent producer's retry of a batch already in the log: nothing was written. */
  duplicate?: boolean;
}

export interface FetchRequest {
  offset: Offset;
  maxRecords: number;
  maxBytes: number;
}

export interface FetchResult {
  records: LogRecord[];
  nextOffset: Offset;
  highWatermark: Offset;
  logStartOffset: Offset;
  logEndOffset: Offset;
}

/** Records of a read as stored bytes: one batch blob (src/codec/record-batch.ts) from `baseOffset`, cut to the records read. */
export interface FetchedBatch {
  baseOffset: Offset;
  recordCount: number;
  records: Uint8Array;
}

/** `FetchResult` with the records as stored batches (the fetch RPC's form: one array per batch). */
export interface FetchedBatches extends Omit<FetchResult, "records"> {
  batches: FetchedBatch[];
}

export interface OffsetAndTimestamp {
  offset: Offset;
  timestamp: TimestampMs | null;
}

export type ReplicaRole = "leader" | "follower" | "none";

/** The offsets a replica reports in a topic description. */
export interface ReplicaOffsets {
  logStartOffset: Offset;
  highWatermark: Offset;
  logEndOffset: Offset;
  leaderEpoch: number;
  role: ReplicaRole;
}

/**
 * A replica's describe() answer: its offsets and the bytes of record batches its log stores
 * (a running total, no scan). Read by the metrics scrape and the storage quota.
 */
export interface ReplicaDescription extends ReplicaOffsets {
  storedBytes: number;
}

/** A partition's leader when none can lead it (no live in-sync replica). */
export const NO_LEADER = -1;

/** Kafka's AlterPartition: a leader's ISR change, asked against the state it saw. */
export interface AlterPartitionRequest {
  leaderId: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
}

/** The coordinator's record of one partition (Kafka's PartitionRegistration). */
export interface PartitionState {
  partition: number;
  replicas: number[];
  leader: number;
  leaderEpoch: number;
  isr: number[];
  offlineReplicas: number[];
  /** Bumped on every change; ISR changes are compare-and-set on it (AlterPartition). */
  partitionEpoch: number;
}

export interface TopicMetadata {
  tenant: string;
  name: string;
  topicId: string;
  replicationFactor: number;
  configs: Record<string, string>;
  partitions: PartitionState[];
}

/** What the coordinator tells one replica about its partition (Kafka's LeaderAndIsr). */
export interface PartitionAssignment {
  tenant: string;
  topic: string;
  topicId: string;
  partition: number;
  replicaId: number;
  state: PartitionState;
  /** The topic's own configs (defaults are applied by the replica). */
  configs: Record<string, string>;
}

export interface CreateTopicRequest {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface AlterTopicRequest {
  partitions?: number;
  configs?: Record<string, string>;
}

/** Kafka's acks: 0 = no wait, 1 = leader's durable append, -1 ("all") = every ISR member. */
export type Acks = 0 | 1 | -1;

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/**
 * A whole request's records for one partition in the stored batch format
 * (src/codec/record-batch.ts: offset deltas 0..n-1, timestamp deltas from the first record's):
 * what a produce RPC carries instead of one object per record, and, when it fits one stored
 * batch and the topic keeps CreateTime, the very bytes the leader stores (as Kafka's broker
 * keeps the producer's batch as it came).
 *
 * The API is the trust boundary: these are made only by `BatchBuilder` (records the API
 * validated and encoded) or `scanEncodedRecords` (a client's binary batch, checked byte by byte),
 * and carry what those found, so the leader takes the records without reading them again.
 */
export interface EncodedRecords {
  blob: Uint8Array;
  recordCount: number;
  /** The largest record timestamp: the stored batch's max_timestamp. */
  maxTimestamp: TimestampMs;
  /** The largest record's encoded size as the first of a batch (zero deltas): what max.message.bytes limits. */
  maxRecordBytes: number;
}

export interface ProduceRequest {
  /** As objects (tests, tools) or pre-encoded (the HTTP API); both store the same bytes. */
  records: RecordInput[] | EncodedRecords;
  acks: Acks;
  timeoutMs: number;
  /** The leader epoch the caller's metadata names; a mismatch fences the call. */
  leaderEpoch: number;
  producer?: ProducerIdentity;
}

/** One producer a partition leader remembers (Kafka's DescribeProducers entry). */
export interface ProducerStateDescription {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  /** Max timestamp of its newest batch: expiry counts from here. */
  lastTimestamp: TimestampMs;
  /** Offsets of its newest batch. */
  lastBatchBaseOffset: Offset;
  lastBatchLastOffset: Offset;
  /** Batches remembered for deduplication (at most 5). */
  batches: number;
}

export interface ProduceResult extends AppendInfo {
  highWatermark: Offset;
}

export interface ReplicaFetchRequest {
  /** An offset, or `earliest`/`latest` resolved by the leader at read time. */
  offset: Offset | "earliest" | "latest";
  maxRecords: number;
  maxBytes: number;
  leaderEpoch: number;
  /** Long-poll: wait up to this long for a record at `offset` to become visible. */
  waitMs: number;
}

export type OffsetSpec = "earliest" | "latest" | { timestamp: TimestampMs };

/** A stored record batch as it travels from a leader to a follower (encoded records as-is). */
export interface ReplicatedBatch {
  baseOffset: Offset;
  lastOffset: Offset;
  leaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  maxTimestamp: TimestampMs;
  recordCount: number;
  records: Uint8Array;
}

/**
 * One push of the leader's ordered stream to a follower. The follower must hold the leader's
 * log below `prevOffset`: its record at `prevOffset - 1` must carry `prevEpoch` (−1: the leader
 * has nothing below `prevOffset`, which is then its log start offset, and no check is made).
 */
export interface ReplicateRequest {
  leaderId: number;
  leaderEpoch: number;
  prevOffset: Offset;
  prevEpoch: number;
  /** Contiguous from `prevOffset`; may be empty (carries only the HW). */
  batches: ReplicatedBatch[];
  highWatermark: Offset;
  logStartOffset: Offset;
  /**
   * Where the leader's current epoch begins in its log: every record from here on has
   * `leaderEpoch`, so a follower's record at or after it with an older epoch is a divergent tail
   * (KIP-101/279) that it truncates, however old the push.
   */
  leaderEpochStartOffset: Offset;
}

/**
 * A follower's answer: `ok` with the end of the log it now shares with the leader (its log end
 * offset, or the end of this push when it still holds a tail the push did not confirm: Raft's
 * matchIndex, so a leftover from an older epoch never counts for the HW); `gap` with its log end
 * when that is before `prevOffset`; `diverging` when its record at `prevOffset - 1` has another
 * epoch (that epoch is returned so the leader can find where the logs part, KIP-101/279).
 */
export type ReplicateResponse =
  | { status: "ok"; logEndOffset: Offset }
  | { status: "gap"; logEndOffset: Offset }
  | { status: "diverging"; logEndOffset: Offset; divergingEpoch: number };
