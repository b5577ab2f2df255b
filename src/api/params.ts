/**
 * Strict parsers for query/path parameters and byte fields at the API edge.
 *
 * Invariants: a number is accepted only as plain decimal digits (no sign unless allowed, no
 * `1.5`, `0x10`, `1e3`, whitespace or empty string) and only within JavaScript's safe-integer
 * range; base64 is RFC 4648 standard alphabet with exact padding and nothing atob would forgive.
 * Bad input is a `Result` error value naming the parameter, never a throw. Web APIs only, so it
 * runs in workerd and Node. Called by the Hono routes.
 */
import { fail, ok, type ErrorName, type Result } from "../protocol/errors.ts";
import type { Acks } from "../protocol/types.ts";

export type BytesEncoding = "utf8" | "base64";
export type { Acks } from "../protocol/types.ts";

const DIGITS = /^\d+$/;
const SIGNED_DIGITS = /^-?\d+$/;
const INT32_MAX = 0x7fffffff;

/** A fetch offset: a non-negative safe integer, or `earliest` / `latest`. Missing → INVALID_REQUEST. */
export function parseOffsetParam(raw: string | undefined): Result<number | "earliest" | "latest"> {
  if (raw === undefined) return fail("INVALID_REQUEST", "offset is required (an integer, earliest or latest)");
  if (raw === "earliest" || raw === "latest") return ok(raw);
  if (/^-\d+$/.test(raw)) return fail("INVALID_REQUEST", `offset must not be negative, got ${raw}`);
  if (!DIGITS.test(raw))
    return fail("INVALID_REQUEST", `offset must be a non-negative integer, earliest or latest, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n))
    return fail("INVALID_REQUEST", `offset must be at most ${Number.MAX_SAFE_INTEGER}, got ${raw}`);
  return ok(n);
}

export interface IntParamSpec {
  /** Parameter name, used in error messages. */
  name: string;
  min: number;
  max: number;
  /** Value when the parameter is absent; without it, absence is an error. */
  default?: number;
  /** Error for a malformed or out-of-range value; INVALID_REQUEST unless given. */
  errorName?: ErrorName;
}

/** An integer parameter in [min, max]; a sign is accepted only when `min` is negative. */
export function parseIntParam(raw: string | undefined, spec: IntParamSpec): Result<number> {
  const errorName = spec.errorName ?? "INVALID_REQUEST";
  if (raw === undefined) {
    return spec.default !== undefined ? ok(spec.default) : fail(errorName, `${spec.name} is required`);
  }
  const shape = spec.min < 0 ? SIGNED_DIGITS : DIGITS;
  const n = Number(raw);
  if (!shape.test(raw) || !Number.isSafeInteger(n) || n < spec.min || n > spec.max)
    return fail(errorName, `${spec.name} must be an integer between ${spec.min} and ${spec.max}, got "${raw}"`);
  return ok(n);
}

/** `acks`: `all` or `-1` → -1, `1`, `0`; absent → -1 (all). Anything else → INVALID_REQUIRED_ACKS. */
export function parseAcks(raw: string | undefined): Result<Acks> {
  switch (raw) {
    case undefined:
    case "all":
    case "-1":
      return ok(-1);
    case "1":
      return ok(1);
    case "0":
      return ok(0);
    default:
      return fail("INVALID_REQUIRED_ACKS", `acks must be all, -1, 1 or 0, got "${raw}"`);
  }
}

/**
 * A partition path parameter. A well-formed integer that cannot name a partition (negative or
 * beyond int32) is UNKNOWN_TOPIC_OR_PARTITION, as Kafka answers; anything else is INVALID_REQUEST.
 */
export function parsePartitionParam(raw: string | undefined): Result<number> {
  if (raw === undefined || !SIGNED_DIGITS.test(raw))
    return fail("INVALID_REQUEST", `partition must be a non-negative integer, got "${raw ?? ""}"`);
  const n = Number(raw);
  if (n < 0 || n > INT32_MAX || Object.is(n, -0))
    return fail("UNKNOWN_TOPIC_OR_PARTITION", `partition ${raw} does not exist`);
  return ok(n);
}

/** `encoding` (query or body): `utf8` (default when absent) or `base64`. */
export function parseEncodingParam(raw: unknown): Result<BytesEncoding> {
  if (raw === undefined || raw === null || raw === "utf8") return ok("utf8");
  if (raw === "base64") return ok("base64");
  return fail("INVALID_REQUEST", `encoding must be utf8 or base64, got ${JSON.stringify(raw)}`);
}

// Exactly RFC 4648 §4: groups of four, optional final group with one or two '=' and nothing else.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Last symbol before the padding must leave zero bits behind (canonical form, round-trips).
const BASE64_CANONICAL_TAIL = /(?:[AQgw]==|[AEIMQUYcgkosw048]=)$/;

/**
 * A key, value or header value from a JSON request: `null`/absent → null, else a string decoded
 * as UTF-8 text or strict base64. `field` names it in error messages.
 */
// One of each per isolate: constructing them per value was a measurable share of produce and fetch.
const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

export function decodeBytes(value: unknown, encoding: BytesEncoding, field = "value"): Result<Uint8Array | null> {
  if (value === null || value === undefined) return ok(null);
  if (typeof value !== "string") return fail("INVALID_REQUEST", `${field} must be a string or null`);
  if (encoding === "utf8") {
    // TextEncoder would silently turn a lone surrogate into U+FFFD: refuse rather than alter bytes.
    if (!value.isWellFormed()) return fail("INVALID_REQUEST", `${field} contains a lone UTF-16 surrogate`);
    return ok(UTF8_ENCODER.encode(value));
  }
  if (!BASE64.test(value) || (value.endsWith("=") && !BASE64_CANONICAL_TAIL.test(value)))
    return fail("INVALID_REQUEST", `${field} is not valid base64 (RFC 4648, standard alphabet, padded)`);
  const binary = atob(value);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return ok(out);
}

const BTOA_CHUNK = 0x8000;

/** Bytes for a JSON response: UTF-8 text (invalid sequences become U+FFFD, never a throw) or base64. */
export function encodeBytes(bytes: Uint8Array | null, encoding: BytesEncoding): string | null {
  if (bytes === null) return null;
  if (encoding === "utf8") return UTF8_DECODER.decode(bytes);
  let binary = "";
  for (let i = 0; i < bytes.length; i += BTOA_CHUNK)
    binary += String.fromCharCode(...bytes.subarray(i, i + BTOA_CHUNK));
  return btoa(binary);
}
