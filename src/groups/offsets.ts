/**
 * Committed offsets of a consumer group: commit (fenced by member epoch and ownership), fetch
 * with lag, and `kafka-consumer-groups --reset-offsets` planning and execution.
 *
 * Invariants:
 * - a committed offset changes only by a commit from the member that owns the partition at its
 *   current epoch (membership.ts `validateOffsetCommit`), or by a reset while the group has no
 *   members; a rejected commit changes no offset (all offsets of a request are checked first);
 * - a reset target lies in [logStartOffset, highWatermark], as the tool clamps it;
 * - lag = highWatermark − committed, at least 0, and null when nothing is committed (the tool
 *   prints "-"): there is no position to measure from.
 * Pure; the DO fetches log offsets from the partition leaders, then calls `planOffsetReset` and
 * `applyOffsetReset` (which re-checks that the group is still empty after that await).
 */
import type { CommittedOffset, GroupState } from "./group-state.ts";
import type { ConsumerGroup } from "./membership.ts";
import { compareStrings, formatTp } from "../protocol/topic-partitions.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

export interface OffsetCommitRequest {
  memberId: string;
  memberEpoch: number;
  offsets: readonly OffsetCommitEntry[];
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface OffsetWithLag extends PartitionOffset {
  metadata: string;
  /** null when the partition's high watermark was not given. */
  lag: number | null;
}

/** What the partition leader reports, for lag and resets. */
export interface LogOffsets {
  logStartOffset: number;
  highWatermark: number;
}

export type OffsetResetSpec =
  | { type: "earliest" }
  | { type: "latest" }
  /** The earliest offset whose timestamp ≥ the given one (`--to-datetime`). */
  | { type: "timestamp"; timestamp: number }
  | { type: "offset"; offset: number }
  /** Committed offset + n (`--shift-by`, n may be negative). */
  | { type: "shift"; by: number };

export interface ResetPartition extends LogOffsets {
  topic: string;
  partition: number;
  /** For `timestamp`: the offset the leader found, or null when no record is that recent. */
  offsetForTimestamp?: number | null;
}

export interface ResetPlanEntry extends PartitionOffset {
  /** The committed offset before the reset, null when there was none. */
  previousOffset: number | null;
}

export function committedOffset(state: GroupState, topic: string, partition: number): CommittedOffset | undefined {
  return state.offsets[topic]?.[String(partition)];
}

export function commitOffsets(group: ConsumerGroup, req: OffsetCommitRequest, nowMs: number): Result<void> {
  for (const e of req.offsets) {
    if (!Number.isSafeInteger(e.partition) || e.partition < 0) return fail("INVALID_REQUEST", "partition must be a non-negative integer");
    if (!Number.isSafeInteger(e.offset) || e.offset < 0) return fail("INVALID_REQUEST", `offset for ${formatTp(e.topic, e.partition)} must be a non-negative integer`);
    if ((e.metadata ?? "").length > group.config.offsetMetadataMaxBytes)
      return fail("INVALID_COMMIT_OFFSET_SIZE", `metadata for ${formatTp(e.topic, e.partition)} is longer than ${group.config.offsetMetadataMaxBytes}`);
  }
  const fenced = group.validateOffsetCommit(req.memberId, req.memberEpoch, req.offsets);
  if (!fenced.ok) return fenced;
  for (const e of req.offsets) write(group.state, e.topic, e.partition, { offset: e.offset, metadata: e.metadata ?? "", commitTimestampMs: nowMs });
  return ok(undefined);
}

/** lag = HW − committed, never negative; null when nothing is committed. */
export function lag(committed: number | null | undefined, highWatermark: number): number | null {
  if (committed === null || committed === undefined) return null;
  return Math.max(0, highWatermark - committed);
}

/** Every committed offset, sorted, with its lag against the given high watermarks. */
export function fetchOffsets(state: GroupState, highWatermarks: (topic: string, partition: number) => number | undefined = () => undefined): OffsetWithLag[] {
  const out: OffsetWithLag[] = [];
  for (const topic of Object.keys(state.offsets).sort(compareStrings)) {
    const partitions = Object.keys(state.offsets[topic]!).map(Number).sort((a, b) => a - b);
    for (const partition of partitions) {
      const c = state.offsets[topic]![String(partition)]!;
      const hw = highWatermarks(topic, partition);
      out.push({ topic, partition, offset: c.offset, metadata: c.metadata, lag: hw === undefined ? null : lag(c.offset, hw) });
    }
  }
  return out;
}

/**
 * The offsets a reset would commit (the tool's dry run), clamped to [logStartOffset,
 * highWatermark]. A shift of a partition with no committed offset fails, as the tool does.
 * Fails with NON_EMPTY_GROUP (68) while the group has members, as the tool refuses then.
 */
export function planOffsetReset(group: ConsumerGroup, spec: OffsetResetSpec, partitions: readonly ResetPartition[]): Result<ResetPlanEntry[]> {
  const notEmpty = requireEmpty(group);
  if (!notEmpty.ok) return notEmpty;
  const plan: ResetPlanEntry[] = [];
  for (const p of partitions) {
    if (p.logStartOffset > p.highWatermark) return fail("INVALID_REQUEST", `${formatTp(p.topic, p.partition)}: log start offset is above the high watermark`);
    const previous = committedOffset(group.state, p.topic, p.partition)?.offset ?? null;
    let target: number;
    switch (spec.type) {
      case "earliest":
        target = p.logStartOffset;
        break;
      case "latest":
        target = p.highWatermark;
        break;
      case "timestamp":
        target = p.offsetForTimestamp ?? p.highWatermark;
        break;
      case "offset":
        target = spec.offset;
        break;
      case "shift":
        if (previous === null)
          return fail("INVALID_REQUEST", `cannot shift the offset of ${formatTp(p.topic, p.partition)}: the group has no committed offset for it`);
        target = previous + spec.by;
        break;
    }
    if (!Number.isSafeInteger(target)) return fail("INVALID_REQUEST", `reset offset for ${formatTp(p.topic, p.partition)} must be an integer`);
    plan.push({ topic: p.topic, partition: p.partition, offset: Math.min(Math.max(target, p.logStartOffset), p.highWatermark), previousOffset: previous });
  }
  return ok(plan);
}

/** Commits a planned reset; the group must still be empty. */
export function applyOffsetReset(group: ConsumerGroup, plan: readonly ResetPlanEntry[], nowMs: number): Result<void> {
  const notEmpty = requireEmpty(group);
  if (!notEmpty.ok) return notEmpty;
  for (const e of plan) write(group.state, e.topic, e.partition, { offset: e.offset, metadata: "", commitTimestampMs: nowMs });
  return ok(undefined);
}

function requireEmpty(group: ConsumerGroup): Result<void> {
  group.expire();
  const members = Object.keys(group.state.members).length;
  if (members > 0)
    return fail("NON_EMPTY_GROUP", `group ${group.state.groupId} has ${members} active member(s): offsets can be reset only while the group is empty`);
  return ok(undefined);
}

function write(state: GroupState, topic: string, partition: number, committed: CommittedOffset): void {
  (state.offsets[topic] ??= {})[String(partition)] = committed;
}
