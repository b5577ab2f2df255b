/**
 * The follower half of replication, as part of the LogStore contract: a leader log on the
 * in-memory store pushes to a follower log on the store under test, so the log-matching,
 * skip, truncation and HW rules of PartitionLog.appendAsFollower (and its running total of
 * stored bytes) hold on every adapter (memory, node:sqlite, a Durable Object's SQLite). Called
 * by logStoreContract.
 */
import { describe, expect, it } from "vitest";
import type { ReplicateRequest } from "../../src/protocol/types.ts";
import type { BatchRow, LogStore } from "../../src/log/log-store.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { append, cfg, readAll, rec, recs, setup, valuesOf, type StoreHarness } from "./log-helpers.ts";

type WithStore = (body: (h: StoreHarness) => void) => Promise<void>;

/** Every push the tests send: from the batch holding `from`, as LeaderState builds it. */
export function pushFrom(leader: PartitionLog, from: number, over: Partial<ReplicateRequest> = {}): ReplicateRequest {
  const batches = leader.batchesForReplication(from, 1 << 20);
  const prevOffset = batches[0]?.baseOffset ?? from;
  return {
    leaderId: 9,
    leaderEpoch: leader.leaderEpoch,
    prevOffset,
    prevEpoch: prevOffset <= leader.logStartOffset ? -1 : leader.epochAt(prevOffset - 1),
    batches,
    highWatermark: leader.highWatermark,
    logStartOffset: leader.logStartOffset,
    leaderEpochStartOffset: leader.epochEntries().find((e) => e.epoch === leader.leaderEpoch)?.startOffset ?? leader.logEndOffset,
    ...over,
  };
}

/** The stored rows without the follower-local `segment` column. */
const rows = (store: LogStore): Omit<BatchRow, "segment">[] => [...store.batchesFrom(0)].map(({ segment: _s, ...b }) => b);

/** Bytes of every stored batch, counted from the rows. */
const stored = (store: LogStore): number => [...store.batchesFrom(0)].reduce((sum, b) => sum + b.sizeBytes, 0);

/** The leader's log: on the in-memory store, sharing the follower's fake clock. */
const leaderLog = (f: ReturnType<typeof setup>, store: LogStore = new MemoryLogStore()) => PartitionLog.open(store, f.clock, cfg());

