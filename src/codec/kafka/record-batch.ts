/**
 * Kafka's RecordBatch v2 (magic 2): `decodeRecordBatches` reads the record set of a Produce
 * request or a Fetch answer, `encodeRecordBatch` writes one batch.
 *
 * Layout: baseOffset:int64 batchLength:int32 partitionLeaderEpoch:int32 magic:int8(=2)
 * crc:uint32 attributes:int16 lastOffsetDelta:int32 baseTimestamp:int64 maxTimestamp:int64
 * producerId:int64 producerEpoch:int16 baseSequence:int32 recordCount:int32 records, where the
 * CRC-32C covers attributes to the end and `records` is compressed as the attributes say.
 * Record: length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint key value
 * headers, key and value as varint length (-1 null) + bytes, headers a varint count of
 * (key as varint length + UTF-8, value as key).
 *
 * Invariants: a batch is returned only if its magic is 2, its CRC matches, its length covers
 * exactly its records and its record count is what it holds; anything else throws
 * `KafkaBatchError` (a `CorruptBatchError`, so the existing catch by class applies) with a
 * `reason` the door maps to Kafka's code. Pure; called by the Kafka door and tests.
 */
import { CorruptBatchError } from "../record-batch.ts";
import {
  compress,
  CompressionCodec,
  CompressionError,
  decompress,
  isKnownCodec,
} from "./compression.ts";
import {
  putRecordHead,
  putVarBytes,
  putVarint,
  RECORD_BATCH_HEADER_BYTES,
  recordBodySize,
  sealRecordBatch,
  varBytesSize,
  varintSize,
} from "./batch-writer.ts";
import { crc32cUpdate } from "./crc32c.ts";
import { KafkaReader, KafkaWireError } from "./wire.ts";

export { CompressionCodec, CompressionError } from "./compression.ts";

export type KafkaBatchFault =
  | "truncated"
  | "malformed"
  | "unsupported_magic"
  | "crc_mismatch"
  | "unsupported_compression"
  | "compression";

/** A record set that is not valid RecordBatch v2; `reason` says why (never parse the text). */
export class KafkaBatchError extends CorruptBatchError {
  readonly reason: KafkaBatchFault;
  constructor(reason: KafkaBatchFault, why: string) {
    super(why);
    this.reason = reason;
  }
}

const malformed = (why: string): KafkaBatchError => new KafkaBatchError("malformed", why);

export interface KafkaRecordHeader {
  key: string;
  value: Uint8Array | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: KafkaRecordHeader[];
}

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export interface KafkaRecordBatch {
  baseOffset: number;
  partitionLeaderEpoch: number;
  /** The attributes as sent; the fields below are read from it. */
  attributes: number;
  compression: CompressionCodec;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: KafkaRecord[];
  /** Bytes of the whole batch on the wire (12-byte head + batchLength). */
  sizeBytes: number;
}

export interface DecodeBatchOptions {
  /** A fetch answer may end in a partial batch (cut at maxBytes): skip it instead of failing. */
  allowPartialTail?: boolean;
  /** Largest records section a compressed batch may inflate to (default 64 MiB). */
  maxUncompressedBytes?: number;
}

const HEAD_BYTES = 12; // baseOffset + batchLength
const MIN_BATCH_LENGTH = 49; // partitionLeaderEpoch .. recordCount
const CRC_START = 21; // offset of attributes in the batch
const DEFAULT_MAX_UNCOMPRESSED = 64 * 1024 * 1024;

/** Reads every batch of a record set (Produce's `records`, Fetch's `records`). */
export function decodeRecordBatches(
  bytes: Uint8Array,
  options: DecodeBatchOptions = {},
): KafkaRecordBatch[] {
  return readRecordBatchSections(bytes, options).map((b) => {
    const { recordCount, section, ...head } = b;
    return { ...head, records: readRecords(section, recordCount) };
  });
}

/**
 * A batch checked (magic, CRC-32C, length, compression) and its records section uncompressed,
 * the records not read yet: `visitKafkaRecords` walks them with the same checks
 * `decodeRecordBatches` makes.
 */
