/**
 * The compression codecs of Kafka's RecordBatch v2: gzip (node:zlib, which workerd offers under
 * `nodejs_compat`), snappy (snappyjs; raw, or in the xerial framing the Java client and
 * kafkajs-snappy write), LZ4 (lz4js, the LZ4 frame format Kafka uses for magic 2) and zstd
 * (fzstd, decode only). This module is the one place of src/codec/ allowed packages
 * (.dependency-cruiser.cjs, `codec-kafka-compression`).
 *
 * Invariants: decompression never yields more than `maxBytes` (a bomb is refused, not inflated);
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

function concat(parts: Uint8Array[]): Uint8Array {
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
    if (size < 0 || at + 4 + size > b.length) throw new CompressionError("snappy: bad xerial block");
    const part = snappyUncompress(b.subarray(at + 4, at + 4 + size), maxBytes - total);
    total += part.length;
    parts.push(part);
    at += 4 + size;
  }
  return concat(parts);
}

function inflate(codec: number, b: Uint8Array, maxBytes: number): Uint8Array {
  switch (codec) {
    case CompressionCodec.Gzip:
      return new Uint8Array(gunzipSync(b, { maxOutputLength: maxBytes }));
    case CompressionCodec.Snappy:
      return isXerial(b) ? unxerial(b, maxBytes) : snappyUncompress(b, maxBytes);
    case CompressionCodec.Lz4: {
      // lz4js sizes its output from the frame's own claims: refuse a claim past the limit.
      const bound = decompressBound(b);
      if (!(bound <= maxBytes)) throw new CompressionError(`lz4 frame claims ${bound} bytes`, true);
      return lz4Decompress(b, bound);
    }
    default:
      return zstdDecompress(b);
  }
}

export const isKnownCodec = (codec: number): boolean => codec >= 0 && codec <= CompressionCodec.Zstd;

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
    throw new CompressionError(`codec ${codec} could not decompress the records within ${maxBytes} bytes`);
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
