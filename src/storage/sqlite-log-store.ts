/**
 * LogStore over a SqlPort: all of the partition log's SQL lives here (tables in
 * migrations/partition-replica/0001_init.sql).
 *
 * The offset index is the `batches` B-tree keyed by base_offset: the batch holding an offset is
 * `WHERE base_offset <= ? ORDER BY base_offset DESC LIMIT 1`, and reading on is a range scan.
 * Column aliases map rows straight onto the LogStore row types.
 * The small `segments` and `leader_epochs` tables, read on every append (and `segments` for the
 * retention deadline after every produce), are cached in memory and written through; a
 * transaction that throws (SQLite rolled it back) drops the caches, so they never hold what
 * did not commit. Callers get copies. This store is the tables' only writer.
 * The active (highest) segment's stats grow with every append; they are derived data (the sum
 * over its batches), so an append that only grows them writes no segment row (issue 22: one
 * billed row fewer per append). Its row is written when another segment is put after it, and
 * on load its stats are recomputed from its batches, so the stored row may lag, never the answer.
 * The newest batches are kept too (batch-tail.ts, bounded in bytes): a push of what was just
 * appended and a fetch at the log's end read them from memory, not from SQLite (issue 22: a
 * push read 2 rows per follower). The state row, once known to exist with the same role, is
 * saved by an UPDATE of its four offsets (1 row read; the upsert read 3).
 * A commit that only appends (every produce on the leader, every push on a follower) writes its
 * batch rows and nothing else: the last batch row carries the HW the commit ends with
 * (`high_watermark`, 0005), and the state row is not rewritten when only its LEO and HW moved,
 * to the last batch's end and that HW (issue 22: the follower's work per batch one insert of the
 * bytes it received; 1 billed row written per append, not 2). On load the LEO is the larger of
 * the state row's and the last batch's end, the HW the larger of the state row's and the last
 * batch's, at most the LEO. Why that is exact: a skipped save only ever raised both; any commit
 * that deletes or rewrites a batch, or changes anything else, writes the state row in full; the
 * cleaner never rewrites the active segment, so never the last batch.
 * Used by the replica DO (over DoSqlPort) and Node tests (over NodeSqlitePort); synchronous.
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
} from "../log/log-store.ts";
import type { ProducerBatchRow } from "../log/producer-state.ts";
import type { SqlPort } from "./sql-port.ts";
import { BatchTail, DEFAULT_TAIL_BYTES } from "./batch-tail.ts";

export interface SqliteLogStoreOptions {
  /** Bytes of the newest batches kept in memory (batch-tail.ts); 0 keeps only the newest batch. */
  tailBytes?: number;
}

const BATCH_COLUMNS = `base_offset AS baseOffset, last_offset AS lastOffset, leader_epoch AS leaderEpoch,
  producer_id AS producerId, producer_epoch AS producerEpoch, base_sequence AS baseSequence,
  max_timestamp AS maxTimestamp, record_count AS recordCount, size_bytes AS sizeBytes, segment, records`;

const SEGMENT_COLUMNS = `base_offset AS baseOffset, created_at AS createdAt, size_bytes AS sizeBytes,
  record_count AS recordCount, max_timestamp AS maxTimestamp`;

/**
 * Batches fetched per query while reading on: as many as fit SCAN_BYTES at the largest blob seen
 * so far in the scan, between 4 (blobs are ≤ 1 MiB each) and 64. A catch-up over 10 KB batches
 * makes 64-row queries, not 4-row ones: a 10^5-record read of 1,000 batches took 250 queries
 * and about 40 ms in the replica DO, 16 ms with 64-row queries (docs/benchmarks.md, issue 22).
 * A run of large blobs after small ones may still bring up to 64 blobs into one query.
 */
const SCAN_CHUNK_MIN = 4;
const SCAN_CHUNK_MAX = 64;
const SCAN_BYTES = 4 * 1024 * 1024;
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;

export class SqliteLogStore implements LogStore {
  readonly #sql: SqlPort;
  #segments: SegmentRow[] | null = null;
  #epochs: EpochEntry[] | null = null;
  /** The cached active segment's stats are newer than its stored row. */
  #activeUnsaved = false;
  /** The newest stored batches (batch-tail.ts). */
  readonly #tail: BatchTail;
  /** The state row as stored (null: not known to exist). */
  #state: LogState | null = null;
  /**
   * This transaction's appends, when it has made no other batch write: where the last one ends
   * and the HW given with it (null: no append yet, or a batch was deleted or rewritten).
   */
  #appendsOnly: { logEndOffset: Offset; highWatermark: Offset | null } | null = null;
  #otherBatchWrite = false;