export interface KafkaBatchSection extends Omit<KafkaRecordBatch, "records"> {
  recordCount: number;
  /** The records, uncompressed: `recordCount` of them, nothing after. */
  section: Uint8Array;
}

/** Every batch of a record set, each checked and uncompressed, its records left unread. */
export function readRecordBatchSections(
  bytes: Uint8Array,
  options: DecodeBatchOptions = {},
): KafkaBatchSection[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const batches: KafkaBatchSection[] = [];
  let at = 0;
  while (at < bytes.length) {
    const partial = (why: string): never => {
      throw new KafkaBatchError("truncated", why);
    };
    if (at + HEAD_BYTES > bytes.length) {
      if (options.allowPartialTail) break;
      partial("batch header past the end");
    }
    const batchLength = view.getInt32(at + 8);
    // The magic byte sits at the same place in the old MessageSet formats: name them first.
    const magic = at + 17 <= bytes.length ? view.getInt8(at + 16) : 2;
    if (magic !== 2) {
      throw new KafkaBatchError("unsupported_magic", `magic ${magic}; only RecordBatch v2 is read`);
    }
    if (batchLength < MIN_BATCH_LENGTH) throw malformed(`batchLength ${batchLength}`);
    if (at + HEAD_BYTES + batchLength > bytes.length) {
      if (options.allowPartialTail) break;
      partial(`batch of ${batchLength} bytes past the end`);
    }
    const one = bytes.subarray(at, at + HEAD_BYTES + batchLength);
    batches.push(readOneSection(one, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED));
    at += one.length;
  }
  return batches;
}

function readHeaderFields(r: KafkaReader): Omit<KafkaRecordBatch, "records" | "sizeBytes"> {
  const baseOffset = r.int64();
  r.int32(); // batchLength, checked by the caller
  const partitionLeaderEpoch = r.int32();
  r.int8(); // magic
  r.uint32(); // crc
  const attributes = r.int16();
  const codec = attributes & 0x07;
  if (!isKnownCodec(codec)) {
    throw new KafkaBatchError("unsupported_compression", `compression codec ${codec}`);
  }
  return {
    baseOffset,
    partitionLeaderEpoch,
    attributes,
    compression: codec as CompressionCodec,
    timestampType:
      (attributes & 0x08) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & 0x10) !== 0,
    isControl: (attributes & 0x20) !== 0,
    lastOffsetDelta: r.int32(),
    baseTimestamp: r.int64(),
    maxTimestamp: r.int64(),
    producerId: r.int64(),
    producerEpoch: r.int16(),
    baseSequence: r.int32(),
  };
}

function readOneSection(one: Uint8Array, maxUncompressed: number): KafkaBatchSection {
  const view = new DataView(one.buffer, one.byteOffset, one.byteLength);
  const magic = view.getInt8(16);
  if (magic !== 2) {
    throw new KafkaBatchError("unsupported_magic", `magic ${magic}; only RecordBatch v2 is read`);
  }
  const crc = view.getUint32(17);
  const actual = crc32cUpdate(0, one.subarray(CRC_START));
  if (crc !== actual) throw new KafkaBatchError("crc_mismatch", `crc ${crc} != computed ${actual}`);
  try {
    const r = new KafkaReader(one);
    const head = readHeaderFields(r);
    const recordCount = r.int32();
    if (recordCount < 0) throw malformed(`record count ${recordCount}`);
    let section = one.subarray(r.pos);
    if (head.compression !== CompressionCodec.None) {
      section = decompress(head.compression, section, maxUncompressed);
    }
    // A record takes at least 7 bytes: a count beyond that is refused before allocating.
    if (recordCount > section.length) throw malformed(`${recordCount} records in ${section.length} bytes`);
    return { ...head, recordCount, section, sizeBytes: one.length };
  } catch (e) {
    if (e instanceof KafkaWireError) throw new KafkaBatchError(e.reason, e.message);
    if (e instanceof CompressionError) throw new KafkaBatchError("compression", e.message);
    throw e;
  }
}

/**
 * Where one record's fields sit in its section, as `visitKafkaRecords` hands them out (one
 * object reused for every record: copy what you keep). A null key or value has start = end = -1.
 */
