/**
 * The group coordinator's rules for HTTP members, on top of the pure ConsumerGroup
 * (membership.ts) and offsets.ts: what the GroupCoordinatorDO calls, one method per request.
 *
 * HTTP members do not fetch themselves: the API reads records for them (`pollPlan`, then
 * `advance`), so the coordinator keeps each member's read **positions** next to the group:
 * - a partition a member has just been given starts at the group's committed offset, else at
 *   the member's `auto_offset_reset` (earliest/latest, resolved by the leader at read time);
 * - a position moves only for a partition the member still has assigned (not one being revoked)
 *   and only from where the plan started, so two concurrent polls never both advance it;
 * - positions of partitions a member no longer owns, and of removed members, are dropped, so the
 *   next owner starts at the committed offset: delivery is at least once.
 * - a poll's advance is **pending** until the member's next poll acknowledges it with the
 *   `cursor` the answer carried; a next poll with another cursor (the answer was lost) drops it,
 *   so the same records are read again — an answer lost on the way never skips records. A poll
 *   without a cursor acknowledges the previous one (clients that do not track cursors).
 * Auto-commit (`auto_commit=true` on a poll) commits, before the read, the positions the
 * previous polls reached and were acknowledged (Kafka's auto-commit at the next poll).
 * A member may **seek** (`seek`): set its own read position on partitions it has assigned now
 * (not one being revoked); any other partition refuses the whole seek and nothing moves. A seek
 * is not a commit; it drops the pending advance of those partitions, so the next poll reads
 * from the new position whatever cursor it brings, and a poll planned before it cannot advance.
 * A join may name its member id (KIP-1082, client-generated ids): a retried join whose answer
 * was lost then finds its member instead of creating a second one.
 * A heartbeat without `owned_partitions` means "I own exactly what you last gave me".
 * The group's assignor is the one its first member named while it was empty; another one is
 * INCONSISTENT_GROUP_PROTOCOL (23).
 * Pure and synchronous (time from the injected clock); the DO persists `stored` after each call.
 */
import { ASSIGNORS, type AssignorName } from "./assignors.ts";
import { emptyGroupState, ownedBy, type GroupConfig, type GroupState } from "./group-state.ts";
import { ConsumerGroup, type HeartbeatRequest, type JoinRequest, type MemberAssignmentResponse, type MembershipDeps } from "./membership.ts";
import { commitOffsets, committedOffset, type OffsetCommitRequest } from "./offsets.ts";
import { contains, toList, tpKey, type TopicPartitions } from "../protocol/topic-partitions.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";

export type AutoOffsetReset = "earliest" | "latest";

/** The coordinator's data beside the group state: per member, read positions and reset policy. */
export interface GroupExtras {
  /** memberId → `tpKey(topic, partition)` → next offset to read (acknowledged reads only). */
  positions: Record<string, Record<string, number>>;
  autoOffsetReset: Record<string, AutoOffsetReset>;
  /** memberId → the last poll's advance, applied when the next poll acknowledges `cursor`. */
  pending: Record<string, { cursor: number; next: Record<string, number> }>;
  /** memberId → the last cursor handed out (cursors only grow). */
  cursors: Record<string, number>;
}

export interface StoredGroup {
  state: GroupState;
  extras: GroupExtras;
}

export interface MemberJoinRequest extends JoinRequest {
  assignor?: AssignorName | null;
  autoOffsetReset?: AutoOffsetReset | null;
  /** A member id chosen by the client (KIP-1082); a join naming a current member answers it again. */
  memberId?: string | null;
}

/** What a client may choose as its member id: 1 to 64 characters of [a-zA-Z0-9_-]. */
export const CLIENT_MEMBER_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Where a poll reads one partition: an offset, or the leader resolves earliest/latest. */
export interface PartitionRead {
  topic: string;
  partition: number;
  from: number | AutoOffsetReset;
}

export interface PollPlan {
  memberEpoch: number;
  assignment: TopicPartitions;
  reads: PartitionRead[];
  /** The member's auto_offset_reset, for a position the log no longer holds. */
  reset: AutoOffsetReset;
}

/** A seek: the next offset a member reads from one partition. */
export interface PartitionPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** The end of one partition's read: the records returned ended before `next`. */
export interface PartitionAdvance extends PartitionRead {
  next: number;
}

export const emptyExtras = (): GroupExtras => ({ positions: {}, autoOffsetReset: {}, pending: {}, cursors: {} });

export function newStoredGroup(groupId: string): StoredGroup {
  return { state: emptyGroupState(groupId), extras: emptyExtras() };
}

export class GroupCoordinator {
  readonly stored: StoredGroup;
  readonly group: ConsumerGroup;
  readonly #now: () => number;
  /** The id the current join asked for, handed to ConsumerGroup as its next new member id. */
  #requestedMemberId: string | null = null;

