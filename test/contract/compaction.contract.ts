/**
 * Log compaction (src/log/cleaner.ts through PartitionLog.compactStep), run against every
 * LogStore: a fast-check key-value property (random puts and tombstones, then compaction; the
 * log read from the start is the latest value of each live key, in offset order, and tombstones
 * go after delete.retention.ms), the active segment and the HW are never touched, offsets are
 * kept, the idempotent producer's state survives, and the checkpoint survives a reopen.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchBuilder } from "../../src/codec/record-batch.ts";
import type { LogRecord } from "../../src/protocol/types.ts";
import type { PartitionLog } from "../../src/log/partition-log.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { pushFrom } from "./follower-append.contract.ts";
import { append, bytes, readAll, rec, setup, type StoreHarness } from "./log-helpers.ts";

type RunWithStore = (body: (h: StoreHarness) => void) => Promise<void>;

const dec = new TextDecoder();
const keyOf = (r: LogRecord): string => dec.decode(r.key!);
const COMPACT = { cleanupPolicy: "compact" as const, segmentBytes: 200, minCleanableDirtyRatio: 0, deleteRetentionMs: 1000 };

/** Runs cleaner steps until it is idle with nothing due (bounded, so a spinning cleaner fails). */
export function compactFully(log: PartitionLog): number {
  let removed = 0;
  for (let i = 0; i < 10_000; i++) {
    const step = log.compactStep();
    removed += step.recordsRemoved;
    if (step.phase === "idle") return removed;
  }
  throw new Error("the cleaner did not become idle within 10,000 steps");
}

type Op = { key: number; value: string | null };

/** Appends `ops` one batch each (values null = tombstones), then one filler batch on a fresh key. */
function applyOps(log: PartitionLog, ops: readonly Op[]): void {
  for (const op of ops) append(log, [rec("", { key: bytes(`k${op.key}`), value: op.value === null ? null : bytes(op.value) })]);
}

/** What a compacted log must still say: the latest value per key, by the offset of that record. */
function latest(records: readonly LogRecord[]): Map<string, LogRecord> {
  const m = new Map<string, LogRecord>();
  for (const r of records) m.set(keyOf(r), r);
  return m;
}