export interface KafkaRecordView {
  /** The record's position in its batch (0, 1, ...). */
  index: number;
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  /** The headers, keys decoded (checked UTF-8); the same empty array for every record without. */
  headers: KafkaRecordHeader[];
}

const NO_HEADERS: KafkaRecordHeader[] = [];

/**
 * Calls `visit` for every record of a batch's section, in order, with where its fields sit
 * (keys and values not copied): under `decodeRecordBatches` and the Kafka door's produce edge.
 * Throws `KafkaBatchError` for a record whose length, header count or header key is bad, or
 * bytes after the last record.
 */
export function visitKafkaRecords(section: Uint8Array, count: number, visit: (v: KafkaRecordView) => void): void {
  try {
    const r = new KafkaReader(section);
    const v: KafkaRecordView = { index: 0, attributes: 0, timestampDelta: 0, offsetDelta: 0, keyStart: -1, keyEnd: -1, valueStart: -1, valueEnd: -1, headers: NO_HEADERS };
    for (let i = 0; i < count; i++) {
      const length = r.varint();
      if (length < 0 || length > r.remaining()) throw malformed(`record length ${length}`);
      const end = r.pos + length;
      v.index = i;
      readRecordInto(r, v);
      if (r.pos !== end) throw malformed(`record ${i} is not ${length} bytes long`);
      visit(v);
    }
    if (r.remaining() !== 0) throw malformed(`${r.remaining()} bytes after ${count} records`);
  } catch (e) {
    if (e instanceof KafkaWireError) throw new KafkaBatchError(e.reason, e.message);
    throw e;
  }
}

function readRecords(section: Uint8Array, count: number): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  const bytes = (start: number, end: number) => (start < 0 ? null : section.subarray(start, end));
  visitKafkaRecords(section, count, (v) => {
    const { attributes, timestampDelta, offsetDelta } = v;
    const headers = v.headers === NO_HEADERS ? [] : v.headers;
    records.push({ attributes, timestampDelta, offsetDelta, key: bytes(v.keyStart, v.keyEnd), value: bytes(v.valueStart, v.valueEnd), headers });
  });
  return records;
}

/** Reads a varint length and skips its bytes; returns their start (-1: null). */
function skipVarBytes(r: KafkaReader): number {
  const n = r.varint();
  if (n === -1) return -1;
  if (n < 0) throw malformed(`length ${n}`);
  const start = r.pos;
  r.skip(n);
  return start;
}

function varBytes(r: KafkaReader): Uint8Array | null {
  const n = r.varint();
  if (n === -1) return null;
  if (n < 0) throw malformed(`length ${n}`);
  return r.raw(n);
}

const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function readRecordInto(r: KafkaReader, v: KafkaRecordView): void {
  v.attributes = r.int8();
  v.timestampDelta = r.varlong();
  v.offsetDelta = r.varint();
  v.keyStart = skipVarBytes(r);
  v.keyEnd = v.keyStart < 0 ? -1 : r.pos;
  v.valueStart = skipVarBytes(r);
  v.valueEnd = v.valueStart < 0 ? -1 : r.pos;
  const headerCount = r.varint();
  if (headerCount < 0 || headerCount > r.remaining()) {
    throw malformed(`header count ${headerCount}`);
  }
  v.headers = headerCount === 0 ? NO_HEADERS : readHeaders(r, headerCount);
}

function readHeaders(r: KafkaReader, count: number): KafkaRecordHeader[] {
  const headers: KafkaRecordHeader[] = [];
  for (let h = 0; h < count; h++) {
    const k = varBytes(r);
    if (k === null) throw malformed("null header key");
    let keyText: string;
    try {
      keyText = fromUtf8.decode(k);
    } catch {
      throw malformed("header key is not UTF-8");
    }
    headers.push({ key: keyText, value: varBytes(r) });
  }
  return headers;
}

export interface KafkaRecordInput {
  attributes?: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: KafkaRecordHeader[];
}

