/**
 * The log cleaner (Kafka's LogCleaner, reduced) for topics with cleanup.policy `compact` or
 * `compact,delete`: keeps the latest record of every key, removes a tombstone (null value) once
 * `delete.retention.ms` has passed since its timestamp, and does so in bounded steps.
 *
 * A pass covers [logStartOffset, cleanEnd), where cleanEnd is the end of the longest prefix of
 * closed segments that lie below the high watermark and whose newest record is older than
 * `min.compaction.lag.ms`. It starts when the dirty part (past the checkpoint) is at least
 * `min.cleanable.dirty.ratio` of that range, when the oldest dirty segment has waited
 * `max.compaction.lag.ms`, or when a kept tombstone has expired. A pass first maps every key in
 * the range to its latest offset (the "offset map"), then rewrites each batch of the range to
 * the records that are still the latest for their key. Each step reads at most
 * `maxStepBytes` of batches (at least one batch) and writes in one store transaction.
 *
 * Invariants:
 * - Never the active segment, never a record at or above the HW (cleanEnd ≤ both).
 * - Offsets are never renumbered: a rewritten batch keeps its row (base offset, last offset,
 *   epoch, producer fields, max timestamp); only its blob, record count and size change. A
 *   batch may keep no record at all (a header only), so batches still tile the offsets and
 *   replication, the epoch cache and the idempotent producer state (built from the last batches
 *   of each producer, sequences from the offsets) read the rows as before.
 * - A record is removed only if a newer record of its key lies in the same range, or it is an
 *   expired tombstone and the latest of its key. Records with a null key (none are accepted
 *   once the topic compacts, `firstKeylessRecord`; some may predate the policy) are kept.
 * - The result is a function of the committed records, the clock and the checkpoint only, so
 *   every replica compacts its own copy the same way (docs/architecture.md, "Log compaction").
 * Called by PartitionLog.compactStep / nextCompactionDeadline from the replica's alarm.
 * Concurrency: synchronous; a pass spans alarms and is abandoned (`abort`) when the log is
 * truncated or the HW falls below its range; the log may grow and retention may delete its
 * head between steps (the cursor then moves up to the log start).
 */
import { compacts, type LogConfig } from "../protocol/config.ts";
import type { EncodedRecords, Offset, RecordInput, TimestampMs } from "../protocol/types.ts";
import { keepSpans, recordSummaries, type RecordSummary } from "../codec/record-batch.ts";
import type { BatchRow, CleanerCheckpoint, LogStore, SegmentRow } from "./log-store.ts";

export interface CleanerLimits {
  /** Bytes of batches one step reads (it reads at least one batch). */
  maxStepBytes: number;
  /** Most keys in one pass's offset map: the pass's range ends where the map fills. */
  maxKeys: number;
  /**
   * Pause between two steps of a pass (ms): the cleaner's share of the replica's time, so
   * produce and fetch keep most of it (Kafka throttles its cleaner by bytes per second).
   */
  pauseMs: number;
}

export const DEFAULT_CLEANER_LIMITS: CleanerLimits = {
  maxStepBytes: 1024 * 1024,
  maxKeys: 500_000,
  pauseMs: 200,
};

/** When a closed segment waits only for the HW, look again this much later (ms). */
export const CLEANER_HW_RECHECK_MS = 30_000;

/** What the cleaner reads of the log's state row. */
export interface CleanerLogView {
  readonly logStartOffset: Offset;
  readonly highWatermark: Offset;
}

type CompactionConfig = Pick<
  LogConfig,
  | "cleanupPolicy"
  | "minCompactionLagMs"
  | "maxCompactionLagMs"
  | "deleteRetentionMs"
  | "minCleanableDirtyRatio"
>;

export interface CleaningPlan {
  /** The end of the cleanable range [logStartOffset, cleanEnd). */
  cleanEnd: Offset;
  /** Bytes of cleanable segments past the checkpoint, and of all cleanable segments. */
  dirtyBytes: number;
  cleanableBytes: number;
  /** A pass should start now. */
  due: boolean;
  /** The earliest later time a pass may become due with nothing appended (null: none). */
  nextDue: TimestampMs | null;
}

