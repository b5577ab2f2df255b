/**
 * The compression codecs of Kafka's RecordBatch v2: gzip (node:zlib, which workerd offers under
 * `nodejs_compat`), snappy (snappyjs; raw, or in the xerial framing the Java client and
 * kafkajs-snappy write), LZ4 (lz4js, the LZ4 frame format Kafka uses for magic 2) and zstd
 * (fzstd, decode only). This module is the one place of src/codec/ allowed packages
 * (.dependency-cruiser.cjs, `codec-kafka-compression`).
 *
 * Invariants: decompression never yields more than `maxBytes` (a bomb is refused, not inflated;
 * for lz4 and zstd the frame's own size claims are checked before the library allocates, and
 * for zstd only the first frame's claim is, a known limit of fzstd's one-shot API);
 * a library's throw on bad input becomes `CompressionError`, caught by class.
 * Pure functions; called by record-batch.ts.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { compress as lz4Compress, decompress as lz4Decompress, decompressBound } from "lz4js";
import { uncompress as snappyUncompress, compress as snappyCompress } from "snappyjs";
import { decompress as zstdDecompress } from "fzstd";

export const CompressionCodec = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** Bytes a codec could not decompress (or that would exceed the allowed size). */
export class CompressionError extends Error {
  override readonly name = "CompressionError";
  readonly tooLarge: boolean;
  constructor(message: string, tooLarge = false) {
    super(message);
    this.tooLarge = tooLarge;
  }
}

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

const isXerial = (b: Uint8Array): boolean =>
  b.length >= 16 && XERIAL_MAGIC.every((m, i) => b[i] === m);

/** The parts one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** xerial's SnappyOutputStream: 16-byte header, then blocks of [int32 size][raw snappy]. */
function unxerial(b: Uint8Array, maxBytes: number): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let at = 16; at < b.length; ) {
    if (at + 4 > b.length) throw new CompressionError("snappy: truncated xerial block size");
    const size = view.getInt32(at);
    if (size < 0 || at + 4 + size > b.length) {
      throw new CompressionError("snappy: bad xerial block");
    }
    const part = snappyUncompress(b.subarray(at + 4, at + 4 + size), maxBytes - total);
    total += part.length;
    parts.push(part);
    at += 4 + size;
  }
  return concatBytes(parts);
}

function inflate(codec: number, b: Uint8Array, maxBytes: number): Uint8Array {
  switch (codec) {
    case CompressionCodec.Gzip:
      return new Uint8Array(gunzipSync(b, { maxOutputLength: maxBytes }));
    case CompressionCodec.Snappy:
      return isXerial(b) ? unxerial(b, maxBytes) : snappyUncompress(b, maxBytes);
    case CompressionCodec.Lz4: {
      // lz4js trusts the frame: a block past the end makes it read out of bounds for minutes.
      // Walk the frame first; then its output is bounded by the blocks it holds.
      const bound = lz4FrameBound(b);
      if (bound > maxBytes) throw new CompressionError(`lz4 frame claims ${bound} bytes`, true);
      return lz4Decompress(b, Math.min(decompressBound(b), bound));
    }
    default: {
      // fzstd allocates what a frame header claims (content size, else window size).
      const claim = zstdFrameClaim(b);
      if (claim > maxBytes) throw new CompressionError(`zstd frame claims ${claim} bytes`, true);
      return zstdDecompress(b);
    }
  }
}

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 65536, 262144, 1048576, 4194304];

/**
 * Checks an LZ4 frame's structure (magic, version, every block inside the bytes, the end mark)
 * and answers the most its blocks can decompress to; throws CompressionError otherwise.
 */
function lz4FrameBound(b: Uint8Array): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bad = (why: string): never => {
    throw new CompressionError(`lz4: ${why}`);
  };
  if (b.length < 7 || view.getUint32(0, true) !== LZ4_MAGIC) bad("not an LZ4 frame");
  const flags = b[4]!;
  if (flags >> 6 !== 1) bad("frame version");
  const blockMax = LZ4_BLOCK_MAX[(b[5]! >> 4) & 7]!;
  if (blockMax === 0) bad("block size");
  const blockChecksum = (flags & 0x10) !== 0;
  let at = 7 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0);
  let bound = 0;
  for (;;) {
    if (at + 4 > b.length) bad("frame ends before its end mark");
    const word = view.getUint32(at, true);
    at += 4;
    if (word === 0) return bound;
    const size = word & 0x7fffffff;
    const stored = word >= 0x80000000;
    if (size > blockMax) bad("block larger than the frame's block size");
    at += size + (blockChecksum ? 4 : 0);
    if (at > b.length) bad("block past the end");
    bound += stored ? size : blockMax;
  }
}

/** Bytes fzstd would allocate for the first zstd frame of `b` (0 when it is not one). */
function zstdFrameClaim(b: Uint8Array): number {
  if (b.length < 6 || b[0] !== 0x28 || b[1] !== 0xb5 || b[2] !== 0x2f || b[3] !== 0xfd) return 0;
  const flags = b[4]!;
  const singleSegment = (flags >> 5) & 1;
  const dictFlag = flags & 3;
  const sizeFlag = flags >> 6;
  const at = 6 - singleSegment + (dictFlag === 3 ? 4 : dictFlag);
  const sizeBytes = sizeFlag ? 1 << sizeFlag : singleSegment;
  let contentSize = 0;
  for (let i = sizeBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + (b[at + i] ?? 0);
  if (sizeFlag === 1) contentSize += 256;
  if (contentSize > 0 || singleSegment) return contentSize;
  const windowBase = 2 ** (10 + (b[5]! >> 3));
  return windowBase + (windowBase / 8) * (b[5]! & 7);
}

export const isKnownCodec = (codec: number): boolean =>
  codec >= 0 && codec <= CompressionCodec.Zstd;

/** Decompresses a batch's records section; throws CompressionError on bad bytes or a bomb. */
export function decompress(codec: number, bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (codec === CompressionCodec.None) return bytes;
  if (!isKnownCodec(codec)) throw new RangeError(`compression codec ${codec}`);
  let out: Uint8Array;
  try {
    out = inflate(codec, bytes, maxBytes);
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    // The libraries throw plain Errors (zlib a RangeError past maxOutputLength): whatever they
    // throw, the cause is the bytes, so it is classified here by where it came from.
    const why = `codec ${codec} could not decompress the records within ${maxBytes} bytes`;
    throw new CompressionError(why);
  }
  if (out.length > maxBytes) {
    throw new CompressionError(`records inflate past ${maxBytes} bytes`, true);
  }
  return out;
}

/** Compresses a records section with gzip, snappy (raw, as librdkafka writes) or lz4. */
export function compress(codec: number, bytes: Uint8Array): Uint8Array {
  switch (codec) {
    case CompressionCodec.None:
      return bytes;
    case CompressionCodec.Gzip:
      return new Uint8Array(gzipSync(bytes));
    case CompressionCodec.Snappy:
      return snappyCompress(bytes);
    case CompressionCodec.Lz4:
      return lz4Compress(bytes);
    default:
      throw new RangeError(`cannot compress with codec ${codec}`);
  }
}
