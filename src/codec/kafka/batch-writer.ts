/**
 * RecordBatch v2 written in one pass into a buffer sized exactly beforehand: the primitives of
 * the codec's `encodeRecordBatch` (record-batch.ts) and of the Kafka door's fetch edge, which
 * writes Kafka batches straight from stored bytes (src/doors/kafka/batch-writer.ts). One writer,
 * so the two cannot drift: the sizes (`varintSize`, `recordBodySize`), a record's bytes
 * (`putRecordHead` + the key, value and headers with `putVarBytes`) and the batch header with
 * its CRC (`sealRecordBatch`).
 *
 * Layout (record-batch.ts has the whole of it): a 61-byte header, baseOffset:int64
 * batchLength:int32 partitionLeaderEpoch:int32 magic:int8(2) crc:uint32 attributes:int16
 * lastOffsetDelta:int32 baseTimestamp:int64 maxTimestamp:int64 producerId:int64
 * producerEpoch:int16 baseSequence:int32 recordCount:int32, then the records; a record is
 * length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint key value
 * headers:varint count of (key, value), bytes as zig-zag varint length (-1 null) + bytes.
 *
 * Invariants: varints are zig-zag in number arithmetic, exact for |v| < 2^52 (Kafka's 32-bit
 * varints and every safe timestamp delta); a `put*` writes exactly the bytes its `*Size` counts
 * and answers the position after them; the CRC-32C covers attributes to the batch's end.
 * Pure; no allocation but the caller's buffer.
 */
import { crc32cUpdate } from "./crc32c.ts";

export const RECORD_BATCH_HEADER_BYTES = 61;
/** Where the CRC sits in a batch, and where the bytes it covers start. */
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

/** Bytes of a zig-zag varint (or varlong) of `v`. */
export function varintSize(v: number): number {
  let z = zigzag(v);
  let n = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    n++;
  }
  return n;
}

/** Writes the zig-zag varint of `v` at `pos`; answers the position after it. */
export function putVarint(buf: Uint8Array, pos: number, v: number): number {
  let z = zigzag(v);
  while (z >= 128) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

/** Bytes of `len` bytes as Kafka writes them (-1: null): the varint length and the bytes. */
export const varBytesSize = (len: number): number => (len < 0 ? 1 : varintSize(len) + len);

/** Writes `b` (null: length -1) as a varint length and its bytes; answers the position after. */
export function putVarBytes(buf: Uint8Array, pos: number, b: Uint8Array | null): number {
  if (b === null) return putVarint(buf, pos, -1);
  pos = putVarint(buf, pos, b.length);
  buf.set(b, pos);
  return pos + b.length;
}

/**
 * A record's body bytes (after its length), its key, value and header fields given by their
 * byte lengths (-1: null) and `headersBytes` the bytes of its header count and headers.
 */
export function recordBodySize(timestampDelta: number, offsetDelta: number, keyLength: number, valueLength: number, headersBytes: number): number {
  return 1 + varintSize(timestampDelta) + varintSize(offsetDelta) + varBytesSize(keyLength) + varBytesSize(valueLength) + headersBytes;
}

/** Writes a record's length, attributes, timestamp and offset deltas; the key, value and headers follow. */
export function putRecordHead(buf: Uint8Array, pos: number, bodyBytes: number, attributes: number, timestampDelta: number, offsetDelta: number): number {
  if (!Number.isSafeInteger(timestampDelta) || Math.abs(timestampDelta) >= 2 ** 52)
    throw new RangeError(`varlong ${timestampDelta} is outside what Flarelog writes`);
  pos = putVarint(buf, pos, bodyBytes);
  buf[pos++] = attributes & 0xff;
  pos = putVarint(buf, pos, timestampDelta);
  return putVarint(buf, pos, offsetDelta);
}

/** The header fields of one batch (the length and CRC are computed). */
export interface BatchHeaderFields {
  baseOffset: number;
  partitionLeaderEpoch: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/**
 * Writes the header of the batch that occupies `buf[at, end)` (its records already written
 * from `at + RECORD_BATCH_HEADER_BYTES`) and its CRC-32C.
 */
export function sealRecordBatch(buf: Uint8Array, at: number, end: number, h: BatchHeaderFields): void {
  const v = new DataView(buf.buffer, buf.byteOffset + at, RECORD_BATCH_HEADER_BYTES);
  v.setBigInt64(0, BigInt(h.baseOffset));
  v.setInt32(8, end - at - 12);
  v.setInt32(12, h.partitionLeaderEpoch);
  v.setInt8(16, 2);
  v.setInt16(ATTRIBUTES_AT, h.attributes);
  v.setInt32(23, h.lastOffsetDelta);
  v.setBigInt64(27, BigInt(h.baseTimestamp));
  v.setBigInt64(35, BigInt(h.maxTimestamp));
  v.setBigInt64(43, BigInt(h.producerId));
  v.setInt16(51, h.producerEpoch);
  v.setInt32(53, h.baseSequence);
  v.setInt32(57, h.recordCount);
  v.setUint32(CRC_AT, crc32cUpdate(0, buf.subarray(at + ATTRIBUTES_AT, end)));
}
