/**
 * Kafka's classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) mapped onto
 * Flarelog's server-side assignment (src/services/groups.ts, KIP-848's rule), plus OffsetCommit
 * and OffsetFetch.
 *
 * The mapping: every JoinGroup names its own member the leader, with itself as the only member;
 * whatever assignment that leader computes is ignored, and SyncGroup answers the server's
 * assignment for the member (ConsumerProtocol bytes). After a join the door reports what the
 * member will own (the server's answer) in a heartbeat, so the server takes every other
 * partition as released. A Heartbeat whose server answer differs from what the member was given
 * answers REBALANCE_IN_PROGRESS: the client gives up all its partitions (eager protocol) and
 * joins again, and only then does the server see the revoked partitions released.
 * So a Kafka consumer consumes exactly what the server assigned it, and a partition moves only
 * after its owner (Kafka or native HTTP member alike) has given it up or timed out: no two
 * members of a group ever own one partition.
 *
 * Invariant: a member's entry in the session holds the epoch and assignment last handed to it;
 * a request for a member the session does not know answers REBALANCE_IN_PROGRESS (rejoin).
 * Called by connection.ts, one request at a time per connection.
 */
import { ERRORS, type KafkaError, type Result } from "../../protocol/errors.ts";
import { committedOffsets } from "../../services/consumer-instances.ts";
import * as groups from "../../services/groups.ts";
import { decodeSubscription, encodeAssignment, sameAssignment } from "./consumer-protocol.ts";
import { Session } from "./session.ts";

const REBALANCE_IN_PROGRESS = ERRORS.REBALANCE_IN_PROGRESS.code;
const INCONSISTENT_GROUP_PROTOCOL = ERRORS.INCONSISTENT_GROUP_PROTOCOL.code;
const MEMBER_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** A Flarelog group error as a classic client reads it: a fenced epoch means "join again". */
function classicCode(err: KafkaError): number {
  return err.error === "FENCED_MEMBER_EPOCH" ? ERRORS.ILLEGAL_GENERATION.code : err.errorCode;
}

interface JoinGroupBody {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs?: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
}

function joinAnswer(errorCode: number, memberId: string, extra: Partial<Record<string, unknown>> = {}) {
  const none = { generationId: -1, protocolName: null, leader: "", skipAssignment: false, members: [] };
  return { throttleTimeMs: 0, errorCode, protocolType: "consumer", memberId, ...none, ...extra };
}

/** The member joins (or rejoins) and reports what it will own, so everything else is released. */
async function joinAndSettle(
  session: Session,
  body: JoinGroupBody,
  memberId: string,
  topics: string[],
): Promise<Result<groups.MemberAssignmentResponse>> {
  const rebalance = body.rebalanceTimeoutMs;
  const join = await groups.joinGroup(session.ctx, body.groupId, {
    topics,
    memberId,
    sessionTimeoutMs: body.sessionTimeoutMs,
    rebalanceTimeoutMs: rebalance !== undefined && rebalance > 0 ? rebalance : null,
    instanceId: body.groupInstanceId ?? null,
  });
  if (!join.ok) return join;
  const { memberEpoch, assignment } = join.value;
  return groups.heartbeat(session.ctx, body.groupId, { memberId, memberEpoch, ownedPartitions: assignment });
}

export async function joinGroup(session: Session, body: JoinGroupBody) {
  const protocol = body.protocols[0];
  const topics = protocol === undefined ? null : decodeSubscription(protocol.metadata);
  if (body.protocolType !== "consumer" || topics === null)
    return joinAnswer(INCONSISTENT_GROUP_PROTOCOL, body.memberId);
  if (body.memberId !== "" && !MEMBER_ID.test(body.memberId))
    return joinAnswer(ERRORS.UNKNOWN_MEMBER_ID.code, body.memberId);
  const memberId = body.memberId !== "" ? body.memberId : `kafka-${crypto.randomUUID()}`;
  const r = await joinAndSettle(session, body, memberId, topics);
  const key = Session.memberKey(body.groupId, memberId);
  if (!r.ok) {
    session.members.delete(key);
    return joinAnswer(classicCode(r.err), body.memberId);
  }
  const { memberEpoch, assignment } = r.value;
  session.members.set(key, { memberEpoch, assignment, protocolName: protocol!.name });
  return joinAnswer(0, memberId, {
    generationId: r.value.memberEpoch,
    protocolName: protocol!.name,
    leader: memberId,
    members: [{ memberId, groupInstanceId: body.groupInstanceId ?? null, metadata: protocol!.metadata }],
  });
}

interface MemberBody {
  groupId: string;
  memberId: string;
  generationId?: number;
  protocolName?: string | null;
}

