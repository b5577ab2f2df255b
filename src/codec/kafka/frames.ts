/**
 * Kafka's framing: every request and response is an INT32 size followed by that many bytes.
 * `frameSizePrefixed` adds the prefix; `FrameSplitter` cuts a byte stream (TCP, or WebSocket
 * messages that split or join frames) back into payloads.
 *
 * Invariants: a payload popped is exactly the bytes its prefix declared, in stream order; a
 * declared size below 0 or above `maxFrameBytes` is refused before any byte of it is buffered,
 * and the splitter then stays failed (the stream has no frame boundary to resume from).
 * Pure; one splitter per connection, used by one task at a time. It keeps the arrays pushed
 * (no copy) until their bytes are popped: a caller must not reuse a pushed buffer.
 */

export function frameSizePrefixed(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

export type FrameError = { kind: "frame_too_large"; sizeBytes: number; maxFrameBytes: number };

/** 100 MiB: Kafka's `socket.request.max.bytes` default. */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

export class FrameSplitter {
  readonly maxFrameBytes: number;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private failure: FrameError | null = null;

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received and not yet popped as a payload. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Appends bytes; answers the error once the stream declares an oversized frame. */
  push(bytes: Uint8Array): FrameError | null {
    if (this.failure !== null) return this.failure;
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    return this.checkHead();
  }

  /** The next complete payload (without its size prefix), or null until one has arrived. */
  pop(): Uint8Array | null {
    if (this.failure !== null || this.buffered < 4) return null;
    const size = this.peekSize();
    if (this.buffered < 4 + size) return null;
    const all = this.gather(4 + size);
    const payload = all.subarray(4);
    this.checkHead();
    return payload;
  }

  /** The error that stopped the stream, if any. */
  get error(): FrameError | null {
    return this.failure;
  }

  private checkHead(): FrameError | null {
    if (this.buffered < 4) return null;
    const size = this.peekSize();
    if (size < 0 || size > this.maxFrameBytes) {
      const maxFrameBytes = this.maxFrameBytes;
      this.failure = { kind: "frame_too_large", sizeBytes: size, maxFrameBytes };
      this.chunks = [];
      this.buffered = 0;
    }
    return this.failure;
  }

  private peekSize(): number {
    const first = this.chunks[0]!;
    const head = first.length >= 4 ? first : this.gatherCopy(4);
    return new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
  }

  /** The first `n` bytes as one array, without consuming them. */
  private gatherCopy(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      if (at === n) break;
      const take = Math.min(c.length, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  /** Consumes and returns the first `n` bytes. */
  private gather(n: number): Uint8Array {
    const out = this.gatherCopy(n);
    let left = n;
    while (left > 0) {
      const c = this.chunks[0]!;
      if (c.length <= left) {
        this.chunks.shift();
        left -= c.length;
      } else {
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.buffered -= n;
    return out;
  }
}
