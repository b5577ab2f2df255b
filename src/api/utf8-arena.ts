/**
 * UTF-8 encoding of many short strings for one request (src/api/routes/produce.ts: a JSON
 * produce's keys, values and header values): each string is encoded straight into a shared chunk
 * with `encodeInto` and returned as a view of it. Pure; web APIs only.
 */
const UTF8 = new TextEncoder();

/** The largest first chunk (the body's size up to this). */
const ARENA_CHUNK = 1024 * 1024;
/** A chunk started when a field does not fit what is left (larger for a longer field). */
const OVERFLOW_CHUNK = 64 * 1024;

/**
 * A request's UTF-8 byte fields, each encoded straight into a shared chunk (`encodeInto`) and
 * handed out as a view of it: one runtime call per field and no buffer of its own, where
 * `TextEncoder.encode` allocates one per field (the largest per-record cost of a JSON produce in
 * the profile). The first chunk has the body's size (the fields' UTF-8 never exceeds the JSON
 * text that holds them), capped; a field that does not fit what is left starts a new chunk. The
 * views live as long as the request's records; the batch encoder copies them.
 */
export class Utf8Arena {
  #chunk: Uint8Array;
  #at = 0;

  constructor(sizeHint: number) {
    this.#chunk = new Uint8Array(Math.min(ARENA_CHUNK, Math.max(0, sizeHint)));
  }

  /** `value`'s UTF-8 bytes; the caller checked it is well formed (no lone surrogate). */
  encode(value: string): Uint8Array {
    const start = this.#at;
    const r = UTF8.encodeInto(value, this.#chunk.subarray(start));
    if (r.read === value.length) {
      this.#at += r.written;
      return this.#chunk.subarray(start, this.#at);
    }
    // Did not fit: a new chunk, large enough for this field (UTF-8 takes at most 3 bytes per UTF-16 code unit).
    this.#chunk = new Uint8Array(Math.max(OVERFLOW_CHUNK, value.length * 3));
    this.#at = UTF8.encodeInto(value, this.#chunk).written;
    return this.#chunk.subarray(0, this.#at);
  }
}
