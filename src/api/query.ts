/**
 * Query parameters several native routes share: the bounds of a read (a partition fetch and a
 * group member's poll take the same max_records, max_bytes and wait_ms).
 */
import { LIMITS } from "../protocol/config.ts";
import { unwrap } from "./errors.ts";
import { parseIntParam } from "./params.ts";

/** max_records, max_bytes and wait_ms of a read, with their defaults and limits. */
export function readBounds(q: (k: string) => string | undefined) {
  return {
    maxRecords: unwrap(parseIntParam(q("max_records"), { name: "max_records", min: 1, max: LIMITS.maxFetchRecords, default: LIMITS.defaultFetchRecords })),
    maxBytes: unwrap(parseIntParam(q("max_bytes"), { name: "max_bytes", min: 1, max: LIMITS.maxFetchBytes, default: LIMITS.defaultFetchBytes })),
    waitMs: unwrap(parseIntParam(q("wait_ms"), { name: "wait_ms", min: 0, max: LIMITS.maxWaitMs, default: 0 })),
  };
}