  constructor(sql: SqlPort, options: SqliteLogStoreOptions = {}) {
    this.#sql = sql;
    this.#tail = new BatchTail(options.tailBytes ?? DEFAULT_TAIL_BYTES);
  }

  #segmentRows(): SegmentRow[] {
    if (this.#segments) return this.#segments;
    const rows = this.#sql.exec<SegmentRow>(`SELECT ${SEGMENT_COLUMNS} FROM segments ORDER BY base_offset`);
    const last = rows.at(-1);
    // The stored row of the active segment may lag its batches (putSegment): recompute it.
    if (last) rows[rows.length - 1] = { ...last, ...this.batchStats(last.baseOffset) };
    this.#activeUnsaved = false;
    return (this.#segments = rows);
  }

  #writeSegment(s: SegmentRow): void {
    this.#sql.exec(
      `INSERT INTO segments (base_offset, created_at, size_bytes, record_count, max_timestamp)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (base_offset) DO UPDATE SET created_at = excluded.created_at,
         size_bytes = excluded.size_bytes, record_count = excluded.record_count,
         max_timestamp = excluded.max_timestamp`,
      s.baseOffset,
      s.createdAt,
      s.sizeBytes,
      s.recordCount,
      s.maxTimestamp,
    );
  }

  transaction<T>(fn: () => T): T {
    this.#appendsOnly = null;
    this.#otherBatchWrite = false;
    try {
      return this.#sql.transaction(fn);
    } catch (e) {
      this.#segments = null;
      this.#epochs = null;
      this.#tail.forget();
      this.#state = null;
      throw e;
    }
  }

  loadState(): LogState | null {
    const [row] = this.#sql.exec<LogState>(
      `SELECT log_start_offset AS logStartOffset, log_end_offset AS logEndOffset,
        high_watermark AS highWatermark, leader_epoch AS leaderEpoch, role
       FROM replica_state WHERE id = 1`,
    );
    this.#state = row ? { ...row } : null;
    if (!row) return null;
    // Appends after the row's last save moved only the LEO and the HW, kept with the last batch.
    const [last] = this.#sql.exec<{ end: Offset; highWatermark: Offset | null }>(
      "SELECT last_offset + 1 AS end, high_watermark AS highWatermark FROM batches ORDER BY base_offset DESC LIMIT 1",
    );
    const logEndOffset = Math.max(row.logEndOffset, last?.end ?? row.logEndOffset);
    const highWatermark = Math.min(Math.max(row.highWatermark, last?.highWatermark ?? row.highWatermark), logEndOffset);
    return { ...row, logEndOffset, highWatermark };
  }

  saveState(s: LogState): void {
    const stored = this.#state;
    const appended = this.#otherBatchWrite ? null : this.#appendsOnly;
    // Derivable on load from the batch this transaction appended last (see the header).
    if (
      stored !== null &&
      appended !== null &&
      appended.logEndOffset === s.logEndOffset &&
      appended.highWatermark === s.highWatermark &&
      stored.logStartOffset === s.logStartOffset &&
      stored.leaderEpoch === s.leaderEpoch &&
      stored.role === s.role &&
      stored.logEndOffset <= s.logEndOffset &&
      stored.highWatermark <= s.highWatermark
    ) {
      this.#appendsOnly = null;
      return;
    }
    this.#appendsOnly = null;
    if (stored?.role === s.role) this.#updateState(s);
    else this.#upsertState(s);
    this.#state = { ...s };
  }

  /**
   * The row exists and keeps its role: an UPDATE by key reads 1 row where the upsert reads 3
   * (and setting `role`, with its CHECK, reads 2), measured on the DO's cursor counters.
   */
  #updateState(s: LogState): void {
    this.#sql.exec(
      `UPDATE replica_state SET log_start_offset = ?, log_end_offset = ?, high_watermark = ?, leader_epoch = ?
       WHERE id = 1`,
      s.logStartOffset,
      s.logEndOffset,
      s.highWatermark,
      s.leaderEpoch,
    );
  }

  #upsertState(s: LogState): void {
    this.#sql.exec(
      `INSERT INTO replica_state (id, log_start_offset, log_end_offset, high_watermark, leader_epoch, role)
       VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET log_start_offset = excluded.log_start_offset,
         log_end_offset = excluded.log_end_offset, high_watermark = excluded.high_watermark,
         leader_epoch = excluded.leader_epoch, role = excluded.role`,
      s.logStartOffset,
      s.logEndOffset,
      s.highWatermark,
      s.leaderEpoch,
      s.role,
    );
  }

  appendBatch(b: BatchRow, highWatermark?: Offset): void {
    this.#writeBatch("INSERT", b, highWatermark ?? null);
    this.#tail.appended(b);
    this.#appendsOnly = { logEndOffset: b.lastOffset + 1, highWatermark: highWatermark ?? null };
  }

  /** Same base offset, new content (a batch trimmed by truncation or by the cleaner). */
  replaceBatch(b: BatchRow): void {
    this.#writeBatch("INSERT OR REPLACE", b, null);
    this.#tail.replaced(b);
    this.#otherBatchWrite = true;
  }

  #writeBatch(verb: "INSERT" | "INSERT OR REPLACE", b: BatchRow, highWatermark: Offset | null): void {
    this.#sql.exec(
      `${verb} INTO batches (base_offset, last_offset, leader_epoch, producer_id, producer_epoch,
        base_sequence, max_timestamp, record_count, size_bytes, segment, records, high_watermark)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      b.baseOffset,
      b.lastOffset,
      b.leaderEpoch,
      b.producerId,
      b.producerEpoch,
      b.baseSequence,
      b.maxTimestamp,
      b.recordCount,
      b.sizeBytes,
      b.segment,
      b.records,
      highWatermark,
    );
  }

  batchAtOrBefore(offset: Offset): BatchRow | null {
    const held = this.#tail.atOrBefore(offset);
    if (held) return held;
    const [row] = this.#sql.exec<BatchRow>(
      `SELECT ${BATCH_COLUMNS} FROM batches WHERE base_offset <= ? ORDER BY base_offset DESC LIMIT 1`,
      offset,
    );
    return row ?? null;
  }

  *batchesFrom(offset: Offset): Generator<BatchRow> {
    const held = this.#tail.from(offset);
    if (held) return void (yield* held);
    let from = offset;
    const holder = this.batchAtOrBefore(offset);
    if (holder && holder.lastOffset >= offset) {
      yield holder;
      from = holder.lastOffset + 1;
    }
    // The scan stops below the tail's first batch and reads the rest from the tail.
    const tailFrom = this.#tail.firstBaseOffset();
    const upTo = tailFrom ?? NO_UPPER_BOUND;
    // One batch first, then twice as many each query: a read that needs a few records past the
    // holder reads one more batch, not a whole chunk.
    let largest = holder?.sizeBytes ?? 0;
    for (let chunk = 1; ; ) {
      const rows = this.#sql.exec<BatchRow>(
        `SELECT ${BATCH_COLUMNS} FROM batches WHERE base_offset >= ? AND base_offset < ?
         ORDER BY base_offset LIMIT ?`,
        from,
        upTo,
        chunk,
      );
      for (const row of rows) {
        if (row.sizeBytes > largest) largest = row.sizeBytes;
        yield row;
      }
      const last = rows.at(-1);
      if (rows.length < chunk || !last) {
        if (tailFrom !== null) yield* this.#tail.rowsFrom(from);
        return;
      }
      from = last.lastOffset + 1;
      const fit = Math.floor(SCAN_BYTES / Math.max(1, largest));
      chunk = Math.min(2 * chunk, Math.max(SCAN_CHUNK_MIN, Math.min(SCAN_CHUNK_MAX, fit)));
    }
  }

  firstBatch(): BatchRow | null {
    const [row] = this.#sql.exec<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches ORDER BY base_offset LIMIT 1`);
    return row ?? null;
  }

  firstBatchWithMaxTimestampAtLeast(timestamp: TimestampMs, fromOffset: Offset): BatchRow | null {
    // The segments' max_timestamp is the coarse time index: only segments that can hold a match
    // are range-scanned.
    const segments = this.segments();
    for (const [i, s] of segments.entries()) {
      const end = segments[i + 1]?.baseOffset ?? NO_UPPER_BOUND;
      if (end <= fromOffset || s.maxTimestamp < timestamp) continue;
      const [row] = this.#sql.exec<BatchRow>(
        `SELECT ${BATCH_COLUMNS} FROM batches
         WHERE base_offset >= ? AND base_offset < ? AND max_timestamp >= ?
         ORDER BY base_offset LIMIT 1`,
        Math.max(s.baseOffset, fromOffset),
        end,
        timestamp,
      );
      if (row) return row;
    }
    return null;
  }

  batchStats(fromOffset: Offset, toOffset: Offset = NO_UPPER_BOUND): BatchRangeStats {
    const [row] = this.#sql.exec<BatchRangeStats>(
      `SELECT coalesce(sum(size_bytes), 0) AS sizeBytes, coalesce(sum(record_count), 0) AS recordCount,
        coalesce(max(max_timestamp), -1) AS maxTimestamp
       FROM batches WHERE base_offset >= ? AND base_offset < ?`,
      fromOffset,
      toOffset,
    );
    return row ?? { sizeBytes: 0, recordCount: 0, maxTimestamp: -1 };
  }

  deleteBatchesFrom(offset: Offset): void {
    this.#sql.exec("DELETE FROM batches WHERE base_offset >= ?", offset);
    this.#tail.deletedFrom(offset);
    this.#otherBatchWrite = true;
  }

  deleteBatchesBelow(offset: Offset): void {
    this.#sql.exec("DELETE FROM batches WHERE base_offset < ?", offset);
    this.#tail.deletedBelow(offset);
    this.#otherBatchWrite = true;
  }

  lastBatchesPerProducer(perProducer: number): ProducerBatchRow[] {
    // A loose index scan over batches_by_producer (0003): one seek per distinct producer id, then
    // its newest batches by a descending range; `producer_id >= 0` lets SQLite use the partial index.
    const out: ProducerBatchRow[] = [];
    let after = -1;
    for (;;) {
      const [next] = this.#sql.exec<{ id: number | null }>(
        "SELECT min(producer_id) AS id FROM batches WHERE producer_id > ? AND producer_id >= 0",
        after,
      );
      if (next?.id === null || next?.id === undefined) break;
      after = next.id;
      out.push(
        ...this.#sql.exec<ProducerBatchRow>(
          `SELECT producer_id AS producerId, producer_epoch AS producerEpoch, base_sequence AS baseSequence,
            base_offset AS baseOffset, last_offset AS lastOffset, record_count AS recordCount,
            max_timestamp AS maxTimestamp
           FROM batches WHERE producer_id = ? AND producer_id >= 0 ORDER BY base_offset DESC LIMIT ?`,
          after,
          perProducer,
        ),
      );
    }
    return out.sort((a, b) => a.baseOffset - b.baseOffset);
  }

  segments(): SegmentRow[] {
    return this.#segmentRows().map((s) => ({ ...s }));
  }

  activeSegment(): SegmentRow | null {
    const last = this.#segmentRows().at(-1);
    return last ? { ...last } : null;
  }

  putSegment(s: SegmentRow): void {
    const rows = this.#segmentRows();
    const last = rows.at(-1);
    if (last && last.baseOffset === s.baseOffset && last.createdAt === s.createdAt) {
      // Only the active segment's stats moved: derived data, recomputed on load; no row.
      rows[rows.length - 1] = { ...s };
      this.#activeUnsaved = true;
      return;
    }
    // A segment put after the active one: the active one's row gets its final stats first.
    if (last && this.#activeUnsaved && s.baseOffset > last.baseOffset) this.#writeSegment(last);
    this.#writeSegment(s);
    if (!last || s.baseOffset >= last.baseOffset) this.#activeUnsaved = false;
    // After the write: a statement that throws leaves the cache as it was.
    const at = rows.findIndex((r) => r.baseOffset >= s.baseOffset);
    if (at < 0) rows.push({ ...s });
    else if (rows[at]!.baseOffset === s.baseOffset) rows[at] = { ...s };
    else rows.splice(at, 0, { ...s });
  }

  deleteSegmentsFrom(offset: Offset): void {
    const rows = this.#segmentRows();
    this.#sql.exec("DELETE FROM segments WHERE base_offset >= ?", offset);
    this.#segments = rows.filter((r) => r.baseOffset < offset);
  }

  deleteSegmentsBelow(offset: Offset): void {
    const rows = this.#segmentRows();
    this.#sql.exec("DELETE FROM segments WHERE base_offset < ?", offset);
    this.#segments = rows.filter((r) => r.baseOffset >= offset);
  }

  epochs(): EpochEntry[] {
    this.#epochs ??= this.#sql.exec<EpochEntry>("SELECT epoch, start_offset AS startOffset FROM leader_epochs ORDER BY epoch");
    return this.#epochs.map((e) => ({ ...e }));
  }

  replaceEpochs(entries: readonly EpochEntry[]): void {
    this.#epochs = null;
    this.#sql.exec("DELETE FROM leader_epochs");
    for (const e of entries)
      this.#sql.exec("INSERT INTO leader_epochs (epoch, start_offset) VALUES (?, ?)", e.epoch, e.startOffset);
    this.#epochs = entries.map((e) => ({ ...e }));
  }

  loadCleanerCheckpoint(): CleanerCheckpoint | null {
    const [row] = this.#sql.exec<CleanerCheckpoint>(
      `SELECT first_dirty_offset AS firstDirtyOffset, tombstone_deadline AS tombstoneDeadline
       FROM cleaner_checkpoint WHERE id = 1`,
    );
    return row ?? null;
  }

  saveCleanerCheckpoint(c: CleanerCheckpoint): void {
    this.#sql.exec(
      `INSERT INTO cleaner_checkpoint (id, first_dirty_offset, tombstone_deadline) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET first_dirty_offset = excluded.first_dirty_offset,
         tombstone_deadline = excluded.tombstone_deadline`,
      c.firstDirtyOffset,
      c.tombstoneDeadline,
    );
  }
}
