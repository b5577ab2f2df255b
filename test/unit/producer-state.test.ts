/**
 * The idempotent producer's rules at a partition leader (src/log/producer-state.ts), as Kafka's
 * broker applies them, and the equivalence that makes fail-over safe: the state rebuilt from
 * the batch rows equals the state the appends built.
 */
import { describe, expect, it } from "vitest";
import {
  incrementSequence,
  MAX_SEQUENCE,
  PRODUCER_BATCHES_RETAINED,
  ProducerStateManager,
  type ProducerBatchRow,
  type ProducerStateOptions,
} from "../../src/log/producer-state.ts";
import type { ProducerIdentity } from "../../src/protocol/types.ts";
import { Prng } from "../support/prng.ts";

const T0 = 1_700_000_000_000;
const OPTIONS: ProducerStateOptions = { expirationMs: 60_000, maxProducers: 100 };

/** A leader's view: the manager plus the rows it wrote, with offsets assigned like a log. */
class Leader {
  readonly rows: ProducerBatchRow[] = [];
  readonly state: ProducerStateManager;
  logEnd = 0;
  constructor(options = OPTIONS) {
    this.state = new ProducerStateManager(options);
  }
  /** check, then append on "append"; the answer as the API would give it. */
  send(p: ProducerIdentity, count: number, now = T0): { code: string } | { offsets: [number, number]; duplicate: boolean } {
    const c = this.state.check(p, count, now);
    if (!c.ok) return { code: c.err.error };
    if (c.value.kind === "duplicate") return { offsets: [c.value.batch.firstOffset, c.value.batch.lastOffset], duplicate: true };
    const row: ProducerBatchRow = {
      producerId: p.producerId,
      producerEpoch: p.producerEpoch,
      baseSequence: p.baseSequence,
      baseOffset: this.logEnd,
      lastOffset: this.logEnd + count - 1,
      recordCount: count,
      maxTimestamp: now,
    };
    this.logEnd += count;
    this.rows.push(row);
    this.state.onAppend(row, now);
    return { offsets: [row.baseOffset, row.lastOffset], duplicate: false };
  }
}

const id = (producerId: number, producerEpoch: number, baseSequence: number): ProducerIdentity => ({ producerId, producerEpoch, baseSequence });

