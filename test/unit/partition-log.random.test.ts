/**
 * Seeded random test of PartitionLog against a plain array model: thousands of appends of
 * random records (null keys/values, empty values, headers, near-limit sizes, oversize ones),
 * interleaved with HW moves, reads with random offsets/limits/bounds, offset-for-timestamp,
 * truncations, retention and reopens. Every answer must match the model exactly, on both the
 * memory store and SQLite over node:sqlite. Reproducible: mulberry32, fixed seeds, fake clock.
 */
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import type { LogStore } from "../../src/log/log-store.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { planRetention } from "../../src/log/retention.ts";
import { readRecords } from "../../src/codec/record-batch.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../../src/protocol/config.ts";
import type { LogRecord, RecordHeader, RecordInput } from "../../src/protocol/types.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";
import { Prng } from "../support/prng.ts";

const STEPS = 4000;
const BLOB_LIMIT = 1500; // small blobs: many appends split into several rows

interface Model {
  start: number; // logStartOffset; records[i] has offset start + i
  records: { record: LogRecord; size: number }[];
  hw: number;
}
const leoOf = (m: Model) => m.start + m.records.length;

function randomRecord(rng: Prng, now: number): RecordInput {
  const value = rng.chance(0.1) ? null : rng.chance(0.1) ? new Uint8Array(0) : rng.bytes(rng.chance(0.05) ? rng.int(900, 1400) : rng.int(1, 300));
  const headers: RecordHeader[] = Array.from({ length: rng.chance(0.7) ? 0 : rng.int(1, 3) }, () => ({
    key: String.fromCharCode(...Array.from({ length: rng.int(0, 8) }, () => rng.int(32, 0x24ff))),
    value: rng.chance(0.3) ? null : rng.bytes(rng.int(0, 10)),
  }));
  const r: RecordInput = { key: rng.chance(0.3) ? null : rng.bytes(rng.int(0, 20)), value, headers };
  if (rng.chance(0.5)) r.timestamp = Math.max(0, now - rng.int(0, 5000));
  return r;
}

/** What a read must return, computed from the model alone. */
function expectedRead(m: Model, offset: number, maxRecords: number, maxBytes: number, bound: number) {
  const out: LogRecord[] = [];
  let bytes = 0;
  for (let o = offset; o < bound && out.length < maxRecords; o++) {
    const { record, size } = m.records[o - m.start]!;
    if (out.length > 0 && bytes + size > maxBytes) break;
    out.push(record);
    bytes += size;
  }
  return { records: out, nextOffset: out.length ? out.at(-1)!.offset + 1 : offset };
}

/** Segments tile the batches: each batch names the segment it falls in, and stats add up. */
function checkStoreShape(store: LogStore, m: Model): void {
  const segments = store.segments();
  const batches = [...store.batchesFrom(0)];
  expect(batches[0]?.baseOffset ?? m.start).toBe(m.start);
  let next = m.start;
  for (const b of batches) {
    expect(b.baseOffset).toBe(next);
    next = b.lastOffset + 1;
    expect(b.segment).toBe(segments.findLast((s) => s.baseOffset <= b.baseOffset)!.baseOffset);
    expect(b.records.length).toBeLessThanOrEqual(BLOB_LIMIT);
  }
  expect(next).toBe(leoOf(m));
  segments.forEach((s, i) => {
    const stats = store.batchStats(s.baseOffset, segments[i + 1]?.baseOffset);
    expect({ sizeBytes: s.sizeBytes, recordCount: s.recordCount, maxTimestamp: s.maxTimestamp }).toEqual(stats);
    if (i < segments.length - 1) expect(s.recordCount).toBeGreaterThan(0);
  });
}

/** What a run exercised: the test insists each path was really taken. */
interface Coverage {
  batchRows: number;
  splitAppends: number;
  rejected: number;
  nonEmptyReads: number;
  truncations: number;
  deletedSegments: number;
  reopens: number;
  /** HW rises kept in memory, and restarts that came back below the HW in memory (a rise nobody saw). */
  unstoredRises: number;
  risesLostOnReopen: number;
}

