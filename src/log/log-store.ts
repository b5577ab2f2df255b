/**
 * LogStore: the narrow storage interface under PartitionLog, shaped like the log's operations
 * (append a batch row, find the batch holding an offset and read on, roll/delete segments,
 * load/save the state row, leader-epoch rows, truncate, look up by time).
 *
 * Two implementations pass one contract suite (test/contract/log-store.contract.ts):
 * `SqliteLogStore` (over a SqlPort: Durable Object or node:sqlite) and `MemoryLogStore`.
 *
 * The store keeps no rules of its own: PartitionLog decides offsets, rolls and what to delete,
 * and wraps every multi-step change in `transaction`. Rows are plain data; the store never
 * mutates a row object it was given or returned, and no caller writes into a row's `records`
 * blob (a store may keep it: SqliteLogStore holds the newest batches in memory, issue 22).
 * Concurrency: synchronous; one caller (the replica DO) at a time.
 */
import type { Offset, ReplicaRole, ReplicatedBatch, TimestampMs } from "../protocol/types.ts";
import type { ProducerBatchRow } from "./producer-state.ts";

/**
 * One stored record batch (a row of `batches`): the batch as it replicates (producer fields are
 * -1 when the producer is not idempotent; `records` is the encoded blob of record-batch.ts),
 * plus where it is stored.
 */
export interface BatchRow extends ReplicatedBatch {
  /** Length of `records`. */
  sizeBytes: number;
  /** Base offset of the segment the batch belongs to. */
  segment: Offset;
}

/** One segment (a row of `segments`); the one with the highest base offset is active. */
export interface SegmentRow {
  baseOffset: Offset;
  /** When the segment got its first batch (or was rolled, while still empty). */
  createdAt: TimestampMs;
  sizeBytes: number;
  recordCount: number;
  /** -1 while empty. */
  maxTimestamp: TimestampMs;
}

/** Sizes and newest timestamp over a range of batches, used to refresh a segment row. */
export interface BatchRangeStats {
  sizeBytes: number;
  recordCount: number;
  maxTimestamp: TimestampMs;
}

/** The log's part of the replica state row. */
export interface LogState {
  logStartOffset: Offset;
  logEndOffset: Offset;
  highWatermark: Offset;
  leaderEpoch: number;
  role: ReplicaRole;
}

/**
 * The log cleaner's checkpoint (cleaner.ts, Kafka's cleaner-offset-checkpoint): the offset where
 * the uncleaned ("dirty") part of the log begins, and when the earliest tombstone a pass kept
 * expires (-1: none), so a log with nothing new still gets a pass to remove it.
 */
export interface CleanerCheckpoint {
  firstDirtyOffset: Offset;
  tombstoneDeadline: TimestampMs;
}

/** A leader-epoch cache entry: the first offset written in `epoch`. */
export interface EpochEntry {
  epoch: number;
  startOffset: Offset;
}

export interface LogStore {
  /** All of `fn`'s writes or none (if it throws). PartitionLog calls it once per operation. */
  transaction<T>(fn: () => T): T;

  loadState(): LogState | null;
  /**
   * The state as of this transaction's end. A commit that only appended batches and moved the
   * LEO to the last one's end and the HW to the `highWatermark` given with it (appendBatch) may
   * leave the state row as it is: loadState derives both from the last batch.
   */
  saveState(state: LogState): void;

  /**
   * Adds a batch after every stored batch; `highWatermark` is the HW the transaction commits
   * with, given with the transaction's last batch (a store may keep it with the batch row).
   */
  appendBatch(batch: BatchRow, highWatermark?: Offset): void;
  /** Rewrites the batch with the same base offset (a batch trimmed by truncation). */
  replaceBatch(batch: BatchRow): void;
  /** The batch with the highest base offset ≤ `offset`, if any (it may end before `offset`). */
  batchAtOrBefore(offset: Offset): BatchRow | null;
  /**
   * The batch holding `offset` (or the first one after it), then every later batch, in order.
   * Lazy: the caller takes what it needs, with no write to the store while it iterates.
   */
  batchesFrom(offset: Offset): Iterable<BatchRow>;
  firstBatch(): BatchRow | null;
  /** The first batch at or after `fromOffset`, by offset, whose max timestamp is ≥ `timestamp`. */
  firstBatchWithMaxTimestampAtLeast(timestamp: TimestampMs, fromOffset: Offset): BatchRow | null;
  /** Stats over batches with `fromOffset` ≤ base offset (< `toOffset` when given). */
  batchStats(fromOffset: Offset, toOffset?: Offset): BatchRangeStats;
  /** Deletes batches whose base offset is ≥ `offset`. */
  deleteBatchesFrom(offset: Offset): void;
  /** Deletes batches whose base offset is < `offset`. */
  deleteBatchesBelow(offset: Offset): void;
  /**
   * For every producer id ≥ 0 in the log, its last `perProducer` batches (fewer if it has fewer),
   * all together in offset order: what the idempotent producer state is rebuilt from.
   */
  lastBatchesPerProducer(perProducer: number): ProducerBatchRow[];

  /** All segments, oldest first. */
  segments(): SegmentRow[];
  activeSegment(): SegmentRow | null;
  /** Inserts or replaces the segment with this base offset. */
  putSegment(segment: SegmentRow): void;
  deleteSegmentsFrom(offset: Offset): void;
  deleteSegmentsBelow(offset: Offset): void;

  /** The leader-epoch cache, ascending by epoch (and by start offset). */
  epochs(): EpochEntry[];
  replaceEpochs(entries: readonly EpochEntry[]): void;

  /** The cleaner's checkpoint; null before its first pass. */
  loadCleanerCheckpoint(): CleanerCheckpoint | null;
  saveCleanerCheckpoint(checkpoint: CleanerCheckpoint): void;
}
