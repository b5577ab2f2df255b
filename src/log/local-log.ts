/**
 * The store-level writes of a partition log (Kafka's LocalLog, reduced): append batches at the
 * log end rolling segments, truncate from an offset (trimming a straddling batch), and empty
 * the log. Each runs inside the caller's store transaction and updates the caller's draft of the
 * state row; PartitionLog (the UnifiedLog part) decides when, and saves the draft.
 *
 * Invariants kept: segments tile the batches, the highest base offset is the active segment
 * and its stats match its batches; the epoch cache has an entry where every newer epoch's first
 * batch starts and none at or past the LEO after a truncation; the HW never passes the LEO.
 * Pure functions over a LogStore; synchronous; one caller at a time.
 */
import type { LogConfig } from "../protocol/config.ts";
import type { Offset, TimestampMs } from "../protocol/types.ts";
import { assignEpoch, latestEpoch, truncateFromEnd } from "./leader-epoch-cache.ts";
import type { BatchRow, LogState, LogStore, SegmentRow } from "./log-store.ts";
import { trimBatch } from "../codec/record-batch.ts";

/** A batch to append: a stored row without the columns the writer fills in. */
export type BatchToWrite = Omit<BatchRow, "segment" | "sizeBytes">;

export const emptySegment = (baseOffset: Offset, now: TimestampMs): SegmentRow => ({
  baseOffset,
  createdAt: now,
  sizeBytes: 0,
  recordCount: 0,
  maxTimestamp: -1,
});

/** Kafka's LogSegment.shouldRoll for a non-empty active segment. */
const shouldRoll = (active: SegmentRow, incomingBytes: number, now: TimestampMs, config: LogConfig): boolean =>
  active.sizeBytes + incomingBytes > config.segmentBytes || now - active.createdAt > config.segmentMs;

/**
 * Appends `rows` (contiguous from the LEO) and records each batch's epoch in the cache where it
 * starts a newer range (Kafka assigns per batch, so a follower's cache matches its leader's).
 * `highWatermark` is the HW the commit ends with: given with the last row, so a store may keep
 * it there instead of rewriting its state row (LogStore.saveState).
 */
export function writeBatches(
  store: LogStore,
  config: LogConfig,
  next: LogState,
  rows: readonly BatchToWrite[],
  now: TimestampMs,
  highWatermark: Offset,
): void {
  let active = store.activeSegment();
  const before = store.epochs();
  let epochs = before;
  for (const row of rows) {
    const last = latestEpoch(epochs);
    if (!last || last.epoch !== row.leaderEpoch || last.startOffset > row.baseOffset)
      epochs = assignEpoch(epochs, row.leaderEpoch, row.baseOffset);
    const size = row.records.length;
    // Empty = no batch yet (size 0): a batch the cleaner emptied still counts (cleaner.ts).
    if (!active || (active.sizeBytes > 0 && shouldRoll(active, size, now, config))) active = emptySegment(row.baseOffset, now);
    // A segment rolled while empty (by retention) starts its clock at its first batch.
    else if (active.sizeBytes === 0) active = { ...active, createdAt: now };
    store.appendBatch({ ...row, sizeBytes: size, segment: active.baseOffset }, row === rows.at(-1) ? highWatermark : undefined);
    active = {
      ...active,
      sizeBytes: active.sizeBytes + size,
      recordCount: active.recordCount + row.recordCount,
      maxTimestamp: Math.max(active.maxTimestamp, row.maxTimestamp),
    };
    store.putSegment(active);
    next.logEndOffset = row.lastOffset + 1;
  }
  if (epochs !== before) store.replaceEpochs(epochs);
}

/** Removes every record at or after `offset` (logStartOffset ≤ offset < LEO). */
export function truncateFrom(store: LogStore, next: LogState, offset: Offset): void {
  const holder = store.batchAtOrBefore(offset);
  store.deleteBatchesFrom(offset);
  if (holder && holder.baseOffset < offset && holder.lastOffset >= offset) {
    const t = trimBatch(holder.records, holder.baseOffset, offset);
    store.replaceBatch({
      ...holder,
      lastOffset: t.lastOffset,
      recordCount: t.recordCount,
      maxTimestamp: t.maxTimestamp,
      sizeBytes: t.blob.length,
      records: t.blob,
    });
  }
  store.deleteSegmentsFrom(offset);
  const active = store.activeSegment();
  if (active) store.putSegment({ ...active, ...store.batchStats(active.baseOffset) });
  store.replaceEpochs(truncateFromEnd(store.epochs(), offset));
  next.logEndOffset = offset;
  next.highWatermark = Math.min(next.highWatermark, offset);
}

/** Drops every batch, segment and epoch entry; the log restarts empty at `offset`. */
export function truncateFully(store: LogStore, next: LogState, offset: Offset): void {
  store.deleteBatchesFrom(0);
  store.deleteSegmentsFrom(0);
  store.replaceEpochs([]);
  next.logStartOffset = offset;
  next.logEndOffset = offset;
  next.highWatermark = offset;
}
