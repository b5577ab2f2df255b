/**
 * Kafka's wire primitives (big-endian ints, strings, bytes, arrays, zig-zag varints): a bounds-
 * checked `KafkaReader` over one frame and a growing `KafkaWriter`.
 *
 * Invariants: a read past the end throws `KafkaWireError("truncated")`, a length or value no
 * Kafka peer may send throws `KafkaWireError("malformed")`, so a decoder above never sees a
 * RangeError. INT64 values are JavaScript numbers (offsets, timestamps and producer ids are safe
 * below 2^53, as everywhere in Flarelog); a value outside that range is malformed.
 * Pure; used by the message codecs and the RecordBatch codec of src/codec/kafka/. One reader per
 * frame, no sharing.
 */

export type WireFault = "truncated" | "malformed";

/** Bytes that do not decode as the expected Kafka structure. Caught by class, never by text. */
export class KafkaWireError extends Error {
  override readonly name = "KafkaWireError";
  readonly reason: WireFault;
  constructor(reason: WireFault, message: string) {
    super(message);
    this.reason = reason;
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class KafkaReader {
  readonly buf: Uint8Array;
  private readonly view: DataView;
  pos: number;
  constructor(buf: Uint8Array, pos = 0) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number, what: string): number {
    if (this.pos + n > this.buf.length) throw new KafkaWireError("truncated", `truncated ${what}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8(): number {
    return this.view.getInt8(this.need(1, "int8"));
  }
  int16(): number {
    return this.view.getInt16(this.need(2, "int16"));
  }
  int32(): number {
    return this.view.getInt32(this.need(4, "int32"));
  }
  uint32(): number {
    return this.view.getUint32(this.need(4, "uint32"));
  }
  int64(): number {
    const v = this.view.getBigInt64(this.need(8, "int64"));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new KafkaWireError("malformed", `int64 ${v} is outside the safe integer range`);
    }
    return Number(v);
  }
  boolean(): boolean {
    return this.int8() !== 0;
  }
  /** Moves past `n` bytes (as `raw` without the view). */
  skip(n: number, what = "bytes"): void {
    this.need(n, what);
  }
  raw(n: number, what = "bytes"): Uint8Array {
    const at = this.need(n, what);
    return this.buf.subarray(at, at + n);
  }
  private text(n: number): string {
    try {
      return fromUtf8.decode(this.raw(n, "string"));
    } catch (e) {
      if (e instanceof KafkaWireError) throw e;
      throw new KafkaWireError("malformed", "string is not UTF-8");
    }
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    if (n < 0) throw new KafkaWireError("malformed", `string length ${n}`);
    return this.text(n);
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new KafkaWireError("malformed", "null where a string is required");
    return s;
  }
  nullableBytes(): Uint8Array | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new KafkaWireError("malformed", `bytes length ${n}`);
    return this.raw(n);
  }
  bytes(): Uint8Array {
    const b = this.nullableBytes();
    if (b === null) throw new KafkaWireError("malformed", "null where bytes are required");
    return b;
  }
  nullableArray<T>(item: (r: KafkaReader) => T): T[] | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < 0) throw new KafkaWireError("malformed", `array length ${n}`);
    // Each element takes at least one byte: a count beyond the bytes left is a lie, refused
    // before allocating.
    if (n > this.remaining()) throw new KafkaWireError("truncated", `array of ${n} past the end`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }
  array<T>(item: (r: KafkaReader) => T): T[] {
    const a = this.nullableArray(item);
    if (a === null) throw new KafkaWireError("malformed", "null where an array is required");
    return a;
  }
  /** Unsigned base-128 varint of at most 5 bytes (32 bits). */
  uvarint(): number {
    // The path every record's fields take: no call per byte, no power per byte.
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (pos >= buf.length) throw new KafkaWireError("truncated", "truncated varint");
      const b = buf[pos++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      scale *= 128;
    }
    throw new KafkaWireError("malformed", "varint longer than 5 bytes");
  }
  /** Zig-zag varint (Kafka's `varint`, 32 bits). */
  varint(): number {
    const u = this.uvarint();
    if (u > 0xffffffff) throw new KafkaWireError("malformed", "varint beyond 32 bits");
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /**
   * Zig-zag varlong (Kafka's `varlong`); must stay within the safe integer range. Numbers, not
   * BigInt, on the path every record takes: a zig-zag value below 2^53 is exact as a number.
   */
  varlong(): number {
    const first = this.pos < this.buf.length ? this.buf[this.pos]! : 0x80;
    if (first < 0x80) {
      this.pos++;
      return first % 2 === 0 ? first / 2 : -(first + 1) / 2;
    }
    let u = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1, "varlong")]!;
      u += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (u > Number.MAX_SAFE_INTEGER) {
          throw new KafkaWireError("malformed", "varlong outside the safe integer range");
        }
        return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
      }
    }
    throw new KafkaWireError("malformed", "varlong longer than 10 bytes");
  }
}

export class KafkaWriter {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }
  /** Reserves n bytes and answers where they start. It may replace this.buf and this.view,
   *  so a caller calls it before reading either (`this.view.setX(this.room(n), v)` would write
   *  into the old buffer). */
  private room(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  int8(v: number): this {
    const at = this.room(1);
    this.view.setInt8(at, v);
    return this;
  }
  int16(v: number): this {
    const at = this.room(2);
    this.view.setInt16(at, v);
    return this;
  }
  int32(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v);
    return this;
  }
  uint32(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v);
    return this;
  }
  int64(v: number): this {
    const at = this.room(8);
    this.view.setBigInt64(at, BigInt(v));
    return this;
  }
  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  raw(b: Uint8Array): this {
    const at = this.room(b.length); // before reading this.buf: room() may replace it
    this.buf.set(b, at);
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = utf8.encode(s);
    return this.int16(b.length).raw(b);
  }
  string(s: string): this {
    return this.nullableString(s);
  }
  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  bytes(b: Uint8Array): this {
    return this.nullableBytes(b);
  }
  nullableArray<T>(items: readonly T[] | null, item: (w: KafkaWriter, v: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }
  array<T>(items: readonly T[], item: (w: KafkaWriter, v: T) => void): this {
    return this.nullableArray(items, item);
  }
  /** One byte; room() runs before this.buf is read, since it may replace the buffer. */
  private byte(b: number): void {
    const at = this.room(1);
    this.buf[at] = b;
  }
  uvarint(v: number): this {
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  /** Zig-zag varlong of a safe integer, in number arithmetic (exact below 2^52 in size). */
  varlong(v: number): this {
    if (!Number.isSafeInteger(v) || Math.abs(v) >= 2 ** 52) {
      throw new RangeError(`varlong ${v} is outside what Flarelog writes`);
    }
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  /** Empties the writer, keeping its buffer (a scratch writer reused record after record). */
  reset(): this {
    this.pos = 0;
    return this;
  }
  /** Writes an int32 placeholder and returns a function that fills it with bytes written since. */
  sizeSlot(): () => void {
    const at = this.room(4);
    return () => this.view.setInt32(at, this.pos - at - 4);
  }
  setInt32At(at: number, v: number): void {
    this.view.setInt32(at, v);
  }
  setUint32At(at: number, v: number): void {
    this.view.setUint32(at, v);
  }
  bytesFrom(start: number): Uint8Array {
    return this.buf.subarray(start, this.pos);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
