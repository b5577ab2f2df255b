/**
 * Compact binary codec for the records of one stored batch (the `records` blob of a batch row).
 *
 * Layout (all integers are little-endian base-128 varints, as in Kafka's record format):
 *   batch   := version:u8(=1) baseTimestamp:uvarint recordCount:uvarint record*
 *   record  := length:uvarint body            (length = bytes of body)
 *   body    := offsetDelta:uvarint timestampDelta:svarint key:nbytes value:nbytes
 *              headerCount:uvarint (keyLength:uvarint keyUtf8 value:nbytes)*
 *   nbytes  := uvarint(n + 1) then n bytes, or uvarint(0) for null
 * Deltas are relative to the batch's base offset (the row's key) and to `baseTimestamp` (the
 * first record's timestamp). `svarint` is sign-magnitude (bit 0 of the first byte is the sign)
 * so every delta between two timestamps in [0, 2^53) stays exact.
 *
 * Invariants: `encodedRecordSize` (a record alone in a batch) is the size `max.message.bytes`
 * limits; the stored size of each record (length prefix + body) is what a fetch's `maxBytes`
 * counts.
 * Pure functions; called by the append path (batch-planner.ts), the read path, the API edge and
 * the client. Bad bytes throw `CorruptBatchError`; any other throw is a bug.
 */
import type { EncodedRecords, LogRecord, Offset, RecordHeader, TimestampMs } from "../protocol/types.ts";

export type { EncodedRecords };

export const BATCH_FORMAT_VERSION = 1;
/** Upper bound of a batch blob's header: version + two varints of at most 8 bytes. */
export const BATCH_HEADER_MAX_BYTES = 17;

