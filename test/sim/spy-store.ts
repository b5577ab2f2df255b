/**
 * A LogStore that records the lowest offset whose record a write removed or changed, so the
 * simulation's checker can prove that no record below a HW (or in the committed prefix of an
 * ISR member) ever changes. Appends at the end are not changes. Delegates to MemoryLogStore,
 * or to SqliteLogStore over node:sqlite; survives a simulated crash (the store is the
 * replica's durable disk), and `reopen` gives the SQLite store a new store object over the same
 * database, as a restarted replica DO has (nothing of the old one's caches).
 */
import type { Offset, TimestampMs } from "../../src/protocol/types.ts";
import type {
  BatchRangeStats,
  BatchRow,
  CleanerCheckpoint,
  EpochEntry,
  LogState,
  LogStore,
  SegmentRow,
} from "../../src/log/log-store.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import type { ProducerBatchRow } from "../../src/log/producer-state.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

export class SpyStore implements LogStore {
  readonly #port: NodeSqlitePort | null;
  #inner: LogStore;
  #lowestChange = Number.POSITIVE_INFINITY;

  constructor(storage: "memory" | "sqlite" = "memory") {
    if (storage === "memory") {
      this.#port = null;
      this.#inner = new MemoryLogStore();
    } else {
      this.#port = new NodeSqlitePort();
      applyMigrations(this.#port, partitionReplicaMigrations());
      this.#inner = new SqliteLogStore(this.#port);
    }
  }

  /** After a crash: a new SQLite store object over the same database (the memory store is kept). */
  reopen(): void {
    if (this.#port) this.#inner = new SqliteLogStore(this.#port);
  }

  /** The lowest offset changed since the last call (Infinity: none), and resets it. */
  takeLowestChange(): number {
    const low = this.#lowestChange;
    this.#lowestChange = Number.POSITIVE_INFINITY;
    return low;
  }

  #changed(offset: Offset): void {
    this.#lowestChange = Math.min(this.#lowestChange, offset);
  }

  transaction<T>(fn: () => T): T {
    return this.#inner.transaction(fn);
  }
  loadState(): LogState | null {
    return this.#inner.loadState();
  }
  saveState(state: LogState): void {
    this.#inner.saveState(state);
  }
  appendBatch(batch: BatchRow, highWatermark?: Offset): void {
    this.#inner.appendBatch(batch, highWatermark);
  }
  replaceBatch(batch: BatchRow): void {
    this.#changed(batch.lastOffset + 1);
    this.#inner.replaceBatch(batch);
  }
  batchAtOrBefore(offset: Offset): BatchRow | null {
    return this.#inner.batchAtOrBefore(offset);
  }
  batchesFrom(offset: Offset): Iterable<BatchRow> {
    return this.#inner.batchesFrom(offset);
  }
  firstBatch(): BatchRow | null {
    return this.#inner.firstBatch();
  }
  firstBatchWithMaxTimestampAtLeast(timestamp: TimestampMs, fromOffset: Offset): BatchRow | null {
    return this.#inner.firstBatchWithMaxTimestampAtLeast(timestamp, fromOffset);
  }
  batchStats(fromOffset: Offset, toOffset?: Offset): BatchRangeStats {
    return this.#inner.batchStats(fromOffset, toOffset);
  }
  deleteBatchesFrom(offset: Offset): void {
    const last = this.#inner.batchAtOrBefore(Number.MAX_SAFE_INTEGER);
    if (last && last.lastOffset >= offset) this.#changed(Math.max(offset, this.#inner.firstBatch()!.baseOffset));
    this.#inner.deleteBatchesFrom(offset);
  }
  deleteBatchesBelow(offset: Offset): void {
    this.#inner.deleteBatchesBelow(offset);
  }
  lastBatchesPerProducer(perProducer: number): ProducerBatchRow[] {
    return this.#inner.lastBatchesPerProducer(perProducer);
  }
  segments(): SegmentRow[] {
    return this.#inner.segments();
  }
  activeSegment(): SegmentRow | null {
    return this.#inner.activeSegment();
  }
  putSegment(segment: SegmentRow): void {
    this.#inner.putSegment(segment);
  }
  deleteSegmentsFrom(offset: Offset): void {
    this.#inner.deleteSegmentsFrom(offset);
  }
  deleteSegmentsBelow(offset: Offset): void {
    this.#inner.deleteSegmentsBelow(offset);
  }
  epochs(): EpochEntry[] {
    return this.#inner.epochs();
  }
  replaceEpochs(entries: readonly EpochEntry[]): void {
    this.#inner.replaceEpochs(entries);
  }
  loadCleanerCheckpoint(): CleanerCheckpoint | null {
    return this.#inner.loadCleanerCheckpoint();
  }
  saveCleanerCheckpoint(checkpoint: CleanerCheckpoint): void {
    this.#inner.saveCleanerCheckpoint(checkpoint);
  }
}
