/**
 * One member's next current assignment on its way to its target (Kafka's
 * CurrentAssignmentBuilder, KIP-848 incremental reconciliation).
 *
 * Rules, in order:
 * 1. While partitions are pending revocation, nothing changes: the member must first report
 *    them released (heartbeat without them) or be removed.
 * 2. Partitions assigned but no longer in the target are revoked first: they move to
 *    `partitionsPendingRevocation`, the epoch stays, and the member is given nothing new.
 * 3. Otherwise the member moves to the target epoch and gets every target partition that no other
 *    member owns; the rest wait (`unreleased_partitions`) until their owner releases them.
 * So a partition is handed to a member only when no other member owns it: the group-wide
 * invariant "no partition owned twice" holds after every step.
 * Pure; called by membership.ts on join and heartbeat, which swaps in the result.
 */
import type { MemberState } from "./group-state.ts";
import { fromList, intersect, isEmpty, minus, size, toList, type TopicPartitions, union } from "../protocol/topic-partitions.ts";

export interface ReconcileInput {
  member: MemberState;
  /** The member's partitions in the group's target assignment. */
  target: TopicPartitions;
  targetEpoch: number;
  /** True when a member other than this one owns the partition. */
  ownedByOther: (topic: string, partition: number) => boolean;
  nowMs: number;
}

export type Reconciler = (input: ReconcileInput) => MemberState;

export const reconcileMember: Reconciler = ({ member, target, targetEpoch, ownedByOther, nowMs }) => {
  if (!isEmpty(member.partitionsPendingRevocation)) return member;
  const revoke = minus(member.assignedPartitions, target);
  if (!isEmpty(revoke)) {
    return {
      ...member,
      assignedPartitions: intersect(member.assignedPartitions, target),
      partitionsPendingRevocation: revoke,
      state: "unrevoked_partitions",
      revocationDeadlineMs: nowMs + member.rebalanceTimeoutMs,
    };
  }
  const wanted = minus(target, member.assignedPartitions);
  const free = fromList(toList(wanted).filter((tp) => !ownedByOther(tp.topic, tp.partition)));
  return {
    ...member,
    assignedPartitions: union(member.assignedPartitions, free),
    partitionsPendingRevocation: {},
    state: size(free) < size(wanted) ? "unreleased_partitions" : "stable",
    memberEpoch: targetEpoch,
    previousMemberEpoch: targetEpoch !== member.memberEpoch ? member.memberEpoch : member.previousMemberEpoch,
    revocationDeadlineMs: null,
  };
};