export interface KafkaRecordBatchInput {
  baseOffset: number;
  /** -1 when unknown (a producer's batch); the leader's epoch in a Fetch answer. */
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  isTransactional?: boolean;
  isControl?: boolean;
  baseTimestamp: number;
  /** Default: the largest record timestamp (baseTimestamp + timestampDelta). */
  maxTimestamp?: number;
  /** Default: the largest offsetDelta (0 for an empty batch). */
  lastOffsetDelta?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  records: KafkaRecordInput[];
}

const utf8 = new TextEncoder();

interface PlannedRecord {
  rec: KafkaRecordInput;
  headerKeys: Uint8Array[];
  bodyBytes: number;
}

function plan(rec: KafkaRecordInput): PlannedRecord {
  const headers = rec.headers ?? [];
  const headerKeys = headers.map((h) => utf8.encode(h.key));
  let headersBytes = varintSize(headers.length);
  for (let i = 0; i < headers.length; i++) headersBytes += varBytesSize(headerKeys[i]!.length) + varBytesSize(headers[i]!.value?.length ?? -1);
  const bodyBytes = recordBodySize(rec.timestampDelta, rec.offsetDelta, rec.key?.length ?? -1, rec.value?.length ?? -1, headersBytes);
  return { rec, headerKeys, bodyBytes };
}

function putRecord(buf: Uint8Array, pos: number, { rec, headerKeys, bodyBytes }: PlannedRecord): number {
  pos = putRecordHead(buf, pos, bodyBytes, rec.attributes ?? 0, rec.timestampDelta, rec.offsetDelta);
  pos = putVarBytes(buf, pos, rec.key);
  pos = putVarBytes(buf, pos, rec.value);
  const headers = rec.headers ?? [];
  pos = putVarint(buf, pos, headers.length);
  for (let i = 0; i < headers.length; i++) {
    pos = putVarBytes(buf, pos, headerKeys[i]!);
    pos = putVarBytes(buf, pos, headers[i]!.value);
  }
  return pos;
}

function attributesOf(b: KafkaRecordBatchInput, compression: number): number {
  let a = compression & 0x07;
  if (b.timestampType === TimestampType.LogAppendTime) a |= 0x08;
  if (b.isTransactional) a |= 0x10;
  if (b.isControl) a |= 0x20;
  return a;
}

/**
 * Encodes one RecordBatch v2, its records compressed with `compression` (default none): the
 * records' sizes first, then one buffer of exactly the batch's size written once
 * (batch-writer.ts); a compressed batch writes its records section, then compresses it.
 */
export function encodeRecordBatch(
  batch: KafkaRecordBatchInput,
  compression: CompressionCodec = CompressionCodec.None,
): Uint8Array {
  const planned = batch.records.map(plan);
  const recordsBytes = planned.reduce((n, p) => n + varintSize(p.bodyBytes) + p.bodyBytes, 0);
  let lastDelta = 0;
  let maxStamp = batch.records.length === 0 ? batch.baseTimestamp : -Infinity;
  for (const r of batch.records) {
    lastDelta = Math.max(lastDelta, r.offsetDelta);
    maxStamp = Math.max(maxStamp, batch.baseTimestamp + r.timestampDelta);
  }
  const fields = {
    baseOffset: batch.baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch ?? -1,
    attributes: attributesOf(batch, compression),
    lastOffsetDelta: batch.lastOffsetDelta ?? lastDelta,
    baseTimestamp: batch.baseTimestamp,
    maxTimestamp: batch.maxTimestamp ?? maxStamp,
    producerId: batch.producerId ?? -1,
    producerEpoch: batch.producerEpoch ?? -1,
    baseSequence: batch.baseSequence ?? -1,
    recordCount: batch.records.length,
  };
  const H = RECORD_BATCH_HEADER_BYTES;
  if (compression === CompressionCodec.None) {
    const out = new Uint8Array(H + recordsBytes);
    let pos = H;
    for (const p of planned) pos = putRecord(out, pos, p);
    sealRecordBatch(out, 0, out.length, fields);
    return out;
  }
  const section = new Uint8Array(recordsBytes);
  let pos = 0;
  for (const p of planned) pos = putRecord(section, pos, p);
  const records = compress(compression, section);
  const out = new Uint8Array(H + records.length);
  out.set(records, H);
  sealRecordBatch(out, 0, out.length, fields);
  return out;
}
