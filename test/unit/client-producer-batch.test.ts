/**
 * The producer's pure rules: Kafka's sequence wrap, and the size estimate that closes batches
 * never below what the server's codec stores (so an idempotent batch estimated within one
 * stored batch fits one).
 */
import { describe, expect, it } from "vitest";
import { BATCH_OVERHEAD_BYTES, estimateRecordSize, incrementSequence, MAX_SEQUENCE, utf8Length } from "../../src/client/producer-batch.ts";
import { BATCH_HEADER_MAX_BYTES, encodedRecordSize } from "../../src/codec/record-batch.ts";
import { Prng } from "../support/prng.ts";

describe("sequences", () => {
  it("increment like Kafka's DefaultRecordBatch.incrementSequence, wrapping from 2^31-1 to 0", () => {
    expect(MAX_SEQUENCE).toBe(2 ** 31 - 1);
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(MAX_SEQUENCE, 1)).toBe(0);
    expect(incrementSequence(MAX_SEQUENCE - 1, 3)).toBe(1);
    expect(incrementSequence(MAX_SEQUENCE - 2, 2)).toBe(MAX_SEQUENCE);
    expect(incrementSequence(0, 0)).toBe(0);
  });
});

describe("record size estimate", () => {
  it("UTF-8 lengths count 1-4 bytes per code point, as TextEncoder does", () => {
    const prng = new Prng(3);
    const pool = ["a", "é", "€", "😀", "\u0000", "\uffff", "\ud800"];
    for (let i = 0; i < 500; i++) {
      const s = Array.from({ length: prng.int(0, 20) }, () => prng.pick(pool)).join("");
      expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
    }
  });

  it("is never below the server's stored size of the record, for seeded random records", () => {
    const prng = new Prng(9);
    const enc = new TextEncoder();
    const text = (max: number) => Array.from({ length: prng.int(0, max) }, () => String.fromCharCode(prng.int(32, 0x7ff))).join("");
    // Long strings cross the varint widths of the length prefixes (2^14 and 2^21 bytes).
    const long = (n: number) => text(20).repeat(Math.ceil(n / 10));
    for (let i = 0; i < 1000; i++) {
      const key = prng.chance(0.2) ? null : prng.chance(0.02) ? long(prng.int(5_000, 40_000)) : text(40);
      const value = prng.chance(0.1) ? null : prng.chance(0.02) ? long(prng.int(100_000, 700_000)) : text(200);
      const headers: Record<string, string | null> = {};
      for (let h = prng.int(0, 3); h > 0; h--) headers[text(10)] = prng.chance(0.2) ? null : text(30);
      const stored = encodedRecordSize(
        {
          key: key === null ? null : enc.encode(key),
          value: value === null ? null : enc.encode(value),
          headers: Object.entries(headers).map(([k, v]) => ({ key: k, value: v === null ? null : enc.encode(v) })),
        },
        9_999, // the largest offset delta of a batch (10,000 records a request)
        -(2 ** 52), // the widest timestamp delta
      );
      expect(estimateRecordSize({ key, value, headers }, "utf8")).toBeGreaterThanOrEqual(stored);
    }
    expect(BATCH_OVERHEAD_BYTES).toBeGreaterThanOrEqual(BATCH_HEADER_MAX_BYTES);
  });

  it("counts base64 text as the bytes it decodes to", () => {
    const bytes = (n: number) => btoa("x".repeat(n));
    expect(estimateRecordSize({ key: null, value: bytes(10), headers: {} }, "base64") - estimateRecordSize({ key: null, value: "", headers: {} }, "base64")).toBe(10);
    expect(estimateRecordSize({ key: bytes(1), value: bytes(2), headers: {} }, "base64")).toBe(estimateRecordSize({ key: "k", value: "vv", headers: {} }, "utf8"));
  });
});
