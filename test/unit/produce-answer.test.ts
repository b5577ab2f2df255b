/**
 * The JSON produce answer written without an object per record (src/api/routes/produce.ts
 * `offsetsJson`) is the same text `JSON.stringify({ offsets })` writes for the same outcomes:
 * appended records, failed partitions, both mixed, and numbers at the edges of the safe range.
 */
import { describe, expect, it } from "vitest";
import { offsetsJson } from "../../src/api/routes/produce.ts";
import { kafkaError } from "../../src/protocol/errors.ts";
import type { RecordOutcome } from "../../src/services/produce.ts";

const stringified = (records: RecordOutcome[]) =>
  JSON.stringify({
    offsets: records.map((o) => ("error" in o ? { partition: o.partition, error_code: o.error.errorCode, error: o.error.error } : o)),
  });

describe("offsetsJson", () => {
  it("writes exactly what JSON.stringify writes for appended, failed and mixed outcomes", () => {
    const failed = { partition: 2, error: kafkaError("NOT_LEADER_OR_FOLLOWER", "moved \"quoted\"") };
    const cases: RecordOutcome[][] = [
      [{ partition: 0, offset: 0, timestamp: 0 }],
      Array.from({ length: 1000 }, (_, i) => ({ partition: i % 8, offset: 10_000 + i, timestamp: 1_733_370_000_000 + i })),
      [failed],
      [{ partition: 0, offset: 5, timestamp: 7 }, failed, { partition: 1, offset: Number.MAX_SAFE_INTEGER, timestamp: Number.MAX_SAFE_INTEGER }],
    ];
    for (const c of cases) expect(offsetsJson(c)).toBe(stringified(c));
  });
});
