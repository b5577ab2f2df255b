/**
 * The consumer-group state machine (KIP-848's consumer group, server-side assignment), pure.
 *
 * - `join` adds a member (topic list or regex subscription, session timeout, optional
 *   `group.instance.id`), bumps the group epoch and recomputes the target assignment with the
 *   group's assignor. A join with the instance id of a current member replaces it (the classic
 *   protocol's static-membership rule, so a restarted HTTP consumer keeps its partitions without
 *   waiting for its session to expire): the new member id inherits the old member's epoch and
 *   partitions, the group epoch does not move unless the subscription changed, and the old member
 *   id is answered FENCED_INSTANCE_ID from then on.
 * - `heartbeat` refreshes the session, takes the partitions the member reports it no longer owns as
 *   released, and moves the member one step towards its target (current-assignment.ts). A stale
 *   `member_epoch` is FENCED_MEMBER_EPOCH, except the epoch just before the current one when the
 *   member claims nothing beyond its assignment (it missed one response; Kafka accepts it too).
 * - `leave` and session/rebalance timeouts remove a member: its partitions are free at once.
 * - `updateTopics` takes the cluster's topics; a change of what subscriptions resolve to (new
 *   partitions, new matching topics, deleted topics) bumps the group epoch.
 * Invariant after every call: no partition is owned by two members (group-state.ts).
 *
 * Timeouts: every call first removes the members whose deadline has passed, one at a time in
 * deadline order, each with its own epoch bump. Expiry therefore depends only on which deadlines
 * have passed, not on when it runs: an alarm fired late, twice or never (followed by a request)
 * leaves the same state. A request that fails changes nothing else.
 *
 * Runs inside GroupCoordinatorDO, which loads `state`, calls one method and saves `state` with no
 * await in between; the DO arms its alarm at `nextDeadlineMs()`.
 */
import { ASSIGNORS, type AssignmentMember } from "./assignors.ts";
import { reconcileMember, type Reconciler } from "./current-assignment.ts";
import {
  DEFAULT_GROUP_CONFIG,
  type GroupConfig,
  type GroupState,
  type MemberReconciliationState,
  type MemberState,
  partitionOwners,
} from "./group-state.ts";
import { compareStrings, intersect, isEmpty, isSubset, normalize, type TopicPartition, type TopicPartitions, tpKey, formatTp } from "../protocol/topic-partitions.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { validateTopicName } from "../protocol/config.ts";
import type { Clock } from "../protocol/types.ts";
import { TopicPattern } from "./topic-pattern.ts";

export interface JoinRequest {
  /** Exactly one of `topics` and `topicPattern`. */
  topics?: readonly string[] | null;
  /** A regular expression that must match a whole topic name (Kafka's RE2 full match). */
  topicPattern?: string | null;
  sessionTimeoutMs?: number | null;
  rebalanceTimeoutMs?: number | null;
  instanceId?: string | null;
}

export interface HeartbeatRequest {
  memberId: string;
  memberEpoch: number;
  /**
   * What the member owns now. Null: not reported, and nothing is taken as released (KIP-848's
   * "unchanged"), so revocations wait for a heartbeat that reports. (The HTTP coordinator,
   * group-coordinator.ts, turns an omitted `owned_partitions` into the last assignment it gave.)
   */
  ownedPartitions?: TopicPartitions | null;
}

/** The answer to join and heartbeat (API: member_id, member_epoch, heartbeat_interval_ms, assignment). */
export interface MemberAssignmentResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  /** What the member may consume now; anything it holds outside this it must give up. */
  assignment: TopicPartitions;
}

export type ConsumerGroupStateName = "Empty" | "Reconciling" | "Stable";

export interface MemberDescription {
  memberId: string;
  instanceId: string | null;
  memberEpoch: number;
  state: MemberReconciliationState;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  assignment: TopicPartitions;
  partitionsPendingRevocation: TopicPartitions;
  targetAssignment: TopicPartitions;
}

export interface GroupDescription {
  groupId: string;
  state: ConsumerGroupStateName;
  groupEpoch: number;
  assignor: string;
  members: MemberDescription[];
}

export interface MembershipDeps {
  clock: Clock;
  /** A fresh, never reused member id (the DO passes `() => "m-" + crypto.randomUUID()`). */
  newMemberId: () => string;
  config?: Partial<GroupConfig>;
  /** The reconciliation step; replaceable only to show that the property checks catch a bad one. */
  reconciler?: Reconciler;
}

const INSTANCE_ID = /^[a-zA-Z0-9._-]{1,249}$/;
/** A pattern no name matches (a stored subscription that no longer compiles). */
const NOTHING = (TopicPattern.compile("[^\\s\\S]") as { ok: true; value: TopicPattern }).value;