/** Which range is cleanable now and whether a pass is due (pure). */
export function planCleaning(
  segments: readonly SegmentRow[],
  view: CleanerLogView,
  checkpoint: CleanerCheckpoint | null,
  config: CompactionConfig,
  now: TimestampMs,
): CleaningPlan {
  const start = view.logStartOffset;
  const firstDirty = Math.max(start, checkpoint?.firstDirtyOffset ?? start);
  let cleanEnd = start;
  let dirtyBytes = 0;
  let cleanableBytes = 0;
  let firstDirtyCreatedAt = Infinity;
  const later: number[] = [];
  // The last segment is the active one: never cleanable.
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    const end = segments[i + 1]!.baseOffset;
    if (end <= start) continue;
    if (end > view.highWatermark) {
      later.push(now + CLEANER_HW_RECHECK_MS);
      break;
    }
    if (s.maxTimestamp > now - config.minCompactionLagMs) {
      later.push(s.maxTimestamp + config.minCompactionLagMs + 1);
      break;
    }
    cleanEnd = end;
    cleanableBytes += s.sizeBytes;
    if (end > firstDirty) {
      dirtyBytes += s.sizeBytes;
      firstDirtyCreatedAt = Math.min(firstDirtyCreatedAt, s.createdAt);
    }
  }
  const hasDirty = cleanEnd > firstDirty;
  const lagDue = hasDirty ? firstDirtyCreatedAt + config.maxCompactionLagMs : Infinity;
  const tombstoneDue =
    checkpoint && checkpoint.tombstoneDeadline >= 0 ? checkpoint.tombstoneDeadline : Infinity;
  const ratio = cleanableBytes > 0 ? dirtyBytes / cleanableBytes : 0;
  const ratioDue = hasDirty && ratio >= config.minCleanableDirtyRatio;
  const due = cleanEnd > start && (ratioDue || now >= lagDue || now >= tombstoneDue);
  const nextDue = Math.min(...[lagDue, tombstoneDue, ...later].filter((t) => t > now));
  const nextDueOrNull = Number.isFinite(nextDue) ? nextDue : null;
  return { cleanEnd, dirtyBytes, cleanableBytes, due, nextDue: nextDueOrNull };
}

/** What one step did. */
export interface CleanStep {
  phase: "idle" | "map" | "clean";
  batches: number;
  recordsRemoved: number;
  bytesRemoved: number;
  /** This step finished a pass (and saved the checkpoint). */
  passDone: boolean;
}

const IDLE: CleanStep = {
  phase: "idle",
  batches: 0,
  recordsRemoved: 0,
  bytesRemoved: 0,
  passDone: false,
};

interface Pass {
  cleanEnd: Offset;
  phase: "map" | "clean";
  start: Offset;
  cursor: Offset;
  /** Key (bytes as a latin-1 string) → the latest offset of that key in the range. */
  map: Map<string, Offset>;
  /** The earliest expiry of a tombstone this pass kept (Infinity: none). */
  tombstoneDeadline: TimestampMs;
}

/** A key's bytes as a string, one char per byte: a Map key equal exactly when the bytes are. */
export function keyString(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i += 4096)
    s += String.fromCharCode.apply(null, key.subarray(i, i + 4096) as unknown as number[]);
  return s;
}

export class LogCleaner {
  readonly #limits: CleanerLimits;
  #pass: Pass | null = null;
  /** The store's checkpoint, read once (undefined: not yet); this cleaner is its only writer. */
  #checkpoint: CleanerCheckpoint | null | undefined = undefined;

  constructor(limits: CleanerLimits = DEFAULT_CLEANER_LIMITS) {
    this.#limits = limits;
  }

  /** True while a pass is under way (the next step continues it). */
  get running(): boolean {
    return this.#pass !== null;
  }

  /** Abandons the pass under way (the log was truncated); the next step plans afresh. */
  abort(): void {
    this.#pass = null;
  }

