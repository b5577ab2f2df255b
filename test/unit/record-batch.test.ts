/** The record-batch codec and the append planner that uses it. */
import { describe, expect, it } from "vitest";
import { incrementSequence, planAppend, planBatches, resolveTimestamps } from "../../src/log/batch-planner.ts";
import {
  BATCH_HEADER_MAX_BYTES,
  BatchBuilder,
  decodeFrames,
  encodeFrames,
  recordSpans,
  scanEncodedRecords,
  sliceBatch,
  decodeBatch,
  encodeBatch,
  encodedRecordSize,
  encodeRecord,
  keepSpans,
  readBatchHeader,
  readRecords,
  trimBatch,
  type RecordBody,
} from "../../src/codec/record-batch.ts";
import { errorBody } from "../../src/protocol/errors.ts";
import type { RecordInput } from "../../src/protocol/types.ts";
import { Prng } from "../support/prng.ts";

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

  it("trimming a compacted batch (gaps, issue 21) keeps its records below the cut and still ends just before it, also with none left", () => {
    const recs = [3, 1, 2, 5].map((t, i) => ({ body: body(`v${i}`), timestamp: t }));
    const blob = batchOf(4, recs);
    const spans = [...recordSpans(blob, 10)];
    const compacted = keepSpans(blob, [spans[0]!, spans[3]!]); // offsets 10 and 13 kept
    const t = trimBatch(compacted, 10, 13);
    expect(t).toMatchObject({ recordCount: 1, lastOffset: 12, maxTimestamp: 3 });
    expect(decodeBatch(t.blob, 10).map((r) => r.offset)).toEqual([10]);
    const none = trimBatch(keepSpans(blob, [spans[3]!]), 10, 12);
    expect(none).toMatchObject({ recordCount: 0, lastOffset: 11, maxTimestamp: -1 });
    expect(decodeBatch(none.blob, 10)).toEqual([]);
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

describe("pre-encoded records (the API's produce RPC)", () => {
  const inputs: RecordInput[] = [
    { ...body("a", "k1"), timestamp: 1_700_000_000_500 },
    { ...body(null, null, [{ key: "h", value: enc.encode("x") }]), timestamp: 1_700_000_000_000 },
    { ...body("x".repeat(300)), timestamp: 1_700_000_009_999 },
    { ...body("", ""), timestamp: 0 },
  ];
  const build = (records: RecordInput[]) => {
    const b = new BatchBuilder();
    for (const r of records) b.add(r, r.timestamp!);
    return b.finish();
  };
  const limits = { maxRecordBytes: 1000, maxBlobBytes: 10_000 };

  it("a BatchBuilder blob is byte for byte the batch the object path plans, across buffer growth", () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ ...body(`v${i}`.repeat(20), i % 3 ? `k${i}` : null), timestamp: 1_000 + ((i * 7919) % 500) }));
    for (const records of [inputs, many]) {
      const encoded = build(records);
      expect(encoded.recordCount).toBe(records.length);
      const planned = planBatches(records, records.map((r) => r.timestamp!), 0, -1, { maxRecordBytes: 10_000, maxBlobBytes: 1 << 20 });
      expect(planned.ok && planned.value.length === 1 && [...planned.value[0]!.blob]).toEqual([...encoded.blob]);
      // The blob owns exactly its bytes (RPC copies a view's whole buffer).
      expect(encoded.blob.byteOffset).toBe(0);
      expect(encoded.blob.buffer.byteLength).toBe(encoded.blob.length);
    }
  });

  it("a scan finds the largest timestamp and the largest record's size at zero deltas, without decoding", () => {
    const s = scanEncodedRecords(build(inputs).blob, inputs.length);
    expect(s.maxTimestamp).toBe(1_700_000_009_999);
    expect(s.maxRecordBytes).toBe(Math.max(...inputs.map((r) => encodedRecordSize(r))));
  });

  it("what the builder records of its batch is what a scan of the bytes finds (the leader trusts either)", () => {
    const prng = new Prng(77);
    for (let round = 0; round < 200; round++) {
      const n = prng.int(1, 40);
      const base = prng.int(0, 1) ? 1_700_000_000_000 : prng.int(0, 999);
      const records = Array.from({ length: n }, () => ({
        ...body(prng.int(0, 3) ? "v".repeat(prng.int(0, 299)) : "", prng.int(0, 1) ? `k${prng.int(0, 999_999)}` : null),
        headers: Array.from({ length: prng.int(0, 2) }, (_, h) => ({ key: `h${h}é`, value: prng.int(0, 1) ? null : new Uint8Array(prng.int(0, 199)) })),
        timestamp: Math.max(0, base + prng.int(-10_000, 10_000)),
      }));
      const built = build(records);
      expect(scanEncodedRecords(built.blob, n)).toEqual(built);
      expect(built.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
      expect(built.maxRecordBytes).toBe(Math.max(...records.map((r) => encodedRecordSize(r))));
    }
  });

  it("a scan refuses a wrong record count, reordered offset deltas and trailing bytes", () => {
    const e = build(inputs);
    expect(() => scanEncodedRecords(e.blob, 3)).toThrow(/corrupt record batch/);
    const swapped = encodeBatch(5, [encodeRecord(inputs[0]!, 1, 0), encodeRecord(inputs[1]!, 0, 0)]);
    expect(() => scanEncodedRecords(swapped, 2)).toThrow(/offset delta/);
    const trailing = new Uint8Array(e.blob.length + 1);
    trailing.set(e.blob);
    expect(() => scanEncodedRecords(trailing, e.recordCount)).toThrow(/after the last record/);
    expect(() => scanEncodedRecords(e.blob.slice(0, e.blob.length - 2), e.recordCount)).toThrow(/corrupt/);
  });

  it("pre-encoded records that fit one blob are stored as they came, with their CreateTime", () => {
    const e = build(inputs);
    const p = planAppend(e, "CreateTime", 42, 100, 7, limits);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.batches).toHaveLength(1);
    expect(p.value.batches[0]!.blob).toBe(e.blob);
    expect(p.value.batches[0]).toMatchObject({ baseOffset: 100, lastOffset: 103, recordCount: 4, maxTimestamp: 1_700_000_009_999, baseSequence: 7 });
    // The records keep the timestamps they came with: nothing to tell the caller.
    expect(p.value.timestamps).toBeUndefined();
  });

  it("LogAppendTime, a split and a record over the limit give what the object path gives", () => {
    const e = build(inputs);
    for (const [type, lim] of [
      ["LogAppendTime", limits],
      ["CreateTime", { maxRecordBytes: 400, maxBlobBytes: 340 }],
      ["CreateTime", { maxRecordBytes: 100, maxBlobBytes: 10_000 }],
    ] as const) {
      const fromBlob = planAppend(e, type, 42, 100, -1, lim);
      const fromObjects = planAppend(inputs, type, 42, 100, -1, lim);
      expect(fromBlob.ok).toBe(fromObjects.ok);
      if (fromBlob.ok && fromObjects.ok) {
        expect(fromBlob.value.batches.map((b) => [b.baseOffset, b.recordCount, b.maxTimestamp, [...b.blob]])).toEqual(
          fromObjects.value.batches.map((b) => [b.baseOffset, b.recordCount, b.maxTimestamp, [...b.blob]]),
        );
      } else if (!fromBlob.ok && !fromObjects.ok) expect(fromBlob.err.error).toBe(fromObjects.err.error);
    }
    const split = planAppend(e, "CreateTime", 42, 100, -1, { maxRecordBytes: 400, maxBlobBytes: 340 });
    expect(split.ok ? split.value.batches.length : 0).toBeGreaterThan(1);
    const logAppend = planAppend(e, "LogAppendTime", 42, 100, -1, limits);
    expect(logAppend.ok ? logAppend.value.batches.flatMap((b) => decodeBatch(b.blob, b.baseOffset).map((r) => r.timestamp)) : []).toEqual([42, 42, 42, 42]);
  });

  it("pre-encoded records whose header disagrees with their count, or that do not decode when they must be rewritten, are CORRUPT_MESSAGE", () => {
    const e = build(inputs);
    const wrongCount = planAppend({ ...e, recordCount: 3 }, "CreateTime", 42, 0, -1, limits);
    expect(wrongCount.ok ? null : wrongCount.err.error).toBe("CORRUPT_MESSAGE");
    const truncated = planAppend({ ...e, blob: e.blob.slice(0, 10) }, "LogAppendTime", 42, 0, -1, limits);
    expect(truncated.ok ? null : truncated.err.error).toBe("CORRUPT_MESSAGE");
    const tooLarge = planAppend(e, "CreateTime", 42, 0, -1, { maxRecordBytes: e.maxRecordBytes - 1, maxBlobBytes: 10_000 });
    expect(tooLarge.ok ? null : tooLarge.err.error).toBe("MESSAGE_TOO_LARGE");
  });

  // Issue 13: the same bytes fail the same scan every time, so a retry cannot succeed: the
  // error body says retriable false, and the client (which reads retriability from the same
  // table) gives up instead of re-sending.
  it("the error body for a binary batch that cannot parse says CORRUPT_MESSAGE (2), retriable false", () => {
    const e = build(inputs);
    for (const bad of [{ ...e, blob: e.blob.slice(0, 10) }, { ...e, recordCount: e.recordCount + 1 }]) {
      const r = planAppend(bad, "LogAppendTime", 42, 0, -1, limits);
      expect(r.ok ? null : errorBody(r.err)).toMatchObject({ error_code: 2, error: "CORRUPT_MESSAGE", retriable: false });
    }
  });
});