export class ConsumerGroup {
  readonly state: GroupState;
  readonly config: GroupConfig;
  readonly #clock: Clock;
  readonly #newMemberId: () => string;
  readonly #reconcile: Reconciler;
  readonly #patterns = new Map<string, TopicPattern>();

  constructor(state: GroupState, deps: MembershipDeps) {
    this.state = state;
    this.config = { ...DEFAULT_GROUP_CONFIG, ...deps.config };
    this.#clock = deps.clock;
    this.#newMemberId = deps.newMemberId;
    this.#reconcile = deps.reconciler ?? reconcileMember;
  }

  join(req: JoinRequest): Result<MemberAssignmentResponse> {
    this.#expireDue();
    const valid = this.#validateJoin(req);
    if (!valid.ok) return valid;
    const { topics, pattern, sessionTimeoutMs, rebalanceTimeoutMs, instanceId } = valid.value;
    const now = this.#clock.now();
    const existing = instanceId === null ? undefined : Object.values(this.state.members).find((m) => m.instanceId === instanceId);
    if (!existing && Object.keys(this.state.members).length >= this.config.maxSize)
      return fail("GROUP_MAX_SIZE_REACHED", `group ${this.state.groupId} has reached its maximum size of ${this.config.maxSize} members`);
    const memberId = this.#newMemberId();
    if (this.state.members[memberId] || memberId === existing?.memberId) throw new Error(`member id ${memberId} was handed out twice`);
    const subscription = { subscribedTopicNames: topics, subscribedTopicRegex: pattern, sessionTimeoutMs, rebalanceTimeoutMs, sessionDeadlineMs: now + sessionTimeoutMs };
    if (existing) {
      // Static member rejoining: take over the old member's epoch and partitions.
      const subscriptionChanged =
        JSON.stringify(existing.subscribedTopicNames) !== JSON.stringify(topics) || existing.subscribedTopicRegex !== pattern;
      delete this.state.members[existing.memberId];
      this.state.members[memberId] = { ...existing, ...subscription, memberId, replacedMemberId: existing.memberId };
      const target = this.state.targetAssignment[existing.memberId];
      delete this.state.targetAssignment[existing.memberId];
      if (target) this.state.targetAssignment[memberId] = target;
      if (subscriptionChanged) this.#bumpGroupEpoch();
    } else {
      this.state.members[memberId] = {
        memberId,
        instanceId,
        replacedMemberId: null,
        memberEpoch: 0,
        previousMemberEpoch: -1,
        state: "stable",
        ...subscription,
        revocationDeadlineMs: null,
        assignedPartitions: {},
        partitionsPendingRevocation: {},
      };
      this.#bumpGroupEpoch();
    }
    return ok(this.#reconcileAndRespond(memberId, now));
  }

  heartbeat(req: HeartbeatRequest): Result<MemberAssignmentResponse> {
    this.#expireDue();
    const found = this.findMember(req.memberId);
    if (!found.ok) return found;
    const member = found.value;
    if (!Number.isSafeInteger(req.memberEpoch)) return fail("INVALID_REQUEST", "member_epoch must be an integer");
    const owned = req.ownedPartitions == null ? null : normalize(req.ownedPartitions);
    const missedOneResponse = req.memberEpoch === member.previousMemberEpoch && (owned === null || isSubset(owned, member.assignedPartitions));
    if (req.memberEpoch !== member.memberEpoch && !missedOneResponse)
      return fail(
        "FENCED_MEMBER_EPOCH",
        `member ${member.memberId} is at epoch ${member.memberEpoch}, not ${req.memberEpoch}: it was fenced; give up its partitions and join again`,
      );
    const now = this.#clock.now();
    let next: MemberState = { ...member, sessionDeadlineMs: now + member.sessionTimeoutMs };
    if (owned !== null && !isEmpty(next.partitionsPendingRevocation)) {
      const stillOwned = intersect(next.partitionsPendingRevocation, owned);
      next = { ...next, partitionsPendingRevocation: stillOwned, revocationDeadlineMs: isEmpty(stillOwned) ? null : next.revocationDeadlineMs };
    }
    this.state.members[member.memberId] = next;
    return ok(this.#reconcileAndRespond(member.memberId, now));
  }

  leave(memberId: string): Result<void> {
    this.#expireDue();
    const found = this.findMember(memberId);
    if (!found.ok) return found;
    this.#remove(memberId);
    return ok(undefined);
  }

  /** Removes every member past its session or rebalance deadline; returns their ids in order. */
  expire(): string[] {
    return this.#expireDue();
  }

  /** The earliest deadline of any member, for the DO's alarm; null when the group is empty. */
  nextDeadlineMs(): number | null {
    let next: number | null = null;
    for (const m of Object.values(this.state.members)) {
      const d = deadlineOf(m);
      if (next === null || d < next) next = d;
    }
    return next;
  }

  /** Takes the cluster's topics (name → partition count); true when the group epoch moved. */
  updateTopics(topics: Readonly<Record<string, number>>): boolean {
    this.#expireDue();
    this.state.topics = { ...topics };
    if (JSON.stringify(this.#subscriptionMetadata()) === JSON.stringify(this.state.subscriptionMetadata)) return false;
    this.#bumpGroupEpoch();
    return true;
  }

  /**
   * Offset commits are fenced here (offsets.ts writes them): the member must exist (else
   * UNKNOWN_MEMBER_ID, 25, also for a replaced static member and a timed-out zombie), be at its
   * current epoch and own every partition, pending revocations included, so a member can commit
   * what it processed before releasing (else ILLEGAL_GENERATION, 22, as API.md states).
   */
  validateOffsetCommit(memberId: string, memberEpoch: number, partitions: readonly TopicPartition[]): Result<void> {
    this.#expireDue();
    const member = this.state.members[memberId];
    if (!member) return fail("UNKNOWN_MEMBER_ID", `member ${memberId} is not in group ${this.state.groupId}`);
    if (memberEpoch !== member.memberEpoch)
      return fail("ILLEGAL_GENERATION", `member ${memberId} is at epoch ${member.memberEpoch}, not ${memberEpoch}`);
    for (const { topic, partition } of partitions) {
      const owns = member.assignedPartitions[topic]?.includes(partition) || member.partitionsPendingRevocation[topic]?.includes(partition);
      if (!owns) return fail("ILLEGAL_GENERATION", `member ${memberId} does not own ${formatTp(topic, partition)} at epoch ${memberEpoch}`);
    }
    return ok(undefined);
  }

  groupStateName(): ConsumerGroupStateName {
    const members = Object.values(this.state.members);
    if (members.length === 0) return "Empty";
    return members.every((m) => m.state === "stable" && m.memberEpoch === this.state.groupEpoch) ? "Stable" : "Reconciling";
  }

  describe(): GroupDescription {
    return {
      groupId: this.state.groupId,
      state: this.groupStateName(),
      groupEpoch: this.state.groupEpoch,
      assignor: this.state.assignor,
      members: Object.keys(this.state.members)
        .sort(compareStrings)
        .map((id) => {
          const m = this.state.members[id]!;
          return {
            memberId: id,
            instanceId: m.instanceId,
            memberEpoch: m.memberEpoch,
            state: m.state,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: m.assignedPartitions,
            partitionsPendingRevocation: m.partitionsPendingRevocation,
            targetAssignment: this.state.targetAssignment[id] ?? {},
          };
        }),
    };
  }

  /** The topics a member's subscription resolves to now, sorted. */
  resolvedTopics(member: MemberState): string[] {
    const exists = Object.keys(this.state.topics);
    const topics =
      member.subscribedTopicRegex !== null
        ? exists.filter((t) => this.#pattern(member.subscribedTopicRegex!).test(t))
        : (member.subscribedTopicNames ?? []).filter((t) => Object.hasOwn(this.state.topics, t));
    return topics.sort(compareStrings);
  }

  /** A current member, FENCED_INSTANCE_ID (82) for a replaced static member, else UNKNOWN_MEMBER_ID (25). */
  findMember(memberId: string): Result<MemberState> {
    const member = this.state.members[memberId];
    if (member) return ok(member);
    const replacement = Object.values(this.state.members).find((m) => m.replacedMemberId === memberId);
    if (replacement)
      return fail("FENCED_INSTANCE_ID", `member ${memberId} was replaced by ${replacement.memberId} with the same group.instance.id "${replacement.instanceId}"`);
    return fail("UNKNOWN_MEMBER_ID", `member ${memberId} is not in group ${this.state.groupId}`);
  }

  #reconcileAndRespond(memberId: string, now: number): MemberAssignmentResponse {
    const owners = partitionOwners(this.state);
    const member = this.#reconcile({
      member: this.state.members[memberId]!,
      target: this.state.targetAssignment[memberId] ?? {},
      targetEpoch: this.state.targetAssignmentEpoch,
      ownedByOther: (topic, partition) => {
        const owner = owners.get(tpKey(topic, partition));
        return owner !== undefined && owner !== memberId;
      },
      nowMs: now,
    });
    this.state.members[memberId] = member;
    return {
      memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: Math.min(this.config.heartbeatIntervalMs, Math.floor(member.sessionTimeoutMs / 3)),
      assignment: member.assignedPartitions,
    };
  }

  #expireDue(): string[] {
    const now = this.#clock.now();
    const removed: string[] = [];
    for (;;) {
      const due = Object.values(this.state.members)
        .filter((m) => deadlineOf(m) <= now)
        .sort((a, b) => deadlineOf(a) - deadlineOf(b) || compareStrings(a.memberId, b.memberId))[0];
      if (!due) return removed;
      this.#remove(due.memberId);
      removed.push(due.memberId);
    }
  }

  #remove(memberId: string): void {
    delete this.state.members[memberId];
    delete this.state.targetAssignment[memberId];
    this.#bumpGroupEpoch();
  }

