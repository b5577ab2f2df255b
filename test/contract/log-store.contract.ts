/**
 * The LogStore contract: one suite, run against every store (memory, SQLite over node:sqlite,
 * SQLite over a Durable Object). It drives the PartitionLog engine through the store, so the
 * whole engine (append, read, roll, truncate, retention, epochs, time look-up, reopen, and the
 * follower's side of replication in follower-append.contract.ts) is proven on each adapter,
 * plus the store's own transaction rules.
 *
 * `withStore` runs one test body against a fresh, migrated store; `reopen()` gives a new store
 * object over the same storage (a restart).
 */
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../src/protocol/config.ts";
import type { RecordInput } from "../../src/protocol/types.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { RETENTION_CHECK_INTERVAL_MS } from "../../src/log/retention.ts";
import { followerAppendContract } from "./follower-append.contract.ts";
import { idempotentAppendContract } from "./idempotent-append.contract.ts";
import { append, bytes, cfg, readAll, rec, recs, setup, valuesOf, type StoreHarness } from "./log-helpers.ts";

export type { StoreHarness } from "./log-helpers.ts";

/** Runs a (synchronous) test body against a fresh, migrated store. */
export type WithStore = (body: (h: StoreHarness) => void) => Promise<void>;

export function logStoreContract(name: string, withStore: WithStore): void {
  describe(`LogStore contract: ${name}`, () => {
    it("a fresh log starts empty at offset 0 in epoch 0, and a read at its end is empty", () =>
      withStore((h) => {
        const { log } = setup(h);
        expect(log.offsets()).toEqual({ logStartOffset: 0, highWatermark: 0, logEndOffset: 0, leaderEpoch: 0, role: "none" });
        const r = log.read({ offset: 0, maxRecords: 10, maxBytes: 1000 });
        expect(r).toEqual({ ok: true, value: { records: [], nextOffset: 0, highWatermark: 0, logStartOffset: 0, logEndOffset: 0 } });
        expect(h.store.segments()).toEqual([]);
      }));

    it("appends take consecutive offsets from the log end offset", () =>
      withStore((h) => {
        const { log } = setup(h);
        expect(append(log, recs("a", "b", "c"))).toMatchObject({ baseOffset: 0, lastOffset: 2 });
        expect(append(log, recs("d"))).toMatchObject({ baseOffset: 3, lastOffset: 3 });
        expect(log.logEndOffset).toBe(4);
        expect(readAll(log).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
        expect(valuesOf(readAll(log))).toEqual(["a", "b", "c", "d"]);
      }));

    it("a consumer read sees only records below the high watermark", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b", "c"));
        expect(log.read({ offset: 0, maxRecords: 10, maxBytes: 1000 })).toMatchObject({ ok: true, value: { records: [], nextOffset: 0 } });
        expect(log.maybeIncrementHighWatermark(2)).toBe(true);
        const r = log.read({ offset: 0, maxRecords: 10, maxBytes: 1000 });
        expect(r.ok && valuesOf(r.value.records)).toEqual(["a", "b"]);
        expect(r.ok && r.value.nextOffset).toBe(2);
      }));

    it("only a read outside [logStartOffset, LEO] is OFFSET_OUT_OF_RANGE; one between the HW and the LEO reads nothing (Kafka's rule)", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b", "c"));
        log.maybeIncrementHighWatermark(1);
        const read = (offset: number, bound: "highWatermark" | "logEndOffset" = "highWatermark") =>
          log.read({ offset, maxRecords: 10, maxBytes: 1000 }, bound);
        expect(read(2)).toMatchObject({ ok: true, value: { records: [], nextOffset: 2, highWatermark: 1, logEndOffset: 3 } });
        expect(read(3)).toMatchObject({ ok: true, value: { records: [], nextOffset: 3 } });
        expect(read(4)).toMatchObject({ ok: false, err: { error: "OFFSET_OUT_OF_RANGE" } });
        expect(read(-1)).toMatchObject({ ok: false, err: { error: "OFFSET_OUT_OF_RANGE" } });
        expect(read(3, "logEndOffset")).toMatchObject({ ok: true, value: { records: [], nextOffset: 3 } });
        expect(read(4, "logEndOffset")).toMatchObject({ ok: false, err: { error: "OFFSET_OUT_OF_RANGE" } });
      }));

    it("a read starting inside a batch returns records from that offset on, across batches", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b", "c"));
        append(log, recs("d", "e"));
        append(log, recs("f"));
        log.maybeIncrementHighWatermark(6);
        const r = log.read({ offset: 1, maxRecords: 100, maxBytes: 1 << 20 });
        expect(r.ok && r.value.records.map((x) => x.offset)).toEqual([1, 2, 3, 4, 5]);
        expect(r.ok && r.value.nextOffset).toBe(6);
        const inner = log.read({ offset: 4, maxRecords: 100, maxBytes: 1 << 20 });
        expect(inner.ok && valuesOf(inner.value.records)).toEqual(["e", "f"]);
      }));

    it("a read stops at maxRecords and at maxBytes, but returns at least one record", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, [rec("x".repeat(100)), rec("y".repeat(100)), rec("z".repeat(100))]);
        log.maybeIncrementHighWatermark(3);
        const two = log.read({ offset: 0, maxRecords: 2, maxBytes: 1 << 20 });
        expect(two.ok && two.value.records.length).toBe(2);
        expect(two.ok && two.value.nextOffset).toBe(2);
        const one = log.read({ offset: 0, maxRecords: 10, maxBytes: 150 });
        expect(one.ok && one.value.records.map((x) => x.offset)).toEqual([0]);
        const atLeastOne = log.read({ offset: 1, maxRecords: 10, maxBytes: 0 });
        expect(atLeastOne.ok && atLeastOne.value.records.map((x) => x.offset)).toEqual([1]);
        expect(atLeastOne.ok && atLeastOne.value.nextOffset).toBe(2);
      }));

    it("records round-trip: null and empty keys and values, headers with null values, any bytes", () =>
      withStore((h) => {
        const { log } = setup(h);
        const all = new Uint8Array(256).map((_, i) => i);
        const input: RecordInput[] = [
          { key: null, value: null, headers: [] },
          { key: new Uint8Array(0), value: new Uint8Array(0), headers: [{ key: "", value: null }] },
          { key: all, value: all, headers: [{ key: "trace-id ✓", value: bytes("abc") }, { key: "n", value: new Uint8Array(0) }] },
        ];
        append(log, input);
        const got = readAll(log);
        expect(got.map(({ key, value, headers }) => ({ key, value, headers }))).toEqual(input);
      }));

    it("CreateTime keeps producer timestamps (now when absent); LogAppendTime stamps every record with now", () =>
      withStore((h) => {
        const { log, clock } = setup(h);
        const create = append(log, [rec("a", { timestamp: 5 }), rec("b")]);
        expect(create).toMatchObject({ timestamps: [5, clock.now()], logAppendTime: null });
        log.setConfig(cfg({ messageTimestampType: "LogAppendTime" }));
        clock.advance(10);
        const appendTime = append(log, [rec("c", { timestamp: 5 }), rec("d")]);
        expect(appendTime).toMatchObject({ timestamps: [clock.now(), clock.now()], logAppendTime: clock.now() });
        expect(readAll(log).map((r) => r.timestamp)).toEqual([5, clock.now() - 10, clock.now(), clock.now()]);
        expect(log.appendAsLeader([rec("e", { timestamp: -3 })], 0)).toMatchObject({ ok: false, err: { error: "INVALID_TIMESTAMP" } });
      }));

    it("one oversize record fails the whole append with MESSAGE_TOO_LARGE and writes nothing", () =>
      withStore((h) => {
        const { log } = setup(h, { maxMessageBytes: 200 });
        append(log, recs("a"));
        const r = log.appendAsLeader([rec("ok"), rec("x".repeat(300)), rec("ok too")], 1);
        expect(r).toMatchObject({ ok: false, err: { error: "MESSAGE_TOO_LARGE" } });
        expect(log.offsets()).toMatchObject({ logEndOffset: 1, leaderEpoch: 0 });
        expect([...h.store.batchesFrom(0)].length).toBe(1);
        expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }]);
        expect(log.appendAsLeader([], 0)).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
      }));

    it("an append larger than one batch blob is split into rows that each fit the blob limit", () =>
      withStore((h) => {
        const { log } = setup(h);
        const big = (c: string) => rec(c.repeat(400_000));
        const info = append(log, [big("a"), big("b"), big("c")], 0);
        expect(info).toMatchObject({ baseOffset: 0, lastOffset: 2 });
        const rows = [...h.store.batchesFrom(0)];
        expect(rows.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0, 1], [2, 2]]);
        for (const b of rows) expect(b.records.length).toBeLessThanOrEqual(LIMITS.maxBatchBlobBytes);
        expect(readAll(log).map((r) => r.value?.length)).toEqual([400_000, 400_000, 400_000]);
      }));

    it("an idempotent producer's append is one row carrying its id, epoch and first sequence", () =>
      withStore((h) => {
        const { log } = setup(h);
        const producer = { producerId: 7, producerEpoch: 2, baseSequence: 10 };
        expect(log.appendAsLeader(recs("a".repeat(20), "b".repeat(20), "c".repeat(20)), 0, producer).ok).toBe(true);
        const rows = [...h.store.batchesFrom(0)];
        const seqs = rows.map((b) => [b.baseOffset, b.lastOffset, b.producerId, b.producerEpoch, b.baseSequence]);
        expect(seqs).toEqual([[0, 2, 7, 2, 10]]);
        append(log, recs("plain"));
        expect(h.store.batchAtOrBefore(3)).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 });
      }));

    it("a new leader epoch is cached at the offset where it starts; an older epoch is fenced", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b"), 0);
        append(log, recs("c"), 0);
        append(log, recs("d"), 3);
        expect(log.leaderEpoch).toBe(3);
        expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 3, startOffset: 3 }]);
        expect(log.appendAsLeader(recs("e"), 2)).toMatchObject({ ok: false, err: { error: "FENCED_LEADER_EPOCH" } });
        expect(log.becomeLeader(5)).toEqual({ ok: true, value: undefined });
        expect(log.epochEntries().at(-1)).toEqual({ epoch: 5, startOffset: 4 });
        expect(log.offsets()).toMatchObject({ role: "leader", leaderEpoch: 5 });
        expect(h.store.batchAtOrBefore(3)).toMatchObject({ leaderEpoch: 3 });
      }));

    it("the active segment rolls when segment.bytes would be exceeded", () =>
      withStore((h) => {
        const { log } = setup(h, { segmentBytes: 120 });
        append(log, [rec("x".repeat(60))]); // a 74-byte batch
        append(log, [rec("y".repeat(20))]); // 34 bytes: 108 fits
        append(log, [rec("z".repeat(60))]); // 74 more would exceed 120: a new segment
        append(log, [rec("w".repeat(300))]); // bigger than a segment: alone in a new one
        const segs = h.store.segments();
        expect(segs.map((s) => [s.baseOffset, s.recordCount])).toEqual([[0, 2], [2, 1], [3, 1]]);
        expect(segs.map((s) => s.sizeBytes)).toEqual([0, 2, 3].map((o, i) => h.store.batchStats(o, segs[i + 1]?.baseOffset).sizeBytes));
        expect([...h.store.batchesFrom(0)].map((b) => b.segment)).toEqual([0, 0, 2, 3]);
      }));

    it("the active segment rolls when segment.ms has passed since its first batch", () =>
      withStore((h) => {
        const { log, clock } = setup(h, { segmentMs: 1000 });
        append(log, recs("a"));
        clock.advance(1000);
        append(log, recs("b")); // exactly segment.ms: not yet
        clock.advance(1);
        append(log, recs("c"));
        const segs = h.store.segments().map((s) => [s.baseOffset, s.createdAt]);
        expect(segs).toEqual([[0, clock.now() - 1001], [2, clock.now()]]);
      }));

    it("the high watermark never decreases and never passes the log end offset", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b", "c"));
        expect(log.maybeIncrementHighWatermark(10)).toBe(true);
        expect(log.highWatermark).toBe(3);
        expect(log.maybeIncrementHighWatermark(1)).toBe(false);
        expect(log.highWatermark).toBe(3);
        expect(log.maybeIncrementHighWatermark(3)).toBe(false);
      }));

    it("truncateTo removes records from the offset on, trims a straddling batch, drops later epochs, clamps the HW", () =>
      withStore((h) => {
        const { log } = setup(h, { segmentBytes: 60 });
        append(log, recs("a", "b", "c"), 0);
        append(log, recs("d", "e"), 1);
        append(log, recs("f", "g", "h"), 2);
        log.maybeIncrementHighWatermark(8);
        expect(log.truncateTo(8)).toBe(false);
        expect(log.truncateTo(4)).toBe(true);
        expect(log.offsets()).toMatchObject({ logEndOffset: 4, highWatermark: 4, logStartOffset: 0 });
        expect(valuesOf(readAll(log))).toEqual(["a", "b", "c", "d"]);
        expect(h.store.batchAtOrBefore(100)).toMatchObject({ baseOffset: 3, lastOffset: 3, recordCount: 1 });
        expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 3 }]);
        const active = h.store.activeSegment()!;
        expect(active).toMatchObject(h.store.batchStats(active.baseOffset));
        expect(append(log, recs("i"), 2)).toMatchObject({ baseOffset: 4 });
        expect(valuesOf(readAll(log))).toEqual(["a", "b", "c", "d", "i"]);
        expect(log.epochEntries().at(-1)).toEqual({ epoch: 2, startOffset: 4 });
      }));

    it("truncateFullyAndStartAt empties the log and restarts it at the offset", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b"));
        log.truncateFullyAndStartAt(50);
        expect(log.offsets()).toMatchObject({ logStartOffset: 50, highWatermark: 50, logEndOffset: 50 });
        expect(h.store.firstBatch()).toBeNull();
        expect(log.epochEntries()).toEqual([]);
        expect(append(log, recs("c"), 1)).toMatchObject({ baseOffset: 50 });
        expect(h.store.segments().map((s) => s.baseOffset)).toEqual([50]);
        expect(log.read({ offset: 49, maxRecords: 1, maxBytes: 1 }, "logEndOffset")).toMatchObject({ ok: false });
        expect(log.truncateTo(10)).toBe(true);
        expect(log.offsets()).toMatchObject({ logStartOffset: 10, logEndOffset: 10 });
      }));

    it("endOffsetForEpoch answers KIP-101: the largest epoch ≤ the asked one and where the next begins", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b"), 1);
        append(log, recs("c"), 3);
        append(log, recs("d", "e"), 5);
        expect(log.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 5 });
        expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 3 });
        expect(log.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 3, endOffset: 3 });
        expect(log.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 0 });
        expect(log.endOffsetForEpoch(6)).toEqual({ leaderEpoch: -1, endOffset: -1 });
        expect(log.endOffsetForEpoch(-1)).toEqual({ leaderEpoch: -1, endOffset: -1 });
      }));

    it("offsetForTimestamp finds the earliest offset whose timestamp is ≥ the target, only below the HW", () =>
      withStore((h) => {
        const { log } = setup(h, { segmentBytes: 40 });
        append(log, [rec("a", { timestamp: 100 }), rec("b", { timestamp: 300 })]);
        append(log, [rec("c", { timestamp: 200 }), rec("d", { timestamp: 400 })]);
        append(log, [rec("e", { timestamp: 500 })]);
        expect(h.store.segments().length).toBeGreaterThan(1);
        expect(log.offsetForTimestamp(0)).toBeNull(); // HW = 0: nothing visible
        log.maybeIncrementHighWatermark(4);
        expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100 });
        expect(log.offsetForTimestamp(150)).toEqual({ offset: 1, timestamp: 300 });
        expect(log.offsetForTimestamp(300)).toEqual({ offset: 1, timestamp: 300 });
        expect(log.offsetForTimestamp(301)).toEqual({ offset: 3, timestamp: 400 });
        expect(log.offsetForTimestamp(401)).toBeNull(); // offset 4 is at the HW
        log.maybeIncrementHighWatermark(5);
        expect(log.offsetForTimestamp(401)).toEqual({ offset: 4, timestamp: 500 });
      }));

    it("retention.ms deletes whole expired segments, oldest first, and moves the log start offset", () =>
      withStore((h) => {
        const { log, clock } = setup(h, { retentionMs: 1000, segmentMs: 100 });
        const t0 = clock.now();
        append(log, recs("a", "b"));
        clock.advance(500);
        append(log, recs("c"));
        clock.advance(500);
        append(log, recs("d"));
        log.maybeIncrementHighWatermark(4);
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 0, logStartOffset: 0 });
        expect(log.nextRetentionDeadline()).toBe(t0 + 1001);
        clock.advance(1);
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 1, logStartOffset: 2 });
        expect(log.read({ offset: 1, maxRecords: 1, maxBytes: 1 })).toMatchObject({ ok: false, err: { error: "OFFSET_OUT_OF_RANGE" } });
        expect(valuesOf(readAll(log))).toEqual(["c", "d"]);
        expect(log.nextRetentionDeadline()).toBe(t0 + 1501);
      }));

    it("when retention.ms expires the active segment, it is rolled first so an empty active segment remains at the LEO", () =>
      withStore((h) => {
        const { log, clock } = setup(h, { retentionMs: 1000 });
        append(log, recs("a", "b"), 0);
        append(log, recs("c"), 2);
        log.maybeIncrementHighWatermark(3);
        clock.advance(1001);
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 1, logStartOffset: 3 });
        expect(h.store.segments()).toEqual([{ baseOffset: 3, createdAt: clock.now(), sizeBytes: 0, recordCount: 0, maxTimestamp: -1 }]);
        expect(log.epochEntries()).toEqual([{ epoch: 2, startOffset: 3 }]);
        expect(log.nextRetentionDeadline()).toBeNull();
        clock.advance(5000);
        expect(append(log, recs("d"), 2)).toMatchObject({ baseOffset: 3 });
        expect(h.store.segments()).toMatchObject([{ baseOffset: 3, createdAt: clock.now(), recordCount: 1 }]);
      }));

    it("retention never deletes a segment with records at or after the high watermark", () =>
      withStore((h) => {
        const { log, clock } = setup(h, { retentionMs: 10, retentionBytes: 0, segmentBytes: 40 });
        append(log, recs("aaaa", "bbbb"));
        append(log, recs("cccc", "dddd"));
        append(log, recs("eeee"));
        clock.advance(100);
        expect(log.deleteRetainedSegments().deletedSegments).toBe(0);
        expect(log.nextRetentionDeadline()).toBe(clock.now() + RETENTION_CHECK_INTERVAL_MS);
        log.maybeIncrementHighWatermark(3); // inside the second segment
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 1, logStartOffset: 2 });
        expect(log.logStartOffset).toBeLessThanOrEqual(log.highWatermark);
      }));

    it("retention.bytes deletes the oldest segments while the rest still meets it, never the active one", () =>
      withStore((h) => {
        const { log } = setup(h, { retentionMs: -1, retentionBytes: 0, segmentBytes: 1 });
        for (const v of ["a", "b", "c", "d"]) append(log, recs(v));
        log.maybeIncrementHighWatermark(4);
        const sizes = h.store.segments().map((s) => s.sizeBytes);
        expect(sizes.length).toBe(4);
        log.setConfig(cfg({ retentionMs: -1, retentionBytes: sizes[2]! + sizes[3]!, segmentBytes: 1 }));
        expect(log.nextRetentionDeadline()).not.toBeNull();
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 2, logStartOffset: 2 });
        log.setConfig(cfg({ retentionMs: -1, retentionBytes: 0, segmentBytes: 1 }));
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 1, logStartOffset: 3 });
        expect(h.store.segments().map((s) => s.baseOffset)).toEqual([3]);
        expect(log.nextRetentionDeadline()).toBeNull();
      }));

    it("reopening the log on the same storage restores offsets, epochs, segments and records", () =>
      withStore((h) => {
        const { log, clock } = setup(h, { segmentBytes: 60, retentionMs: 1000 });
        append(log, recs("a", "b", "c"), 1);
        append(log, recs("d", "e"), 2);
        clock.advance(1500);
        append(log, recs("f"), 2); // rolls by bytes: segment 5
        append(log, recs("g", "h"), 2);
        log.maybeIncrementHighWatermark(8);
        expect(log.becomeFollower(4).ok).toBe(true);
        clock.advance(600);
        expect(log.deleteRetainedSegments()).toEqual({ deletedSegments: 1, logStartOffset: 5 });
        expect(log.truncateTo(7)).toBe(true);
        expect(log.offsets()).toEqual({ logStartOffset: 5, highWatermark: 7, logEndOffset: 7, leaderEpoch: 4, role: "follower" });
        const store = h.reopen();
        const again = PartitionLog.open(store, clock, cfg({ segmentBytes: 60 }));
        expect(again.offsets()).toEqual(log.offsets());
        expect(again.epochEntries()).toEqual([{ epoch: 2, startOffset: 5 }]);
        expect(store.segments()).toEqual(h.store.segments());
        expect(valuesOf(readAll(again))).toEqual(["f", "g"]);
        expect(readAll(again)).toEqual(readAll(log));
        expect(append(again, recs("i"), 4)).toMatchObject({ baseOffset: 7 });
      }));

    it("a store transaction that throws leaves no write behind", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a"));
        expect(() =>
          h.store.transaction(() => {
            h.store.deleteBatchesFrom(0);
            h.store.putSegment({ baseOffset: 99, createdAt: 0, sizeBytes: 0, recordCount: 0, maxTimestamp: -1 });
            h.store.replaceEpochs([{ epoch: 7, startOffset: 0 }]);
            expect(h.store.epochs()).toEqual([{ epoch: 7, startOffset: 0 }]);
            h.store.saveState({ logStartOffset: 9, logEndOffset: 9, highWatermark: 9, leaderEpoch: 9, role: "leader" });
            throw new Error("boom");
          }),
        ).toThrow("boom");
        expect(h.store.loadState()).toEqual({ logStartOffset: 0, logEndOffset: 1, highWatermark: 0, leaderEpoch: 0, role: "none" });
        expect(h.store.segments().map((s) => s.baseOffset)).toEqual([0]);
        expect(h.store.epochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
        expect(valuesOf(readAll(log))).toEqual(["a"]);
        // What a caller does to the rows it was handed never reaches the store.
        h.store.segments()[0]!.sizeBytes = -1;
        h.store.epochs().push({ epoch: 5, startOffset: 5 });
        expect(h.store.segments()[0]!.sizeBytes).toBeGreaterThan(0);
        expect(h.store.epochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
      }));

    followerAppendContract(withStore);
    idempotentAppendContract(withStore);
  });
}
