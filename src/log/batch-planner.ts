/**
 * Turns a produce request's records into the batch rows to store: final timestamps, encoded
 * records, the per-record size check, and the split into blobs of at most `maxBlobBytes`.
 *
 * Invariants: offsets are consecutive from `baseOffset`; one record whose `encodedRecordSize`
 * is over `maxRecordBytes` fails the whole request (MESSAGE_TOO_LARGE) before anything is written; every blob holds at
 * least one record and is ≤ `maxBlobBytes`; a split batch's rows carry the producer sequence of
 * their first record. Records that come pre-encoded (`EncodedRecords`, checked by the API that
 * made them) are stored as they came when they fit one blob and keep their CreateTime; otherwise
 * they are decoded and planned like any other records, so both forms store the same bytes.
 * Pure; called by PartitionLog.appendAsLeader.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { EncodedRecords, Offset, RecordInput, TimestampMs, TimestampType } from "../protocol/types.ts";
import { incrementSequence } from "./producer-state.ts";

export { incrementSequence };
import {
  BATCH_HEADER_MAX_BYTES,
  CorruptBatchError,
  decodeBatch,
  encodeBatch,
  encodedRecordSize,
  encodeRecord,
  readBatchHeader,
} from "../codec/record-batch.ts";

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

export interface PlannedAppend {
  batches: PlannedBatch[];
  /** Per record, in order, its stored timestamp: for records given as objects (pre-encoded ones keep theirs, or all take `now` under LogAppendTime). */
  timestamps?: TimestampMs[];
}

/** `resolveTimestamps` then `planBatches`, for records as objects or pre-encoded. */
export function planAppend(
  input: readonly RecordInput[] | EncodedRecords,
  type: TimestampType,
  now: TimestampMs,
  baseOffset: Offset,
  baseSequence: number,
  limits: PlanLimits,
): Result<PlannedAppend> {
  let records: readonly RecordInput[];
  if (isEncoded(input)) {
    // Checked where they were made (EncodedRecords): only the header is read again here.
    let header;
    try {
      header = readBatchHeader(input.blob);
    } catch (e) {
      if (!(e instanceof CorruptBatchError)) throw e;
      return fail("CORRUPT_MESSAGE", e.message);
    }
    if (header.recordCount !== input.recordCount)
      return fail("CORRUPT_MESSAGE", `corrupt record batch: header counts ${header.recordCount} records, the request ${input.recordCount}`);
    if (input.maxRecordBytes > limits.maxRecordBytes)
      return fail("MESSAGE_TOO_LARGE", `a record is ${input.maxRecordBytes} bytes encoded; the limit is ${limits.maxRecordBytes} (max.message.bytes)`);
    if (type === "CreateTime" && input.blob.length <= limits.maxBlobBytes) {
      const batch: PlannedBatch = {
        baseOffset,
        lastOffset: baseOffset + input.recordCount - 1,
        recordCount: input.recordCount,
        maxTimestamp: input.maxTimestamp,
        baseSequence: baseSequence < 0 ? -1 : baseSequence,
        blob: input.blob,
      };
      return ok({ batches: [batch] });
    }
    // LogAppendTime rewrites every timestamp, and a blob over the limit is split: the general path.
    try {
      records = decodeBatch(input.blob, 0);
    } catch (e) {
      if (!(e instanceof CorruptBatchError)) throw e;
      return fail("CORRUPT_MESSAGE", e.message);
    }
  } else records = input;
  const timestamps = resolveTimestamps(records, type, now);
  if (!timestamps.ok) return timestamps;
  const batches = planBatches(records, timestamps.value, baseOffset, baseSequence, limits);
  if (!batches.ok) return batches;
  // Pre-encoded records keep their own timestamps, or all take `now`: the caller knows them.
  return ok(isEncoded(input) ? { batches: batches.value } : { batches: batches.value, timestamps: timestamps.value });
}

export const isEncoded = (input: readonly RecordInput[] | EncodedRecords): input is EncodedRecords => !Array.isArray(input);

export const recordCountOf = (input: readonly RecordInput[] | EncodedRecords): number =>
  isEncoded(input) ? input.recordCount : input.length;
