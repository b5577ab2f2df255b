/**
 * The Kafka door's fetch edge: stored batches (src/codec/record-batch.ts's format) written as a
 * Kafka record set, one RecordBatch v2 per stored batch (magic 2, uncompressed, no producer),
 * straight from the stored bytes into one buffer sized exactly beforehand, with the codec's
 * one writer (src/codec/kafka/batch-writer.ts). No record is decoded into objects, no key or
 * value copied but into the answer (docs/architecture.md "Kafka's RecordBatch v2 at the edge").
 *
 * Each Kafka batch is based at its stored batch's first record (a read may start inside a stored
 * batch): baseOffset and baseTimestamp are that record's, every delta is taken from them, so
 * the offsets and timestamps a consumer reads are the stored ones; maxTimestamp is the largest,
 * lastOffsetDelta the last record's. A stored batch without records writes nothing. A unit test
 * holds the bytes equal to the codec's `encodeRecordBatch` of the decoded records.
 *
 * Two passes over the stored bytes with the codec's record walker (`visitRecords`, which the
 * JSON fetch uses too): the sizes, then the writes. Stored bytes that do not parse throw the
 * codec's CorruptBatchError (the leader wrote them: a bug or a damaged row).
 * Pure; called by records.ts. Offsets and timestamps are safe integers (below 2^53).
 */
import { putRecordHead, putVarint, RECORD_BATCH_HEADER_BYTES, recordBodySize, sealRecordBatch, varBytesSize, varintSize } from "../../codec/kafka/index.ts";
import { readBatchHeader, visitHeaders, visitRecords, type RecordView } from "../../codec/record-batch.ts";
import type { FetchedBatch } from "../../protocol/types.ts";

/** What pass one learns of a stored batch with records. */
interface Sized {
  blob: Uint8Array;
  baseOffset: number;
  count: number;
  /** The Kafka batch's base offset and timestamp: its first record's. */
  kafkaBase: number;
  kafkaBaseTimestamp: number;
  maxTimestamp: number;
  lastOffset: number;
  bytes: number;
}

/** A field's length as Kafka writes it (-1: null), from `visitRecords`' start and end. */
const lengthOf = (start: number, end: number) => (start < 0 ? -1 : end - start);

/** The Kafka bytes of a record's headers: their count, then each key and value with its length. */
function headersSize(blob: Uint8Array, v: RecordView): number {
  let bytes = varintSize(v.headerCount);
  if (v.headerCount > 0)
    visitHeaders(blob, v, (ks, ke, vs, ve) => (bytes += varBytesSize(ke - ks) + varBytesSize(lengthOf(vs, ve))));
  return bytes;
}

/** A record's Kafka body size, its deltas taken from the Kafka batch's base. */
function bodySize(blob: Uint8Array, v: RecordView, kafkaBase: number, kafkaBaseTimestamp: number): number {
  const key = lengthOf(v.keyStart, v.keyEnd);
  const value = lengthOf(v.valueStart, v.valueEnd);
  return recordBodySize(v.timestamp - kafkaBaseTimestamp, v.offset - kafkaBase, key, value, headersSize(blob, v));
}

function size(b: FetchedBatch): Sized | null {
  const { recordCount } = readBatchHeader(b.records);
  if (recordCount === 0) return null;
  const z: Sized = {
    blob: b.records,
    baseOffset: b.baseOffset,
    count: recordCount,
    kafkaBase: 0,
    kafkaBaseTimestamp: 0,
    maxTimestamp: -Infinity,
    lastOffset: 0,
    bytes: RECORD_BATCH_HEADER_BYTES,
  };
  let first = true;
  visitRecords(b.records, b.baseOffset, (v) => {
    if (first) {
      z.kafkaBase = v.offset;
      z.kafkaBaseTimestamp = v.timestamp;
      first = false;
    }
    const body = bodySize(b.records, v, z.kafkaBase, z.kafkaBaseTimestamp);
    z.bytes += varintSize(body) + body;
    if (v.timestamp > z.maxTimestamp) z.maxTimestamp = v.timestamp;
    z.lastOffset = v.offset;
  });
  return z;
}

/** Copies `blob[start, end)` (start < 0: null) as Kafka's varint length and bytes. */
function copyVarBytes(out: Uint8Array, pos: number, blob: Uint8Array, start: number, end: number): number {
  pos = putVarint(out, pos, lengthOf(start, end));
  if (start < 0) return pos;
  out.set(blob.subarray(start, end), pos);
  return pos + end - start;
}

function write(out: Uint8Array, at: number, z: Sized): number {
  const blob = z.blob;
  let pos = at + RECORD_BATCH_HEADER_BYTES;
  visitRecords(blob, z.baseOffset, (v) => {
    const body = bodySize(blob, v, z.kafkaBase, z.kafkaBaseTimestamp);
    pos = putRecordHead(out, pos, body, 0, v.timestamp - z.kafkaBaseTimestamp, v.offset - z.kafkaBase);
    pos = copyVarBytes(out, pos, blob, v.keyStart, v.keyEnd);
    pos = copyVarBytes(out, pos, blob, v.valueStart, v.valueEnd);
    pos = putVarint(out, pos, v.headerCount);
    if (v.headerCount > 0)
      visitHeaders(blob, v, (ks, ke, vs, ve) => {
        pos = copyVarBytes(out, pos, blob, ks, ke);
        pos = copyVarBytes(out, pos, blob, vs, ve);
      });
  });
  sealRecordBatch(out, at, pos, {
    baseOffset: z.kafkaBase,
    partitionLeaderEpoch: -1,
    attributes: 0,
    lastOffsetDelta: z.lastOffset - z.kafkaBase,
    baseTimestamp: z.kafkaBaseTimestamp,
    maxTimestamp: z.maxTimestamp,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: z.count,
  });
  return pos;
}

/** Stored batches read by a fetch, as one Kafka record set: one batch each, uncompressed. */
export function kafkaRecordSetOf(batches: readonly FetchedBatch[]): Uint8Array {
  const sized = batches.map(size).filter((z): z is Sized => z !== null);
  const out = new Uint8Array(sized.reduce((n, z) => n + z.bytes, 0));
  let at = 0;
  for (const z of sized) {
    const end = write(out, at, z);
    if (end - at !== z.bytes) throw new Error(`kafkaRecordSetOf: wrote ${end - at} of ${z.bytes} bytes`);
    at = end;
  }
  return out;
}