export function compactionContract(name: string, withStore: RunWithStore): void {
  describe(`log compaction (${name})`, () => {
    it("property: after compaction the log read from the start is exactly the latest record of every key, same offsets, in offset order; tombstones go after delete.retention.ms", async () => {
      const op = fc.record({ key: fc.integer({ min: 0, max: 7 }), value: fc.option(fc.string({ maxLength: 12 }), { nil: null, freq: 4 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
          await withStore((h) => {
            const { log, clock } = setup(h, COMPACT);
            applyOps(log, ops);
            append(log, [rec("end", { key: bytes("filler") })]);
            // Close the segment holding the ops: the active one is never cleaned.
            log.maybeIncrementHighWatermark(log.logEndOffset);
            clock.advance(1);
            append(log, [rec("x".repeat(300), { key: bytes("roll") })]);
            log.maybeIncrementHighWatermark(log.logEndOffset);
            const before = readAll(log);
            const activeBase = before.at(-1)!.offset;
            const expected = [...latest(before.filter((r) => r.offset < activeBase)).values()].sort((a, b) => a.offset - b.offset);
            compactFully(log);
            const after = readAll(log).filter((r) => r.offset < activeBase);
            expect(after).toEqual(expected);
            expect(readAll(log).at(-1)).toEqual(before.at(-1));
            // Tombstones outlive delete.retention.ms, then go (a pass is due without new appends).
            clock.advance(COMPACT.deleteRetentionMs + 1);
            expect(log.nextCompactionDeadline()).toBe(expected.some((r) => r.value === null) ? clock.now() : null);
            compactFully(log);
            const final = readAll(log).filter((r) => r.offset < activeBase);
            expect(final).toEqual(expected.filter((r) => r.value !== null));
            expect(log.logEndOffset).toBe(activeBase + 1);
          });
        }),
        { numRuns: 40, seed: 21 },
      );
    });

    it("the cleaner never touches the active segment nor records at or above the HW", async () => {
      await withStore((h) => {
        const { log } = setup(h, COMPACT);
        for (let i = 0; i < 30; i++) append(log, [rec(`v${i}`, { key: bytes("same") })]);
        // HW below the LEO: segments reaching past it stay as they are.
        log.maybeIncrementHighWatermark(12);
        const before = readAll(log);
        compactFully(log);
        const after = readAll(log);
        const held = (r: LogRecord) => r.offset >= 12;
        expect(after.filter(held)).toEqual(before.filter(held));
        expect(after.filter((r) => r.offset < 12).length).toBeLessThan(12);
        // Whole log committed: everything but the active segment compacts to the key's latest record.
        log.maybeIncrementHighWatermark(log.logEndOffset);
        compactFully(log);
        const active = after.at(-1)!.offset;
        const final = readAll(log);
        expect(final.filter((r) => r.offset < active - 5).length).toBeLessThanOrEqual(1);
        expect(final.at(-1)).toEqual(before.at(-1));
      });
    });

    it("reads across gaps: a read returns the next kept record, a limited read stops after its record, and a read that meets only removed records moves its next offset to the bound", async () => {
      await withStore((h) => {
        const { log } = setup(h, { ...COMPACT, segmentBytes: 100 });
        for (const key of ["a", "b", "a"]) for (let i = 0; i < 10; i++) append(log, [rec(`${key}${i}`, { key: bytes(key) })]);
        append(log, [rec("y".repeat(200), { key: bytes("roll") })]);
        log.maybeIncrementHighWatermark(log.logEndOffset);
        compactFully(log);
        expect(readAll(log).map((r) => r.offset)).toEqual([19, 29, 30]);
        const from = (offset: number, maxRecords = 100) => {
          const r = log.read({ offset, maxRecords, maxBytes: 1 << 20 });
          if (!r.ok) throw new Error(r.err.message);
          return { offsets: r.value.records.map((x) => x.offset), next: r.value.nextOffset };
        };
        expect(from(0, 1)).toEqual({ offsets: [19], next: 20 });
        expect(from(20)).toEqual({ offsets: [29, 30], next: 31 });
      });
      // A put, its tombstone (expired), then a new segment not yet committed: [0, HW) is all gap.
      await withStore((h) => {
        const { log, clock } = setup(h, { ...COMPACT, segmentBytes: 100 });
        append(log, [rec("put", { key: bytes("a") })]);
        append(log, [rec("", { key: bytes("a"), value: null })]);
        append(log, [rec("y".repeat(200), { key: bytes("r") })]);
        log.maybeIncrementHighWatermark(2);
        clock.advance(COMPACT.deleteRetentionMs + 1);
        expect(compactFully(log)).toBe(2);
        const r = log.read({ offset: 0, maxRecords: 100, maxBytes: 1 << 20 });
        expect(r.ok && { records: r.value.records.length, next: r.value.nextOffset }).toEqual({ records: 0, next: 2 });
      });
    });

    it("an idempotent producer's state survives compaction of its batches: a retry is still a duplicate, the next sequence is accepted, the describe is unchanged", async () => {
      await withStore((h) => {
        const { log } = setup(h, COMPACT);
        const producer = (baseSequence: number) => ({ producerId: 7, producerEpoch: 0, baseSequence });
        for (let s = 0; s < 12; s++) {
          const r = log.appendAsLeader([rec(`v${s}`, { key: bytes("k") }), rec(`w${s}`, { key: bytes("k") })], 0, producer(2 * s));
          expect(r.ok).toBe(true);
        }
        append(log, [rec("z".repeat(300), { key: bytes("roll") })]);
        log.maybeIncrementHighWatermark(log.logEndOffset);
        const described = log.describeProducers();
        expect(compactFully(log)).toBeGreaterThan(0);
        expect(log.describeProducers()).toEqual(described);
        const retry = log.appendAsLeader([rec("v11", { key: bytes("k") }), rec("w11", { key: bytes("k") })], 0, producer(22));
        expect(retry.ok && retry.value).toMatchObject({ baseOffset: 22, lastOffset: 23, duplicate: true });
        expect(retry.ok && retry.value.timestamps).toHaveLength(2);
        const next = log.appendAsLeader([rec("n", { key: bytes("k") })], 0, producer(24));
        expect(next.ok && next.value.baseOffset).toBe(log.logEndOffset - 1);
        const gap = log.appendAsLeader([rec("g", { key: bytes("k") })], 0, producer(30));
        expect(gap.ok ? "appended" : gap.err.error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
      });
    });

    it("a compacted topic refuses a record without a key with INVALID_RECORD (87), as JSON records or as an encoded batch, and writes nothing", async () => {
      await withStore((h) => {
        const { log } = setup(h, COMPACT);
        const r = log.appendAsLeader([rec("ok", { key: bytes("k") }), rec("no key")], 0);
        expect(r.ok ? null : [r.err.error, r.err.errorCode, r.err.message]).toEqual(["INVALID_RECORD", 87, expect.stringContaining("record 1 has no key")]);
        const b = new BatchBuilder();
        b.add({ key: bytes("k"), value: bytes("v"), headers: [] }, 1);
        b.add({ key: null, value: bytes("v"), headers: [] }, 1);
        const encoded = log.appendAsLeader(b.finish(), 0);
        expect(encoded.ok ? null : encoded.err.error).toBe("INVALID_RECORD");
        expect(log.logEndOffset).toBe(0);
        log.setConfig({ ...log.config, cleanupPolicy: "delete" });
        expect(log.appendAsLeader([rec("no key")], 0).ok).toBe(true);
      });
    });

    it("replication with gaps: a follower takes the leader's compacted batches as they are, a re-sent push changes nothing, and an uncompacted batch it holds compacted is skipped", async () => {
      await withStore((h) => {
        const { log: leader } = setup(h, COMPACT);
        leader.becomeLeader(1);
        for (const key of ["a", "b", "a"]) for (let i = 0; i < 10; i++) leader.appendAsLeader([rec(`${key}${i}`, { key: bytes(key) })], 1);
        leader.appendAsLeader([rec("y".repeat(300), { key: bytes("roll") })], 1);
        leader.maybeIncrementHighWatermark(leader.logEndOffset);
        const uncompacted = pushFrom(leader, 0);
        compactFully(leader);
        const follower = setup({ store: new MemoryLogStore(), reopen: () => { throw new Error("unused"); } }, COMPACT).log;
        const push = pushFrom(leader, 0);
        expect(push.batches.some((b) => b.recordCount < b.lastOffset - b.baseOffset + 1)).toBe(true);
        const first = follower.appendAsFollower(push);
        expect(first.ok && first.value).toEqual({ status: "ok", logEndOffset: leader.logEndOffset });
        expect(readAll(follower)).toEqual(readAll(leader));
        expect(follower.appendAsFollower(push).ok).toBe(true);
        expect(follower.appendAsFollower(uncompacted).ok).toBe(true);
        expect(readAll(follower)).toEqual(readAll(leader));
        expect(readAll(follower).map((r) => r.offset)).toEqual([19, 29, 30]);
        expect(follower.epochEntries()).toEqual(leader.epochEntries());
      });
    });

    it("a truncation inside a compacted batch leaves the batch ending just before the cut, with the records below it, and the log appends on from there", async () => {
      await withStore((h) => {
        const { log } = setup(h, COMPACT);
        append(log, [rec("a0", { key: bytes("a") }), rec("a1", { key: bytes("a") }), rec("b0", { key: bytes("b") }), rec("c0", { key: bytes("c") })]);
        append(log, [rec("a2", { key: bytes("a") }), rec("b1", { key: bytes("b") })]);
        append(log, [rec("y".repeat(300), { key: bytes("roll") })]);
        log.maybeIncrementHighWatermark(log.logEndOffset);
        compactFully(log);
        expect(readAll(log).map((r) => r.offset)).toEqual([3, 4, 5, 6]);
        // Offsets 0..2 of the first batch are gone: cut at 2 leaves a batch [0, 1] with no record.
        expect(log.truncateTo(2)).toBe(true);
        expect(log.logEndOffset).toBe(2);
        append(log, [rec("d0", { key: bytes("d") })]);
        expect(readAll(log).map((r) => [r.offset, dec.decode(r.value!)])).toEqual([[2, "d0"]]);
        expect(log.batchesForReplication(0, 1 << 20).map((b) => [b.baseOffset, b.lastOffset, b.recordCount])).toEqual([[0, 1, 0], [2, 2, 1]]);
      });
    });

    it("cleanup.policy=delete never compacts, and compact never deletes by retention", async () => {
      await withStore((h) => {
        const { log, clock } = setup(h, { ...COMPACT, cleanupPolicy: "delete" });
        for (let i = 0; i < 10; i++) append(log, [rec(`v${i}`, { key: bytes("k"), value: bytes("x".repeat(50)) })]);
        log.maybeIncrementHighWatermark(log.logEndOffset);
        expect(log.compactStep().phase).toBe("idle");
        expect(log.nextCompactionDeadline()).toBeNull();
        log.setConfig({ ...log.config, cleanupPolicy: "compact", retentionMs: 1 });
        clock.advance(10);
        expect(log.nextRetentionDeadline()).toBeNull();
        expect(log.deleteRetainedSegments().deletedSegments).toBe(0);
        expect(compactFully(log)).toBeGreaterThan(0);
      });
    });
  });
}
