/**
 * The consumer-group wire shapes (API.md, snake_case) to and from the group services' types,
 * written once for the routes and for test fakes that speak the same contract.
 */
import type { JoinGroupBody } from "../contract/types.ts";
import { toTopicPartitionList } from "../protocol/topic-partitions.ts";
import type { GroupDescription, MemberAssignmentResponse, MemberJoinRequest } from "../services/groups.ts";

export type JoinBody = JoinGroupBody;

export function joinRequestOf(body: JoinBody): MemberJoinRequest {
  return {
    topics: body.topics ?? null,
    topicPattern: body.topic_pattern ?? null,
    sessionTimeoutMs: body.session_timeout_ms ?? null,
    rebalanceTimeoutMs: body.rebalance_timeout_ms ?? null,
    instanceId: body.group_instance_id ?? null,
    assignor: body.assignor ?? null,
    autoOffsetReset: body.auto_offset_reset ?? null,
    memberId: body.member_id ?? null,
  };
}

/** The answer to join and heartbeat. */
export function assignmentBody(r: MemberAssignmentResponse) {
  return {
    member_id: r.memberId,
    member_epoch: r.memberEpoch,
    heartbeat_interval_ms: r.heartbeatIntervalMs,
    assignment: toTopicPartitionList(r.assignment),
  };
}

/** `GET /v1/groups/{group}` without its offsets (the route adds them with their lag). */
export function groupDescriptionBody(d: GroupDescription) {
  return {
    group: d.groupId,
    state: d.state,
    group_epoch: d.groupEpoch,
    assignor: d.assignor,
    members: d.members.map((m) => ({
      member_id: m.memberId,
      group_instance_id: m.instanceId,
      member_epoch: m.memberEpoch,
      assignment: toTopicPartitionList(m.assignment),
      pending_revocation: toTopicPartitionList(m.partitionsPendingRevocation),
    })),
  };
}
