/**
 * The JSON fetch's body written from stored batches (src/api/fetch-json.ts) is byte for byte
 * what JSON.stringify of the decoded records was, in both encodings, whatever the bytes: the
 * ASCII fast path, escapes, non-ASCII and invalid UTF-8, a BOM, empty and null fields, headers
 * (duplicate, integer-like and `__proto__` keys), sliced and compacted batches.
 */
import { describe, expect, it } from "vitest";
import { fetchJson } from "../../src/api/fetch-json.ts";
import { recordsJson } from "../../src/api/render.ts";
import { BatchBuilder, decodeBatches, keepSpans, recordSpans, sliceBatch, type RecordBody } from "../../src/codec/record-batch.ts";
import type { FetchedBatch, FetchedBatches } from "../../src/protocol/types.ts";
import { Prng } from "../support/prng.ts";

const enc = new TextEncoder();

const reference = (f: FetchedBatches, encoding: "utf8" | "base64") =>
  enc.encode(
    JSON.stringify({
      records: recordsJson(decodeBatches(f.batches), encoding),
      next_offset: f.nextOffset,
      high_watermark: f.highWatermark,
      log_start_offset: f.logStartOffset,
    }),
  );

const SPECIAL = ['"', "\\", "\n", "\t", "\u0000", "\u001f", "\u007f", "é", "€", "😀", "\u2028", "\ufeff", "a"];

function bytesOf(prng: Prng): Uint8Array | null {
  switch (prng.int(0, 6)) {
    case 0:
      return null;
    case 1:
      return new Uint8Array(0);
    case 2:
      return prng.bytes(prng.int(1, 40)); // anything, invalid UTF-8 included
    case 3:
      return enc.encode(Array.from({ length: prng.int(1, 12) }, () => prng.pick(SPECIAL)).join(""));
    case 4:
      return Uint8Array.of(0xef, 0xbb, 0xbf, 0x41); // a BOM, kept as U+FEFF
    default: {
      // Printable ASCII without quote or backslash: the copied-as-is path; 1–3 bytes tests base64 padding.
      const n = prng.int(1, 60);
      return Uint8Array.from({ length: n }, () => prng.pick([0x20, 0x41, 0x7a, 0x7e, 0x30, 0x7f]));
    }
  }
}

function randomBatch(prng: Prng, records: number): Uint8Array {
  const b = new BatchBuilder();
  for (let i = 0; i < records; i++) {
    const headers: RecordBody["headers"] = prng.chance(0.3)
      ? Array.from({ length: prng.int(1, 3) }, () => ({ key: prng.pick(["h", "1", "__proto__", "é\"", "h"]), value: bytesOf(prng) }))
      : [];
    // Repeated timestamps (the renderer copies a repeated one) and new ones.
    b.add({ key: bytesOf(prng), value: bytesOf(prng), headers }, 1_700_000_000_000 + prng.pick([0, 0, 7, prng.int(0, 5000)]));
  }
  return b.finish().blob;
}

describe("the JSON fetch body from stored batches", () => {
  it("is byte for byte JSON.stringify of the decoded records, in utf8 and base64, over random records", () => {
    const prng = new Prng(22);
    for (let round = 0; round < 200; round++) {
      const batches: FetchedBatch[] = [];
      let base = prng.int(0, 1_000_000);
      for (let n = prng.int(0, 4); n > 0; n--) {
        const count = prng.int(1, 8);
        let blob = randomBatch(prng, count);
        let recordCount = count;
        if (prng.chance(0.3)) {
          // A batch the cleaner rewrote (offset gaps) or a read cut inside it.
          const spans = [...recordSpans(blob, base)].filter(() => prng.chance(0.6));
          blob = prng.chance(0.5) ? keepSpans(blob, spans) : spans.length ? sliceBatch(blob, spans[0]!.start, spans.at(-1)!.end, spans.length) : blob;
          recordCount = decodeBatches([{ baseOffset: base, records: blob }]).length;
        }
        batches.push({ baseOffset: base, recordCount, records: blob });
        base += count;
      }
      const f: FetchedBatches = { batches, nextOffset: base, highWatermark: base + 3, logStartOffset: 0, logEndOffset: base + 5 };
      for (const encoding of ["utf8", "base64"] as const) expect(fetchJson(f, encoding)).toEqual(reference(f, encoding));
    }
  });

  it("writes each offset as String(n) where it gains a digit, across batches, at 10^8 (its two int32 halves) and beyond", () => {
    const batch = (baseOffset: number, count: number): FetchedBatch => {
      const b = new BatchBuilder();
      for (let i = 0; i < count; i++) b.add({ key: null, value: enc.encode("v"), headers: [] }, 5);
      return { baseOffset, recordCount: count, records: b.finish().blob };
    };
    // 0..11 crosses 9 → 10 in a batch; 95..99 then 100..104 cross 99 → 100 between batches; 10^8 - 3 .. 10^8 + 2; 10^12.
    const batches = [batch(0, 12), batch(95, 5), batch(100, 5), batch(99_999_997, 6), batch(999_999_999_998, 3)];
    const f: FetchedBatches = { batches, nextOffset: 1_000_000_000_001, highWatermark: 1_000_000_000_001, logStartOffset: 0, logEndOffset: 1_000_000_000_001 };
    const offsets = (JSON.parse(new TextDecoder().decode(fetchJson(f, "utf8"))) as { records: { offset: number }[] }).records.map((r) => r.offset);
    expect(offsets).toEqual([...Array.from({ length: 12 }, (_, i) => i), 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 99_999_997, 99_999_998, 99_999_999, 100_000_000, 100_000_001, 100_000_002, 999_999_999_998, 999_999_999_999, 1_000_000_000_000]);
    expect(fetchJson(f, "utf8")).toEqual(reference(f, "utf8"));
  });

  it("copies as is exactly the bytes JSON writes as themselves: every byte value at every place in a short value", () => {
    // 9-byte values, the odd byte at each place 0..8 among plain ones.
    const b = new BatchBuilder();
    let count = 0;
    for (let odd = 0; odd < 256; odd++)
      for (let at = 0; at < 9; at++, count++) b.add({ key: Uint8Array.of(0x41, odd), value: new Uint8Array(9).fill(0x61).fill(odd, at, at + 1), headers: [] }, 3);
    const f: FetchedBatches = { batches: [{ baseOffset: 3, recordCount: count, records: b.finish().blob }], nextOffset: 3 + count, highWatermark: 3 + count, logStartOffset: 0, logEndOffset: 3 + count };
    for (const encoding of ["utf8", "base64"] as const) expect(fetchJson(f, encoding)).toEqual(reference(f, encoding));
  });

  it("grows past its size estimate (many empty records) and still matches", () => {
    const b = new BatchBuilder();
    for (let i = 0; i < 500; i++) b.add({ key: null, value: null, headers: [{ key: "a-long-header-key-".repeat(4), value: null }] }, 1);
    const f: FetchedBatches = { batches: [{ baseOffset: 7, recordCount: 500, records: b.finish().blob }], nextOffset: 507, highWatermark: 507, logStartOffset: 7, logEndOffset: 507 };
    expect(fetchJson(f, "utf8")).toEqual(reference(f, "utf8"));
  });

  it("an empty read is the contract's empty answer", () => {
    const f: FetchedBatches = { batches: [], nextOffset: 4, highWatermark: 4, logStartOffset: 0, logEndOffset: 4 };
    expect(new TextDecoder().decode(fetchJson(f, "utf8"))).toBe('{"records":[],"next_offset":4,"high_watermark":4,"log_start_offset":0}');
  });
});
