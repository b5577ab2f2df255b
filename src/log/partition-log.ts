/**
 * PartitionLog: one replica's log (Kafka's UnifiedLog + LocalLog, reduced): appends, reads,
 * segment rolls, truncation, retention, the high watermark and the leader-epoch cache, over a
 * LogStore.
 *
 * Invariants:
 * - logStartOffset ≤ highWatermark ≤ logEndOffset; offsets are consecutive, with no gaps.
 * - The HW never decreases except by truncation below it, and never passes the LEO.
 * - Every change is one store transaction, and the cached state is replaced only after that
 *   transaction committed: a throw leaves both the store and this object as they were.
 * - Segments: the highest base offset is the active one; a segment's base is its first batch's
 *   base; the only empty segment is an active one at the LEO (after a retention roll).
 * Called by the partition replica DO (and tests). Concurrency: synchronous methods, no await
 * between a read and the write that depends on it; one caller at a time (the DO's input gate).
 * Time comes from the injected Clock only.
 */
import { LIMITS, type LogConfig } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type {
  AppendInfo,
  Clock,
  FetchRequest,
  FetchResult,
  LogRecord,
  Offset,
  OffsetAndTimestamp,
  RecordInput,
  ReplicaOffsets,
  ReplicaRole,
  TimestampMs,
} from "../protocol/types.ts";
import { maxRecordBytesFor, planBatches, resolveTimestamps } from "./batch-planner.ts";
import { nextHighWatermark } from "./high-watermark.ts";
import {
  assignEpoch,
  endOffsetForEpoch,
  latestEpoch,
  truncateFromEnd,
  truncateFromStart,
  type EpochEndOffset,
} from "./leader-epoch-cache.ts";
import type { EpochEntry, LogState, LogStore, SegmentRow } from "./log-store.ts";
import { readRecords, trimBatch } from "./record-batch.ts";
import { planRetention, retentionDeadline } from "./retention.ts";

/** An idempotent producer's identity and the sequence of the request's first record. */
export interface ProducerBatchInfo {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export interface PartitionLogOptions {
  /** Largest stored batch blob; appends are split below it. Tests lower it. */
  maxBatchBlobBytes?: number;
}

export type ReadUpperBound = "highWatermark" | "logEndOffset";

const FRESH_STATE: LogState = { logStartOffset: 0, logEndOffset: 0, highWatermark: 0, leaderEpoch: 0, role: "none" };

const emptySegment = (baseOffset: Offset, now: TimestampMs): SegmentRow => ({
  baseOffset,
  createdAt: now,
  sizeBytes: 0,
  recordCount: 0,
  maxTimestamp: -1,
});

export class PartitionLog {
  readonly #store: LogStore;
  readonly #clock: Clock;
  readonly #maxBlobBytes: number;
  #config: LogConfig;
  #state: LogState;

  private constructor(store: LogStore, clock: Clock, config: LogConfig, state: LogState, maxBlobBytes: number) {
    this.#store = store;
    this.#clock = clock;
    this.#config = config;
    this.#state = state;
    this.#maxBlobBytes = maxBlobBytes;
  }

  /** Recovers the log from its store; a store never written to is a log at 0/0/0, epoch 0. */
  static open(store: LogStore, clock: Clock, config: LogConfig, options: PartitionLogOptions = {}): PartitionLog {
    const state = store.loadState() ?? FRESH_STATE;
    return new PartitionLog(store, clock, config, { ...state }, options.maxBatchBlobBytes ?? LIMITS.maxBatchBlobBytes);
  }

  get logStartOffset(): Offset {
    return this.#state.logStartOffset;
  }
  get logEndOffset(): Offset {
    return this.#state.logEndOffset;
  }
  get highWatermark(): Offset {
    return this.#state.highWatermark;
  }
  get leaderEpoch(): number {
    return this.#state.leaderEpoch;
  }
  get role(): ReplicaRole {
    return this.#state.role;
  }
  get config(): LogConfig {
    return this.#config;
  }

  offsets(): ReplicaOffsets {
    const { logStartOffset, highWatermark, logEndOffset, leaderEpoch, role } = this.#state;
    return { logStartOffset, highWatermark, logEndOffset, leaderEpoch, role };
  }

  setConfig(config: LogConfig): void {
    this.#config = config;
  }

