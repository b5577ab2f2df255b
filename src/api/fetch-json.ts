/**
 * The JSON fetch's answer (API.md, "Fetch and offsets") written straight from the stored batches
 * as UTF-8 bytes: no record object, no key or value copy, no intermediate string per record.
 * The bytes are exactly `JSON.stringify` of `{records: recordsJson(...), next_offset,
 * high_watermark, log_start_offset}` (test/unit/fetch-json.test.ts holds it to that): a UTF-8
 * value of printable ASCII without `"` or `\` is copied as it is, base64 is written from a table,
 * and anything else (escapes, non-ASCII text, invalid UTF-8, headers) goes through the same
 * `encodeBytes` and `JSON.stringify` as before.
 * Measured in docs/benchmarks.md, "Cost, the Durable Streams peer ...": the per-record objects
 * and strings were most of a 10,000-record JSON fetch's time.
 */
import { visitRecords, readHeaders, type RecordView } from "../codec/record-batch.ts";
import type { FetchedBatches } from "../protocol/types.ts";
import { encodeBytes, type BytesEncoding } from "./params.ts";

const UTF8 = new TextEncoder();
const B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64 = Uint8Array.from(B64_ALPHABET, (c) => c.charCodeAt(0));
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** 1 for a byte JSON writes as itself in a string: printable ASCII but `"` and `\`. */
const PLAIN = Uint8Array.from({ length: 256 }, (_, b) =>
  b >= 0x20 && b < 0x80 && b !== QUOTE && b !== BACKSLASH ? 1 : 0,
);
/** Per record beyond its bytes: `{"offset":…,"timestamp":…,"key":…,"value":…,"headers":{}}`. */
const RECORD_OVERHEAD = 96;

const lit = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const RECORDS_OPEN = lit('{"records":[');
const OFFSET = lit('{"offset":');
const NEXT_OFFSET = lit(',{"offset":');
const TIMESTAMP = lit(',"timestamp":');
const KEY = lit(',"key":');
const VALUE = lit(',"value":');
const NO_HEADERS = lit(',"headers":{}}');
const HEADERS = lit(',"headers":');
const NULL = lit("null");

/**
 * A growing UTF-8 buffer with the few writes the answer needs; the hot ones (punctuation, numbers,
 * ASCII bytes) are plain loops: per record, a subarray or a string costs more than its bytes.
 */
class JsonBytes {
  buf: Uint8Array;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // By half again, not double: past an estimate that was short (escapes, U+FFFD), a 16 MiB
    // fetch's answer grows in steps that overshoot by at most half.
    const grown = new Uint8Array(Math.max(this.pos + n, Math.ceil(this.buf.length * 1.5)));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }

  lit(b: Uint8Array): void {
    this.ensure(b.length);
    const out = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) out[p++] = b[i]!;
    this.pos = p;
  }

  #lastTimestamp = -1;
  #lastTimestampAt = 0;
  #lastTimestampDigits = 0;

  /** A timestamp: most records of a batch share their neighbour's, whose digits are copied. */
  timestamp(t: number): void {
    if (t === this.#lastTimestamp) {
      const n = this.#lastTimestampDigits;
      this.ensure(n);
      const out = this.buf;
      const from = this.#lastTimestampAt;
      const p = this.pos;
      for (let i = 0; i < n; i++) out[p + i] = out[from + i]!;
      this.#lastTimestampAt = p;
      this.pos = p + n;
      return;
    }
    const at = this.pos;
    this.int(t);
    this.#lastTimestamp = t;
    this.#lastTimestampAt = at;
    this.#lastTimestampDigits = this.pos - at;
  }

  /**
   * A non-negative safe integer, as `String(n)` writes it (in two int32 halves: no float
   * division per digit).
   */
  int(n: number): void {
    this.ensure(16);
    if (n < 100_000_000) return this.#int32(n, 0);
    const high = Math.floor(n / 100_000_000);
    this.#int32(high, 0);
    this.#int32(n - high * 100_000_000, 8);
  }

  /** `n` (< 10^8) in decimal, left-padded with zeros to `width` digits. */
  #int32(n: number, width: number): void {
    const out = this.buf;
    let digits = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
    if (digits < width) digits = width;
    let p = this.pos + digits - 1;
    this.pos += digits;
    for (let i = 0, m = n; i < digits; i++, m = (m / 10) | 0) out[p--] = 0x30 + (m % 10);
  }

  /** Any string, as UTF-8. */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += UTF8.encodeInto(s, this.buf.subarray(this.pos)).written;
  }

  /** `src[start, end)` as a JSON string of `encoding`, or `null` when start < 0. */
  bytes(src: Uint8Array, start: number, end: number, encoding: BytesEncoding): void {
    if (start < 0) return this.lit(NULL);
    if (encoding === "base64") return this.base64(src, start, end);
    this.ensure(end - start + 2);
    const out = this.buf;
    let p = this.pos;
    out[p++] = QUOTE;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      // Anything JSON escapes or that is not ASCII: the general path (over what was copied).
      if (PLAIN[b] === 0) return this.#escaped(src.subarray(start, end), encoding);
      out[p++] = b;
    }
    out[p++] = QUOTE;
    this.pos = p;
  }

  #escaped(bytes: Uint8Array, encoding: BytesEncoding): void {
    this.text(JSON.stringify(encodeBytes(bytes, encoding)));
  }

  /** RFC 4648 base64 with padding, as `btoa` writes it. */
  base64(src: Uint8Array, start: number, end: number): void {
    this.ensure(Math.ceil((end - start) / 3) * 4 + 2);
    const out = this.buf;
    let p = this.pos;
    out[p++] = QUOTE;
    let i = start;
    for (; i + 2 < end; i += 3) {
      const n = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
      out[p++] = B64[n >> 18]!;
      out[p++] = B64[(n >> 12) & 63]!;
      out[p++] = B64[(n >> 6) & 63]!;
      out[p++] = B64[n & 63]!;
    }
    if (i < end) {
      const two = i + 1 < end;
      const n = (src[i]! << 16) | (two ? src[i + 1]! << 8 : 0);
      out[p++] = B64[n >> 18]!;
      out[p++] = B64[(n >> 12) & 63]!;
      out[p++] = two ? B64[(n >> 6) & 63]! : 0x3d;
      out[p++] = 0x3d;
    }
    out[p++] = QUOTE;
    this.pos = p;
  }
}

function headersJson(blob: Uint8Array, v: RecordView, encoding: BytesEncoding): string {
  const entries = readHeaders(blob, v).map((h) => [h.key, encodeBytes(h.value, encoding)]);
  return JSON.stringify(Object.fromEntries(entries));
}

/** The JSON fetch's body, as UTF-8 bytes (a view of exactly the body). */
export function fetchJson(f: FetchedBatches, encoding: BytesEncoding): Uint8Array {
  let stored = 0;
  let count = 0;
  for (const b of f.batches) {
    stored += b.records.byteLength;
    count += b.recordCount;
  }
  const perByte = encoding === "base64" ? 1.4 : 1.05;
  const w = new JsonBytes(Math.ceil(stored * perByte) + count * RECORD_OVERHEAD + 128);
  w.lit(RECORDS_OPEN);
  let first = true;
  for (const b of f.batches) {
    const blob = b.records;
    visitRecords(blob, b.baseOffset, (v) => {
      w.lit(first ? OFFSET : NEXT_OFFSET);
      first = false;
      w.int(v.offset);
      w.lit(TIMESTAMP);
      w.timestamp(v.timestamp);
      w.lit(KEY);
      w.bytes(blob, v.keyStart, v.keyEnd, encoding);
      w.lit(VALUE);
      w.bytes(blob, v.valueStart, v.valueEnd, encoding);
      if (v.headerCount === 0) w.lit(NO_HEADERS);
      else {
        w.lit(HEADERS);
        w.text(headersJson(blob, v, encoding));
        w.lit(lit("}"));
      }
    });
  }
  w.text(`],"next_offset":${f.nextOffset},"high_watermark":${f.highWatermark}`);
  w.text(`,"log_start_offset":${f.logStartOffset}}`);
  // A view, not a copy: the answer's peak memory is one buffer (the Response reads just the view).
  return w.buf.subarray(0, w.pos);
}
