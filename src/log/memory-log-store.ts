/**
 * In-memory LogStore: the reference implementation the contract suite holds the SQLite store
 * to, and a fast store for engine tests.
 *
 * Batches live in an array sorted by base offset (binary search plays the B-tree's part).
 * `transaction` snapshots every table (shallow copies) and restores them if `fn` throws, so a
 * failed operation leaves nothing behind, as SQLite does; nested calls act as savepoints.
 * Rows are copied in and out. Single-threaded.
 */
import type { Offset, TimestampMs } from "../protocol/types.ts";
import type {
  BatchRangeStats,
  BatchRow,
  CleanerCheckpoint,
  EpochEntry,
  LogState,
  LogStore,
  SegmentRow,
} from "./log-store.ts";
import type { ProducerBatchRow } from "./producer-state.ts";

interface Tables {
  state: LogState | null;
  batches: BatchRow[];
  segments: SegmentRow[];
  epochs: EpochEntry[];
  cleaner: CleanerCheckpoint | null;
}

const copyTables = (t: Tables): Tables => ({
  state: t.state && { ...t.state },
  batches: [...t.batches],
  segments: [...t.segments],
  epochs: [...t.epochs],
  cleaner: t.cleaner && { ...t.cleaner },
});

export class MemoryLogStore implements LogStore {
  #t: Tables = { state: null, batches: [], segments: [], epochs: [], cleaner: null };

  transaction<T>(fn: () => T): T {
    const snapshot = copyTables(this.#t);
    try {
      return fn();
    } catch (e) {
      this.#t = snapshot;
      throw e;
    }
  }

  loadState(): LogState | null {
    return this.#t.state && { ...this.#t.state };
  }

  saveState(state: LogState): void {
    this.#t.state = { ...state };
  }


  /** Index of the batch with the highest base offset ≤ offset, or -1. */
  #indexAtOrBefore(offset: Offset): number {
    const b = this.#t.batches;
    let lo = 0;
    let hi = b.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  appendBatch(batch: BatchRow, _highWatermark?: Offset): void {
    const last = this.#t.batches.at(-1);
    if (last && batch.baseOffset <= last.lastOffset)
      throw new Error(`appendBatch: base offset ${batch.baseOffset} is not after ${last.lastOffset}`);
    this.#t.batches.push({ ...batch });
  }

  replaceBatch(batch: BatchRow): void {
    const i = this.#indexAtOrBefore(batch.baseOffset);
    if (i >= 0 && this.#t.batches[i]!.baseOffset === batch.baseOffset) this.#t.batches[i] = { ...batch };
  }

  batchAtOrBefore(offset: Offset): BatchRow | null {
    const i = this.#indexAtOrBefore(offset);
    return i < 0 ? null : { ...this.#t.batches[i]! };
  }

  *batchesFrom(offset: Offset): Generator<BatchRow> {
    const b = this.#t.batches;
    let i = this.#indexAtOrBefore(offset);
    if (i < 0 || b[i]!.lastOffset < offset) i++;
    for (; i < b.length; i++) yield { ...b[i]! };
  }

  lastBatchesPerProducer(perProducer: number): ProducerBatchRow[] {
    const counts = new Map<number, number>();
    const out: ProducerBatchRow[] = [];
    for (const b of this.#t.batches.toReversed()) {
      const n = counts.get(b.producerId) ?? 0;
      if (b.producerId < 0 || n >= perProducer) continue;
      counts.set(b.producerId, n + 1);
      const { producerId, producerEpoch, baseSequence, baseOffset, lastOffset, recordCount, maxTimestamp } = b;
      out.push({ producerId, producerEpoch, baseSequence, baseOffset, lastOffset, recordCount, maxTimestamp });
    }
    return out.reverse();
  }

  firstBatch(): BatchRow | null {
    const b = this.#t.batches[0];
    return b ? { ...b } : null;
  }

  firstBatchWithMaxTimestampAtLeast(timestamp: TimestampMs, fromOffset: Offset): BatchRow | null {
    const b = this.#t.batches.find((x) => x.baseOffset >= fromOffset && x.maxTimestamp >= timestamp);
    return b ? { ...b } : null;
  }

  batchStats(fromOffset: Offset, toOffset: Offset = Number.MAX_SAFE_INTEGER): BatchRangeStats {
    const stats: BatchRangeStats = { sizeBytes: 0, recordCount: 0, maxTimestamp: -1 };
    for (const b of this.#t.batches) {
      if (b.baseOffset < fromOffset || b.baseOffset >= toOffset) continue;
      stats.sizeBytes += b.sizeBytes;
      stats.recordCount += b.recordCount;
      stats.maxTimestamp = Math.max(stats.maxTimestamp, b.maxTimestamp);
    }
    return stats;
  }

  deleteBatchesFrom(offset: Offset): void {
    this.#t.batches = this.#t.batches.filter((b) => b.baseOffset < offset);
  }

  deleteBatchesBelow(offset: Offset): void {
    this.#t.batches = this.#t.batches.filter((b) => b.baseOffset >= offset);
  }

  segments(): SegmentRow[] {
    return this.#t.segments.map((s) => ({ ...s }));
  }

  activeSegment(): SegmentRow | null {
    const s = this.#t.segments.at(-1);
    return s ? { ...s } : null;
  }

  putSegment(segment: SegmentRow): void {
    const rest = this.#t.segments.filter((s) => s.baseOffset !== segment.baseOffset);
    this.#t.segments = [...rest, { ...segment }].sort((a, b) => a.baseOffset - b.baseOffset);
  }

  deleteSegmentsFrom(offset: Offset): void {
    this.#t.segments = this.#t.segments.filter((s) => s.baseOffset < offset);
  }

  deleteSegmentsBelow(offset: Offset): void {
    this.#t.segments = this.#t.segments.filter((s) => s.baseOffset >= offset);
  }

  epochs(): EpochEntry[] {
    return this.#t.epochs.map((e) => ({ ...e }));
  }

  replaceEpochs(entries: readonly EpochEntry[]): void {
    this.#t.epochs = entries.map((e) => ({ ...e })).sort((a, b) => a.epoch - b.epoch);
  }

  loadCleanerCheckpoint(): CleanerCheckpoint | null {
    return this.#t.cleaner && { ...this.#t.cleaner };
  }

  saveCleanerCheckpoint(checkpoint: CleanerCheckpoint): void {
    this.#t.cleaner = { ...checkpoint };
  }
}
