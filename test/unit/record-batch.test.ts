/** The record-batch codec and the append planner that uses it. */
import { describe, expect, it } from "vitest";
import { incrementSequence, planBatches, resolveTimestamps } from "../../src/log/batch-planner.ts";
import {
  BATCH_HEADER_MAX_BYTES,
  decodeBatch,
  encodeBatch,
  encodedRecordSize,
  encodeRecord,
  readBatchHeader,
  readRecords,
  trimBatch,
  type RecordBody,
} from "../../src/log/record-batch.ts";
import type { RecordInput } from "../../src/protocol/types.ts";

const enc = new TextEncoder();
const body = (value: string | null, key: string | null = null, headers: RecordBody["headers"] = []): RecordBody => ({
  key: key === null ? null : enc.encode(key),
  value: value === null ? null : enc.encode(value),
  headers,
});

function batchOf(baseTimestamp: number, records: { body: RecordBody; timestamp: number }[]): Uint8Array {
  return encodeBatch(
    baseTimestamp,
    records.map((r, i) => encodeRecord(r.body, i, r.timestamp - baseTimestamp)),
  );
}

describe("record-batch codec", () => {
  it("a batch round-trips keys, values, headers and timestamps, null and empty alike", () => {
    const records = [
      { body: body(null), timestamp: 1_700_000_000_000 },
      { body: body("", ""), timestamp: 1_700_000_000_000 - 5 },
      { body: body("v", "k", [{ key: "h ✓ 😀", value: null }, { key: "x", value: new Uint8Array([0, 255]) }]), timestamp: 0 },
      { body: body("big", null, []), timestamp: Number.MAX_SAFE_INTEGER },
    ];
    const blob = batchOf(1_700_000_000_000, records);
    const decoded = decodeBatch(blob, 40);
    expect(decoded).toEqual(records.map((r, i) => ({ offset: 40 + i, timestamp: r.timestamp, ...r.body })));
  });

  it("timestamp deltas are exact across the whole safe-integer range, in both directions", () => {
    for (const [base, ts] of [
      [0, Number.MAX_SAFE_INTEGER],
      [Number.MAX_SAFE_INTEGER, 0],
      [1000, 937],
      [64, 0],
      [0, 63],
    ] as const) {
      const [r] = decodeBatch(batchOf(base, [{ body: body("v"), timestamp: ts }]), 0);
      expect(r!.timestamp).toBe(ts);
    }
  });

  it("encodedRecordSize is the encoded length of a record alone in a batch", () => {
    for (const b of [body(null), body("x".repeat(200), "k", [{ key: "é😀\ud800", value: enc.encode("v") }])]) {
      expect(encodedRecordSize(b)).toBe(encodeRecord(b, 0, 0).length);
      expect(encodedRecordSize(b, 300, -70)).toBe(encodeRecord(b, 300, -70).length);
    }
  });

  it("each decoded record reports its encoded size, and sizes plus header make the blob", () => {
    const blob = batchOf(10, [
      { body: body("a"), timestamp: 10 },
      { body: body("bb".repeat(100)), timestamp: 11 },
    ]);
    const sized = [...readRecords(blob, 0)];
    expect(sized.map((s) => s.sizeBytes)).toEqual([encodeRecord(body("a"), 0, 0).length, encodeRecord(body("bb".repeat(100)), 1, 1).length]);
    expect(readBatchHeader(blob).recordsStart + sized.reduce((n, s) => n + s.sizeBytes, 0)).toBe(blob.length);
  });

  it("reading from an offset inside a batch skips the records before it", () => {
    const blob = batchOf(0, ["a", "b", "c"].map((v) => ({ body: body(v), timestamp: 0 })));
    expect([...readRecords(blob, 100, 102)].map((s) => s.record.offset)).toEqual([102]);
  });

  it("trimming a batch keeps exactly the records below the cut, byte for byte", () => {
    const recs = [3, 1, 2].map((t, i) => ({ body: body(`v${i}`), timestamp: t }));
    const blob = batchOf(3, recs);
    const t = trimBatch(blob, 10, 12);
    expect(t).toMatchObject({ recordCount: 2, lastOffset: 11, maxTimestamp: 3 });
    expect(decodeBatch(t.blob, 10)).toEqual(decodeBatch(blob, 10).slice(0, 2));
    expect(() => trimBatch(blob, 10, 10)).toThrow();
  });

  it("a corrupt blob is reported, not misread", () => {
    const blob = batchOf(0, [{ body: body("hello"), timestamp: 0 }]);
    expect(() => decodeBatch(blob.subarray(0, blob.length - 2), 0)).toThrow(/corrupt/);
    expect(() => decodeBatch(new Uint8Array([9, 0, 0]), 0)).toThrow(/version/);
  });
});

describe("append planning", () => {
  const rec = (n: number, timestamp?: number): RecordInput => ({ key: null, value: new Uint8Array(n), headers: [], timestamp });

  it("records are split into blobs that each stay within the blob limit, in offset order", () => {
    const records = Array.from({ length: 10 }, () => rec(30));
    const planned = planBatches(records, records.map(() => 5), 100, -1, { maxRecordBytes: 1000, maxBlobBytes: 120 });
    if (!planned.ok) throw new Error(planned.err.message);
    expect(planned.value.length).toBeGreaterThan(1);
    let next = 100;
    for (const b of planned.value) {
      expect(b.baseOffset).toBe(next);
      expect(b.blob.length).toBeLessThanOrEqual(120);
      expect(decodeBatch(b.blob, b.baseOffset).map((r) => r.offset)).toEqual(
        Array.from({ length: b.recordCount }, (_, i) => b.baseOffset + i),
      );
      next = b.lastOffset + 1;
    }
    expect(next).toBe(110);
  });

  it("one record over the limit fails the whole request with MESSAGE_TOO_LARGE", () => {
    const r = planBatches([rec(10), rec(500), rec(10)], [0, 0, 0], 0, -1, { maxRecordBytes: 100, maxBlobBytes: 10_000 });
    expect(r).toMatchObject({ ok: false, err: { error: "MESSAGE_TOO_LARGE" } });
    expect(BATCH_HEADER_MAX_BYTES).toBeGreaterThanOrEqual(readBatchHeader(encodeBatch(Number.MAX_SAFE_INTEGER, [])).recordsStart);
  });

  it("timestamps: CreateTime keeps given ones, LogAppendTime overrides all, negatives are invalid", () => {
    expect(resolveTimestamps([rec(1, 7), rec(1)], "CreateTime", 99)).toEqual({ ok: true, value: [7, 99] });
    expect(resolveTimestamps([rec(1, 7), rec(1)], "LogAppendTime", 99)).toEqual({ ok: true, value: [99, 99] });
    expect(resolveTimestamps([rec(1, 1.5)], "CreateTime", 99)).toMatchObject({ ok: false, err: { error: "INVALID_TIMESTAMP" } });
  });

  it("producer sequences wrap after 2^31 - 1 as Kafka's do", () => {
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(2 ** 31 - 1, 1)).toBe(0);
    expect(incrementSequence(2 ** 31 - 2, 3)).toBe(1);
  });
});
