/**
 * A consumer group's whole state as plain data (Kafka's ConsumerGroup + ConsumerGroupMember,
 * KIP-848), so the GroupCoordinatorDO can save it to SQLite and load it back unchanged: no
 * classes, Maps, Sets, functions or `undefined` fields inside; `JSON.parse(JSON.stringify(s))`
 * is the same state. Time is stored only as deadlines.
 *
 * Invariants (kept by membership.ts, checked by `ownershipConflicts`):
 * - a partition is owned by at most one member, where a member owns `assignedPartitions` ∪
 *   `partitionsPendingRevocation` (the second are partitions it was told to give up and has not
 *   yet reported as released);
 * - `targetAssignmentEpoch === groupEpoch` (the target is recomputed on every bump);
 * - a member's `memberEpoch` ≤ `groupEpoch`.
 */
import type { AssignorName } from "./assignors.ts";
import { DEFAULT_ASSIGNOR } from "./assignors.ts";
import { formatTp, toList, type TopicPartitions, tpKey } from "../protocol/topic-partitions.ts";

/** Kafka's MemberState (CurrentAssignmentBuilder), lower-cased. */
export type MemberReconciliationState = "stable" | "unrevoked_partitions" | "unreleased_partitions";

export interface MemberState {
  memberId: string;
  /** `group.instance.id` of a static member; null for a dynamic one. */
  instanceId: string | null;
  /** The member id this static member took over; that id is answered FENCED_INSTANCE_ID. */
  replacedMemberId: string | null;
  memberEpoch: number;
  /** The epoch before the last bump: a heartbeat with it is a member that missed one response. */
  previousMemberEpoch: number;
  state: MemberReconciliationState;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Removed when the clock reaches this without a heartbeat (session.timeout.ms). */
  sessionDeadlineMs: number;
  /** Removed when the clock reaches this with revocations still pending (rebalance timeout). */
  revocationDeadlineMs: number | null;
  /** What the member was last given and may consume. */
  assignedPartitions: TopicPartitions;
  /** What the member was told to give up and still owns until it reports them released. */
  partitionsPendingRevocation: TopicPartitions;
}

export interface CommittedOffset {
  offset: number;
  metadata: string;
  commitTimestampMs: number;
}

export interface GroupState {
  groupId: string;
  assignor: AssignorName;
  groupEpoch: number;
  targetAssignmentEpoch: number;
  members: Record<string, MemberState>;
  /** memberId → target partitions at `targetAssignmentEpoch`. */
  targetAssignment: Record<string, TopicPartitions>;
  /** Every topic the group may subscribe to (name → partition count), fed by the DO. */
  topics: Record<string, number>;
  /** Partition counts of the topics the members' subscriptions resolve to (Kafka's subscriptionMetadata). */
  subscriptionMetadata: Record<string, number>;
  /** topic → partition (as a string key) → committed offset. */
  offsets: Record<string, Record<string, CommittedOffset>>;
}

/** Broker-side settings of groups (Kafka's group.consumer.* and offsets.* configs). */
export interface GroupConfig {
  /**
   * Accepted `session_timeout_ms` range. Kafka's KIP-848 broker fixes 45 s (min 45 s, max 60 s);
   * HTTP clients need shorter and longer ones, so the classic protocol's lower bound
   * (group.min.session.timeout.ms = 6 s) and a 5-minute upper bound are used instead.
   */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  defaultSessionTimeoutMs: number;
  /** Answered to members; never more than a third of their session timeout. */
  heartbeatIntervalMs: number;
  /** Time a member has to release revoked partitions (Kafka: the client's max.poll.interval.ms). */
  rebalanceTimeoutMs: number;
  /** group.consumer.max.size. */
  maxSize: number;
  /** offset.metadata.max.bytes (counted in UTF-16 code units here). */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_GROUP_CONFIG: Readonly<GroupConfig> = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 300_000,
  defaultSessionTimeoutMs: 45_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 300_000,
  maxSize: 1_000,
  offsetMetadataMaxBytes: 4_096,
};

export function emptyGroupState(groupId: string, assignor: AssignorName = DEFAULT_ASSIGNOR, topics: Record<string, number> = {}): GroupState {
  return {
    groupId,
    assignor,
    groupEpoch: 0,
    targetAssignmentEpoch: 0,
    members: {},
    targetAssignment: {},
    topics: { ...topics },
    subscriptionMetadata: {},
    offsets: {},
  };
}

/** Everything a member owns: assigned plus still-unreleased revoked partitions. */
export function ownedBy(member: MemberState): TopicPartitions {
  const out: TopicPartitions = {};
  for (const tps of [member.assignedPartitions, member.partitionsPendingRevocation])
    for (const topic in tps) out[topic] = [...(out[topic] ?? []), ...tps[topic]!].sort((a, b) => a - b);
  return out;
}

/** partition key → owning member id. */
export function partitionOwners(state: GroupState): Map<string, string> {
  const owners = new Map<string, string>();
  for (const member of Object.values(state.members))
    for (const { topic, partition } of toList(ownedBy(member))) owners.set(tpKey(topic, partition), member.memberId);
  return owners;
}

/** Descriptions of every partition owned by two members (empty when the invariant holds). */
export function ownershipConflicts(state: GroupState): string[] {
  const seen = new Map<string, string>();
  const conflicts: string[] = [];
  for (const id of Object.keys(state.members).sort()) {
    const member = state.members[id]!;
    for (const tps of [member.assignedPartitions, member.partitionsPendingRevocation])
      for (const { topic, partition } of toList(tps)) {
        const key = tpKey(topic, partition);
        const other = seen.get(key);
        if (other !== undefined) conflicts.push(`${formatTp(topic, partition)} owned by ${other} and ${id}`);
        else seen.set(key, id);
      }
  }
  return conflicts;
}