  /** A new group epoch and its target assignment, computed at once (no "Assigning" state). */
  #bumpGroupEpoch(): void {
    this.state.groupEpoch += 1;
    this.state.subscriptionMetadata = this.#subscriptionMetadata();
    const members: AssignmentMember[] = Object.values(this.state.members).map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      topics: this.resolvedTopics(m),
    }));
    this.state.targetAssignment = ASSIGNORS[this.state.assignor]({
      members,
      partitionsPerTopic: this.state.subscriptionMetadata,
      currentAssignment: this.state.targetAssignment,
    });
    this.state.targetAssignmentEpoch = this.state.groupEpoch;
  }

  #subscriptionMetadata(): Record<string, number> {
    const topics = new Set<string>();
    for (const m of Object.values(this.state.members)) for (const t of this.resolvedTopics(m)) topics.add(t);
    const out: Record<string, number> = {};
    for (const t of [...topics].sort(compareStrings)) out[t] = this.state.topics[t]!;
    return out;
  }

  #pattern(source: string): TopicPattern {
    let re = this.#patterns.get(source);
    if (!re) {
      // A subscription stored before this check: one that no longer compiles matches nothing.
      const compiled = TopicPattern.compile(source);
      re = compiled.ok ? compiled.value : NOTHING;
      this.#patterns.set(source, re);
    }
    return re;
  }

  #validateJoin(req: JoinRequest): Result<{
    topics: string[] | null;
    pattern: string | null;
    sessionTimeoutMs: number;
    rebalanceTimeoutMs: number;
    instanceId: string | null;
  }> {
    const hasTopics = req.topics != null;
    const hasPattern = req.topicPattern != null;
    if (hasTopics === hasPattern) return fail("INVALID_REQUEST", "give exactly one of topics and topic_pattern");
    let topics: string[] | null = null;
    if (hasTopics) {
      if (!Array.isArray(req.topics) || req.topics.length === 0) return fail("INVALID_REQUEST", "topics must be a non-empty list of topic names");
      for (const t of req.topics) {
        const valid = validateTopicName(t);
        if (!valid.ok) return valid;
      }
      topics = [...new Set(req.topics)].sort(compareStrings);
    }
    let pattern: string | null = null;
    if (hasPattern) {
      if (typeof req.topicPattern !== "string") return fail("INVALID_REQUEST", "topic_pattern must be a string");
      // Linear-time matching, restricted syntax (topic-pattern.ts): no pattern can stall the group or escape its anchoring.
      const compiled = TopicPattern.compile(req.topicPattern);
      if (!compiled.ok) return compiled;
      this.#patterns.set(req.topicPattern, compiled.value);
      pattern = req.topicPattern;
    }
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.config;
    const sessionTimeoutMs = req.sessionTimeoutMs ?? this.config.defaultSessionTimeoutMs;
    if (!Number.isSafeInteger(sessionTimeoutMs) || sessionTimeoutMs < min || sessionTimeoutMs > max)
      return fail("INVALID_SESSION_TIMEOUT", `session_timeout_ms must be an integer from ${min} to ${max}`);
    const rebalanceTimeoutMs = req.rebalanceTimeoutMs ?? this.config.rebalanceTimeoutMs;
    if (!Number.isSafeInteger(rebalanceTimeoutMs) || rebalanceTimeoutMs <= 0) return fail("INVALID_REQUEST", "rebalance_timeout_ms must be a positive integer");
    const instanceId = req.instanceId ?? null;
    if (instanceId !== null && (typeof instanceId !== "string" || !INSTANCE_ID.test(instanceId)))
      return fail("INVALID_REQUEST", "group_instance_id may contain only ASCII letters, digits, '.', '_' and '-' (1 to 249)");
    return ok({ topics, pattern, sessionTimeoutMs, rebalanceTimeoutMs, instanceId });
  }
}

/** When a member is removed unless it heartbeats (or releases) first. */
export function deadlineOf(m: MemberState): number {
  return m.revocationDeadlineMs === null ? m.sessionDeadlineMs : Math.min(m.sessionDeadlineMs, m.revocationDeadlineMs);
}