describe("batch slices and binary fetch frames", () => {
  const records = Array.from({ length: 9 }, (_, i) => ({ body: body(`v${i}`.repeat(i + 1), i % 2 ? `k${i}` : null), timestamp: 5_000 + i * 3 }));
  const blob = batchOf(5_000, records);

  it("every span of whole records sliced out decodes to exactly those records with their offsets", () => {
    const all = decodeBatch(blob, 700);
    const spans = [...recordSpans(blob, 700)];
    expect(spans.map((s) => s.offset)).toEqual(all.map((r) => r.offset));
    for (let from = 0; from < spans.length; from++)
      for (let to = from; to < spans.length; to++) {
        const slice = sliceBatch(blob, spans[from]!.start, spans[to]!.end, to - from + 1);
        expect(decodeBatch(slice, 700)).toEqual(all.slice(from, to + 1));
      }
    expect(sliceBatch(blob, spans[0]!.start, spans.at(-1)!.end, spans.length)).toBe(blob);
    expect([...recordSpans(blob, 700, 705)].map((s) => s.offset)).toEqual([705, 706, 707, 708]);
  });

  it("frames round-trip batches with their base offsets, and a frame running past the body is corrupt", () => {
    const batches = [{ baseOffset: 0, records: blob }, { baseOffset: 2 ** 40, records: sliceBatch(blob, [...recordSpans(blob, 0)][3]!.start, blob.length, 6) }];
    const body = encodeFrames(batches);
    expect(decodeFrames(body).map((f) => [f.baseOffset, [...f.records]])).toEqual(batches.map((b) => [b.baseOffset, [...b.records]]));
    expect(decodeFrames(new Uint8Array(0))).toEqual([]);
    expect(() => decodeFrames(body.slice(0, body.length - 1))).toThrow(/corrupt/);
  });
});
