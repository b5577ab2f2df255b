/**
 * Turns a produce request's records into the batch rows to store: final timestamps, encoded
 * records, the per-record size check, and the split into blobs of at most `maxBlobBytes`.
 *
 * Invariants: offsets are consecutive from `baseOffset`; one record whose `encodedRecordSize`
 * is over `maxRecordBytes` fails the whole request (MESSAGE_TOO_LARGE) before anything is written; every blob holds at
 * least one record and is ≤ `maxBlobBytes`; a split batch's rows carry the producer sequence of
 * their first record. Pure; called by PartitionLog.appendAsLeader.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { Offset, RecordInput, TimestampMs, TimestampType } from "../protocol/types.ts";
import { incrementSequence } from "./producer-state.ts";

export { incrementSequence };
import { BATCH_HEADER_MAX_BYTES, encodeBatch, encodedRecordSize, encodeRecord } from "./record-batch.ts";

export interface PlannedBatch {
  baseOffset: Offset;
  lastOffset: Offset;
  recordCount: number;
  maxTimestamp: TimestampMs;
  /** -1 when the producer is not idempotent. */
  baseSequence: number;
  blob: Uint8Array;
}

export interface PlanLimits {
  /** Largest encoded record accepted (max.message.bytes, capped so it fits a blob). */
  maxRecordBytes: number;
  maxBlobBytes: number;
}

/** The largest record a blob of `maxBlobBytes` can hold, given `max.message.bytes`. */
export const maxRecordBytesFor = (maxMessageBytes: number, maxBlobBytes: number): number =>
  Math.min(maxMessageBytes, maxBlobBytes - BATCH_HEADER_MAX_BYTES);

/**
 * CreateTime: the producer's timestamp, or `now` when absent. LogAppendTime: `now` for every
 * record. A given timestamp must be a non-negative safe integer (INVALID_TIMESTAMP otherwise).
 */
export function resolveTimestamps(
  records: readonly RecordInput[],
  type: TimestampType,
  now: TimestampMs,
): Result<TimestampMs[]> {
  const out: TimestampMs[] = [];
  for (const [i, r] of records.entries()) {
    const t = r.timestamp;
    if (t !== undefined && !(Number.isSafeInteger(t) && t >= 0))
      return fail("INVALID_TIMESTAMP", `record ${i} has timestamp ${t}; expected a non-negative integer (ms)`);
    out.push(type === "LogAppendTime" || t === undefined ? now : t);
  }
  return ok(out);
}

export function planBatches(
  records: readonly RecordInput[],
  timestamps: readonly TimestampMs[],
  baseOffset: Offset,
  baseSequence: number,
  limits: PlanLimits,
): Result<PlannedBatch[]> {
  const out: PlannedBatch[] = [];
  let first = 0; // index of the current batch's first record
  let encoded: Uint8Array[] = [];
  let bytes = BATCH_HEADER_MAX_BYTES;
  let maxTimestamp = -1;
  const close = (end: number): void => {
    out.push({
      baseOffset: baseOffset + first,
      lastOffset: baseOffset + end - 1,
      recordCount: end - first,
      maxTimestamp,
      baseSequence: baseSequence < 0 ? -1 : incrementSequence(baseSequence, first),
      blob: encodeBatch(timestamps[first]!, encoded),
    });
  };
  // Checked before anything is encoded: one oversize record fails the whole request.
  for (const [i, r] of records.entries()) {
    const size = encodedRecordSize(r);
    if (size > limits.maxRecordBytes)
      return fail(
        "MESSAGE_TOO_LARGE",
        `record ${i} is ${size} bytes encoded; the limit is ${limits.maxRecordBytes} (max.message.bytes)`,
      );
  }
  for (const [i, r] of records.entries()) {
    const ts = timestamps[i]!;
    let rec = encodeRecord(r, i - first, ts - timestamps[first]!);
    if (encoded.length > 0 && bytes + rec.length > limits.maxBlobBytes) {
      close(i);
      first = i;
      encoded = [];
      bytes = BATCH_HEADER_MAX_BYTES;
      maxTimestamp = -1;
      rec = encodeRecord(r, 0, 0);
    }
    encoded.push(rec);
    bytes += rec.length;
    maxTimestamp = Math.max(maxTimestamp, ts);
  }
  if (encoded.length > 0) close(records.length);
  return ok(out);
}
