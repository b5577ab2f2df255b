/**
 * Issue 18, the tail hub (src/services/tail-hub.ts) with a fake partition (a record array, a
 * high watermark, long polls parked until an append or their time) and vitest's fake timers:
 * N subscribers at the high watermark cost ONE upstream read per wake-up, whatever N; each
 * subscriber gets every record once, in order, whatever its pace (from the buffer, or its own
 * catch-up reads when behind it), several buffered batches at once when a few behind; a shared read that never answers is given up after its wait
 * plus `stallMs` and another subscriber's read takes over; an error of the shared read reaches
 * every waiter; the last close drops the tail.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ok, kafkaError, type Result } from "../../src/protocol/errors.ts";
import { TailHub, type TailFetch, type TailRead, type TailSubscription } from "../../src/services/tail-hub.ts";
import { Prng } from "../support/prng.ts";

interface Rec {
  offset: number;
}

/** A partition: records below `hw` are readable; a waiting read parks until an append or its time. */
class FakePartition {
  readonly log: Rec[] = [];
  upstream = 0;
  catchUp = 0;
  #parked: (() => void)[] = [];
  failNext: string | null = null;
  hang = false;

  append(n: number): void {
    for (let i = 0; i < n; i++) this.log.push({ offset: this.log.length });
    for (const wake of this.#parked.splice(0)) wake();
  }

  #read(offset: number, max: number): Result<TailRead<Rec>> {
    const records = this.log.slice(offset, offset + max);
    return ok({ records, nextOffset: offset + records.length, highWatermark: this.log.length, logStartOffset: 0 });
  }

  fetch: TailFetch<Rec> = async (offset, waitMs) => {
    if (waitMs > 0) this.upstream++;
    else this.catchUp++;
    if (this.hang) return new Promise(() => {});
    if (this.failNext) return { ok: false, err: kafkaError("NOT_LEADER_OR_FOLLOWER", this.failNext) };
    if (waitMs > 0 && offset >= this.log.length)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.#parked.push(() => (clearTimeout(t), resolve()));
      });
    return this.#read(offset, 50);
  };
}

