/**
 * Produce (0–7), Fetch (2–11), ListOffsets (1–3) and InitProducerId (0–1): request
 * decoders and response encoders, field names from Kafka's message schemas in camelCase.
 * Record sets travel as the bytes of their RecordBatch v2 batches (`records`), read and
 * written by record-batch.ts, so a fetch can ship stored batches as they are.
 *
 * Invariant: as messages/core.ts (exact fields per version, Kafka's defaults otherwise).
 * Pure; called through src/codec/kafka/index.ts.
 */
import type { KafkaReader, KafkaWriter } from "../wire.ts";

export interface ProduceRequestPartition {
  index: number;
  records: Uint8Array | null;
}
export interface ProduceRequestTopic {
  name: string;
  partitionData: ProduceRequestPartition[];
}
export interface ProduceRequest {
  /** v3+; null before. */
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceRequestTopic[];
}

export function decodeProduceRequest(r: KafkaReader, v: number): ProduceRequest {
  const transactionalId = v >= 3 ? r.nullableString() : null;
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicData = r.array((r) => ({
    name: r.string(),
    partitionData: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topicData };
}

export interface ProduceResponsePartition {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTimeMs?: number;
  /** v5+ */
  logStartOffset?: number;
}
export interface ProduceResponseTopic {
  name: string;
  partitionResponses: ProduceResponsePartition[];
}
export interface ProduceResponse {
  responses: ProduceResponseTopic[];
  throttleTimeMs?: number;
}

export function encodeProduceResponse(w: KafkaWriter, v: number, b: ProduceResponse): void {
  w.array(b.responses, (w, t) => {
    w.string(t.name);
    w.array(t.partitionResponses, (w, p) => {
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset);
      if (v >= 2) w.int64(p.logAppendTimeMs ?? -1);
      if (v >= 5) w.int64(p.logStartOffset ?? -1);
    });
  });
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
}

export interface FetchPartition {
  partition: number;
  /** v9+; -1 before. */
  currentLeaderEpoch: number;
  fetchOffset: number;
  /** v5+; -1 before. */
  logStartOffset: number;
  partitionMaxBytes: number;
}
export interface FetchTopic {
  topic: string;
  partitions: FetchPartition[];
}
export interface ForgottenTopic {
  topic: string;
  partitions: number[];
}
export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  /** v3+; 0x7fffffff before. */
  maxBytes: number;
  /** v4+: 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  /** v7+; 0 before. */
  sessionId: number;
  /** v7+; -1 before. */
  sessionEpoch: number;
  topics: FetchTopic[];
  /** v7+; empty before. */
  forgottenTopicsData: ForgottenTopic[];
  /** v11+; "" before. */
  rackId: string;
}

function decodeFetchPartition(r: KafkaReader, v: number): FetchPartition {
  const partition = r.int32();
  const currentLeaderEpoch = v >= 9 ? r.int32() : -1;
  const fetchOffset = r.int64();
  const logStartOffset = v >= 5 ? r.int64() : -1;
  const partitionMaxBytes = r.int32();
  return { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes };
}

export function decodeFetchRequest(r: KafkaReader, v: number): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = v >= 3 ? r.int32() : 0x7fffffff;
  const isolationLevel = v >= 4 ? r.int8() : 0;
  const sessionId = v >= 7 ? r.int32() : 0;
  const sessionEpoch = v >= 7 ? r.int32() : -1;
  const topics = r.array((r) => ({
    topic: r.string(),
    partitions: r.array((r) => decodeFetchPartition(r, v)),
  }));
  const forgottenTopicsData =
    v >= 7 ? r.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) })) : [];
  const rackId = v >= 11 ? r.string() : "";
  return {
    replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics,
    forgottenTopicsData, rackId,
  };
}

export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}
export interface FetchResponsePartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  /** v4+; default highWatermark. */
  lastStableOffset?: number;
  /** v5+; default -1. */
  logStartOffset?: number;
  /** v4+; default null. */
  abortedTransactions?: AbortedTransaction[] | null;
  /** v11+; default -1. */
  preferredReadReplica?: number;
  /**
   * RecordBatch v2 bytes as stored (may end in a partial batch, as Kafka allows); null is
   * written as an empty record set, as Kafka's broker does.
   */
  records: Uint8Array | null;
}
export interface FetchResponseTopic {
  topic: string;
  partitions: FetchResponsePartition[];
}
export interface FetchResponse {
  throttleTimeMs?: number;
  /** v7+ */
  errorCode?: number;
  /** v7+ */
  sessionId?: number;
  responses: FetchResponseTopic[];
}

function encodeFetchPartition(w: KafkaWriter, v: number, p: FetchResponsePartition): void {
  w.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark);
  if (v >= 4) w.int64(p.lastStableOffset ?? p.highWatermark);
  if (v >= 5) w.int64(p.logStartOffset ?? -1);
  const aborted = p.abortedTransactions ?? null;
  if (v >= 4) w.nullableArray(aborted, (w, a) => w.int64(a.producerId).int64(a.firstOffset));
  if (v >= 11) w.int32(p.preferredReadReplica ?? -1);
  // Kafka's broker never writes null records (librdkafka refuses "MessageSetSize -1"): an
  // answer without records carries an empty record set.
  w.bytes(p.records ?? EMPTY);
}

const EMPTY = new Uint8Array();

export function encodeFetchResponse(w: KafkaWriter, v: number, b: FetchResponse): void {
  w.int32(b.throttleTimeMs ?? 0);
  if (v >= 7) w.int16(b.errorCode ?? 0).int32(b.sessionId ?? 0);
  w.array(b.responses, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => encodeFetchPartition(w, v, p));
  });
}

export interface ListOffsetsPartition {
  partitionIndex: number;
  /** -1 latest, -2 earliest, else a timestamp in ms. */
  timestamp: number;
}
export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}
export interface ListOffsetsRequest {
  replicaId: number;
  /** v2+; 0 before. */
  isolationLevel: number;
  topics: ListOffsetsTopic[];
}

export function decodeListOffsetsRequest(r: KafkaReader, v: number): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = v >= 2 ? r.int8() : 0;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ partitionIndex: r.int32(), timestamp: r.int64() })),
  }));
  return { replicaId, isolationLevel, topics };
}

export interface ListOffsetsResponsePartition {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}
export interface ListOffsetsResponseTopic {
  name: string;
  partitions: ListOffsetsResponsePartition[];
}
export interface ListOffsetsResponse {
  /** v2+ */
  throttleTimeMs?: number;
  topics: ListOffsetsResponseTopic[];
}

export function encodeListOffsetsResponse(w: KafkaWriter, v: number, b: ListOffsetsResponse): void {
  if (v >= 2) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.topics, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
    });
  });
}

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export const decodeInitProducerIdRequest = (r: KafkaReader): InitProducerIdRequest => ({
  transactionalId: r.nullableString(),
  transactionTimeoutMs: r.int32(),
});

export interface InitProducerIdResponse {
  throttleTimeMs?: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function encodeInitProducerIdResponse(
  w: KafkaWriter,
  _v: number,
  b: InitProducerIdResponse,
): void {
  w.int32(b.throttleTimeMs ?? 0).int16(b.errorCode).int64(b.producerId).int16(b.producerEpoch);
}