/** The parts of a record that the codec stores besides its offset and timestamp. */
export interface RecordBody {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** A decoded record together with its encoded size. */
export interface SizedRecord {
  record: LogRecord;
  sizeBytes: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function svarintSize(v: number): number {
  const m = Math.floor(Math.abs(v) / 64);
  return m === 0 ? 1 : 1 + uvarintSize(m);
}

const nbytesSize = (b: Uint8Array | null): number => (b === null ? 1 : uvarintSize(b.length + 1) + b.length);

class Writer {
  pos = 0;
  readonly buf: Uint8Array;
  constructor(buf: Uint8Array) {
    this.buf = buf;
  }
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }
  uvarint(v: number): void {
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  svarint(v: number): void {
    const mag = Math.abs(v);
    const rest = Math.floor(mag / 64);
    this.u8(((mag % 64) << 1) | (v < 0 ? 1 : 0) | (rest > 0 ? 0x80 : 0));
    if (rest > 0) this.uvarint(rest);
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  nbytes(b: Uint8Array | null): void {
    if (b === null) return this.uvarint(0);
    this.uvarint(b.length + 1);
    this.bytes(b);
  }
}

class Reader {
  readonly buf: Uint8Array;
  pos: number;
  constructor(buf: Uint8Array, pos: number) {
    this.buf = buf;
    this.pos = pos;
  }
  u8(): number {
    if (this.pos >= this.buf.length) throw corrupt("truncated blob");
    return this.buf[this.pos++]!;
  }
  uvarint(): number {
    // One byte is the common case (deltas, lengths under 128): no loop.
    const first = this.buf[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mult;
      if ((b & 0x80) === 0) return result;
      mult *= 128;
    }
    throw corrupt("varint longer than 8 bytes");
  }
  svarint(): number {
    const first = this.u8();
    let mag = (first >> 1) & 0x3f;
    if (first & 0x80) mag += this.uvarint() * 64;
    return first & 1 ? -mag : mag;
  }
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw corrupt("truncated blob");
    // A copy, not a view: a view would keep (and carry over RPC) the whole blob's buffer.
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  nbytes(): Uint8Array | null {
    const n = this.uvarint();
    return n === 0 ? null : this.bytes(n - 1);
  }
  skipNbytes(): void {
    const n = this.uvarint();
    if (n > 0 && this.pos + n - 1 > this.buf.length) throw corrupt("truncated blob");
    if (n > 0) this.pos += n - 1;
  }
}

/**
 * Bytes that are not a record batch of this format. Thrown inside one isolate (the codec's
 * callers catch it by class, never by message); across RPC it becomes a CORRUPT_MESSAGE value.
 */
export class CorruptBatchError extends Error {
  override readonly name = "CorruptBatchError";
  constructor(why: string) {
    super(`corrupt record batch: ${why}`);
  }
}

function corrupt(why: string): CorruptBatchError {
  return new CorruptBatchError(why);
}

/** Bytes of `s` in UTF-8, as TextEncoder writes it (a lone surrogate becomes U+FFFD). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function bodySize(r: RecordBody, offsetDelta: number, timestampDelta: number): number {
  let body = uvarintSize(offsetDelta) + svarintSize(timestampDelta) + nbytesSize(r.key) + nbytesSize(r.value);
  body += uvarintSize(r.headers.length);
  for (const h of r.headers) {
    const k = utf8Length(h.key);
    body += uvarintSize(k) + k + nbytesSize(h.value);
  }
  return body;
}

/**
 * A record's encoded size (length prefix included) as the first record of a batch, i.e. at
 * zero deltas: the size `max.message.bytes` limits. It does not depend on where the record
 * lands, so the API can check it before routing; a stored record is at most a few bytes larger.
 */
export function encodedRecordSize(r: RecordBody, offsetDelta = 0, timestampDelta = 0): number {
  const body = bodySize(r, offsetDelta, timestampDelta);
  return uvarintSize(body) + body;
}

function writeRecord(w: Writer, r: RecordBody, offsetDelta: number, timestampDelta: number, body: number): void {
  w.uvarint(body);
  w.uvarint(offsetDelta);
  w.svarint(timestampDelta);
  w.nbytes(r.key);
  w.nbytes(r.value);
  w.uvarint(r.headers.length);
  for (const h of r.headers) {
    const k = utf8.encode(h.key);
    w.uvarint(k.length);
    w.bytes(k);
    w.nbytes(h.value);
  }
}

/** Encodes one record (length prefix included) at the given deltas. */
export function encodeRecord(r: RecordBody, offsetDelta: number, timestampDelta: number): Uint8Array {
  const body = bodySize(r, offsetDelta, timestampDelta);
  const w = new Writer(new Uint8Array(uvarintSize(body) + body));
  writeRecord(w, r, offsetDelta, timestampDelta, body);
  if (w.pos !== w.buf.length) throw new Error("encodeRecord: size computation disagrees with the encoding");
  return w.buf;
}

/** Builds `EncodedRecords` record by record in one growing buffer (no per-record arrays). */
export class BatchBuilder {
  #w = new Writer(new Uint8Array(4096));
  #count = 0;
  #baseTimestamp = 0;
  #maxTimestamp = -1;
  #maxRecordBytes = 0;

  constructor() {
    this.#w.pos = BATCH_HEADER_MAX_BYTES;
  }

  get recordCount(): number {
    return this.#count;
  }

  add(r: RecordBody, timestamp: TimestampMs): void {
    if (this.#count === 0) this.#baseTimestamp = timestamp;
    const offsetDelta = this.#count++;
    const timestampDelta = timestamp - this.#baseTimestamp;
    const body = bodySize(r, offsetDelta, timestampDelta);
    if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    const size0 = sizeAtZeroDeltas(body, offsetDelta, timestampDelta);
    if (size0 > this.#maxRecordBytes) this.#maxRecordBytes = size0;
    const need = this.#w.pos + uvarintSize(body) + body;
    if (need > this.#w.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.#w.buf.length * 2));
      grown.set(this.#w.buf.subarray(0, this.#w.pos));
      const pos = this.#w.pos;
      this.#w = new Writer(grown);
      this.#w.pos = pos;
    }
    writeRecord(this.#w, r, offsetDelta, timestampDelta, body);
  }

  /** The batch: the header is written just before the records, then the bytes are copied out once. */
  finish(): EncodedRecords {
    const headerBytes = 1 + uvarintSize(this.#baseTimestamp) + uvarintSize(this.#count);
    const start = BATCH_HEADER_MAX_BYTES - headerBytes;
    const end = this.#w.pos;
    this.#w.pos = start;
    this.#w.u8(BATCH_FORMAT_VERSION);
    this.#w.uvarint(this.#baseTimestamp);
    this.#w.uvarint(this.#count);
    // A copy, not a view: RPC would carry the whole (over-allocated) buffer of a view.
    return { blob: this.#w.buf.slice(start, end), recordCount: this.#count, maxTimestamp: this.#maxTimestamp, maxRecordBytes: this.#maxRecordBytes };
  }
}

/** A record's encoded size (length prefix included) had its deltas been zero, from its body length at the given deltas. */
function sizeAtZeroDeltas(body: number, offsetDelta: number, timestampDelta: number): number {
  const body0 = body - uvarintSize(offsetDelta) - svarintSize(timestampDelta) + 2;
  return uvarintSize(body0) + body0;
}

/**
 * Checks a client's record batch without copying keys, values or headers: the header's count
 * against `recordCount`, every record's structure (length prefix, offset delta 0..n-1 in order,
 * a safe non-negative timestamp, key, value, headers with UTF-8 keys, nothing left over), the
 * blob ending exactly after the last record. Returns it as `EncodedRecords` with what the scan
 * found (largest timestamp, largest record at zero deltas); whatever passes decodes with
 * `readRecords`. Throws the codec's "corrupt record batch" error on bad bytes. The API runs it
 * once per binary produce; the leader trusts what it found.
 */
export function scanEncodedRecords(blob: Uint8Array, recordCount: number): EncodedRecords {
  const header = readBatchHeader(blob);
  if (header.recordCount !== recordCount || recordCount === 0) throw corrupt(`header counts ${header.recordCount} records, the request ${recordCount}`);
  const r = new Reader(blob, header.recordsStart);
  let maxTimestamp = -1;
  let maxRecordBytes = 0;
  for (let i = 0; i < recordCount; i++) {
    const body = r.uvarint();
    const end = r.pos + body;
    if (end > blob.length) throw corrupt("record runs past the blob");
    const offsetDelta = r.uvarint();
    if (offsetDelta !== i) throw corrupt(`record ${i} has offset delta ${offsetDelta}`);
    const timestampDelta = r.svarint();
    const ts = header.baseTimestamp + timestampDelta;
    if (!(Number.isSafeInteger(ts) && ts >= 0)) throw corrupt(`record ${i} has timestamp ${ts}`);
    if (ts > maxTimestamp) maxTimestamp = ts;
    r.skipNbytes();
    r.skipNbytes();
    const headerCount = r.uvarint();
    for (let h = 0; h < headerCount; h++) {
      const keyLength = r.uvarint();
      if (r.pos + keyLength > end) throw corrupt("header key runs past its record");
      try {
        fromUtf8.decode(blob.subarray(r.pos, r.pos + keyLength));
      } catch {
        throw corrupt(`record ${i} has a header key that is not UTF-8`);
      }
      r.pos += keyLength;
      r.skipNbytes();
    }
    if (r.pos !== end) throw corrupt(`record ${i}'s length does not match its body`);
    const size0 = sizeAtZeroDeltas(body, offsetDelta, timestampDelta);
    if (size0 > maxRecordBytes) maxRecordBytes = size0;
  }
  if (r.pos !== blob.length) throw corrupt("bytes after the last record");
  return { blob, recordCount, maxTimestamp, maxRecordBytes };
}

/** Joins encoded records (from `encodeRecord`) under a batch header. */
export function encodeBatch(baseTimestamp: TimestampMs, records: readonly Uint8Array[]): Uint8Array {
  const recordBytes = records.reduce((n, r) => n + r.length, 0);
  const w = new Writer(new Uint8Array(1 + uvarintSize(baseTimestamp) + uvarintSize(records.length) + recordBytes));
  w.u8(BATCH_FORMAT_VERSION);
  w.uvarint(baseTimestamp);
  w.uvarint(records.length);
  for (const r of records) w.bytes(r);
  return w.buf;
}

export interface BatchHeader {
  baseTimestamp: TimestampMs;
  recordCount: number;
  /** Byte position of the first record. */
  recordsStart: number;
}

export function readBatchHeader(blob: Uint8Array): BatchHeader {
  const r = new Reader(blob, 0);
  const version = r.u8();
  if (version !== BATCH_FORMAT_VERSION) throw corrupt(`unknown version ${version}`);
  const baseTimestamp = r.uvarint();
  const recordCount = r.uvarint();
  return { baseTimestamp, recordCount, recordsStart: r.pos };
}

/**
 * Yields the batch's records with offset ≥ `fromOffset`, in order, each with its encoded size.
 * Records before `fromOffset` are skipped by their length prefix without being decoded.
 */
export function* readRecords(blob: Uint8Array, baseOffset: Offset, fromOffset: Offset = baseOffset): Generator<SizedRecord> {
  const { baseTimestamp } = readBatchHeader(blob);
  const r = new Reader(blob, 0);
  for (const { offset, start, end } of recordSpans(blob, baseOffset, fromOffset)) {
    r.pos = start;
    r.uvarint(); // length prefix
    r.uvarint(); // offset delta
    const timestamp = baseTimestamp + r.svarint();
    const key = r.nbytes();
    const value = r.nbytes();
    const headerCount = r.uvarint();
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const k = fromUtf8.decode(r.bytes(r.uvarint()));
      headers.push({ key: k, value: r.nbytes() });
    }
    if (r.pos !== end) throw corrupt("record length does not match its body");
    yield { record: { offset, timestamp, key, value, headers }, sizeBytes: end - start };
  }
}

/** Where one stored record sits in its blob: [start, end) including its length prefix. */
export interface RecordSpan {
  offset: Offset;
  start: number;
  end: number;
}

/** The byte spans of the batch's records with offset ≥ `fromOffset`, in order, nothing decoded but offsets. */
export function* recordSpans(blob: Uint8Array, baseOffset: Offset, fromOffset: Offset = baseOffset): Generator<RecordSpan> {
  const { recordCount, recordsStart } = readBatchHeader(blob);
  const r = new Reader(blob, recordsStart);
  for (let i = 0; i < recordCount; i++) {
    const start = r.pos;
    const length = r.uvarint();
    const end = r.pos + length;
    if (end > blob.length) throw corrupt("record runs past the blob");
    const offset = baseOffset + r.uvarint();
    r.pos = end;
    if (offset >= fromOffset) yield { offset, start, end };
  }
}

/** What the log cleaner needs of a record, without copying it (`key` is a view into the blob). */
export interface RecordSummary extends RecordSpan {
  timestamp: TimestampMs;
  key: Uint8Array | null;
  /** The value is null: a tombstone, in a compacted topic a delete of its key. */
  tombstone: boolean;
}

/** Every record of a batch as a `RecordSummary`, in order: offsets, timestamps, keys, null values. */
export function* recordSummaries(blob: Uint8Array, baseOffset: Offset): Generator<RecordSummary> {
  const { baseTimestamp, recordCount, recordsStart } = readBatchHeader(blob);
  const r = new Reader(blob, recordsStart);
  for (let i = 0; i < recordCount; i++) {
    const start = r.pos;
    const end = r.uvarint() + r.pos;
    if (end > blob.length) throw corrupt("record runs past the blob");
    const offset = baseOffset + r.uvarint();
    const timestamp = baseTimestamp + r.svarint();
    const keyLength = r.uvarint();
    if (r.pos + keyLength - 1 > end) throw corrupt("key runs past its record");
    const key = keyLength === 0 ? null : blob.subarray(r.pos, r.pos + keyLength - 1);
    if (keyLength > 0) r.pos += keyLength - 1;
    const tombstone = r.uvarint() === 0;
    r.pos = end;
    yield { offset, start, end, timestamp, key, tombstone };
  }
}

/**
 * The records in bytes [start, end) of `blob` (whole records from `recordSpans`) under a header
 * with the same base timestamp and `count`: a valid batch with the same base offset, whose
 * records keep their bytes. The whole blob itself when the span is all of it.
 */
export function sliceBatch(blob: Uint8Array, start: number, end: number, count: number): Uint8Array {
  const { baseTimestamp, recordCount, recordsStart } = readBatchHeader(blob);
  if (start === recordsStart && end === blob.length && count === recordCount) return blob;
  const header = new Writer(new Uint8Array(1 + uvarintSize(baseTimestamp) + uvarintSize(count)));
  header.u8(BATCH_FORMAT_VERSION);
  header.uvarint(baseTimestamp);
  header.uvarint(count);
  const out = new Uint8Array(header.buf.length + end - start);
  out.set(header.buf, 0);
  out.set(blob.subarray(start, end), header.buf.length);
  return out;
}

/**
 * The records at `spans` (whole records of `blob`, in order, from `recordSpans`) under a header
 * with the same base timestamp and their count: what the log cleaner writes back. Each record
 * keeps its bytes, so its offset delta (hence its offset) and timestamp; the batch may now have
 * gaps between offsets, or no record at all (a header only). Every reader of this format
 * (`recordSpans`, `readRecords`, the frames) takes offsets from the deltas, never from positions.
 */
export function keepSpans(blob: Uint8Array, spans: readonly { start: number; end: number }[]): Uint8Array {
  const { baseTimestamp } = readBatchHeader(blob);
  const header = new Writer(new Uint8Array(1 + uvarintSize(baseTimestamp) + uvarintSize(spans.length)));
  header.u8(BATCH_FORMAT_VERSION);
  header.uvarint(baseTimestamp);
  header.uvarint(spans.length);
  const out = new Uint8Array(header.buf.length + spans.reduce((n, s) => n + s.end - s.start, 0));
  out.set(header.buf, 0);
  let pos = header.buf.length;
  for (const s of spans) {
    out.set(blob.subarray(s.start, s.end), pos);
    pos += s.end - s.start;
  }
  return out;
}

/** A batch with its base offset, as a binary fetch carries it. */
export interface FramedBatch {
  baseOffset: Offset;
  records: Uint8Array;
}

/** Batches as one binary fetch body: per batch `baseOffset:uvarint length:uvarint` then its bytes. */
export function encodeFrames(batches: readonly FramedBatch[]): Uint8Array {
  const size = batches.reduce((n, b) => n + uvarintSize(b.baseOffset) + uvarintSize(b.records.length) + b.records.length, 0);
  const w = new Writer(new Uint8Array(size));
  for (const b of batches) {
    w.uvarint(b.baseOffset);
    w.uvarint(b.records.length);
    w.bytes(b.records);
  }
  return w.buf;
}

/** The batches of a binary fetch body (views into `body`); throws "corrupt record batch" on bad framing. */
export function decodeFrames(body: Uint8Array): FramedBatch[] {
  const r = new Reader(body, 0);
  const out: FramedBatch[] = [];
  while (r.pos < body.length) {
    const baseOffset = r.uvarint();
    const length = r.uvarint();
    if (r.pos + length > body.length) throw corrupt("frame runs past the body");
    out.push({ baseOffset, records: body.subarray(r.pos, r.pos + length) });
    r.pos += length;
  }
  return out;
}

/**
 * Where one record's fields sit in its blob, as `visitRecords` hands them out (one object reused
 * for every record of a visit: copy what you keep). A null key or value has start = end = -1.
 */
export interface RecordView {
  offset: Offset;
  timestamp: TimestampMs;
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
  headerCount: number;
  /** Byte position of the first header (its key length). */
  headersStart: number;
}

/**
 * Calls `visit` for every record of the batch, in order, with where its fields sit in `blob`
 * (nothing copied, nothing allocated per record): the loop under `decodeBatch` and the JSON
 * fetch's renderer. Checks the same structure as `readRecords` and throws the same errors.
 */
export function visitRecords(
  blob: Uint8Array,
  baseOffset: Offset,
  visit: (r: RecordView) => void,
): void {
  const { baseTimestamp, recordCount, recordsStart } = readBatchHeader(blob);
  const r = new Reader(blob, recordsStart);
  const v: RecordView = {
    offset: 0,
    timestamp: 0,
    keyStart: -1,
    keyEnd: -1,
    valueStart: -1,
    valueEnd: -1,
    headerCount: 0,
    headersStart: 0,
  };
  for (let i = 0; i < recordCount; i++) {
    const length = r.uvarint();
    const end = r.pos + length;
    if (end > blob.length) throw corrupt("record runs past the blob");
    v.offset = baseOffset + r.uvarint();
    v.timestamp = baseTimestamp + r.svarint();
    const key = r.uvarint();
    v.keyStart = key === 0 ? -1 : r.pos;
    v.keyEnd = key === 0 ? -1 : (r.pos += key - 1);
    const value = r.uvarint();
    v.valueStart = value === 0 ? -1 : r.pos;
    v.valueEnd = value === 0 ? -1 : (r.pos += value - 1);
    if (r.pos > end) throw corrupt("truncated blob");
    v.headerCount = r.uvarint();
    v.headersStart = r.pos;
    for (let h = 0; h < v.headerCount; h++) {
      const keyLength = r.uvarint();
      r.pos += keyLength;
      r.skipNbytes();
    }
    if (r.pos !== end) throw corrupt("record length does not match its body");
    visit(v);
  }
}

/**
 * Calls `visit` for each header of a record from `visitRecords` with where its key and value
 * sit in `blob` (a null value has valueStart = valueEnd = -1); nothing copied. `visitRecords`
 * has checked the headers' structure.
 */
export function visitHeaders(
  blob: Uint8Array,
  v: RecordView,
  visit: (keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void,
): void {
  const r = new Reader(blob, v.headersStart);
  for (let h = 0; h < v.headerCount; h++) {
    const keyLength = r.uvarint();
    const keyStart = r.pos;
    r.pos += keyLength;
    const value = r.uvarint();
    const valueStart = value === 0 ? -1 : r.pos;
    if (value > 0) r.pos += value - 1;
    visit(keyStart, keyStart + keyLength, valueStart, value === 0 ? -1 : r.pos);
  }
}

/** The headers of a record from `visitRecords` (keys decoded, values copied). */
export function readHeaders(blob: Uint8Array, v: RecordView): RecordHeader[] {
  const headers: RecordHeader[] = [];
  visitHeaders(blob, v, (keyStart, keyEnd, valueStart, valueEnd) => {
    const key = fromUtf8.decode(blob.subarray(keyStart, keyEnd));
    headers.push({ key, value: valueStart < 0 ? null : blob.slice(valueStart, valueEnd) });
  });
  return headers;
}

/** Every record of a batch (keys and values copied out of the blob). */
export function decodeBatch(blob: Uint8Array, baseOffset: Offset): LogRecord[] {
  const out: LogRecord[] = [];
  decodeInto(out, blob, baseOffset);
  return out;
}

function decodeInto(out: LogRecord[], blob: Uint8Array, baseOffset: Offset, views = false): void {
  const bytes = views
    ? (s: number, e: number) => blob.subarray(s, e)
    : (s: number, e: number) => blob.slice(s, e);
  visitRecords(blob, baseOffset, (v) => {
    out.push({
      offset: v.offset,
      timestamp: v.timestamp,
      key: v.keyStart < 0 ? null : bytes(v.keyStart, v.keyEnd),
      value: v.valueStart < 0 ? null : bytes(v.valueStart, v.valueEnd),
      headers: v.headerCount === 0 ? [] : readHeaders(blob, v),
    });
  });
}

/**
 * Every record of several batches (a read's, a binary fetch's frames), in order. Keys and values
 * are copies unless `views` (then views into the batches' buffers, several times faster for
 * small records: a consumer that owns the fetched body, as the client's `fetchBatch`; never a
 * server that hands records on over RPC, which would carry each whole buffer).
 */
export function decodeBatches(
  batches: readonly FramedBatch[],
  opts: { views?: boolean } = {},
): LogRecord[] {
  const out: LogRecord[] = [];
  for (const b of batches) decodeInto(out, b.records, b.baseOffset, opts.views);
  return out;
}

export interface TrimmedBatch {
  blob: Uint8Array;
  recordCount: number;
  lastOffset: Offset;
  maxTimestamp: TimestampMs;
}

/**
 * Keeps only the records below `endOffset` (> `baseOffset`): used when a truncation point falls
 * inside a batch. Kept records keep their bytes; only the header's count changes. The trimmed
 * batch covers [baseOffset, endOffset): in a batch the log cleaner rewrote, fewer records (or
 * none) may lie below the cut, and the batch still ends just before it, so batches keep tiling
 * the offsets.
 */
export function trimBatch(blob: Uint8Array, baseOffset: Offset, endOffset: Offset): TrimmedBatch {
  if (endOffset <= baseOffset) throw new Error(`trimBatch: cut ${endOffset} is not past batch ${baseOffset}`);
  const { recordsStart } = readBatchHeader(blob);
  let cut = recordsStart;
  let kept = 0;
  let maxTimestamp = -1;
  for (const { record, sizeBytes } of readRecords(blob, baseOffset)) {
    if (record.offset >= endOffset) break;
    kept++;
    cut += sizeBytes;
    maxTimestamp = Math.max(maxTimestamp, record.timestamp);
  }
  // A dense batch's last kept record is endOffset − 1; a compacted one ends there all the same.
  const lastOffset = endOffset - 1;
  return { blob: sliceBatch(blob, recordsStart, cut, kept), recordCount: kept, lastOffset, maxTimestamp };
}
