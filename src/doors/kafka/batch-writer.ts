/**
 * One RecordBatch v2 (magic 2, uncompressed, no producer) written from stored records in a
 * single pass into one buffer sized exactly beforehand: the Kafka door's fetch edge. The
 * codec's `encodeRecordBatch` (src/codec/kafka/record-batch.ts) writes the same bytes (a unit
 * test holds them equal) with a growing writer per record; a fetch answer of thousands of
 * records is where that allocation shows (docs/architecture.md "Kafka's RecordBatch v2 at the
 * edge"), so the door writes its own.
 *
 * Layout: baseOffset:int64 batchLength:int32 partitionLeaderEpoch:int32(-1) magic:int8(2)
 * crc:uint32 attributes:int16(0) lastOffsetDelta:int32 baseTimestamp:int64 maxTimestamp:int64
 * producerId:int64(-1) producerEpoch:int16(-1) baseSequence:int32(-1) recordCount:int32 records;
 * a record is length:varint attributes:int8(0) timestampDelta:varlong offsetDelta:varint
 * key value (varint length, -1 null) headers:varint count of (key, value). Varints are zigzag.
 * The CRC-32C covers attributes to the end.
 * Pure; called by records.ts. Offsets and timestamps are safe integers (below 2^53).
 */
import { crc32c } from "../../codec/kafka/index.ts";
import type { LogRecord } from "../../protocol/types.ts";

const HEADER_BYTES = 61;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const utf8 = new TextEncoder();

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

const varintSize = (v: number): number => uvarintSize(zigzag(v));
const bytesSize = (b: Uint8Array | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

interface Planned {
  record: LogRecord;
  bodyBytes: number;
  headerKeys: Uint8Array[];
}

function plan(r: LogRecord, baseOffset: number, baseTimestamp: number): Planned {
  const headerKeys = r.headers.map((h) => utf8.encode(h.key));
  let bodyBytes = 1 + varintSize(r.timestamp - baseTimestamp) + varintSize(r.offset - baseOffset);
  bodyBytes += bytesSize(r.key) + bytesSize(r.value) + varintSize(r.headers.length);
  r.headers.forEach((h, i) => (bodyBytes += bytesSize(headerKeys[i]!) + bytesSize(h.value)));
  return { record: r, bodyBytes, headerKeys };
}

class Out {
  pos = 0;
  readonly buf: Uint8Array;
  readonly view: DataView;
  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  varint(v: number): void {
    let z = zigzag(v);
    while (z >= 128) {
      this.buf[this.pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    this.buf[this.pos++] = z;
  }
  bytes(b: Uint8Array | null): void {
    if (b === null) return this.varint(-1);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

/** The records (at least one, offsets ascending) as one Kafka batch based at the first's offset. */
export function writeKafkaBatch(records: readonly LogRecord[]): Uint8Array {
  const first = records[0]!;
  const baseOffset = first.offset;
  const baseTimestamp = first.timestamp;
  const planned = records.map((r) => plan(r, baseOffset, baseTimestamp));
  const size = planned.reduce((n, p) => n + varintSize(p.bodyBytes) + p.bodyBytes, HEADER_BYTES);
  const out = new Out(new Uint8Array(size));
  const v = out.view;
  const maxTimestamp = records.reduce((m, r) => Math.max(m, r.timestamp), baseTimestamp);
  v.setBigInt64(0, BigInt(baseOffset));
  v.setInt32(8, size - 12);
  v.setInt32(12, -1);
  v.setInt8(16, 2);
  v.setInt16(ATTRIBUTES_AT, 0);
  v.setInt32(23, records.at(-1)!.offset - baseOffset);
  v.setBigInt64(27, BigInt(baseTimestamp));
  v.setBigInt64(35, BigInt(maxTimestamp));
  v.setBigInt64(43, -1n);
  v.setInt16(51, -1);
  v.setInt32(53, -1);
  v.setInt32(57, records.length);
  out.pos = HEADER_BYTES;
  for (const { record: r, bodyBytes, headerKeys } of planned) {
    out.varint(bodyBytes);
    out.buf[out.pos++] = 0;
    out.varint(r.timestamp - baseTimestamp);
    out.varint(r.offset - baseOffset);
    out.bytes(r.key);
    out.bytes(r.value);
    out.varint(r.headers.length);
    r.headers.forEach((h, i) => {
      out.bytes(headerKeys[i]!);
      out.bytes(h.value);
    });
  }
  if (out.pos !== size) throw new Error(`writeKafkaBatch: wrote ${out.pos} of ${size} bytes`);
  v.setUint32(CRC_AT, crc32c(out.buf.subarray(ATTRIBUTES_AT)));
  return out.buf;
}