/** Settles every promise chain that can settle now (fake timers: no time passes). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Keeps one `next()` pending per subscriber and collects what each receives. */
function collect(subs: TailSubscription<Rec>[]) {
  const got = subs.map(() => [] as number[]);
  const errors: string[] = [];
  let stopped = false;
  subs.forEach((s, i) => {
    void (async () => {
      while (!stopped) {
        const r = await s.next();
        if (!r.ok) {
          errors.push(r.err.error);
          return;
        }
        got[i]!.push(...r.value.records.map((x) => x.offset));
      }
    })();
  });
  return { got, errors, stop: () => (stopped = true) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("tail hub (issue 18)", () => {
  it("N subscribers at the high watermark cost one upstream read per wake-up, for N = 1 and N = 1,000", async () => {
    for (const n of [1, 1000]) {
      const p = new FakePartition();
      const hub = new TailHub<Rec>();
      const subs = Array.from({ length: n }, () => hub.subscribe("t/0", 0, p.fetch));
      const c = collect(subs);
      await settle();
      expect(p.upstream).toBe(1); // the first read, parked
      const wakeUps = 25;
      for (let w = 0; w < wakeUps; w++) {
        p.append(1 + (w % 3));
        await settle();
      }
      const expected = p.log.map((r) => r.offset);
      for (const g of c.got) expect(g).toEqual(expected);
      expect(p.upstream).toBe(wakeUps + 1); // one per wake-up, plus the one parked now
      expect(p.catchUp).toBe(0);
      expect(hub.stats.deliveries).toBe(n * wakeUps);
      c.stop();
    }
  });

  it("subscribers of every pace get every record once and in order (seeded)", async () => {
    const rng = new Prng(18);
    const rand = () => rng.next();
    const p = new FakePartition();
    const hub = new TailHub<Rec>({ upstreamWaitMs: 1000, stallMs: 500, maxBufferedBatches: 4, maxBufferedRecords: 40, maxRecordsPerAnswer: 15 });
    p.append(30);
    const subs = [0, 5, 30, 30, 12].map((at) => hub.subscribe("t/0", at, p.fetch));
    const got = subs.map(() => [] as number[]);
    for (let step = 0; step < 300; step++) {
      if (rand() < 0.3) p.append(1 + Math.floor(rand() * 20));
      const i = Math.floor(rand() * subs.length);
      if (rand() < 0.5) {
        const pending = subs[i]!.next().then((r) => r.ok && got[i]!.push(...r.value.records.map((x) => x.offset)));
        await settle();
        if (subs[i]!.position < p.log.length) await pending;
        else {
          p.append(1);
          await pending;
        }
      }
      await settle();
    }
    const starts = [0, 5, 30, 30, 12];
    got.forEach((g, i) => {
      expect(g).toEqual(Array.from({ length: g.length }, (_, k) => starts[i]! + k));
    });
    expect(hub.stats.catchUpFetches).toBeGreaterThan(0); // slow ones fell behind the small buffer
    expect(hub.stats.upstreamFetches).toBeGreaterThan(0);
  });

  it("a subscriber behind the buffer catches up with its own non-waiting reads, then shares", async () => {
    const p = new FakePartition();
    const hub = new TailHub<Rec>();
    p.append(120);
    const ahead = hub.subscribe("t/0", 120, p.fetch);
    const c1 = collect([ahead]);
    await settle();
    const behind = hub.subscribe("t/0", 0, p.fetch);
    const c2 = collect([behind]);
    await settle();
    expect(c2.got[0]).toEqual(p.log.map((r) => r.offset));
    expect(p.catchUp).toBe(3); // 120 records at 50 a read
    const upstream = p.upstream;
    p.append(5);
    await settle();
    expect(c1.got[0]).toEqual([120, 121, 122, 123, 124]);
    expect(c2.got[0]!.slice(-5)).toEqual([120, 121, 122, 123, 124]);
    expect(p.upstream).toBe(upstream + 1);
    expect(p.catchUp).toBe(3);
    c1.stop();
    c2.stop();
  });

  it("a subscriber a few batches behind takes the buffered batches in one answer, in order, without a read", async () => {
    const p = new FakePartition();
    const hub = new TailHub<Rec>();
    const fast = collect([hub.subscribe("t/0", 0, p.fetch)]);
    const slow = hub.subscribe("t/0", 0, p.fetch);
    await settle();
    for (let w = 0; w < 5; w++) {
      p.append(3);
      await settle();
    }
    const reads = p.upstream + p.catchUp;
    const r = await slow.next();
    expect(r.ok && r.value.records.map((x) => x.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    // Its parts are the five reads every subscriber got, so a door can render each once.
    expect(r.ok && r.value.parts?.map((part) => part.records.length)).toEqual([3, 3, 3, 3, 3]);
    expect(p.upstream + p.catchUp).toBe(reads);
    expect(fast.got[0]).toHaveLength(15);
    fast.stop();
  });

  it("a shared read that never answers is given up after its wait plus stallMs; the next one serves", async () => {
    const p = new FakePartition();
    const hub = new TailHub<Rec>({ upstreamWaitMs: 1000, stallMs: 500, maxBufferedBatches: 8, maxBufferedRecords: 100, maxRecordsPerAnswer: 100 });
    p.hang = true;
    const c = collect([hub.subscribe("t/0", 0, p.fetch), hub.subscribe("t/0", 0, p.fetch)]);
    await settle();
    expect(p.upstream).toBe(1);
    await vi.advanceTimersByTimeAsync(1499);
    expect(p.upstream).toBe(1);
    p.hang = false;
    await vi.advanceTimersByTimeAsync(1);
    expect(hub.stats.stalls).toBe(2);
    expect(p.upstream).toBe(2);
    p.append(3);
    await settle();
    expect(c.got).toEqual([[0, 1, 2], [0, 1, 2]]);
    c.stop();
  });

  it("an error of the shared read reaches every waiter", async () => {
    const p = new FakePartition();
    const hub = new TailHub<Rec>();
    p.failNext = "moved";
    const c = collect([1, 2, 3].map(() => hub.subscribe("t/0", 0, p.fetch)));
    await settle();
    expect(c.errors).toEqual(["NOT_LEADER_OR_FOLLOWER", "NOT_LEADER_OR_FOLLOWER", "NOT_LEADER_OR_FOLLOWER"]);
    expect(p.upstream).toBe(1);
  });

  it("the last close drops the tail; a new subscriber starts a new one at its own position", async () => {
    const p = new FakePartition();
    const hub = new TailHub<Rec>();
    const a = hub.subscribe("t/0", 0, p.fetch);
    const b = hub.subscribe("t/0", 0, p.fetch);
    expect(hub.subscribers("t/0")).toBe(2);
    a.close();
    a.close();
    expect(hub.subscribers("t/0")).toBe(1);
    b.close();
    expect(hub.subscribers("t/0")).toBe(0);
    p.append(10);
    const c = collect([hub.subscribe("t/0", 7, p.fetch)]);
    await settle();
    expect(c.got[0]).toEqual([7, 8, 9]);
    c.stop();
  });
});
