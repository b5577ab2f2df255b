/**
 * High-watermark rules. HW = min(LEO) over the ISR (the leader's own LEO included); it never
 * decreases and never passes the leader's LEO. Pure; PartitionLog.maybeIncrementHighWatermark
 * applies `nextHighWatermark`, the replication driver computes the candidate with
 * `highWatermarkFor`.
 */
import type { Offset } from "../protocol/types.ts";

/** The candidate HW for an ISR whose members have these log end offsets (leader included). */
export function highWatermarkFor(isrLogEndOffsets: readonly Offset[]): Offset {
  if (isrLogEndOffsets.length === 0) throw new RangeError("highWatermarkFor: the ISR holds at least the leader");
  return Math.min(...isrLogEndOffsets);
}

/** The HW after offering `candidate`: raised to it if higher, but never beyond the LEO. */
export const nextHighWatermark = (current: Offset, candidate: Offset, logEndOffset: Offset): Offset =>
  Math.max(current, Math.min(candidate, logEndOffset));
