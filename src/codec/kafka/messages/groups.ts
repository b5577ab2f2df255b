/**
 * The classic consumer-group protocol: FindCoordinator (0–2), JoinGroup (0–5),
 * SyncGroup (0–3), Heartbeat (0–3), LeaveGroup (0–3), OffsetCommit (2–5) and OffsetFetch
 * (1–4): request decoders and response encoders, field names from Kafka's message schemas in
 * camelCase. Member metadata and assignments stay opaque bytes here (the consumer protocol's
 * own encoding is the door's).
 *
 * Invariant: as messages/core.ts (exact fields per version, Kafka's defaults otherwise).
 * Pure; called through src/codec/kafka/index.ts.
 */
import type { KafkaReader, KafkaWriter } from "../wire.ts";

export interface FindCoordinatorRequest {
  key: string;
  /** v1+: 0 group, 1 transaction; 0 before. */
  keyType: number;
}

export function decodeFindCoordinatorRequest(r: KafkaReader, v: number): FindCoordinatorRequest {
  const key = r.string();
  return { key, keyType: v >= 1 ? r.int8() : 0 };
}

export interface FindCoordinatorResponse {
  throttleTimeMs?: number;
  errorCode: number;
  /** v1+ */
  errorMessage?: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function encodeFindCoordinatorResponse(
  w: KafkaWriter,
  v: number,
  b: FindCoordinatorResponse,
): void {
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
  w.int16(b.errorCode);
  if (v >= 1) w.nullableString(b.errorMessage ?? null);
  w.int32(b.nodeId).string(b.host).int32(b.port);
}

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Uint8Array;
}
export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  /** v1+; -1 before (Kafka then uses the session timeout). */
  rebalanceTimeoutMs: number;
  memberId: string;
  /** v5+; null before. */
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
}

export function decodeJoinGroupRequest(r: KafkaReader, v: number): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = v >= 1 ? r.int32() : -1;
  const memberId = r.string();
  const groupInstanceId = v >= 5 ? r.nullableString() : null;
  const protocolType = r.string();
  const protocols = r.array((r) => ({ name: r.string(), metadata: r.bytes() }));
  return {
    groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType,
    protocols,
  };
}

export interface JoinGroupResponseMember {
  memberId: string;
  /** v5+ */
  groupInstanceId?: string | null;
  metadata: Uint8Array;
}
export interface JoinGroupResponse {
  /** v2+ */
  throttleTimeMs?: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinGroupResponseMember[];
}

export function encodeJoinGroupResponse(w: KafkaWriter, v: number, b: JoinGroupResponse): void {
  if (v >= 2) w.int32(b.throttleTimeMs ?? 0);
  w.int16(b.errorCode).int32(b.generationId).string(b.protocolName);
  w.string(b.leader).string(b.memberId);
  w.array(b.members, (w, m) => {
    w.string(m.memberId);
    if (v >= 5) w.nullableString(m.groupInstanceId ?? null);
    w.bytes(m.metadata);
  });
}

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Uint8Array;
}
export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; null before. */
  groupInstanceId: string | null;
  assignments: SyncGroupRequestAssignment[];
}

export function decodeSyncGroupRequest(r: KafkaReader, v: number): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const groupInstanceId = v >= 3 ? r.nullableString() : null;
  const assignments = r.array((r) => ({ memberId: r.string(), assignment: r.bytes() }));
  return { groupId, generationId, memberId, groupInstanceId, assignments };
}

export interface SyncGroupResponse {
  /** v1+ */
  throttleTimeMs?: number;
  errorCode: number;
  assignment: Uint8Array;
}

export function encodeSyncGroupResponse(w: KafkaWriter, v: number, b: SyncGroupResponse): void {
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
  w.int16(b.errorCode).bytes(b.assignment);
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v3+; null before. */
  groupInstanceId: string | null;
}

export function decodeHeartbeatRequest(r: KafkaReader, v: number): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  return { groupId, generationId, memberId, groupInstanceId: v >= 3 ? r.nullableString() : null };
}

export interface HeartbeatResponse {
  /** v1+ */
  throttleTimeMs?: number;
  errorCode: number;
}

export function encodeHeartbeatResponse(w: KafkaWriter, v: number, b: HeartbeatResponse): void {
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
  w.int16(b.errorCode);
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}
export interface LeaveGroupRequest {
  groupId: string;
  /** v0–2: the one member leaving; "" from v3 (see `members`). */
  memberId: string;
  /** v3+: the members leaving; before, the one `memberId` with a null instance id. */
  members: MemberIdentity[];
}

export function decodeLeaveGroupRequest(r: KafkaReader, v: number): LeaveGroupRequest {
  const groupId = r.string();
  if (v < 3) {
    const memberId = r.string();
    return { groupId, memberId, members: [{ memberId, groupInstanceId: null }] };
  }
  const members = r.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
  return { groupId, memberId: "", members };
}

export interface LeaveGroupResponseMember extends MemberIdentity {
  errorCode: number;
}
export interface LeaveGroupResponse {
  /** v1+ */
  throttleTimeMs?: number;
  errorCode: number;
  /** v3+ */
  members?: LeaveGroupResponseMember[];
}

export function encodeLeaveGroupResponse(w: KafkaWriter, v: number, b: LeaveGroupResponse): void {
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
  w.int16(b.errorCode);
  if (v >= 3) {
    w.array(b.members ?? [], (w, m) => {
      w.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode);
    });
  }
}

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedMetadata: string | null;
}
export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}
export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  /** v2–4; -1 (the broker's default retention) otherwise. */
  retentionTimeMs: number;
  topics: OffsetCommitRequestTopic[];
}

export function decodeOffsetCommitRequest(r: KafkaReader, v: number): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const retentionTimeMs = v >= 2 && v <= 4 ? r.int64() : -1;
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({
      partitionIndex: r.int32(),
      committedOffset: r.int64(),
      committedMetadata: r.nullableString(),
    })),
  }));
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}
export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}
export interface OffsetCommitResponse {
  /** v3+ */
  throttleTimeMs?: number;
  topics: OffsetCommitResponseTopic[];
}

export function encodeOffsetCommitResponse(
  w: KafkaWriter,
  v: number,
  b: OffsetCommitResponse,
): void {
  if (v >= 3) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.topics, (w, t) => {
    w.string(t.name).array(t.partitions, (w, p) => w.int32(p.partitionIndex).int16(p.errorCode));
  });
}

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}
export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every partition the group has committed. */
  topics: OffsetFetchRequestTopic[] | null;
}

export function decodeOffsetFetchRequest(r: KafkaReader): OffsetFetchRequest {
  const groupId = r.string();
  const topics = r.nullableArray((r) => ({
    name: r.string(),
    partitionIndexes: r.array((r) => r.int32()),
  }));
  return { groupId, topics };
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1: nothing committed. */
  committedOffset: number;
  metadata: string | null;
  errorCode: number;
}
export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}
export interface OffsetFetchResponse {
  /** v3+ */
  throttleTimeMs?: number;
  topics: OffsetFetchResponseTopic[];
  /** v2+ */
  errorCode?: number;
}

export function encodeOffsetFetchResponse(w: KafkaWriter, v: number, b: OffsetFetchResponse): void {
  if (v >= 3) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.topics, (w, t) => {
    w.string(t.name).array(t.partitions, (w, p) => {
      w.int32(p.partitionIndex).int64(p.committedOffset);
      w.nullableString(p.metadata).int16(p.errorCode);
    });
  });
  if (v >= 2) w.int16(b.errorCode ?? 0);
}
