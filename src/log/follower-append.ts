/**
 * The follower's side of push replication as pure rules: Raft's AppendEntries consistency check,
 * keyed by Kafka's leader epochs (KIP-101/279). `planFollowerAppend` decides, from a read-only
 * view of the follower's log, whether a push fits and what to do with it;
 * PartitionLog.appendAsFollower applies the plan in one store transaction.
 *
 * Invariants, given one leader per epoch (so two records with the same epoch at the same offset
 * are the same record, and so is everything below them: Raft's Log Matching):
 * - A push fits only when the follower holds the leader's record at `prevOffset - 1` (same
 *   epoch), or the leader has nothing below `prevOffset` (`prevEpoch` −1).
 * - A pushed batch the follower already holds (same base offset, epoch and last offset) is
 *   skipped, so a re-sent or stale push from the same leader changes nothing. The first batch it
 *   does not hold replaces the follower's log from that batch's base offset on.
 * - Every leader record at or after `leaderEpochStartOffset` has the leader's epoch, so once the
 *   push fits, a follower record there with an older epoch is a divergent tail and goes
 *   (KIP-101/279's truncation by epoch), even when the push itself is stale.
 * - Other records beyond the end of the push are kept (a stale push must not undo a newer one),
 *   so the follower answers `matchedEnd`, the end of what this push proved it shares with the
 *   leader (Raft's matchIndex), never a longer leftover tail; its HW is capped there too.
 * Pure and synchronous; no state.
 */
import type { Offset, ReplicateRequest, ReplicateResponse, ReplicatedBatch } from "../protocol/types.ts";
import { UNDEFINED_EPOCH } from "./leader-epoch-cache.ts";

/** What the rules need to know about the follower's log. */
export interface FollowerLogView {
  readonly logStartOffset: Offset;
  readonly logEndOffset: Offset;
  /** The epoch of the record at `offset` (−1 outside [logStartOffset, logEndOffset)). */
  epochAt(offset: Offset): number;
  /** The stored batch whose base offset is exactly `baseOffset`, if any. */
  batchStartingAt(baseOffset: Offset): { leaderEpoch: number; lastOffset: Offset } | null;
}

export type FollowerAppendPlan =
  /** The push does not fit: answer `gap` or `diverging`, change no record. */
  | { kind: "mismatch"; response: ReplicateResponse }
  | {
      kind: "append";
      /** Empty the log and restart it here first (the leader's log starts past our end). */
      truncateFullyAt: Offset | null;
      /** Remove records from here on first (a pushed batch conflicts with ours). */
      truncateTo: Offset | null;
      /** The batches to append, in order, after the truncation. */
      batches: readonly ReplicatedBatch[];
      /** The end of the log shared with the leader once the push is applied. */
      matchedEnd: Offset;
    };

const isOffset = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * Checks a push's shape: integers, batches contiguous from `prevOffset`, epochs ≤ the leader's.
 * A batch may hold fewer records than its offset range (none at all): the cleaner removed some
 * and kept the batch's base and last offsets (cleaner.ts), so batches still tile the offsets.
 */
export function validateReplicateRequest(req: ReplicateRequest): string | null {
  const { leaderEpoch, prevOffset, prevEpoch, highWatermark, logStartOffset, leaderEpochStartOffset, batches } = req;
  if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < 0) return `leader epoch must be a non-negative integer, got ${leaderEpoch}`;
  if (![prevOffset, highWatermark, logStartOffset, leaderEpochStartOffset].every(isOffset))
    return `prevOffset, highWatermark, logStartOffset and leaderEpochStartOffset must be offsets, got ${prevOffset}, ${highWatermark}, ${logStartOffset}, ${leaderEpochStartOffset}`;
  if (!Number.isSafeInteger(prevEpoch) || prevEpoch < UNDEFINED_EPOCH || prevEpoch > leaderEpoch)
    return `prevEpoch must be −1 or an epoch ≤ ${leaderEpoch}, got ${prevEpoch}`;
  let expected = prevOffset;
  for (const b of batches) {
    if (b.baseOffset !== expected) return `batches must be contiguous from ${prevOffset}: expected base ${expected}, got ${b.baseOffset}`;
    if (!isOffset(b.lastOffset) || b.lastOffset < b.baseOffset || !Number.isSafeInteger(b.recordCount) || b.recordCount < 0 || b.recordCount > b.lastOffset - b.baseOffset + 1)
      return `batch ${b.baseOffset} has last offset ${b.lastOffset} and ${b.recordCount} records`;
    if (!Number.isSafeInteger(b.leaderEpoch) || b.leaderEpoch < 0 || b.leaderEpoch > leaderEpoch)
      return `batch ${b.baseOffset} has epoch ${b.leaderEpoch}, beyond the leader's ${leaderEpoch}`;
    expected = b.lastOffset + 1;
  }
  return null;
}

const holds = (log: FollowerLogView, b: ReplicatedBatch): boolean => {
  const own = log.batchStartingAt(b.baseOffset);
  return own !== null && own.leaderEpoch === b.leaderEpoch && own.lastOffset === b.lastOffset;
};

/** The follower's answer to a (valid, unfenced) push, before anything is written. */
export function planFollowerAppend(log: FollowerLogView, req: ReplicateRequest): FollowerAppendPlan {
  const { prevOffset, prevEpoch, batches } = req;
  const logEndOffset = log.logEndOffset;
  let truncateFullyAt: Offset | null = null;
  if (logEndOffset < prevOffset) {
    if (prevEpoch !== UNDEFINED_EPOCH) return { kind: "mismatch", response: { status: "gap", logEndOffset } };
    // The leader's log starts past our end: nothing of ours can be checked or kept.
    truncateFullyAt = prevOffset;
  } else if (prevEpoch !== UNDEFINED_EPOCH && prevOffset - 1 >= log.logStartOffset) {
    const divergingEpoch = log.epochAt(prevOffset - 1);
    if (divergingEpoch !== prevEpoch) return { kind: "mismatch", response: { status: "diverging", logEndOffset, divergingEpoch } };
  }
  // A tail at or after the leader's epoch start written in an older epoch is not the leader's.
  const epochStart = req.leaderEpochStartOffset;
  const tailAt =
    truncateFullyAt === null && epochStart >= log.logStartOffset && epochStart < logEndOffset && log.epochAt(epochStart) !== req.leaderEpoch
      ? epochStart
      : null;
  const end = truncateFullyAt ?? tailAt ?? logEndOffset;
  let first = 0;
  while (first < batches.length && batches[first]!.baseOffset < end && holds(log, batches[first]!)) first++;
  const rest = batches.slice(first);
  const conflictAt = rest[0] && rest[0].baseOffset < end ? rest[0].baseOffset : null;
  const truncateTo = conflictAt ?? tailAt;
  const matchedEnd = batches.length > 0 ? batches.at(-1)!.lastOffset + 1 : prevOffset;
  return { kind: "append", truncateFullyAt, truncateTo, batches: rest, matchedEnd };
}
