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
 * Two passes over the stored bytes: the sizes, then the writes. Stored bytes that do not parse
 * throw the codec's CorruptBatchError (the leader wrote them: a bug or a damaged row).
 * Pure; called by records.ts. Offsets and timestamps are safe integers (below 2^53).
 */
import { putRecordHead, putVarint, RECORD_BATCH_HEADER_BYTES, recordBodySize, sealRecordBatch, varBytesSize, varintSize } from "../../codec/kafka/index.ts";
import { CorruptBatchError, readBatchHeader } from "../../codec/record-batch.ts";
import type { FetchedBatch } from "../../protocol/types.ts";

/** A cursor over one stored blob: its varints (little-endian base-128, sign-magnitude svarint). */
class Stored {
  pos = 0;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
  uvarint(): number {
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw new CorruptBatchError("truncated blob");
      result += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return result;
      mult *= 128;
    }
    throw new CorruptBatchError("varint longer than 8 bytes");
  }
  svarint(): number {
    const first = this.buf[this.pos++];
    if (first === undefined) throw new CorruptBatchError("truncated blob");
    let mag = (first >> 1) & 0x3f;
    if (first & 0x80) mag += this.uvarint() * 64;
    return first & 1 ? -mag : mag;
  }
  /** A stored nbytes' length (-1: null), the cursor left on its bytes. */
  nbytesLength(): number {
    return this.uvarint() - 1;
  }
}

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

/** Reads one stored record's key, value and headers from `s` (on its key); answers the Kafka bytes of its headers. */
function skipFields(s: Stored): { keyLength: number; valueLength: number; headersBytes: number } {
  const keyLength = s.nbytesLength();
  if (keyLength > 0) s.pos += keyLength;
  const valueLength = s.nbytesLength();
  if (valueLength > 0) s.pos += valueLength;
  const headerCount = s.uvarint();
  let headersBytes = varintSize(headerCount);
  for (let h = 0; h < headerCount; h++) {
    const k = s.uvarint();
    s.pos += k;
    const v = s.nbytesLength();
    if (v > 0) s.pos += v;
    headersBytes += varBytesSize(k) + varBytesSize(v);
  }
  return { keyLength, valueLength, headersBytes };
}

function size(b: FetchedBatch): Sized | null {
  const { baseTimestamp, recordCount, recordsStart } = readBatchHeader(b.records);
  if (recordCount === 0) return null;
  const s = new Stored(b.records);
  s.pos = recordsStart;
  let bytes = RECORD_BATCH_HEADER_BYTES;
  let kafkaBase = 0;
  let kafkaBaseTimestamp = 0;
  let maxTimestamp = -Infinity;
  let lastOffset = 0;
  for (let i = 0; i < recordCount; i++) {
    const length = s.uvarint();
    const end = s.pos + length;
    const offset = b.baseOffset + s.uvarint();
    const timestamp = baseTimestamp + s.svarint();
    if (i === 0) {
      kafkaBase = offset;
      kafkaBaseTimestamp = timestamp;
    }
    const f = skipFields(s);
    if (s.pos !== end || end > b.records.length) throw new CorruptBatchError("record length does not match its body");
    const body = recordBodySize(timestamp - kafkaBaseTimestamp, offset - kafkaBase, f.keyLength, f.valueLength, f.headersBytes);
    bytes += varintSize(body) + body;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    lastOffset = offset;
  }
  return { blob: b.records, baseOffset: b.baseOffset, count: recordCount, kafkaBase, kafkaBaseTimestamp, maxTimestamp, lastOffset, bytes };
}

/** Copies `n` stored bytes (-1: null) at the cursor as Kafka's varint length and bytes. */
function copyVarBytes(out: Uint8Array, pos: number, s: Stored, n: number): number {
  pos = putVarint(out, pos, n);
  if (n > 0) {
    out.set(s.buf.subarray(s.pos, s.pos + n), pos);
    s.pos += n;
    pos += n;
  }
  return pos;
}

function write(out: Uint8Array, at: number, z: Sized): number {
  const { baseTimestamp, recordsStart } = readBatchHeader(z.blob);
  const s = new Stored(z.blob);
  s.pos = recordsStart;
  let pos = at + RECORD_BATCH_HEADER_BYTES;
  for (let i = 0; i < z.count; i++) {
    s.uvarint(); // stored length
    const offsetDelta = z.baseOffset + s.uvarint() - z.kafkaBase;
    const timestampDelta = baseTimestamp + s.svarint() - z.kafkaBaseTimestamp;
    const fieldsAt = s.pos;
    const f = skipFields(s);
    s.pos = fieldsAt;
    const body = recordBodySize(timestampDelta, offsetDelta, f.keyLength, f.valueLength, f.headersBytes);
    pos = putRecordHead(out, pos, body, 0, timestampDelta, offsetDelta);
    pos = copyVarBytes(out, pos, s, s.nbytesLength());
    pos = copyVarBytes(out, pos, s, s.nbytesLength());
    const headerCount = s.uvarint();
    pos = putVarint(out, pos, headerCount);
    for (let h = 0; h < headerCount; h++) {
      pos = copyVarBytes(out, pos, s, s.uvarint());
      pos = copyVarBytes(out, pos, s, s.nbytesLength());
    }
  }
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
