/**
 * The remote tier answers what the local log would (issue 21): `BatchReader` fed the log's batches
 * in pieces (as tiered storage feeds it one ranged GET at a time, then the local log) gives
 * exactly `PartitionLog.readBatches`' batches, bytes and next offset, on seeded random logs and
 * reads (offsets inside batches, maxRecords and maxBytes limits, the HW bound). Also
 * `batchRowsIn` starts at the batch holding `from` and stops after `maxBytes`.
 */
import { describe, expect, it } from "vitest";
import { BatchBuilder, keepSpans, recordSpans } from "../../src/codec/record-batch.ts";
import { BatchReader } from "../../src/log/batch-read.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/protocol/config.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { Prng } from "../support/prng.ts";

function randomLog(rng: Prng): PartitionLog {
  const log = PartitionLog.open(new MemoryLogStore(), new FakeClock(), { ...DEFAULT_LOG_CONFIG, segmentBytes: 2000 });
  log.becomeLeader(0);
  const batches = rng.int(1, 40);
  for (let b = 0; b < batches; b++) {
    const n = rng.int(1, 8);
    const records = Array.from({ length: n }, (_, i) => ({ key: null, value: new TextEncoder().encode(`b${b}-${i}-${"z".repeat(rng.int(0, 300))}`), headers: [] }));
    const r = log.appendAsLeader(records, 0);
    if (!r.ok) throw new Error(r.err.message);
  }
  log.maybeIncrementHighWatermark(rng.int(0, log.logEndOffset));
  return log;
}

describe("BatchReader", () => {
  it("fed in random pieces, it answers PartitionLog.readBatches exactly (500 seeded reads)", () => {
    const rng = new Prng(2121);
    for (let run = 0; run < 50; run++) {
      const log = randomLog(rng);
      for (let q = 0; q < 10; q++) {
        const offset = rng.int(0, log.highWatermark);
        const maxRecords = rng.int(1, 30);
        const maxBytes = rng.int(0, 3000);
        const local = log.readBatches({ offset, maxRecords, maxBytes });
        if (!local.ok) throw new Error(local.err.message);
        const reader = new BatchReader(offset, log.highWatermark, maxRecords, maxBytes);
        const rows = offset < log.highWatermark ? log.batchRowsIn(offset, log.logEndOffset) : [];
        let at = 0;
        while (at < rows.length && !reader.full) {
          const next = at + rng.int(1, 3);
          reader.feed(rows.slice(at, next));
          at = next;
        }
        expect(reader.batches).toEqual(local.value.batches);
        expect(reader.nextOffset).toBe(local.value.nextOffset);
      }
    }
  });

  it("a batch taken whole by its row's lastOffset reads as the record-by-record walk (dense, compacted, empty; every limit)", () => {
    const rng = new Prng(2222);
    for (let run = 0; run < 300; run++) {
      const rows: { baseOffset: number; records: Uint8Array; lastOffset: number }[] = [];
      let base = rng.int(0, 50);
      for (let b = rng.int(1, 12); b > 0; b--) {
        const n = rng.int(1, 6);
        const builder = new BatchBuilder();
        for (let i = 0; i < n; i++) builder.add({ key: null, value: rng.bytes(rng.int(0, 40)), headers: [] }, 1000 + i);
        let blob = builder.finish().blob;
        // The cleaner's rewrite: some records gone (gaps), maybe all (a header only).
        if (rng.chance(0.3)) blob = keepSpans(blob, [...recordSpans(blob, base)].filter(() => rng.chance(0.5)));
        rows.push({ baseOffset: base, records: blob, lastOffset: base + n - 1 });
        base += n;
      }
      const offset = rng.int(rows[0]!.baseOffset, base);
      const bound = rng.int(offset, base);
      const maxRecords = rng.int(1, 40);
      const maxBytes = rng.int(0, 600);
      const whole = new BatchReader(offset, bound, maxRecords, maxBytes);
      const walked = new BatchReader(offset, bound, maxRecords, maxBytes);
      const from = rows.findIndex((r) => r.lastOffset >= offset);
      whole.feed(rows.slice(from));
      walked.feed(rows.slice(from).map(({ baseOffset, records }) => ({ baseOffset, records })));
      const seen = (r: BatchReader) => ({ batches: r.batches, nextOffset: r.nextOffset, records: r.records, bytes: r.bytes, full: r.full, limited: r.limited });
      expect(seen(whole)).toEqual(seen(walked));
    }
  });

  it("readBatches answers its batches as views of one buffer (one ArrayBuffer over RPC), bytes unchanged", () => {
    const rng = new Prng(33);
    for (let run = 0; run < 20; run++) {
      const log = randomLog(rng);
      const r = log.readBatches({ offset: 0, maxRecords: 1000, maxBytes: 1 << 20 });
      if (!r.ok) throw new Error(r.err.message);
      const rows = log.batchRowsIn(0, log.logEndOffset).filter((b) => b.baseOffset < log.highWatermark);
      const reader = new BatchReader(0, log.highWatermark, 1000, 1 << 20);
      reader.feed(rows.map(({ baseOffset, records }) => ({ baseOffset, records })));
      expect(r.value.batches).toEqual(reader.batches);
      expect(new Set(r.value.batches.map((b) => b.records.buffer)).size).toBe(Math.min(1, r.value.batches.length));
      expect(r.value.batches.map((b) => b.records.byteLength).reduce((a, b) => a + b, 0)).toBe(r.value.batches[0]?.records.buffer.byteLength ?? 0);
    }
  });

  it("batchRowsIn starts at the batch holding `from` and stops once maxBytes are taken (at least one)", () => {
    const log = randomLog(new Prng(7));
    const all = log.batchRowsIn(0, log.logEndOffset);
    const mid = all[Math.floor(all.length / 2)]!;
    const inside = mid.lastOffset > mid.baseOffset ? mid.baseOffset + 1 : mid.baseOffset;
    expect(log.batchRowsIn(inside, log.logEndOffset)[0]!.baseOffset).toBe(mid.baseOffset);
    expect(log.batchRowsIn(0, log.logEndOffset, 0)).toHaveLength(1);
    const two = all[0]!.sizeBytes + 1;
    expect(log.batchRowsIn(0, log.logEndOffset, two).length).toBe(Math.min(2, all.length));
  });
});