  /** Runs `change` on a copy of the state in one transaction with its save; adopts it on commit. */
  #commit(change: (next: LogState) => void): void {
    const next = { ...this.#state };
    this.#store.transaction(() => {
      change(next);
      this.#store.saveState(next);
    });
    this.#state = next;
  }

  #fenced(leaderEpoch: number): Result<never> | null {
    if (!Number.isSafeInteger(leaderEpoch) || leaderEpoch < 0)
      return fail("INVALID_REQUEST", `leader epoch must be a non-negative integer, got ${leaderEpoch}`);
    if (leaderEpoch < this.#state.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${leaderEpoch} is older than the current ${this.#state.leaderEpoch}`);
    return null;
  }

  /** Records `leaderEpoch` as starting at the LEO if it is newer than every cached epoch. */
  #assignEpochAtLogEnd(leaderEpoch: number): void {
    const epochs = this.#store.epochs();
    const latest = latestEpoch(epochs);
    if (!latest || leaderEpoch > latest.epoch)
      this.#store.replaceEpochs(assignEpoch(epochs, leaderEpoch, this.#state.logEndOffset));
  }

  /** Kafka's makeLeader: the new epoch starts at the current LEO. */
  becomeLeader(leaderEpoch: number): Result<void> {
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    this.#commit((next) => {
      next.role = "leader";
      next.leaderEpoch = leaderEpoch;
      this.#assignEpochAtLogEnd(leaderEpoch);
    });
    return ok(undefined);
  }

  becomeFollower(leaderEpoch: number): Result<void> {
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    this.#commit((next) => {
      next.role = "follower";
      next.leaderEpoch = leaderEpoch;
    });
    return ok(undefined);
  }

  appendAsLeader(records: RecordInput[], leaderEpoch: number, producer?: ProducerBatchInfo): Result<AppendInfo> {
    if (records.length === 0) return fail("INVALID_REQUEST", "an append needs at least one record");
    const fenced = this.#fenced(leaderEpoch);
    if (fenced) return fenced;
    const now = this.#clock.now();
    const timestamps = resolveTimestamps(records, this.#config.messageTimestampType, now);
    if (!timestamps.ok) return timestamps;
    const baseOffset = this.#state.logEndOffset;
    const planned = planBatches(records, timestamps.value, baseOffset, producer?.baseSequence ?? -1, {
      maxRecordBytes: maxRecordBytesFor(this.#config.maxMessageBytes, this.#maxBlobBytes),
      maxBlobBytes: this.#maxBlobBytes,
    });
    if (!planned.ok) return planned;
    this.#commit((next) => {
      this.#assignEpochAtLogEnd(leaderEpoch);
      let active = this.#store.activeSegment();
      for (const b of planned.value) {
        const size = b.blob.length;
        if (!active || (active.recordCount > 0 && this.#shouldRoll(active, size, now)))
          active = emptySegment(b.baseOffset, now);
        // A segment rolled while empty (by retention) starts its clock at its first batch.
        else if (active.recordCount === 0) active = { ...active, createdAt: now };
        this.#store.appendBatch({
          baseOffset: b.baseOffset,
          lastOffset: b.lastOffset,
          leaderEpoch,
          producerId: producer?.producerId ?? -1,
          producerEpoch: producer?.producerEpoch ?? -1,
          baseSequence: b.baseSequence,
          maxTimestamp: b.maxTimestamp,
          recordCount: b.recordCount,
          sizeBytes: size,
          segment: active.baseOffset,
          records: b.blob,
        });
        active = {
          ...active,
          sizeBytes: active.sizeBytes + size,
          recordCount: active.recordCount + b.recordCount,
          maxTimestamp: Math.max(active.maxTimestamp, b.maxTimestamp),
        };
        this.#store.putSegment(active);
      }
      next.logEndOffset = baseOffset + records.length;
      next.leaderEpoch = leaderEpoch;
    });
    return ok({
      baseOffset,
      lastOffset: baseOffset + records.length - 1,
      timestamps: timestamps.value,
      logAppendTime: this.#config.messageTimestampType === "LogAppendTime" ? now : null,
    });
  }

  /** Kafka's LogSegment.shouldRoll for a non-empty active segment. */
  #shouldRoll(active: SegmentRow, incomingBytes: number, now: TimestampMs): boolean {
    return active.sizeBytes + incomingBytes > this.#config.segmentBytes || now - active.createdAt > this.#config.segmentMs;
  }

  /**
   * Records from exactly `offset` on, below the bound (the HW for consumers, the LEO for
   * replication), up to `maxRecords` and `maxBytes` of encoded records, but at least one record
   * when one is available.
   */
  read(request: FetchRequest, upperBound: ReadUpperBound = "highWatermark"): Result<FetchResult> {
    const { offset, maxRecords, maxBytes } = request;
    if (!Number.isSafeInteger(offset)) return fail("INVALID_REQUEST", `offset must be an integer, got ${offset}`);
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1 || !Number.isSafeInteger(maxBytes) || maxBytes < 0)
      return fail("INVALID_FETCH_SIZE", `maxRecords must be ≥ 1 and maxBytes ≥ 0, got ${maxRecords} and ${maxBytes}`);
    const { logStartOffset, highWatermark, logEndOffset } = this.#state;
    const bound = upperBound === "highWatermark" ? highWatermark : logEndOffset;
    if (offset < logStartOffset || offset > bound)
      return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside [${logStartOffset}, ${bound}]`);
    const records: LogRecord[] = [];
    let bytes = 0;
    scan: for (const batch of offset < bound ? this.#store.batchesFrom(offset) : []) {
      if (batch.baseOffset >= bound) break;
      for (const { record, sizeBytes } of readRecords(batch.records, batch.baseOffset, offset)) {
        if (record.offset >= bound) break scan;
        if (records.length > 0 && bytes + sizeBytes > maxBytes) break scan;
        records.push(record);
        bytes += sizeBytes;
        if (records.length >= maxRecords) break scan;
      }
    }
    const nextOffset = (records.at(-1)?.offset ?? offset - 1) + 1;
    return ok({ records, nextOffset, highWatermark, logStartOffset, logEndOffset });
  }

  /** Raises the HW to `candidate` (capped at the LEO); true if it moved. */
  maybeIncrementHighWatermark(candidate: Offset): boolean {
    const hw = nextHighWatermark(this.#state.highWatermark, candidate, this.#state.logEndOffset);
    if (hw === this.#state.highWatermark) return false;
    this.#commit((next) => {
      next.highWatermark = hw;
    });
    return true;
  }

  /** The earliest offset below the HW whose timestamp is ≥ `timestamp`, or null. */
  offsetForTimestamp(timestamp: TimestampMs): OffsetAndTimestamp | null {
    const { logStartOffset, highWatermark } = this.#state;
    const batch = this.#store.firstBatchWithMaxTimestampAtLeast(timestamp, logStartOffset);
    if (!batch || batch.baseOffset >= highWatermark) return null;
    for (const { record } of readRecords(batch.records, batch.baseOffset, logStartOffset)) {
      if (record.offset >= highWatermark) return null;
      if (record.timestamp >= timestamp) return { offset: record.offset, timestamp: record.timestamp };
    }
    return null;
  }

  /** KIP-101/279: see leader-epoch-cache.ts. */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return endOffsetForEpoch(this.#store.epochs(), leaderEpoch, this.#state.logEndOffset);
  }

  /** The leader-epoch cache, ascending. */
  epochEntries(): EpochEntry[] {
    return this.#store.epochs();
  }

  /**
   * Removes every record at or after `offset` (a batch straddling it is trimmed), the epoch
   * entries starting there or later, and clamps the HW. Below the log start it empties the log
   * and restarts at `offset`. True if anything was removed.
   */
  truncateTo(offset: Offset): boolean {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`truncateTo: bad offset ${offset}`);
    if (offset >= this.#state.logEndOffset) return false;
    if (offset < this.#state.logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return true;
    }
    this.#commit((next) => {
      const holder = this.#store.batchAtOrBefore(offset);
      this.#store.deleteBatchesFrom(offset);
      if (holder && holder.baseOffset < offset && holder.lastOffset >= offset) {
        const t = trimBatch(holder.records, holder.baseOffset, offset);
        this.#store.replaceBatch({
          ...holder,
          lastOffset: t.lastOffset,
          recordCount: t.recordCount,
          maxTimestamp: t.maxTimestamp,
          sizeBytes: t.blob.length,
          records: t.blob,
        });
      }
      this.#store.deleteSegmentsFrom(offset);
      const active = this.#store.activeSegment();
      if (active) this.#store.putSegment({ ...active, ...this.#store.batchStats(active.baseOffset) });
      this.#store.replaceEpochs(truncateFromEnd(this.#store.epochs(), offset));
      next.logEndOffset = offset;
      next.highWatermark = Math.min(next.highWatermark, offset);
    });
    return true;
  }

  /** Drops the whole log and its epoch cache; the log restarts empty at `offset`. */
  truncateFullyAndStartAt(offset: Offset): void {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`truncateFullyAndStartAt: bad offset ${offset}`);
    this.#commit((next) => {
      this.#store.deleteBatchesFrom(0);
      this.#store.deleteSegmentsFrom(0);
      this.#store.replaceEpochs([]);
      next.logStartOffset = offset;
      next.logEndOffset = offset;
      next.highWatermark = offset;
    });
  }

  /** Applies retention.ms and retention.bytes (see retention.ts); moves the log start offset. */
  deleteRetainedSegments(): { deletedSegments: number; logStartOffset: Offset } {
    const now = this.#clock.now();
    const segments = this.#store.segments();
    const { logEndOffset, highWatermark } = this.#state;
    const plan = planRetention(segments, logEndOffset, highWatermark, now, this.#config);
    if (plan.deleteCount === 0) return { deletedSegments: 0, logStartOffset: this.#state.logStartOffset };
    const cutoff = plan.rollFirst ? logEndOffset : segments[plan.deleteCount]!.baseOffset;
    this.#commit((next) => {
      if (plan.rollFirst) this.#store.putSegment(emptySegment(logEndOffset, now));
      this.#store.deleteBatchesBelow(cutoff);
      this.#store.deleteSegmentsBelow(cutoff);
      const first = this.#store.firstBatch();
      next.logStartOffset = Math.max(next.logStartOffset, first ? first.baseOffset : logEndOffset);
      this.#store.replaceEpochs(truncateFromStart(this.#store.epochs(), next.logStartOffset));
    });
    return { deletedSegments: plan.deleteCount, logStartOffset: this.#state.logStartOffset };
  }

  /** When the replica's alarm should next run `deleteRetainedSegments` (null: not needed). */
  nextRetentionDeadline(): TimestampMs | null {
    return retentionDeadline(this.#store.segments(), this.#clock.now(), this.#config);
  }
}