  /** One bounded step: starts a pass if one is due, else continues the current one. */
  step(
    store: LogStore,
    view: CleanerLogView,
    config: CompactionConfig,
    now: TimestampMs,
  ): CleanStep {
    if (this.#pass && view.highWatermark < this.#pass.cleanEnd) this.#pass = null;
    // A policy switched away from compact pauses the pass (its range is committed and stays valid).
    if (!compacts(config)) return IDLE;
    if (!this.#pass) {
      const plan = planCleaning(store.segments(), view, this.#loadCheckpoint(store), config, now);
      if (!plan.due) return IDLE;
      const start = view.logStartOffset;
      this.#pass = {
        cleanEnd: plan.cleanEnd,
        phase: "map",
        start,
        cursor: start,
        map: new Map(),
        tombstoneDeadline: Infinity,
      };
    }
    const pass = this.#pass;
    pass.cursor = Math.max(pass.cursor, view.logStartOffset);
    if (pass.phase === "map") return this.#mapStep(store, pass);
    return this.#cleanStep(store, pass, config, now);
  }

  /** When the replica's alarm should next call `step` (null: not until something is appended). */
  nextDeadline(
    store: LogStore,
    view: CleanerLogView,
    config: CompactionConfig,
    now: TimestampMs,
  ): TimestampMs | null {
    if (!compacts(config)) return null;
    if (this.#pass) return now + this.#limits.pauseMs;
    const plan = planCleaning(store.segments(), view, this.#loadCheckpoint(store), config, now);
    return plan.due ? now : plan.nextDue;
  }

  /** A step stops at the pass's end, or once it read `maxStepBytes` (after at least one batch). */
  #stepEnds(b: BatchRow, pass: Pass, batches: number, bytes: number): boolean {
    return b.baseOffset >= pass.cleanEnd || (batches > 0 && bytes >= this.#limits.maxStepBytes);
  }

  #loadCheckpoint(store: LogStore): CleanerCheckpoint | null {
    if (this.#checkpoint === undefined) this.#checkpoint = store.loadCleanerCheckpoint();
    return this.#checkpoint;
  }

  #mapStep(store: LogStore, pass: Pass): CleanStep {
    let bytes = 0;
    let batches = 0;
    for (const b of store.batchesFrom(pass.cursor)) {
      if (this.#stepEnds(b, pass, batches, bytes)) break;
      for (const r of recordSummaries(b.records, b.baseOffset))
        if (r.key) pass.map.set(keyString(r.key), r.offset);
      batches++;
      bytes += b.sizeBytes;
      pass.cursor = b.lastOffset + 1;
      if (pass.map.size >= this.#limits.maxKeys) {
        pass.cleanEnd = pass.cursor;
        break;
      }
    }
    if (pass.cursor >= pass.cleanEnd || batches === 0) {
      pass.phase = "clean";
      pass.cursor = pass.start;
    }
    return { ...IDLE, phase: "map", batches };
  }

  #cleanStep(store: LogStore, pass: Pass, config: CompactionConfig, now: TimestampMs): CleanStep {
    const writes: Rewrite[] = [];
    let bytes = 0;
    let batches = 0;
    let recordsRemoved = 0;
    for (const b of store.batchesFrom(pass.cursor)) {
      if (this.#stepEnds(b, pass, batches, bytes)) break;
      batches++;
      bytes += b.sizeBytes;
      pass.cursor = b.lastOffset + 1;
      const kept: RecordSummary[] = [];
      let total = 0;
      for (const r of recordSummaries(b.records, b.baseOffset)) {
        total++;
        if (this.#keeps(r, pass, config, now)) kept.push(r);
      }
      if (kept.length === total) continue;
      const records = keepSpans(b.records, kept);
      recordsRemoved += total - kept.length;
      const row = { ...b, records, recordCount: kept.length, sizeBytes: records.length };
      writes.push({ row, removedBytes: b.sizeBytes - records.length });
    }
    const passDone = pass.cursor >= pass.cleanEnd || batches === 0;
    const tombstoneDeadline = Number.isFinite(pass.tombstoneDeadline) ? pass.tombstoneDeadline : -1;
    const checkpoint = passDone ? { firstDirtyOffset: pass.cleanEnd, tombstoneDeadline } : null;
    if (writes.length > 0 || checkpoint)
      store.transaction(() => {
        for (const w of writes) store.replaceBatch(w.row);
        shrinkSegments(store, writes);
        if (checkpoint) store.saveCleanerCheckpoint(checkpoint);
      });
    // After the commit: a throw above leaves the cached checkpoint as the store has it.
    if (checkpoint) this.#checkpoint = checkpoint;
    if (passDone) this.#pass = null;
    const bytesRemoved = writes.reduce((n, w) => n + w.removedBytes, 0);
    return { phase: "clean", batches, recordsRemoved, bytesRemoved, passDone };
  }

  /** Kafka's rule: keep the latest record of its key; a tombstone until delete.retention.ms. */
  #keeps(r: RecordSummary, pass: Pass, config: CompactionConfig, now: TimestampMs): boolean {
    if (r.key === null) return true;
    const latest = pass.map.get(keyString(r.key));
    if (latest === undefined || latest < r.offset) return true;
    if (latest > r.offset) return false;
    if (!r.tombstone) return true;
    const expiresAt = r.timestamp + config.deleteRetentionMs + 1;
    if (now >= expiresAt) return false;
    pass.tombstoneDeadline = Math.min(pass.tombstoneDeadline, expiresAt);
    return true;
  }
}

/**
 * The index of the first record without a key, or -1: a compacted topic refuses such a record
 * (Kafka's INVALID_RECORD, 87), since compaction keeps records by key.
 */
export function firstKeylessRecord(input: readonly RecordInput[] | EncodedRecords): number {
  if (Array.isArray(input)) return input.findIndex((r) => r.key === null);
  let i = 0;
  for (const r of recordSummaries((input as EncodedRecords).blob, 0)) {
    if (r.key === null) return i;
    i++;
  }
  return -1;
}

/** Lowers each rewritten batch's segment size by what its rewrite removed. */
type Rewrite = { row: BatchRow; removedBytes: number };

function shrinkSegments(store: LogStore, writes: readonly Rewrite[]): void {
  if (writes.length === 0) return;
  const removed = new Map<Offset, number>();
  for (const w of writes)
    removed.set(w.row.segment, (removed.get(w.row.segment) ?? 0) + w.removedBytes);
  for (const s of store.segments()) {
    const r = removed.get(s.baseOffset);
    if (r) store.putSegment({ ...s, sizeBytes: s.sizeBytes - r });
  }
}
