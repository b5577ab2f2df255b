/**
 * Leader-epoch cache rules (Kafka's LeaderEpochFileCache, KIP-101/279), as pure functions over
 * the ascending list of `{ epoch, startOffset }` entries that the store keeps.
 *
 * Invariants: epochs and start offsets both strictly increase along the list; an entry's start
 * offset is the first offset written in that epoch. Called by PartitionLog inside its store
 * transactions; no state of its own.
 */
import type { Offset } from "../protocol/types.ts";
import type { EpochEntry } from "./log-store.ts";

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/** The answer to OffsetsForLeaderEpoch: the largest epoch ≤ the requested one, and its end. */
export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: Offset;
}

export const latestEpoch = (entries: readonly EpochEntry[]): EpochEntry | undefined => entries.at(-1);

/**
 * Records that `epoch` starts at `startOffset`. Entries it contradicts (an epoch ≥ it, or a start
 * offset ≥ it) are dropped first, as Kafka does, so the list stays monotonic.
 */
export function assignEpoch(entries: readonly EpochEntry[], epoch: number, startOffset: Offset): EpochEntry[] {
  const last = latestEpoch(entries);
  if (last && last.epoch === epoch && last.startOffset <= startOffset) return [...entries];
  const kept = entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
  return [...kept, { epoch, startOffset }];
}

/** After truncating the log to `endOffset`: entries starting at or after it are gone. */
export const truncateFromEnd = (entries: readonly EpochEntry[], endOffset: Offset): EpochEntry[] =>
  entries.filter((e) => e.startOffset < endOffset);

/**
 * After the log start moves to `startOffset`: entries that start at or before it collapse into
 * one, the latest of them, now starting at `startOffset`.
 */
export function truncateFromStart(entries: readonly EpochEntry[], startOffset: Offset): EpochEntry[] {
  const removed = entries.filter((e) => e.startOffset <= startOffset);
  const rest = entries.filter((e) => e.startOffset > startOffset);
  const lastRemoved = removed.at(-1);
  return lastRemoved ? [{ epoch: lastRemoved.epoch, startOffset }, ...rest] : rest;
}

/**
 * KIP-101/279: for the requested epoch, the largest known epoch ≤ it and the offset where the
 * next higher epoch starts (the log end for the latest epoch). A follower truncates to it.
 */
export function endOffsetForEpoch(
  entries: readonly EpochEntry[],
  requestedEpoch: number,
  logEndOffset: Offset,
): EpochEndOffset {
  const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  if (requestedEpoch === UNDEFINED_EPOCH) return undefinedAnswer;
  if (latestEpoch(entries)?.epoch === requestedEpoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
  const higher = entries.find((e) => e.epoch > requestedEpoch);
  // Larger than every known epoch: cannot happen while the latest entry is the current epoch.
  if (!higher) return undefinedAnswer;
  const floor = entries.findLast((e) => e.epoch <= requestedEpoch);
  // Smaller than every known epoch (its records were deleted): answer the first higher epoch's
  // start, so the follower replicates from there.
  if (!floor) return { leaderEpoch: requestedEpoch, endOffset: higher.startOffset };
  return { leaderEpoch: floor.epoch, endOffset: higher.startOffset };
}
