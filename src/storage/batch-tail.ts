/**
 * BatchTail: the newest stored batches of a log kept in memory (issue 22, "no re-reading"), so
 * that a push of what the leader just appended, and a consumer fetch at the log's end, read no
 * SQLite rows. SqliteLogStore owns one and tells it every change it makes to `batches`.
 *
 * Invariant (what makes it safe to answer from): the rows are exactly the stored batches whose
 * base offset is ≥ the first row's, in offset order, with the stored bytes. Every batch write
 * keeps it: an append adds after every stored batch (so it belongs here), a replace swaps the
 * row, a delete from an offset or below one cuts the rows alike. An answer comes from here only
 * when the batch holding its offset is held (offset ≥ the first row's base offset).
 * The store forgets the tail (`forget`) when a transaction throws: SQLite rolled back writes
 * this already took in, so it restarts empty and fills again from the next append.
 * Bounded: whole batches are dropped from the front while the rows exceed `maxBytes` (the
 * newest batch always stays, so the bound is exceeded by at most one blob, ≤ 1 MiB).
 * Rows handed out are fresh objects over shared blobs; no caller writes into a blob (log-store.ts).
 * Synchronous; one caller at a time (the replica DO).
 */
import type { Offset } from "../protocol/types.ts";
import type { BatchRow } from "../log/log-store.ts";

/** What a tail keeps: 4 MiB of blobs, a few pushes' worth at 64 concurrent producers. */
export const DEFAULT_TAIL_BYTES = 4 * 1024 * 1024;

/**
 * A row to keep: a blob that is a view into a larger buffer (a slice of a request body) is
 * copied, so the tail pins only its own bytes and the bound counts what it holds.
 */
const own = (b: BatchRow): BatchRow =>
  b.records.byteOffset === 0 && b.records.byteLength === b.records.buffer.byteLength
    ? { ...b }
    : { ...b, records: b.records.slice() };

const copies = (rows: readonly BatchRow[]): BatchRow[] => rows.map((r) => ({ ...r }));

export class BatchTail {
  readonly #maxBytes: number;
  /** Exactly the stored batches with base offset ≥ the first one's, in order (or none). */
  #rows: BatchRow[] = [];
  #bytes = 0;

  constructor(maxBytes: number = DEFAULT_TAIL_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`BatchTail: bad maxBytes ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  /** Index of the row with the highest base offset ≤ `offset`; -1 when the tail cannot say. */
  #holderIndex(offset: Offset): number {
    const rows = this.#rows;
    if (rows.length === 0 || offset < rows[0]!.baseOffset) return -1;
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
    return copies(this.#rows.slice(this.#rows[i]!.lastOffset >= offset ? i : i + 1));
  }

  /**
   * The lowest base offset the tail holds, or null while it holds no batch: every stored batch
   * at or after it is in the tail (`rowsFrom`), so a scan reading on from below can stop there.
   */
  firstBaseOffset(): Offset | null {
    return this.#rows[0]?.baseOffset ?? null;
  }

  /** The held batches with base offset ≥ `baseOffset` (all stored ones when ≥ firstBaseOffset). */
  rowsFrom(baseOffset: Offset): BatchRow[] {
    return copies(this.#rows.filter((r) => r.baseOffset >= baseOffset));
  }

  /** `batchAtOrBefore(offset)` of the store, or undefined when the tail cannot say. */
  atOrBefore(offset: Offset): BatchRow | undefined {
    const i = this.#holderIndex(offset);
    return i < 0 ? undefined : { ...this.#rows[i]! };
  }

  /** A batch was stored after every stored batch. */
  appended(b: BatchRow): void {
    this.#rows.push(own(b));
    this.#bytes += b.sizeBytes;
    while (this.#bytes > this.#maxBytes && this.#rows.length > 1) this.#bytes -= this.#rows.shift()!.sizeBytes;
  }

  /** The stored batch with `b`'s base offset was rewritten as `b` (or `b` was stored anew). */
  replaced(b: BatchRow): void {
    // Below the first held batch: outside what the tail answers for.
    if (this.#rows.length === 0 || b.baseOffset < this.#rows[0]!.baseOffset) return;
    const i = this.#holderIndex(b.baseOffset);
    const old = this.#rows[i]!;
    // A new row among the held ones: the tail no longer holds every stored batch, so start over.
    if (old.baseOffset !== b.baseOffset) return this.forget();
    this.#rows[i] = own(b);
    this.#bytes += b.sizeBytes - old.sizeBytes;
  }

  /** Stored batches with base offset ≥ `offset` were deleted. */
  deletedFrom(offset: Offset): void {
    this.#keep(this.#rows.filter((r) => r.baseOffset < offset));
  }

  /** Stored batches with base offset < `offset` were deleted. */
  deletedBelow(offset: Offset): void {
    this.#keep(this.#rows.filter((r) => r.baseOffset >= offset));
  }

  #keep(rows: BatchRow[]): void {
    this.#rows = rows;
    this.#bytes = rows.reduce((n, r) => n + r.sizeBytes, 0);
  }

  /** Drops everything: the tail no longer knows what is stored (a rolled-back transaction). */
  forget(): void {
    this.#keep([]);
  }
}
