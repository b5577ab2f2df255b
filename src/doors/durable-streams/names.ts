/**
 * Durable Streams names and offsets: a stream path (any text, `/` included) maps reversibly to a
 * Flarelog topic name, and a stream position to the protocol's opaque offset token.
 *
 * Invariants: `topicOf` is injective and prefix-preserving (the topic of `p + q` starts with the
 * topic of `p`), so a prefixed ACL on `topicOf(prefix)` covers exactly the streams under
 * `prefix`; `pathOf(topicOf(p)) === p`. Tokens are `<16 digits>_<16 digits>` and sort as their
 * positions do (the protocol compares offsets as strings). Pure; called by the door's modules.
 */

/** Every stream topic starts with this, so streams never collide with native topics. */
export const STREAM_TOPIC_PREFIX = "ds.";
const TOPIC_NAME_MAX = 249;

/** Letters, digits and `-` stand for themselves; `_` is `__`; every other UTF-8 byte is `_xx`. */
export function topicOf(path: string): string | null {
  let out = STREAM_TOPIC_PREFIX;
  for (const byte of new TextEncoder().encode(path)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9-]/.test(c)) out += c;
    else if (c === "_") out += "__";
    else out += `_${byte.toString(16).padStart(2, "0")}`;
  }
  return out.length <= TOPIC_NAME_MAX ? out : null;
}

export function pathOf(topic: string): string {
  const bytes: number[] = [];
  const s = topic.slice(STREAM_TOPIC_PREFIX.length);
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== "_") bytes.push(s.charCodeAt(i));
    else if (s[i + 1] === "_") (bytes.push(95), i++);
    else (bytes.push(parseInt(s.slice(i + 1, i + 3), 16)), (i += 2));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const TOKEN = /^(\d{16})_(\d{16})$/;

/** The token of a position (the number of records before it, across a fork chain). */
export function tokenOf(position: number): string {
  return `${"0".repeat(16)}_${String(position).padStart(16, "0")}`;
}

/** A token's position, or null for anything that is not a token. */
export function positionOf(token: string): number | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const n = Number(m[2]);
  return m[1] === "0".repeat(16) && Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}
