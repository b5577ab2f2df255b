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
 * Reads are lazy (a push or fetch that stops after one batch copies one row object); rows handed
 * out are fresh objects over shared blobs, and no caller writes into a blob (log-store.ts).
 * Batches dropped from the front are still in SQLite, so the tail may always hold less.
 * Synchronous; one caller at a time (the replica DO).
 */
import type { Offset } from "../protocol/types.ts";
import type { BatchRow } from "../log/log-store.ts";

/**
 * What a tail keeps: 1 MiB of blobs. A push in steady state carries what was appended since the
 * last one (a few batches), so 1 MiB covers it; a follower further behind reads SQLite as
 * before. Kept small because replica objects of one class may share an isolate's 128 MB.
 */
export const DEFAULT_TAIL_BYTES = 1024 * 1024;

/**
 * A row to keep: a blob that is a view into a larger buffer (a slice of a request body) is
 * copied, so the tail pins only its own bytes and the bound counts what it holds.
 */
const own = (b: BatchRow): BatchRow =>
  b.records.byteOffset === 0 && b.records.byteLength === b.records.buffer.byteLength
    ? { ...b }
    : { ...b, records: b.records.slice() };

/** Copies of `rows[from…]`, one at a time: a read that stops early copies only what it took. */
function* copiesFrom(rows: readonly BatchRow[], from: number): Generator<BatchRow> {
  for (let i = from; i < rows.length; i++) yield { ...rows[i]! };
}

export class BatchTail {
  readonly #maxBytes: number;
  /**
   * `#rows[#head…]` are exactly the stored batches with base offset ≥ the first one's, in order
   * (or none). Dropping from the front moves `#head`; the array is cut when half of it is dead,
   * so a drop is O(1) amortized and a read walking the array never sees its indices shift.
   */
  #rows: BatchRow[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxBytes: number = DEFAULT_TAIL_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`BatchTail: bad maxBytes ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  /** Index of the first held row with base offset ≥ `offset` (`#rows.length` if none). */
  #firstAtOrAfter(offset: Offset): number {
    let lo = this.#head;
    let hi = this.#rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#rows[mid]!.baseOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the held row with the highest base offset ≤ `offset`; -1 when the tail cannot say. */
  #holderIndex(offset: Offset): number {
    const first = this.#rows[this.#head];
    if (!first || offset < first.baseOffset) return -1;
    const after = this.#firstAtOrAfter(offset);
    return this.#rows[after]?.baseOffset === offset ? after : after - 1;
  }

  /**
   * `batchesFrom(offset)` of the store (the holder of `offset` if it reaches it, then every
   * later batch), or null when the tail does not hold the batch at or before `offset`.
   * The rows are read as the tail is when the caller takes them: no write may come in between.
   */
  from(offset: Offset): Iterable<BatchRow> | null {
    const i = this.#holderIndex(offset);
    if (i < 0) return null;
    return copiesFrom(this.#rows, this.#rows[i]!.lastOffset >= offset ? i : i + 1);
  }

  /**
   * The lowest base offset the tail holds, or null while it holds no batch: every stored batch
   * at or after it is in the tail (`rowsFrom`), so a scan reading on from below can stop there.
   */
  firstBaseOffset(): Offset | null {
    return this.#rows[this.#head]?.baseOffset ?? null;
  }

  /** The held batches with base offset ≥ `baseOffset` (all stored ones when ≥ firstBaseOffset). */
  rowsFrom(baseOffset: Offset): Iterable<BatchRow> {
    return copiesFrom(this.#rows, this.#firstAtOrAfter(baseOffset));
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
    while (this.#bytes > this.#maxBytes && this.#rows.length - this.#head > 1) {
      this.#bytes -= this.#rows[this.#head]!.sizeBytes;
      this.#head++;
    }
    if (this.#head >= 16 && this.#head * 2 > this.#rows.length) this.#keep(this.#rows.slice(this.#head));
  }

  /** The stored batch with `b`'s base offset was rewritten as `b` (or `b` was stored anew). */
  replaced(b: BatchRow): void {
    const i = this.#holderIndex(b.baseOffset);
    // Below the first held batch: outside what the tail answers for.
    if (i < 0) return;
    const old = this.#rows[i]!;
    // A new row among the held ones: the tail no longer holds every stored batch, so start over.
    if (old.baseOffset !== b.baseOffset) return this.forget();
    this.#rows[i] = own(b);
    this.#bytes += b.sizeBytes - old.sizeBytes;
  }

  /** Stored batches with base offset ≥ `offset` were deleted. */
  deletedFrom(offset: Offset): void {
    this.#keep(this.#rows.slice(this.#head, this.#firstAtOrAfter(offset)));
  }

  /** Stored batches with base offset < `offset` were deleted. */
  deletedBelow(offset: Offset): void {
    this.#keep(this.#rows.slice(this.#firstAtOrAfter(offset)));
  }

  /** A new array (a read walking the old one keeps it), holding `rows` and nothing dead. */
  #keep(rows: BatchRow[]): void {
    this.#rows = rows;
    this.#head = 0;
    this.#bytes = rows.reduce((n, r) => n + r.sizeBytes, 0);
  }

  /** Drops everything: the tail no longer knows what is stored (a rolled-back transaction). */
  forget(): void {
    this.#keep([]);
  }
}
