/**
 * BatchTail: the newest stored batches of a log kept in memory (issue 22, "no re-reading"), so
 * that a push of what the leader just appended, and a consumer fetch at the log's end, read no
 * SQLite rows. SqliteLogStore owns one and tells it every change it makes to `batches`.
 *
 * Invariant (what makes it safe to answer from): while known, `rows` are exactly the stored
 * batches whose base offset is ≥ `start`, in offset order, with the stored bytes. Every batch
 * write keeps it: an append adds after every stored batch (so it belongs here), a replace swaps
 * the row, a delete from an offset or below one cuts both. A batch stored below `start` is not
 * held, so an answer comes from here only when its holder is (offset ≥ the first row's base).
 * The store forgets the tail (`forget`) when a transaction throws: SQLite rolled back writes
 * this already took in, so it restarts empty from the next append.
 * Bounded: whole batches are dropped from the front while the rows exceed `maxBytes` (the
 * newest batch always stays, so the bound is exceeded by at most one blob, ≤ 1 MiB).
 * Rows handed out are fresh objects over shared blobs; no caller writes into a blob (log-store.ts).
 * Synchronous; one caller at a time (the replica DO).
 */
import type { Offset } from "../protocol/types.ts";
import type { BatchRow } from "../log/log-store.ts";

/** What a tail keeps: 4 MiB of blobs, a few pushes' worth at 64 concurrent producers. */
export const DEFAULT_TAIL_BYTES = 4 * 1024 * 1024;

interface Known {
  start: Offset;
  rows: BatchRow[];
  bytes: number;
}

/**
 * A row to keep: a blob that is a view into a larger buffer (a slice of a request body) is
 * copied, so the tail pins only its own bytes and the bound counts what it holds.
 */
const own = (b: BatchRow): BatchRow =>
  b.records.byteOffset === 0 && b.records.byteLength === b.records.buffer.byteLength
    ? { ...b }
    : { ...b, records: b.records.slice() };

export class BatchTail {
  readonly #maxBytes: number;
  #known: Known | null = null;

  constructor(maxBytes: number = DEFAULT_TAIL_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`BatchTail: bad maxBytes ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  /** Index of the row with the highest base offset ≤ `offset`; -1 when the tail cannot say. */
  #holderIndex(offset: Offset): number {
    const rows = this.#known?.rows;
    if (!rows || rows.length === 0 || offset < rows[0]!.baseOffset) return -1;
    let lo = 0;
    let hi = rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (rows[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * `batchesFrom(offset)` of the store (the holder of `offset` if it reaches it, then every
   * later batch), or null when the tail does not hold the batch at or before `offset`.
   */
  from(offset: Offset): BatchRow[] | null {
    const i = this.#holderIndex(offset);
    if (i < 0) return null;
    const rows = this.#known!.rows;
    const first = rows[i]!.lastOffset >= offset ? i : i + 1;
    return rows.slice(first).map((r) => ({ ...r }));
  }

  /**
   * The lowest base offset the tail holds, or null while it holds no batch: every stored batch
   * at or after it is in the tail (`rowsFrom`), so a scan reading on from below can stop there.
   */
  firstBaseOffset(): Offset | null {
    return this.#known?.rows[0]?.baseOffset ?? null;
  }

  /** The held batches with base offset ≥ `baseOffset` (all stored ones when ≥ firstBaseOffset). */
  rowsFrom(baseOffset: Offset): BatchRow[] {
    return (this.#known?.rows ?? []).filter((r) => r.baseOffset >= baseOffset).map((r) => ({ ...r }));
  }

  /** `batchAtOrBefore(offset)` of the store, or undefined when the tail cannot say. */
  atOrBefore(offset: Offset): BatchRow | undefined {
    const i = this.#holderIndex(offset);
    return i < 0 ? undefined : { ...this.#known!.rows[i]! };
  }

  /** A batch was stored after every stored batch. */
  appended(b: BatchRow): void {
    const k = (this.#known ??= { start: b.baseOffset, rows: [], bytes: 0 });
    k.rows.push(own(b));
    k.bytes += b.sizeBytes;
    while (k.bytes > this.#maxBytes && k.rows.length > 1) {
      const dropped = k.rows.shift()!;
      k.bytes -= dropped.sizeBytes;
      k.start = k.rows[0]!.baseOffset;
    }
  }

  /** The stored batch with `b`'s base offset was rewritten as `b`. */
  replaced(b: BatchRow): void {
    const k = this.#known;
    if (!k || b.baseOffset < k.start) return;
    const i = this.#holderIndex(b.baseOffset);
    const old = i >= 0 ? k.rows[i] : undefined;
    // Not a row the tail holds: the invariant no longer says what is stored, so start over.
    if (!old || old.baseOffset !== b.baseOffset) return this.forget();
    k.rows[i] = own(b);
    k.bytes += b.sizeBytes - old.sizeBytes;
  }

  /** Stored batches with base offset ≥ `offset` were deleted. */
  deletedFrom(offset: Offset): void {
    const k = this.#known;
    if (!k) return;
    const kept = k.rows.filter((r) => r.baseOffset < offset);
    this.#known = { start: Math.min(k.start, offset), rows: kept, bytes: sumBytes(kept) };
  }

  /** Stored batches with base offset < `offset` were deleted. */
  deletedBelow(offset: Offset): void {
    const k = this.#known;
    if (!k) return;
    const kept = k.rows.filter((r) => r.baseOffset >= offset);
    this.#known = { start: Math.max(k.start, offset), rows: kept, bytes: sumBytes(kept) };
  }

  /** Drops everything: the tail no longer knows what is stored (a rolled-back transaction). */
  forget(): void {
    this.#known = null;
  }
}

const sumBytes = (rows: readonly BatchRow[]): number => rows.reduce((n, r) => n + r.sizeBytes, 0);
