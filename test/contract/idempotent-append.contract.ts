/**
 * The idempotent producer in the log, as part of the LogStore contract: duplicates answer their
 * original offsets and write nothing, sequence and epoch errors write nothing, and the producer
 * state is rebuilt from the batch rows of the store under test (the SQL loose scan of
 * `lastBatchesPerProducer` on node:sqlite and on a Durable Object) after a reopen, after a
 * follower becomes leader, and after truncation. Called by logStoreContract.
 */
import { describe, expect, it } from "vitest";
import type { ProducerIdentity, RecordInput } from "../../src/protocol/types.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { MAX_SEQUENCE } from "../../src/log/producer-state.ts";
import { pushFrom } from "./follower-append.contract.ts";
import { append, cfg, readAll, rec, recs, setup, valuesOf, type StoreHarness } from "./log-helpers.ts";

type WithStore = (body: (h: StoreHarness) => void) => Promise<void>;

const P = (baseSequence: number, producerEpoch = 0, producerId = 42): ProducerIdentity => ({ producerId, producerEpoch, baseSequence });

function send(log: PartitionLog, records: RecordInput[], producer: ProducerIdentity, epoch = 0) {
  const r = log.appendAsLeader(records, epoch, producer);
  return r.ok ? { base: r.value.baseOffset, last: r.value.lastOffset, duplicate: r.value.duplicate ?? false, timestamps: r.value.timestamps } : { error: r.err.error };
}

export function idempotentAppendContract(withStore: WithStore): void {
  describe("idempotent producer appends", () => {
    it("a retried batch answers its original offsets and timestamps and writes nothing", () =>
      withStore((h) => {
        const { log, clock } = setup(h);
        const first = send(log, [rec("a"), rec("b", { timestamp: 5 })], P(0));
        append(log, recs("other"));
        clock.advance(1000);
        expect(send(log, [rec("a"), rec("b", { timestamp: 5 })], P(0))).toEqual({ ...first, duplicate: true });
        expect(valuesOf(readAll(log))).toEqual(["a", "b", "other"]);
      }));

    it("a gap, a stale epoch and a new epoch not at 0 are refused and write nothing", () =>
      withStore((h) => {
        const { log } = setup(h);
        send(log, recs("a"), P(0, 1));
        expect(send(log, recs("x"), P(2, 1))).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
        expect(send(log, recs("x"), P(1, 0))).toEqual({ error: "INVALID_PRODUCER_EPOCH" });
        expect(send(log, recs("x"), P(3, 2))).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
        expect(log.appendAsLeader(recs("x"), 0, { producerId: -5, producerEpoch: 0, baseSequence: 0 })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
        expect(log.appendAsLeader(recs("x"), 0, P(MAX_SEQUENCE + 1))).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
        expect(valuesOf(readAll(log))).toEqual(["a"]);
      }));

    it("an idempotent batch that would need two stored batches is MESSAGE_TOO_LARGE and writes nothing", () =>
      withStore((h) => {
        const { log } = setup(h, {}, { maxBatchBlobBytes: 300 });
        const big = Array.from({ length: 8 }, (_, i) => rec(`${i}`.repeat(60)));
        expect(send(log, big, P(0))).toEqual({ error: "MESSAGE_TOO_LARGE" });
        expect(log.logEndOffset).toBe(0);
        expect(send(log, big.slice(0, 2), P(0))).toMatchObject({ base: 0, last: 1 });
      }));

    it("lastBatchesPerProducer: each producer's last n batches, all in offset order, none for plain producers", () =>
      withStore((h) => {
        const { log } = setup(h);
        for (let i = 0; i < 7; i++) {
          send(log, recs(`a${i}`), P(i, 0, 1000));
          if (i % 2 === 0) send(log, recs(`b${i}`, `c${i}`), P(i, 0, 7));
          append(log, recs(`plain${i}`));
        }
        const got = h.store.lastBatchesPerProducer(3);
        expect(got.map((b) => [b.producerId, b.baseSequence])).toEqual([
          [7, 2], [1000, 4], [7, 4], [1000, 5], [1000, 6], [7, 6],
        ]);
        expect(got[0]).toMatchObject({ producerEpoch: 0, recordCount: 2, lastOffset: got[0]!.baseOffset + 1 });
        expect(got.every((b, i) => i === 0 || got[i - 1]!.baseOffset < b.baseOffset)).toBe(true);
      }));

    it("after a reopen the state is rebuilt from the rows: retries are duplicates, gaps and stale epochs still refused", () =>
      withStore((h) => {
        const { log, clock } = setup(h);
        const sent = [0, 2, 5].map((seq, i) => send(log, recs(`x${i}`, `y${i}`, `z${i}`).slice(0, i === 1 ? 3 : 2), P(seq, 3)));
        send(log, recs("n"), P(0, 0, 77));
        const again = PartitionLog.open(h.reopen(), clock, cfg());
        expect(send(again, recs("x1", "y1", "z1"), P(2, 3))).toEqual({ ...sent[1], duplicate: true });
        expect(send(again, recs("q"), P(8, 3))).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
        expect(send(again, recs("q"), P(7, 2))).toEqual({ error: "INVALID_PRODUCER_EPOCH" });
        expect(send(again, recs("q"), P(7, 3))).toMatchObject({ duplicate: false });
        expect(send(again, recs("n"), P(0, 0, 77))).toMatchObject({ duplicate: true });
      }));

    it("a follower that received the leader's batches dedupes the same way once it leads", () =>
      withStore((h) => {
        const f = setup(h);
        const leader = PartitionLog.open(new MemoryLogStore(), f.clock, cfg());
        leader.becomeLeader(1);
        const original = [0, 1, 2].map((seq) => send(leader, recs(`v${seq}`), P(seq), 1));
        expect(f.log.appendAsFollower(pushFrom(leader, 0))).toMatchObject({ ok: true });
        expect(f.log.becomeLeader(2)).toEqual({ ok: true, value: undefined });
        expect(send(f.log, recs("v1"), P(1), 2)).toEqual({ ...original[1], duplicate: true });
        expect(send(f.log, recs("v9"), P(9), 2)).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
        expect(send(f.log, recs("v3"), P(3), 2)).toMatchObject({ base: 3, duplicate: false });
      }));

    it("truncation forgets the removed batches: their retry is appended again, in sequence", () =>
      withStore((h) => {
        const { log } = setup(h);
        send(log, recs("a"), P(0));
        send(log, recs("b", "c"), P(1));
        send(log, recs("d"), P(3));
        expect(send(log, recs("d"), P(3))).toMatchObject({ duplicate: true }); // builds the state
        log.truncateTo(1);
        expect(send(log, recs("d"), P(3))).toEqual({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
        expect(send(log, recs("b", "c"), P(1))).toMatchObject({ base: 1, last: 2, duplicate: false });
        expect(valuesOf(readAll(log))).toEqual(["a", "b", "c"]);
      }));
  });
}
