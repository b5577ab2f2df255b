/**
 * The read loop of PartitionLog.readBatches over any batches in offset order (the remote tier's
 * ranged GET hands it the batches of one object): records from exactly `offset` on, below
 * `bound`, up to `maxRecords` and `maxBytes`, at least one record when one is available, each
 * batch cut to the records read. Same spans, same slicing as the local read, so an answer from
 * R2 carries the same bytes and offsets as one from SQLite.
 * Called by src/partition/tiered-storage.ts. Pure and synchronous.
 */
import { recordSpans, sliceBatch } from "../codec/record-batch.ts";
import type { FetchedBatch, Offset } from "../protocol/types.ts";

export interface BatchReadResult {
  batches: FetchedBatch[];
  nextOffset: Offset;
}

export function readFromBatches(
  source: Iterable<{ baseOffset: Offset; records: Uint8Array }>,
  offset: Offset,
  bound: Offset,
  maxRecords: number,
  maxBytes: number,
): BatchReadResult {
  const batches: FetchedBatch[] = [];
  let records = 0;
  let bytes = 0;
  let nextOffset = offset;
  let full = false;
  for (const batch of source) {
    if (full || batch.baseOffset >= bound) break;
    let start = -1;
    let end = -1;
    let count = 0;
    for (const span of recordSpans(batch.records, batch.baseOffset, offset)) {
      const size = span.end - span.start;
      if (span.offset >= bound || (records > 0 && bytes + size > maxBytes)) {
        full = true;
        break;
      }
      if (start < 0) start = span.start;
      end = span.end;
      count++;
      records++;
      bytes += size;
      nextOffset = span.offset + 1;
      if (records >= maxRecords) {
        full = true;
        break;
      }
    }
    if (count > 0) batches.push({ baseOffset: batch.baseOffset, recordCount: count, records: sliceBatch(batch.records, start, end, count) });
  }
  return { batches, nextOffset };
}
