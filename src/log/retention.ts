/**
 * Retention planning (Kafka's UnifiedLog.deleteOldSegments), pure: which whole segments, oldest
 * first, may be deleted now, and when it is next worth looking.
 *
 * Rules:
 * - retention.ms: a segment goes when its max_timestamp < now − retention.ms. The active segment
 *   may go too (if non-empty): the caller then rolls first so an empty active segment remains.
 * - retention.bytes: the oldest non-active segments go while total − oldest.size ≥ retention.bytes.
 * - Deletion is a prefix: it stops at the first segment a rule keeps.
 * - Never a segment with records at or after the HW (its end offset must be ≤ HW), so the log
 *   start offset never passes the HW. -1 disables a rule.
 * - Only for cleanup.policy `delete` and `compact,delete`; PartitionLog skips these rules for
 *   `compact` (the log cleaner, cleaner.ts, keeps the latest record per key instead).
 * - An empty segment is one without batches (size 0); a segment whose batches the cleaner
 *   emptied of records is not empty (it has their headers) and can expire.
 * Called by PartitionLog.deleteRetainedSegments / nextRetentionDeadline.
 */
import type { LogConfig } from "../protocol/config.ts";
import type { Offset, TimestampMs } from "../protocol/types.ts";
import type { SegmentRow } from "./log-store.ts";

/** How often to look again when something is due but held back (Kafka's log.retention.check.interval.ms). */
export const RETENTION_CHECK_INTERVAL_MS = 300_000;

export interface RetentionPlan {
  /** How many of the oldest segments to delete. */
  deleteCount: number;
  /** True when every segment goes, the non-empty active one included: roll first. */
  rollFirst: boolean;
}

type RetentionConfig = Pick<LogConfig, "retentionMs" | "retentionBytes">;

export function planRetention(
  segments: readonly SegmentRow[],
  logEndOffset: Offset,
  highWatermark: Offset,
  now: TimestampMs,
  config: RetentionConfig,
): RetentionPlan {
  const n = segments.length;
  const endOf = (i: number): Offset => segments[i + 1]?.baseOffset ?? logEndOffset;
  let count = 0;
  if (config.retentionMs >= 0) {
    while (count < n) {
      const s = segments[count]!;
      if (s.sizeBytes === 0 || endOf(count) > highWatermark) break;
      if (!(s.maxTimestamp < now - config.retentionMs)) break;
      count++;
    }
  }
  if (config.retentionBytes >= 0) {
    let total = segments.slice(count).reduce((sum, s) => sum + s.sizeBytes, 0);
    while (count < n - 1 && endOf(count) <= highWatermark) {
      const size = segments[count]!.sizeBytes;
      if (total - size < config.retentionBytes) break;
      total -= size;
      count++;
    }
  }
  return { deleteCount: count, rollFirst: count > 0 && count === n };
}

/**
 * When retention should next run, for the replica's alarm: the oldest segment's expiry under
 * retention.ms, or a periodic check while retention.bytes is exceeded. A time already past
 * (held back by the HW, or not run yet) becomes `now + RETENTION_CHECK_INTERVAL_MS`, so an alarm
 * never spins. Null when no rule can ever delete anything in the current state.
 */
export function retentionDeadline(
  segments: readonly SegmentRow[],
  now: TimestampMs,
  config: RetentionConfig,
): TimestampMs | null {
  const candidates: TimestampMs[] = [];
  const oldest = segments[0];
  if (config.retentionMs >= 0 && oldest && oldest.sizeBytes > 0)
    candidates.push(oldest.maxTimestamp + config.retentionMs + 1);
  if (config.retentionBytes >= 0 && segments.length > 1) {
    const total = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
    if (total - oldest!.sizeBytes >= config.retentionBytes) candidates.push(now);
  }
  if (candidates.length === 0) return null;
  const due = Math.min(...candidates);
  return due > now ? due : now + RETENTION_CHECK_INTERVAL_MS;
}
