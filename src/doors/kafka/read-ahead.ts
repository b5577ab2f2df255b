/**
 * A connection's reads started ahead: after a Fetch answer that stopped at its byte budget with
 * more records below the high watermark, the door reads (and encodes) the partition from the
 * offset the consumer will ask next, while the answer travels and the consumer decodes it. The
 * next Fetch at that offset, with the same byte bound, takes the read instead of starting one:
 * a catch-up then costs the larger of the server's and the client's time per fetch, not their
 * sum (kafkajs asks for the next batch only after the last one was handed to the application).
 *
 * Invariants: at most one read ahead per partition, taken at most once; it is used only for the
 * exact offset and byte bound it was started for and only within `maxAgeMs` of its start, so
 * what a consumer gets is what a read at the time of its previous answer gave (records below
 * the high watermark never change; the high watermark it carries may be a few ms old, as any
 * answer's is by the time it arrives). A read ahead that fails or is not taken is dropped.
 * Memory: one answer's records per partition a connection reads, at most its byte bound.
 * Called by fetch.ts, one request at a time per connection (no two fetches of one connection
 * race for an entry).
 */

interface Pending<T> {
  offset: number;
  maxBytes: number;
  startedMs: number;
  read: Promise<T | null>;
}

export class ReadAhead<T> {
  readonly #pending = new Map<string, Pending<T>>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** Starts `read` for `key` at `offset` (replacing an older one); a throw counts as no read. */
  start(key: string, offset: number, maxBytes: number, read: () => Promise<T>): void {
    const p = read().catch(() => null);
    this.#pending.set(key, { offset, maxBytes, startedMs: this.#now(), read: p });
  }

  /** The read started for exactly this offset and bound, if fresh; the entry is gone either way. */
  take(key: string, offset: number, maxBytes: number): Promise<T | null> | null {
    const p = this.#pending.get(key);
    if (p === undefined) return null;
    this.#pending.delete(key);
    const fresh = this.#now() - p.startedMs <= this.#maxAgeMs;
    return fresh && p.offset === offset && p.maxBytes === maxBytes ? p.read : null;
  }
}