function run(seed: number, store: LogStore, reopen: () => LogStore): Coverage {
  const seen: Coverage = { batchRows: 0, splitAppends: 0, rejected: 0, nonEmptyReads: 0, truncations: 0, deletedSegments: 0, reopens: 0, unstoredRises: 0, risesLostOnReopen: 0 };
  const rng = new Prng(seed);
  const clock = new FakeClock();
  let config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: rng.int(3000, 9000), segmentMs: 20_000, maxMessageBytes: 4000 };
  let log = PartitionLog.open(store, clock, config, { maxBatchBlobBytes: BLOB_LIMIT });
  const m: Model = { start: 0, records: [], hw: 0 };
  let epoch = 0;

  for (let step = 0; step < STEPS; step++) {
    clock.advance(rng.int(0, 40));
    const op = rng.next();
    if (op < 0.55) {
      if (rng.chance(0.02)) epoch++;
      const records = Array.from({ length: rng.int(1, 12) }, () => randomRecord(rng, clock.now()));
      const oversize = rng.chance(0.02);
      if (oversize) records.splice(rng.int(0, records.length), 0, { key: null, value: new Uint8Array(1600), headers: [] });
      // Half the appends carry what the rest of the ISR holds (as the leader's are): the HW
      // moves in the append's own commit, kept with the batch rather than the state row.
      const othersEnd = rng.chance(0.5) ? rng.int(m.hw - 2, leoOf(m) + records.length + 3) : undefined;
      const r = log.appendAsLeader(records, epoch, undefined, othersEnd);
      if (oversize) {
        expect(r).toMatchObject({ ok: false, err: { error: "MESSAGE_TOO_LARGE" } });
        seen.rejected++;
        continue;
      }
      if (!r.ok) throw new Error(r.err.message);
      expect(r.value.baseOffset).toBe(leoOf(m));
      const sizes = new Map<number, number>();
      const rows = [...store.batchesFrom(r.value.baseOffset)];
      seen.batchRows += rows.length;
      if (rows.length > 1) seen.splitAppends++;
      for (const b of rows) for (const s of readRecords(b.records, b.baseOffset)) sizes.set(s.record.offset, s.sizeBytes);
      records.forEach((input, i) => {
        const offset = r.value.baseOffset + i;
        const timestamp = input.timestamp ?? clock.now();
        expect(r.value.timestamps?.[i]).toBe(timestamp);
        const record = { offset, timestamp, key: input.key, value: input.value, headers: input.headers };
        m.records.push({ record, size: sizes.get(offset)! });
      });
      if (othersEnd !== undefined) m.hw = Math.max(m.hw, Math.min(othersEnd, leoOf(m)));
    } else if (op < 0.7) {
      const candidate = rng.int(m.hw - 2, leoOf(m) + 3);
      const storedBefore = log.storedHighWatermark;
      const moved = log.maybeIncrementHighWatermark(candidate);
      const hw = Math.max(m.hw, Math.min(candidate, leoOf(m)));
      expect(moved).toBe(hw !== m.hw);
      // A rise is kept in memory: no write of its own.
      expect(log.storedHighWatermark).toBe(storedBefore);
      if (moved) seen.unstoredRises++;
      m.hw = hw;
    } else if (op < 0.9) {
      const useLeo = rng.chance(0.3);
      const bound = useLeo ? leoOf(m) : m.hw;
      const offset = rng.int(m.start - 2, leoOf(m) + 2);
      const maxRecords = rng.int(1, 60);
      const maxBytes = rng.int(0, 4000);
      const r = log.read({ offset, maxRecords, maxBytes }, useLeo ? "logEndOffset" : "highWatermark");
      // Kafka's rule: only outside [log start, LEO] is out of range, whatever the read's bound.
      if (offset < m.start || offset > leoOf(m)) expect(r).toMatchObject({ ok: false, err: { error: "OFFSET_OUT_OF_RANGE" } });
      else {
        const expected = expectedRead(m, offset, maxRecords, maxBytes, bound);
        expect(r).toEqual({ ok: true, value: { ...expected, highWatermark: m.hw, logStartOffset: m.start, logEndOffset: leoOf(m) } });
        if (expected.records.length > 0) seen.nonEmptyReads++;
      }
      // A read bounded by the HW shows it: stored first, so a restart comes back at least there.
      if (!useLeo) expect(log.storedHighWatermark).toBe(m.hw);
    } else if (op < 0.93) {
      const target = clock.now() - rng.int(0, 8000);
      const hit = m.records.find((x) => x.record.offset < m.hw && x.record.timestamp >= target);
      expect(log.offsetForTimestamp(target)).toEqual(hit ? { offset: hit.record.offset, timestamp: hit.record.timestamp } : null);
      expect(log.storedHighWatermark).toBe(m.hw);
    } else if (op < 0.95) {
      const offset = Math.max(0, rng.int(m.start - 3, leoOf(m)));
      expect(log.truncateTo(offset)).toBe(offset < leoOf(m));
      seen.truncations++;
      if (offset < m.start) Object.assign(m, { start: offset, records: [], hw: offset });
      else if (offset < leoOf(m)) {
        m.records.length = offset - m.start;
        m.hw = Math.min(m.hw, offset);
      }
    } else if (op < 0.99) {
      config = {
        ...config,
        retentionMs: rng.chance(0.3) ? -1 : rng.int(0, 3000),
        retentionBytes: rng.chance(0.5) ? -1 : rng.int(0, 30_000),
      };
      log.setConfig(config);
      const before = m.start;
      const { logStartOffset, deletedSegments } = log.deleteRetainedSegments();
      seen.deletedSegments += deletedSegments;
      expect(logStartOffset).toBeGreaterThanOrEqual(before);
      expect(logStartOffset).toBeLessThanOrEqual(Math.max(m.hw, before));
      m.records.splice(0, logStartOffset - m.start);
      m.start = logStartOffset;
      // Retention reaches its fixpoint in one run.
      expect(planRetention(store.segments(), leoOf(m), m.hw, clock.now(), config).deleteCount).toBe(0);
    } else {
      // A restart recovers the stored HW: a rise kept in memory and never shown may be lost.
      const stored = log.storedHighWatermark;
      if (stored < m.hw) seen.risesLostOnReopen++;
      m.hw = stored;
      store = reopen();
      seen.reopens++;
      log = PartitionLog.open(store, clock, config, { maxBatchBlobBytes: BLOB_LIMIT });
    }
    expect(log.offsets()).toMatchObject({ logStartOffset: m.start, highWatermark: m.hw, logEndOffset: leoOf(m) });
    expect(log.storedHighWatermark).toBeLessThanOrEqual(m.hw);
    // The running total of stored bytes matches the segments (whose sizes match their batches).
    expect(log.storedBytes()).toBe(store.segments().reduce((sum, s) => sum + s.sizeBytes, 0));
    if (step % 250 === 0) checkStoreShape(store, m);
  }
  checkStoreShape(store, m);
  expect(log.read({ offset: m.start, maxRecords: 1e6, maxBytes: 1e9 }, "logEndOffset")).toMatchObject({
    ok: true,
    value: { records: m.records.map((x) => x.record) },
  });
  return seen;
}

function expectBroadCoverage(seen: Coverage): void {
  expect(seen.batchRows).toBeGreaterThan(2000);
  expect(seen.splitAppends).toBeGreaterThan(100);
  expect(seen.rejected).toBeGreaterThan(10);
  expect(seen.nonEmptyReads).toBeGreaterThan(300);
  expect(seen.truncations).toBeGreaterThan(30);
  expect(seen.deletedSegments).toBeGreaterThan(30);
  expect(seen.reopens).toBeGreaterThan(10);
  expect(seen.unstoredRises).toBeGreaterThan(50);
  expect(seen.risesLostOnReopen).toBeGreaterThan(0);
}

describe("PartitionLog against an array model (seeded random)", () => {
  it("every read, look-up, truncation and retention on the memory store matches the model", () => {
    const store = new MemoryLogStore();
    expectBroadCoverage(run(0x5eed, store, () => store));
  });

  it("every read, look-up, truncation and retention on SQLite (node:sqlite) matches the model", () => {
    const port = new NodeSqlitePort();
    applyMigrations(port, partitionReplicaMigrations());
    try {
      expectBroadCoverage(run(0xf1a2e, new SqliteLogStore(port), () => new SqliteLogStore(port)));
    } finally {
      port.close();
    }
  });
});