describe("producer state: Kafka's sequence and epoch rules", () => {
  it("a retry of any of the last 5 batches answers its original offsets and appends nothing", () => {
    const l = new Leader();
    for (let i = 0; i < 5; i++) expect(l.send(id(7, 0, i * 2), 2)).toMatchObject({ duplicate: false });
    const end = l.logEnd;
    for (let i = 0; i < 5; i++) expect(l.send(id(7, 0, i * 2), 2)).toEqual({ offsets: [i * 2, i * 2 + 1], duplicate: true });
    expect(l.logEnd).toBe(end);
  });

  it("a retry older than the last 5 batches is OUT_OF_ORDER_SEQUENCE_NUMBER, as Kafka's broker answers", () => {
    const l = new Leader();
    for (let i = 0; i < 6; i++) l.send(id(7, 0, i), 1);
    expect(l.send(id(7, 0, 0), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    for (let i = 1; i < 6; i++) expect(l.send(id(7, 0, i), 1)).toMatchObject({ duplicate: true });
    expect(PRODUCER_BATCHES_RETAINED).toBe(5);
  });

  it("a gap in the sequence is OUT_OF_ORDER_SEQUENCE_NUMBER; the next expected sequence still works", () => {
    const l = new Leader();
    l.send(id(7, 0, 0), 3);
    expect(l.send(id(7, 0, 4), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(l.send(id(7, 0, 2), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" }); // overlaps, not a duplicate
    expect(l.send(id(7, 0, 3), 1)).toMatchObject({ offsets: [3, 3], duplicate: false });
  });

  it("the same first sequence with another record count is not a duplicate", () => {
    const l = new Leader();
    l.send(id(7, 0, 0), 3);
    expect(l.send(id(7, 0, 0), 2)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("an older epoch is INVALID_PRODUCER_EPOCH, also for a retry of its own batch (fenced)", () => {
    const l = new Leader();
    l.send(id(7, 0, 0), 1);
    l.send(id(7, 1, 0), 1);
    expect(l.send(id(7, 0, 1), 1)).toEqual({ code: "INVALID_PRODUCER_EPOCH" });
    expect(l.send(id(7, 0, 0), 1)).toEqual({ code: "INVALID_PRODUCER_EPOCH" });
  });

  it("a newer epoch must start at sequence 0 and forgets the old epoch's batches", () => {
    const l = new Leader();
    l.send(id(7, 0, 0), 1);
    l.send(id(7, 0, 1), 1);
    expect(l.send(id(7, 1, 2), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(l.send(id(7, 1, 0), 1)).toMatchObject({ duplicate: false });
    expect(l.state.entry(7)).toMatchObject({ producerEpoch: 1, batches: [{ firstSeq: 0, firstOffset: 2 }] });
  });

  it("a producer with no state may start at any sequence (Kafka after KIP-360); others are independent", () => {
    const l = new Leader();
    expect(l.send(id(7, 3, 12_345), 1)).toMatchObject({ duplicate: false });
    expect(l.send(id(8, 0, 0), 1)).toMatchObject({ duplicate: false });
    expect(l.send(id(7, 3, 12_346), 1)).toMatchObject({ duplicate: false });
    expect(l.send(id(8, 0, 2), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
  });

  it("sequences wrap from 2^31-1 to 0, within a batch and between batches", () => {
    expect(incrementSequence(MAX_SEQUENCE, 1)).toBe(0);
    expect(incrementSequence(MAX_SEQUENCE - 1, 2)).toBe(0);
    expect(incrementSequence(MAX_SEQUENCE - 1, 3)).toBe(1);
    const l = new Leader();
    l.send(id(7, 0, MAX_SEQUENCE - 1), 3); // sequences MAX-1, MAX, 0
    expect(l.state.entry(7)!.batches[0]).toMatchObject({ firstSeq: MAX_SEQUENCE - 1, lastSeq: 0 });
    expect(l.send(id(7, 0, MAX_SEQUENCE - 1), 3)).toMatchObject({ duplicate: true });
    expect(l.send(id(7, 0, 0), 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(l.send(id(7, 0, 1), 1)).toMatchObject({ duplicate: false });
    const m = new Leader();
    m.send(id(9, 0, MAX_SEQUENCE), 1);
    expect(m.send(id(9, 0, 0), 1)).toMatchObject({ duplicate: false });
  });

  it("a producer idle for producer.id.expiration.ms is forgotten; one active just before is kept", () => {
    const l = new Leader();
    l.send(id(7, 0, 0), 1, T0);
    l.send(id(8, 0, 0), 1, T0 + 1);
    expect(l.send(id(7, 0, 5), 1, T0 + OPTIONS.expirationMs - 1)).toEqual({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    // Expired: no state, so any sequence is accepted, as in Kafka.
    expect(l.send(id(7, 0, 5), 1, T0 + OPTIONS.expirationMs)).toMatchObject({ duplicate: false });
    expect(l.state.removeExpired(T0 + OPTIONS.expirationMs + 1)).toBe(1); // producer 8
    expect(l.state.producerIds()).toEqual([7]);
  });

  it("at most maxProducers are remembered; the least recently written is forgotten first", () => {
    const l = new Leader({ expirationMs: 60_000, maxProducers: 3 });
    for (const p of [1, 2, 3]) l.send(id(p, 0, 0), 1);
    l.send(id(1, 0, 1), 1); // 1 is now the most recent
    l.send(id(4, 0, 0), 1); // evicts 2
    expect(l.state.producerIds()).toEqual([3, 1, 4]);
    expect(l.state.size).toBe(3);
  });

  it("rows without a producer are ignored by the rebuild", () => {
    const rows: ProducerBatchRow[] = [
      { producerId: -1, producerEpoch: -1, baseSequence: -1, baseOffset: 0, lastOffset: 4, recordCount: 5, maxTimestamp: T0 },
    ];
    expect(ProducerStateManager.fromBatches(rows, OPTIONS, T0).size).toBe(0);
  });
});

describe("producer state: rebuilt from the batch rows equals the state the appends built", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: 2,000 random sends (retries, gaps, epoch bumps, wraps, idle gaps) then the same answers after a rebuild`, () => {
      const rng = new Prng(seed);
      const options = { expirationMs: 50_000, maxProducers: 6 };
      const l = new Leader(options);
      const next = new Map<number, { epoch: number; seq: number; sent: [number, number][] }>();
      let now = T0;
      for (let i = 0; i < 2000; i++) {
        now += rng.int(0, 1000);
        const p = rng.int(1, 8);
        const s = next.get(p) ?? { epoch: 0, seq: rng.chance(0.2) ? MAX_SEQUENCE - rng.int(0, 3) : 0, sent: [] };
        next.set(p, s);
        const roll = rng.next();
        const count = rng.int(1, 4);
        if (roll < 0.15 && s.sent.length > 0) {
          const [seq, n] = s.sent[rng.int(Math.max(0, s.sent.length - 7), s.sent.length - 1)]!;
          l.send(id(p, s.epoch, seq), n, now);
        } else if (roll < 0.2) {
          l.send(id(p, s.epoch, incrementSequence(s.seq, rng.int(1, 3))), count, now);
        } else if (roll < 0.23) {
          s.epoch += 1;
          s.seq = 0;
          s.sent = [];
        } else {
          const r = l.send(id(p, s.epoch, s.seq), count, now);
          if ("offsets" in r && !r.duplicate) {
            s.sent.push([s.seq, count]);
            s.seq = incrementSequence(s.seq, count);
          }
        }
      }
      const rebuilt = ProducerStateManager.fromBatches(l.rows, options, now);
      l.state.removeExpired(now);
      const live = l.state.producerIds();
      expect(rebuilt.producerIds()).toEqual(live);
      // Same answers to every probe: for each producer, each remembered batch, the next sequence, a gap.
      for (const p of new Set([...live, 1, 2, 3, 4, 5, 6, 7, 8])) {
        const entry = l.state.entry(p);
        const probes: [ProducerIdentity, number][] = [[id(p, 0, 0), 1]];
        if (entry) {
          expect(rebuilt.entry(p)?.producerEpoch).toBe(entry.producerEpoch);
          for (const b of entry.batches)
            probes.push([id(p, entry.producerEpoch, b.firstSeq), ((b.lastSeq - b.firstSeq + 2 ** 31) % 2 ** 31) + 1]);
          const last = entry.batches.at(-1)!.lastSeq;
          probes.push([id(p, entry.producerEpoch, incrementSequence(last, 1)), 1], [id(p, entry.producerEpoch, incrementSequence(last, 2)), 1]);
          probes.push([id(p, entry.producerEpoch - 1, 0), 1], [id(p, entry.producerEpoch + 1, 0), 1]);
        }
        for (const [probe, n] of probes) expect(rebuilt.check(probe, n, now)).toEqual(l.state.check(probe, n, now));
      }
    });
  }
});
