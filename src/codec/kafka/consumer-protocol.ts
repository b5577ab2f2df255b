/**
 * The embedded "consumer" protocol of the classic group protocol: what a member puts in
 * JoinGroup's protocol metadata (ConsumerProtocolSubscription) and what SyncGroup carries back
 * (ConsumerProtocolAssignment), as in Kafka's ConsumerProtocolSubscription.json and
 * ConsumerProtocolAssignment.json.
 *
 * Invariants: a subscription of any version decodes (fields of versions above 3 and trailing
 * bytes are ignored, as Kafka's ConsumerProtocol does for forward compatibility, and a field
 * of its version that is absent takes its default, since kafkajs labels v0 content as v1);
 * bad bytes throw `KafkaWireError`. Assignments are written at version 0 (the layout every
 * client reads; version 1 has the same fields). Pure; used by the Kafka door to answer a group
 * with the server's assignment.
 */
import { KafkaReader, KafkaWriter } from "./wire.ts";

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ConsumerProtocolSubscription {
  version: number;
  topics: string[];
  userData: Uint8Array | null;
  /** v1+; empty before. */
  ownedPartitions: TopicPartitions[];
  /** v2+; -1 before. */
  generationId: number;
  /** v3+; null before. */
  rackId: string | null;
}

const topicPartitions = (r: KafkaReader): TopicPartitions => ({
  topic: r.string(),
  partitions: r.array((r) => r.int32()),
});

/** Reads a member's subscription (JoinGroup protocol metadata of protocol type "consumer"). */
export function decodeConsumerSubscription(bytes: Uint8Array): ConsumerProtocolSubscription {
  const r = new KafkaReader(bytes);
  const version = r.int16();
  const topics = r.array((r) => r.string());
  const userData = r.nullableBytes();
  const sub: ConsumerProtocolSubscription = {
    version, topics, userData, ownedPartitions: [], generationId: -1, rackId: null,
  };
  // kafkajs writes version 1 with only the v0 fields: a later field is read only when present.
  if (version >= 1 && r.remaining() > 0) sub.ownedPartitions = r.array(topicPartitions);
  if (version >= 2 && r.remaining() > 0) sub.generationId = r.int32();
  if (version >= 3 && r.remaining() > 0) sub.rackId = r.nullableString();
  return sub;
}

/** Writes a subscription (for tests and clients); `version` 0–3. */
export function encodeConsumerSubscription(s: ConsumerProtocolSubscription): Uint8Array {
  const w = new KafkaWriter(64);
  w.int16(s.version).array(s.topics, (w, t) => w.string(t)).nullableBytes(s.userData);
  const writeTp = (w: KafkaWriter, tp: TopicPartitions): void => {
    w.string(tp.topic).array(tp.partitions, (w, p) => w.int32(p));
  };
  if (s.version >= 1) w.array(s.ownedPartitions, writeTp);
  if (s.version >= 2) w.int32(s.generationId);
  if (s.version >= 3) w.nullableString(s.rackId);
  return w.finish();
}

export interface ConsumerProtocolAssignment {
  assignedPartitions: TopicPartitions[];
  userData: Uint8Array | null;
}

/** Writes the SyncGroup assignment of one member (version 0). */
export function encodeConsumerAssignment(a: ConsumerProtocolAssignment): Uint8Array {
  const w = new KafkaWriter(64);
  w.int16(0);
  w.array(a.assignedPartitions, (w, tp) => {
    w.string(tp.topic).array(tp.partitions, (w, p) => w.int32(p));
  });
  w.nullableBytes(a.userData);
  return w.finish();
}

/** Reads an assignment; empty bytes (Kafka's "nothing assigned") read as no partitions. */
export function decodeConsumerAssignment(bytes: Uint8Array): ConsumerProtocolAssignment {
  if (bytes.length === 0) return { assignedPartitions: [], userData: null };
  const r = new KafkaReader(bytes);
  r.int16();
  const assignedPartitions = r.array(topicPartitions);
  return { assignedPartitions, userData: r.nullableBytes() };
}