export function followerAppendContract(withStore: WithStore): void {
  describe("follower appends (push replication)", () => {
    it("a matching push is stored as the leader stored it: same rows, epochs and producer fields", () =>
      withStore((h) => {
        const f = setup(h);
        const mem = new MemoryLogStore();
        const l = leaderLog(f, mem);
        append(l, recs("a", "b"), 1);
        expect(l.appendAsLeader(recs("c"), 1, { producerId: 4, producerEpoch: 2, baseSequence: 7 }).ok).toBe(true);
        append(l, recs("d", "e", "f"), 3);
        l.maybeIncrementHighWatermark(4);
        expect(f.log.storedBytes()).toBe(0);
        const res = f.log.appendAsFollower(pushFrom(l, 0));
        expect(res).toEqual({ ok: true, value: { status: "ok", logEndOffset: 6 } });
        expect(rows(h.store)).toEqual(rows(mem));
        // The running total moved by the push: the follower stores as many bytes as its leader.
        expect(f.log.storedBytes()).toBe(l.storedBytes());
        expect(f.log.storedBytes()).toBe(stored(h.store));
        expect(f.log.epochEntries()).toEqual(l.epochEntries());
        expect(f.log.offsets()).toEqual({ logStartOffset: 0, logEndOffset: 6, highWatermark: 4, leaderEpoch: 3, role: "follower" });
        const again = PartitionLog.open(h.reopen(), f.clock, cfg());
        expect(again.offsets()).toEqual(f.log.offsets());
        expect(valuesOf(readAll(again))).toEqual(["a", "b", "c", "d", "e", "f"]);
      }));

    it("a push whose previous offset is past the follower's log end is a gap and writes no record", () =>
      withStore((h) => {
        const f = setup(h);
        const l = leaderLog(f);
        append(l, recs("a", "b", "c", "d"), 1);
        f.log.appendAsFollower(pushFrom(l, 0));
        append(l, recs("e", "f"), 1);
        append(l, recs("g"), 1);
        const res = f.log.appendAsFollower(pushFrom(l, 6));
        expect(res).toEqual({ ok: true, value: { status: "gap", logEndOffset: 4 } });
        expect(f.log.logEndOffset).toBe(4);
      }));

    it("a push whose previous record has another epoch here is diverging, names our epoch, and writes no record", () =>
      withStore((h) => {
        const f = setup(h);
        append(f.log, recs("a", "b"), 1);
        append(f.log, recs("x", "y"), 2); // never committed
        const l = leaderLog(f);
        append(l, recs("a", "b"), 1);
        append(l, recs("c", "d"), 3);
        append(l, recs("e"), 3);
        const res = f.log.appendAsFollower(pushFrom(l, 4));
        expect(res).toEqual({ ok: true, value: { status: "diverging", logEndOffset: 4, divergingEpoch: 2 } });
        expect(valuesOf(readAll(f.log))).toEqual(["a", "b", "x", "y"]);
        expect(f.log.offsets()).toMatchObject({ role: "follower", leaderEpoch: 3 });
      }));

    it("a pushed batch that conflicts with the follower's records replaces them and all after them (by epoch, not HW)", () =>
      withStore((h) => {
        const f = setup(h);
        append(f.log, recs("a", "b"), 1);
        append(f.log, recs("x"), 2);
        append(f.log, recs("y", "z"), 2);
        const l = leaderLog(f);
        append(l, recs("a", "b"), 1);
        append(l, recs("c", "d", "e"), 3);
        const before = f.log.storedBytes();
        expect(f.log.appendAsFollower(pushFrom(l, 2))).toEqual({ ok: true, value: { status: "ok", logEndOffset: 5 } });
        expect(before).toBeGreaterThan(0);
        expect(f.log.storedBytes()).toBe(stored(h.store));
        expect(f.log.storedBytes()).toBe(l.storedBytes());
        expect(valuesOf(readAll(f.log))).toEqual(["a", "b", "c", "d", "e"]);
        expect(f.log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 2 }]);
        const active = h.store.activeSegment()!;
        expect(active).toMatchObject(h.store.batchStats(active.baseOffset));
      }));

    it("a re-sent or stale push from the same leader changes nothing: held batches are skipped, nothing newer is lost", () =>
      withStore((h) => {
        const f = setup(h);
        const l = leaderLog(f);
        append(l, recs("a", "b"), 1);
        append(l, recs("c"), 1);
        l.maybeIncrementHighWatermark(2);
        const first = pushFrom(l, 0);
        f.log.appendAsFollower(first);
        append(l, recs("d", "e"), 1);
        l.maybeIncrementHighWatermark(5);
        f.log.appendAsFollower(pushFrom(l, 3));
        const before = { offsets: f.log.offsets(), rows: rows(h.store), segments: h.store.segments() };
        expect(f.log.appendAsFollower(first)).toEqual({ ok: true, value: { status: "ok", logEndOffset: 3 } });
        expect(f.log.appendAsFollower(pushFrom(l, 3))).toEqual({ ok: true, value: { status: "ok", logEndOffset: 5 } });
        expect({ offsets: f.log.offsets(), rows: rows(h.store), segments: h.store.segments() }).toEqual(before);
        expect(f.log.highWatermark).toBe(5);
      }));

    it("the follower's HW is min(leader's HW, end of the push), only rises, and is capped below a tail the push did not confirm", () =>
      withStore((h) => {
        const f = setup(h);
        append(f.log, recs("a", "b", "c"), 1);
        append(f.log, recs("old1", "old2"), 1); // same epoch, so no divergence is visible at offset 2
        const l = leaderLog(f);
        append(l, recs("a", "b", "c"), 1);
        l.maybeIncrementHighWatermark(3);
        // An empty push at the leader's end: the follower keeps its longer tail but answers 3.
        expect(f.log.appendAsFollower(pushFrom(l, 3))).toEqual({ ok: true, value: { status: "ok", logEndOffset: 3 } });
        expect(f.log.offsets()).toMatchObject({ highWatermark: 3, logEndOffset: 5 });
        expect(f.log.appendAsFollower(pushFrom(l, 3, { highWatermark: 1 }))).toMatchObject({ ok: true });
        expect(f.log.highWatermark).toBe(3);
        append(l, recs("d"), 2);
        l.maybeIncrementHighWatermark(4);
        expect(f.log.appendAsFollower(pushFrom(l, 3))).toEqual({ ok: true, value: { status: "ok", logEndOffset: 4 } });
        expect(valuesOf(readAll(f.log))).toEqual(["a", "b", "c", "d"]);
        expect(f.log.highWatermark).toBe(4);
      }));

    it("once a push fits, a tail at or after the leader's epoch start written in an older epoch is truncated, even by a stale push", () =>
      withStore((h) => {
        const f = setup(h);
        append(f.log, recs("a", "b"), 1);
        append(f.log, recs("x", "y"), 1); // epoch 1's leader wrote these; nobody else has them
        const l = leaderLog(f);
        append(l, recs("a", "b"), 1);
        expect(l.becomeLeader(2).ok).toBe(true); // epoch 2 starts at 2
        const stale = pushFrom(l, 2);
        expect(stale).toMatchObject({ prevOffset: 2, prevEpoch: 1, batches: [], leaderEpochStartOffset: 2 });
        expect(f.log.becomeFollower(2).ok).toBe(true); // already following: the truncation alone must be written
        append(l, recs("c"), 2);
        expect(f.log.appendAsFollower(stale)).toEqual({ ok: true, value: { status: "ok", logEndOffset: 2 } });
        expect(valuesOf(readAll(f.log))).toEqual(["a", "b"]);
        expect(f.log.appendAsFollower(pushFrom(l, 2))).toEqual({ ok: true, value: { status: "ok", logEndOffset: 3 } });
        expect(f.log.appendAsFollower(stale)).toEqual({ ok: true, value: { status: "ok", logEndOffset: 2 } });
        expect(valuesOf(readAll(f.log))).toEqual(["a", "b", "c"]); // the leader's own epoch-2 record stays
      }));

    it("a follower whose log ends before the leader's log start restarts its log there", () =>
      withStore((h) => {
        const f = setup(h);
        append(f.log, recs("a", "b"), 1);
        const l = leaderLog(f);
        l.truncateFullyAndStartAt(10);
        append(l, recs("k", "l"), 2);
        l.maybeIncrementHighWatermark(12);
        const push = pushFrom(l, 0);
        expect(push).toMatchObject({ prevOffset: 10, prevEpoch: -1 });
        expect(f.log.appendAsFollower(push)).toEqual({ ok: true, value: { status: "ok", logEndOffset: 12 } });
        expect(f.log.offsets()).toMatchObject({ logStartOffset: 10, logEndOffset: 12, highWatermark: 12 });
        expect(valuesOf(readAll(f.log))).toEqual(["k", "l"]);
        expect(f.log.epochEntries()).toEqual([{ epoch: 2, startOffset: 10 }]);
      }));

    it("fencing: an older epoch is FENCED_LEADER_EPOCH, a second leader of our own epoch is refused, a newer epoch makes us its follower", () =>
      withStore((h) => {
        const f = setup(h);
        const l = leaderLog(f);
        append(l, recs("a"), 4);
        expect(f.log.becomeLeader(4).ok).toBe(true);
        expect(f.log.appendAsFollower(pushFrom(l, 0))).toMatchObject({ ok: false, err: { error: "NOT_LEADER_OR_FOLLOWER" } });
        expect(f.log.appendAsFollower({ ...pushFrom(l, 1), leaderEpoch: 3, prevEpoch: 3 })).toMatchObject({
          ok: false,
          err: { error: "FENCED_LEADER_EPOCH" },
        });
        expect(f.log.offsets()).toMatchObject({ role: "leader", leaderEpoch: 4, logEndOffset: 0 });
        // A newer epoch is the coordinator's word: even a gap answer adopts it.
        expect(f.log.appendAsFollower(pushFrom(l, 1, { leaderEpoch: 5 }))).toEqual({ ok: true, value: { status: "gap", logEndOffset: 0 } });
        expect(f.log.offsets()).toMatchObject({ role: "follower", leaderEpoch: 5 });
        expect(f.log.appendAsLeader(recs("z"), 4)).toMatchObject({ ok: false, err: { error: "FENCED_LEADER_EPOCH" } });
      }));

    it("a malformed push (batches not contiguous from prevOffset) is INVALID_REQUEST and writes nothing", () =>
      withStore((h) => {
        const f = setup(h);
        const l = leaderLog(f);
        append(l, recs("a", "b"), 1);
        append(l, recs("c"), 1);
        const push = pushFrom(l, 0);
        const bad = { ...push, batches: [push.batches[1]!] };
        expect(f.log.appendAsFollower(bad)).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
        expect(f.log.appendAsFollower({ ...push, prevEpoch: 7 })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
        expect(f.log.offsets()).toMatchObject({ logEndOffset: 0, role: "none" });
      }));

    it("follower appends roll segments as leader appends do", () =>
      withStore((h) => {
        const f = setup(h, { segmentBytes: 60 });
        const l = leaderLog(f);
        for (const v of ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"]) append(l, [rec(v)], 1);
        f.log.appendAsFollower(pushFrom(l, 0));
        const segs = h.store.segments();
        expect(segs.length).toBeGreaterThan(1);
        expect(segs.map((s) => s.recordCount).reduce((a, b) => a + b)).toBe(4);
        for (const [i, s] of segs.entries()) expect(s.sizeBytes).toBe(h.store.batchStats(s.baseOffset, segs[i + 1]?.baseOffset).sizeBytes);
      }));

    it("batchesForReplication sends whole batches from the one holding the offset, at least one, within maxBytes", () =>
      withStore((h) => {
        const { log } = setup(h);
        append(log, recs("a", "b", "c"), 1);
        append(log, [rec("d".repeat(100))], 1);
        append(log, recs("e"), 2);
        expect(log.batchesForReplication(1, 1 << 20).map((b) => [b.baseOffset, b.lastOffset, b.leaderEpoch])).toEqual([
          [0, 2, 1],
          [3, 3, 1],
          [4, 4, 2],
        ]);
        expect(log.batchesForReplication(3, 10).map((b) => b.baseOffset)).toEqual([3]);
        expect(log.batchesForReplication(0, 40).map((b) => b.baseOffset)).toEqual([0]);
        expect(log.batchesForReplication(5, 1 << 20)).toEqual([]);
        expect(log.epochAt(2)).toBe(1);
        expect(log.epochAt(4)).toBe(2);
        expect(log.epochAt(5)).toBe(-1);
      }));
  });
}
