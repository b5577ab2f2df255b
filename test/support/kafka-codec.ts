/**
 * Helpers of the Kafka codec tests (test/unit/kafka-codec*.test.ts): every supported version of
 * an API, and a decoded request's body checked to be of the expected API. Test-only.
 */
import { expect } from "vitest";
import {
  SUPPORTED_VERSIONS,
  type DecodedRequest,
  type KnownApiKey,
  type RequestBodies,
} from "../../src/codec/kafka/index.ts";

/** Every version of `key` the codec supports, lowest first. */
export function versions(key: number): number[] {
  const r = SUPPORTED_VERSIONS[key]!;
  return Array.from({ length: r.max - r.min + 1 }, (_, i) => r.min + i);
}

/** The body of a request that decoded as `key`; a failed decode throws with its reason. */
export function bodyOf<K extends KnownApiKey>(key: K, d: DecodedRequest): RequestBodies[K] {
  if (!d.ok) throw new Error(`decode failed: ${d.reason} ${d.message}`);
  expect(d.apiKey).toBe(key);
  return d.body as RequestBodies[K];
}