export function syncGroup(session: Session, body: MemberBody) {
  const key = Session.memberKey(body.groupId, body.memberId);
  const member = session.members.get(key);
  const protocolName = body.protocolName ?? member?.protocolName ?? null;
  const answer = { throttleTimeMs: 0, protocolType: "consumer", protocolName };
  if (member === undefined) return { ...answer, errorCode: REBALANCE_IN_PROGRESS, assignment: new Uint8Array(0) };
  return { ...answer, errorCode: 0, assignment: encodeAssignment(member.assignment) };
}

export async function heartbeat(session: Session, body: MemberBody) {
  const key = Session.memberKey(body.groupId, body.memberId);
  const member = session.members.get(key);
  if (member === undefined) return { throttleTimeMs: 0, errorCode: REBALANCE_IN_PROGRESS };
  const { memberEpoch, assignment } = member;
  const r = await groups.heartbeat(session.ctx, body.groupId, {
    memberId: body.memberId,
    memberEpoch,
    ownedPartitions: assignment,
  });
  if (!r.ok) {
    session.members.delete(key);
    return { throttleTimeMs: 0, errorCode: classicCode(r.err) };
  }
  member.memberEpoch = r.value.memberEpoch;
  const changed = !sameAssignment(r.value.assignment, member.assignment);
  return { throttleTimeMs: 0, errorCode: changed ? REBALANCE_IN_PROGRESS : 0 };
}

interface LeaveGroupBody {
  groupId: string;
  memberId?: string;
  members?: { memberId: string; groupInstanceId?: string | null }[];
}

export async function leaveGroup(session: Session, body: LeaveGroupBody) {
  const one = body.memberId === undefined ? [] : [{ memberId: body.memberId, groupInstanceId: null }];
  const leaving = body.members ?? one;
  const members = await Promise.all(
    leaving.map(async (m) => {
      session.members.delete(Session.memberKey(body.groupId, m.memberId));
      const r = await groups.leaveGroup(session.ctx, body.groupId, m.memberId);
      const errorCode = r.ok ? 0 : r.err.errorCode;
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode };
    }),
  );
  const errorCode = members.find((m) => m.errorCode !== 0)?.errorCode ?? 0;
  return { throttleTimeMs: 0, errorCode, members };
}

interface OffsetCommitBody {
  groupId: string;
  generationId?: number;
  generationIdOrMemberEpoch?: number;
  memberId: string;
  topics: { name: string; partitions: CommitPartition[] }[];
}

interface CommitPartition {
  partitionIndex: number;
  committedOffset: number;
  committedMetadata?: string | null;
}

export async function offsetCommit(session: Session, body: OffsetCommitBody) {
  const member = session.members.get(Session.memberKey(body.groupId, body.memberId));
  const memberEpoch = member?.memberEpoch ?? body.generationIdOrMemberEpoch ?? body.generationId ?? -1;
  const offsets = body.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      metadata: p.committedMetadata ?? null,
    })),
  );
  const commit = { memberId: body.memberId, memberEpoch, offsets };
  const r = await groups.commitOffsets(session.ctx, body.groupId, commit);
  const errorCode = r.ok ? 0 : classicCode(r.err);
  const topics = body.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
  return { throttleTimeMs: 0, topics };
}

interface OffsetFetchBody {
  groupId: string;
  topics: { name: string; partitionIndexes: number[] }[] | null;
}

type Committed = { topic: string; partition: number; offset: number }[];

interface FetchedOffset {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

async function committedOf(session: Session, body: OffsetFetchBody): Promise<Result<Committed>> {
  if (body.topics !== null) {
    const partitions = body.topics.flatMap((t) =>
      t.partitionIndexes.map((partition) => ({ topic: t.name, partition })),
    );
    return committedOffsets(session.ctx, body.groupId, partitions);
  }
  const d = await groups.describeGroup(session.ctx, body.groupId);
  if (!d.ok) return d.err.error === "GROUP_ID_NOT_FOUND" ? { ok: true, value: [] } : d;
  return { ok: true, value: d.value.offsets };
}

export async function offsetFetch(session: Session, body: OffsetFetchBody) {
  const r = await committedOf(session, body);
  if (!r.ok) {
    const { errorCode } = r.err;
    const topics = (body.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: -1,
        committedLeaderEpoch: -1,
        metadata: null,
        errorCode,
      })),
    }));
    return { throttleTimeMs: 0, topics, errorCode };
  }
  const byTopic = new Map<string, FetchedOffset[]>();
  for (const o of r.value) {
    const list = byTopic.get(o.topic) ?? [];
    const entry = { partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1 };
    list.push({ ...entry, metadata: "", errorCode: 0 });
    byTopic.set(o.topic, list);
  }
  return { throttleTimeMs: 0, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), errorCode: 0 };
}