  constructor(stored: StoredGroup, deps: MembershipDeps) {
    this.stored = stored;
    stored.extras.pending ??= {};
    stored.extras.cursors ??= {};
    this.group = new ConsumerGroup(stored.state, { ...deps, newMemberId: () => this.#requestedMemberId ?? deps.newMemberId() });
    this.#now = () => deps.clock.now();
  }

  get config(): GroupConfig {
    return this.group.config;
  }

  get isEmpty(): boolean {
    this.#expire();
    return Object.keys(this.stored.state.members).length === 0;
  }

  join(req: MemberJoinRequest): Result<MemberAssignmentResponse> {
    this.#expire();
    const requested = req.memberId ?? null;
    if (requested !== null) {
      if (!CLIENT_MEMBER_ID.test(requested))
        return fail("INVALID_REQUEST", `member_id must be 1 to 64 characters of [a-zA-Z0-9_-], got "${requested}"`);
      const current = this.stored.state.members[requested];
      // A retried join (its answer was lost): the member as it is now, as a heartbeat answers.
      if (current) return this.heartbeat({ memberId: requested, memberEpoch: current.memberEpoch });
    }
    const assignor = req.assignor ?? null;
    if (assignor !== null && !(assignor in ASSIGNORS))
      return fail("INVALID_REQUEST", `assignor must be one of ${Object.keys(ASSIGNORS).join(", ")}, got "${assignor}"`);
    const empty = Object.keys(this.stored.state.members).length === 0;
    if (assignor !== null && !empty && assignor !== this.stored.state.assignor)
      return fail(
        "INCONSISTENT_GROUP_PROTOCOL",
        `group ${this.stored.state.groupId} uses the ${this.stored.state.assignor} assignor; a member asking for ${assignor} cannot join until the group is empty`,
      );
    const previousAssignor = this.stored.state.assignor;
    if (assignor !== null && empty) this.stored.state.assignor = assignor;
    this.#requestedMemberId = requested;
    let r: Result<MemberAssignmentResponse>;
    try {
      r = this.group.join(req);
    } finally {
      this.#requestedMemberId = null;
    }
    if (!r.ok) {
      this.stored.state.assignor = previousAssignor;
      return r;
    }
    this.stored.extras.autoOffsetReset[r.value.memberId] = req.autoOffsetReset ?? "latest";
    this.#prune();
    return r;
  }

  /** `ownedPartitions` undefined: the member owns exactly what it was last given. */
  heartbeat(req: HeartbeatRequest): Result<MemberAssignmentResponse> {
    this.#expire();
    const member = this.stored.state.members[req.memberId];
    const owned = req.ownedPartitions === undefined && member ? member.assignedPartitions : req.ownedPartitions;
    const r = this.group.heartbeat({ ...req, ownedPartitions: owned ?? null });
    this.#prune();
    return r;
  }

  leave(memberId: string): Result<void> {
    const r = this.group.leave(memberId);
    this.#prune();
    return r;
  }

  /** Session and rebalance timeouts (the alarm); the removed member ids. */
  expire(): string[] {
    const removed = this.group.expire();
    this.#prune();
    return removed;
  }

  updateTopics(topics: Readonly<Record<string, number>>): boolean {
    const moved = this.group.updateTopics(topics);
    this.#prune();
    return moved;
  }

  commit(req: OffsetCommitRequest): Result<void> {
    const r = commitOffsets(this.group, req, this.#now());
    this.#prune();
    return r;
  }

  /**
   * Where a member's poll reads: its assigned partitions (not those being revoked), each from
   * its position, else the committed offset, else its reset policy. With `autoCommit`, first
   * commits the positions it has reached. `memberEpoch`, when given, must be current.
   */
  pollPlan(memberId: string, memberEpoch: number | null, autoCommit: boolean, cursor: number | null = null): Result<PollPlan> {
    const found = this.#currentMember(memberId, memberEpoch);
    if (!found.ok) return found;
    const member = found.value;
    const positions = (this.stored.extras.positions[memberId] ??= {});
    const pending = this.stored.extras.pending[memberId];
    if (pending) {
      // The previous answer arrived (its cursor came back, or the client does not use cursors):
      // its reads count. Otherwise it was lost and the same records are read again.
      if (cursor === null || cursor === pending.cursor)
        for (const [key, next] of Object.entries(pending.next)) if (this.#assignedKey(member.assignedPartitions, key)) positions[key] = next;
      delete this.stored.extras.pending[memberId];
    }
    if (autoCommit) {
      const offsets = toList(ownedBy(member))
        .map(({ topic, partition }) => ({ topic, partition, offset: positions[tpKey(topic, partition)] }))
        .filter((o): o is { topic: string; partition: number; offset: number } => {
          if (o.offset === undefined) return false;
          const committed = committedOffset(this.stored.state, o.topic, o.partition)?.offset;
          return committed === undefined || committed < o.offset;
        });
      if (offsets.length > 0) {
        const committed = this.commit({ memberId, memberEpoch: member.memberEpoch, offsets });
        if (!committed.ok) return committed;
      }
    }
    const reset = this.stored.extras.autoOffsetReset[memberId] ?? "latest";
    const reads = toList(member.assignedPartitions).map(({ topic, partition }): PartitionRead => {
      const key = tpKey(topic, partition);
      const from = positions[key] ?? committedOffset(this.stored.state, topic, partition)?.offset ?? reset;
      return { topic, partition, from };
    });
    return ok({ memberEpoch: member.memberEpoch, assignment: member.assignedPartitions, reads, reset });
  }

  /**
   * Records where a read ended, pending until the next poll acknowledges `cursor`. A partition
   * counts only if the member still has it assigned and its position is still where the read
   * started; returns those partitions (the API returns only their records) and the cursor. An
   * unknown member moves nothing.
   */
  advance(memberId: string, advances: readonly PartitionAdvance[]): Result<{ moved: PartitionRead[]; cursor: number }> {
    this.#expire();
    const found = this.group.findMember(memberId);
    if (!found.ok) return found;
    const member = found.value;
    const positions = this.stored.extras.positions[memberId] ?? {};
    const next: Record<string, number> = {};
    const moved: PartitionRead[] = [];
    for (const a of advances) {
      if (!contains(member.assignedPartitions, a.topic, a.partition)) continue;
      const key = tpKey(a.topic, a.partition);
      const current = positions[key] ?? committedOffset(this.stored.state, a.topic, a.partition)?.offset;
      const startedAt = typeof a.from === "number" ? a.from : undefined;
      if (current !== startedAt) continue;
      if (!Number.isSafeInteger(a.next) || (startedAt !== undefined && a.next < startedAt)) continue;
      next[key] = a.next;
      moved.push({ topic: a.topic, partition: a.partition, from: a.from });
    }
    const cursor = (this.stored.extras.cursors[memberId] ?? 0) + 1;
    this.stored.extras.cursors[memberId] = cursor;
    this.stored.extras.pending[memberId] = { cursor, next };
    return ok({ moved, cursor });
  }

  /**
   * Moves the member's read positions (Kafka's seek): only partitions assigned to it now, all
   * or none. `memberEpoch`, when given, must be current. Commits nothing.
   */
  seek(memberId: string, memberEpoch: number | null, to: readonly PartitionPosition[]): Result<void> {
    const found = this.#currentMember(memberId, memberEpoch);
    if (!found.ok) return found;
    const member = found.value;
    for (const p of to) {
      if (!Number.isSafeInteger(p.offset) || p.offset < 0) return fail("INVALID_REQUEST", `${p.topic}-${p.partition}: a position must be a non-negative integer, got ${p.offset}`);
      if (!contains(member.assignedPartitions, p.topic, p.partition))
        return fail("UNKNOWN_TOPIC_OR_PARTITION", `${p.topic}-${p.partition} is not assigned to member ${memberId}: a member seeks only partitions it owns now`);
    }
    const positions = (this.stored.extras.positions[memberId] ??= {});
    const pending = this.stored.extras.pending[memberId];
    for (const p of to) {
      const key = tpKey(p.topic, p.partition);
      positions[key] = p.offset;
      if (pending) delete pending.next[key];
    }
    return ok(undefined);
  }

  /** The member after expiry; `memberEpoch`, when given, must be its current epoch (else 110). */
  #currentMember(memberId: string, memberEpoch: number | null) {
    this.#expire();
    const found = this.group.findMember(memberId);
    if (!found.ok || memberEpoch === null || memberEpoch === found.value.memberEpoch) return found;
    return fail("FENCED_MEMBER_EPOCH", `member ${memberId} is at epoch ${found.value.memberEpoch}, not ${memberEpoch}`);
  }

  #assignedKey(assigned: TopicPartitions, key: string): boolean {
    const sep = key.lastIndexOf("\u0000"); // tpKey's separator
    return contains(assigned, key.slice(0, sep), Number(key.slice(sep + 1)));
  }

  #expire(): void {
    this.group.expire();
    this.#prune();
  }

  /** Drops extras of removed members and positions of partitions a member no longer owns. */
  #prune(): void {
    const { members } = this.stored.state;
    const { positions, autoOffsetReset, pending, cursors } = this.stored.extras;
    for (const extra of [autoOffsetReset, pending, cursors]) for (const id of Object.keys(extra)) if (!members[id]) delete extra[id];
    for (const id of Object.keys(positions)) {
      const member = members[id];
      if (!member) {
        delete positions[id];
        continue;
      }
      const owned = ownedBy(member);
      for (const key of Object.keys(positions[id]!)) if (!this.#assignedKey(owned, key)) delete positions[id]![key];
    }
  }
}
