/**
 * The read loop of PartitionLog.readBatches (which feeds it the local log), fed in pieces (the remote tier hands it the batches
 * of one ranged GET at a time, then the local log's): records from exactly `offset` on, below
 * `bound`, up to `maxRecords` and `maxBytes`, at least one record when one is available, each
 * batch cut to the records read. Same spans, same slicing and the same budget across pieces as
 * the local read, so an answer from R2 carries the same bytes and offsets as one from SQLite.
 * Called by src/partition/tiered-storage.ts. Pure and synchronous.
 */
import { readBatchHeader, recordSpans, sliceBatch } from "../codec/record-batch.ts";
import type { FetchedBatch, Offset } from "../protocol/types.ts";

export class BatchReader {
  readonly batches: FetchedBatch[] = [];
  records = 0;
  bytes = 0;
  nextOffset: Offset;
  /** True once a limit or the bound stopped the read: feed no more. */
  full = false;
  /** True when `maxRecords` or `maxBytes` stopped the read (else every offset below the bound fed was seen). */
  limited = false;

  readonly #offset: Offset;
  readonly #bound: Offset;
  readonly #maxRecords: number;
  readonly #maxBytes: number;

  constructor(offset: Offset, bound: Offset, maxRecords: number, maxBytes: number) {
    this.#offset = offset;
    this.#bound = bound;
    this.#maxRecords = maxRecords;
    this.#maxBytes = maxBytes;
    this.nextOffset = offset;
  }

  /** Bytes the read may still take (at least one record is always taken). */
  get remainingBytes(): number {
    return Math.max(0, this.#maxBytes - this.bytes);
  }

  /**
   * `lastOffset` (a stored row's) lets a batch that the read takes whole skip the walk over its
   * records: one that starts at or after the read's offset, ends below the bound, has no
   * compacted gap (its count covers its offsets) and fits both limits. Batches without it (the
   * remote tier's) are walked record by record.
   */
  feed(source: Iterable<{ baseOffset: Offset; records: Uint8Array; lastOffset?: Offset }>): void {
    for (const batch of source) {
      if (this.full || batch.baseOffset >= this.#bound) {
        this.full = true;
        return;
      }
      if (this.#takeWhole(batch)) continue;
      let start = -1;
      let end = -1;
      let count = 0;
      for (const span of recordSpans(batch.records, batch.baseOffset, this.#offset)) {
        const size = span.end - span.start;
        const over = this.records > 0 && this.bytes + size > this.#maxBytes;
        if (span.offset >= this.#bound || over) {
          this.full = true;
          this.limited ||= over;
          break;
        }
        if (start < 0) start = span.start;
        end = span.end;
        count++;
        this.records++;
        this.bytes += size;
        this.nextOffset = span.offset + 1;
        if (this.records >= this.#maxRecords) {
          this.full = this.limited = true;
          break;
        }
      }
      if (count === 0) continue;
      const records = sliceBatch(batch.records, start, end, count);
      this.batches.push({ baseOffset: batch.baseOffset, recordCount: count, records });
    }
  }

  /** Takes `batch` whole when it needs no cut (see `feed`); false leaves it to the walk. */
  #takeWhole(batch: { baseOffset: Offset; records: Uint8Array; lastOffset?: Offset }): boolean {
    const { baseOffset, records, lastOffset } = batch;
    if (lastOffset === undefined || baseOffset < this.#offset || lastOffset >= this.#bound)
      return false;
    const { recordCount, recordsStart } = readBatchHeader(records);
    const bytes = records.length - recordsStart;
    const dense = recordCount > 0 && recordCount === lastOffset - baseOffset + 1;
    const fits = this.records + recordCount <= this.#maxRecords && this.bytes + bytes <= this.#maxBytes;
    if (!dense || !fits) return false;
    this.batches.push({ baseOffset, recordCount, records });
    this.records += recordCount;
    this.bytes += bytes;
    this.nextOffset = lastOffset + 1;
    if (this.records >= this.#maxRecords) this.full = this.limited = true;
    return true;
  }
}

/**
 * The batches with their records copied into one buffer, each batch's `records` a view of its
 * part: the fetch RPC then carries one ArrayBuffer (the structured clone writes a buffer once,
 * however many views share it) instead of one per batch. Measured (docs/benchmarks.md, issue
 * 22; before/after clusters side by side, interleaved): a 10^5-record binary catch-up of 1,000
 * batches 133 → 105 and 142 → 108 ms per pass, workerd CPU unchanged. Zero or one batch is
 * returned as it is.
 */
export function inOneBuffer(batches: FetchedBatch[]): FetchedBatch[] {
  if (batches.length < 2) return batches;
  const all = new Uint8Array(batches.reduce((n, b) => n + b.records.length, 0));
  let at = 0;
  return batches.map(({ baseOffset, recordCount, records }) => {
    all.set(records, at);
    const view = all.subarray(at, (at += records.length));
    return { baseOffset, recordCount, records: view };
  });
}
