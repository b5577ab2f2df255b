/**
 * The producer against the in-memory fake server (test/support/fake-log-server.ts), on vitest's
 * fake timers: partitioning, batching (size and linger), the send window, retries without
 * duplicates, fencing, the KIP-360 epoch bump and delivery timeouts. Randomness is seeded.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import { FlarelogError } from "../../src/client/flarelog-error.ts";
import type { Producer } from "../../src/client/producer.ts";
import { SendError, type RecordMetadata } from "../../src/client/producer-batch.ts";
import type { ProducerConfig } from "../../src/client/producer-config.ts";
import type { ErrorName } from "../../src/protocol/errors.ts";
import { partitionForKey } from "../../src/protocol/partitioner.ts";
import { FakeLogServer, type Fault } from "../support/fake-log-server.ts";
import { Prng } from "../support/prng.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(topics: Record<string, number>, config: ProducerConfig = {}, seed = 1) {
  const server = new FakeLogServer(topics);
  const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: server.fetch });
  const prng = new Prng(seed);
  const producer = client.producer({ random: () => prng.next(), ...config });
  return { server, client, producer };
}

interface Tracked<T> {
  done: boolean;
  value?: T;
  error?: unknown;
}

/** Records a promise's outcome without awaiting it. */
function track<T>(p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { done: false };
  p.then(
    (value) => Object.assign(t, { done: true, value }),
    (error: unknown) => Object.assign(t, { done: true, error }),
  );
  return t;
}

/**
 * Moves fake time in small steps, letting held requests arrive (shuffled by `prng`) and stalled
 * answers go (each with probability `stalledRelease` per step; all when no prng), until `done()`.
 */
async function pump(
  server: FakeLogServer,
  done: () => boolean,
  opts: { prng?: Prng; stepMs?: number; maxSteps?: number; stalledRelease?: number } = {},
) {
  for (let i = 0; i < (opts.maxSteps ?? 200_000) && !done(); i++) {
    server.releaseHeld(opts.prng);
    server.releaseStalled(opts.prng, opts.stalledRelease);
    await vi.advanceTimersByTimeAsync(opts.stepMs ?? 1);
  }
  expect(done()).toBe(true);
}

/** Sends and drives time until the send settles; returns the outcome. */
async function drive<T>(server: FakeLogServer, p: Promise<T>): Promise<Tracked<T>> {
  const t = track(p);
  await pump(server, () => t.done);
  return t;
}

const errorOf = (t: Tracked<unknown>): FlarelogError => {
  expect(t.error).toBeInstanceOf(FlarelogError);
  return t.error as FlarelogError;
};

const RETRIABLE: ErrorName[] = ["NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "NETWORK_EXCEPTION", "NOT_ENOUGH_REPLICAS", "LEADER_NOT_AVAILABLE"];

/** Seeds of the random runs: 1-12, or `CLIENT_SEEDS=n` for 1-n, or `SEED=n` to replay one. */
const SEEDS = process.env.SEED
  ? [Number(process.env.SEED)]
  : Array.from({ length: Number(process.env.CLIENT_SEEDS ?? 12) }, (_, i) => i + 1);

interface Sent {
  values: string[];
  outcome: Tracked<RecordMetadata[]>;
}

/** A seeded workload of keyed, keyless and explicit-partition sends under random faults and reordering. */
async function randomRun(seed: number, config: ProducerConfig) {
  const prng = new Prng(seed);
  const { server, producer } = setup({ t: 3 }, { lingerMs: prng.int(0, 3), batchSize: prng.int(60, 400), requestTimeoutMs: 40, retryBackoffMs: 1, retryBackoffMaxMs: 8, ...config }, seed);
  server.hold = true;
  server.faults = (): Fault => {
    const x = prng.next();
    if (x < 0.2) return { kind: "drop" };
    if (x < 0.3) return { kind: "fail", error: prng.pick(RETRIABLE) };
    if (x < 0.33) return { kind: "hang" };
    if (x < 0.4) return { kind: "stall" };
    return { kind: "pass" };
  };
  const sends: Sent[] = [];
  for (let i = 0; i < 60; i++) {
    const records = Array.from({ length: prng.int(1, 4) }, (_, j) => {
      const value = `v${i}.${j}`;
      const shape = prng.int(0, 2);
      return shape === 0 ? { key: `k${prng.int(0, 20)}`, value } : shape === 1 ? { value, partition: prng.int(0, 2) } : { value };
    });
    sends.push({ values: records.map((r) => r.value), outcome: track(producer.send("t", records)) });
    if (prng.chance(0.3)) {
      server.releaseHeld(prng);
      server.releaseStalled(prng, 0.05);
      await vi.advanceTimersByTimeAsync(prng.int(0, 3));
    }
  }
  await pump(server, () => sends.every((s) => s.outcome.done), { prng, stalledRelease: 0.05 });
  return { server, producer, sends };
}

/** Each partition's expected log: the acknowledged values routed to it, in send order. */
function expectedLogs(sends: Sent[], partitions: number): string[][] {
  const logs: string[][] = Array.from({ length: partitions }, () => []);
  for (const s of sends) s.outcome.value!.forEach((md, j) => logs[md.partition]!.push(s.values[j]!));
  return logs;
}

describe("idempotent producer: exactly once and in order", () => {
  it.each(SEEDS)(
    "seed %i: every acked record appears exactly once and in send order per partition under random drops, failures, hangs and reordering",
    async (seed) => {
      const { server, sends } = await randomRun(seed, {});
      for (const s of sends) expect(s.outcome.error).toBeUndefined();
      const logs = expectedLogs(sends, 3);
      for (let p = 0; p < 3; p++) expect(server.values("t", p)).toEqual(logs[p]);
      for (const s of sends)
        s.outcome.value!.forEach((md, j) => expect(server.log("t", md.partition)[md.offset]?.value).toBe(s.values[j]));
    },
  );

  it("the seeded runs have teeth: in each of seeds 1-12 answers are lost after appends and retries answered as duplicates; batches overtake each other (45)", async () => {
    let refused = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { server } = await randomRun(seed, {});
      expect(server.answersDropped).toBeGreaterThan(0);
      expect(server.duplicatesAnswered).toBeGreaterThan(0);
      refused += server.refusals.OUT_OF_ORDER_SEQUENCE_NUMBER ?? 0;
    }
    expect(refused).toBeGreaterThan(50);
  });

  it("the non-idempotent producer writes duplicates under the same random drops (counted)", async () => {
    let duplicates = 0;
    for (const seed of [1, 2, 3]) {
      const { server, sends } = await randomRun(seed, { idempotent: false });
      for (const s of sends) expect(s.outcome.error).toBeUndefined();
      const stored = [0, 1, 2].flatMap((p) => server.values("t", p));
      duplicates += stored.length - new Set(stored).size;
    }
    expect(duplicates).toBeGreaterThan(0);
  });

  it("a dropped answer is retried with the same sequence and answered as a duplicate; without idempotence it is written twice", async () => {
    for (const idempotent of [true, false]) {
      const { server, producer } = setup({ t: 1 }, { idempotent, lingerMs: 0, retryBackoffMs: 1 });
      server.faults = (call) => (call.n === 0 ? { kind: "drop" } : { kind: "pass" });
      const sent = await drive(server, producer.send("t", [{ value: "once" }]));
      // The retry's answer names where it landed: the original offset, or the copy's.
      expect(sent.value).toEqual([{ topic: "t", partition: 0, offset: idempotent ? 0 : 1, timestamp: expect.any(Number) }]);
      expect(server.values("t", 0)).toEqual(idempotent ? ["once"] : ["once", "once"]);
      expect(server.produceCalls.map((c) => c.baseSequence)).toEqual(idempotent ? [0, 0] : [undefined, undefined]);
    }
  });

  it("a 45 for a batch sent behind an unacknowledged one is retried, and the log keeps send order", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, retryBackoffMs: 1 });
    await drive(server, producer.send("t", [{ value: "v0" }]));
    server.hold = true;
    const first = track(producer.send("t", [{ value: "v1" }]));
    await vi.advanceTimersByTimeAsync(0);
    const second = track(producer.send("t", [{ value: "v2" }]));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.heldCount).toBe(2);
    server.releaseOne((c) => c.values[0] === "v2");
    await vi.advanceTimersByTimeAsync(0);
    expect(server.values("t", 0)).toEqual(["v0"]);
    await pump(server, () => first.done && second.done);
    expect([first.error, second.error]).toEqual([undefined, undefined]);
    expect(server.values("t", 0)).toEqual(["v0", "v1", "v2"]);
    expect(server.produceCalls.filter((c) => c.values[0] === "v2").length).toBe(2);
  });
});

describe("partitioning", () => {
  it("keyed records land on partitionForKey's partition (UTF-8 and base64 keys)", async () => {
    const prng = new Prng(42);
    for (const encoding of ["utf8", "base64"] as const) {
      const { server, producer } = setup({ t: 7 }, { encoding, lingerMs: 0 });
      const keys = Array.from({ length: 200 }, () => prng.bytes(prng.int(0, 12)));
      const records = keys.map((k, i) => ({
        key: encoding === "base64" ? btoa(String.fromCharCode(...k)) : Array.from(k, (b) => String.fromCharCode(97 + (b % 26))).join(""),
        value: encoding === "base64" ? btoa(`v${i}`) : `v${i}`,
      }));
      const sent = await drive(server, producer.send("t", records));
      sent.value!.forEach((md, i) => {
        const key = records[i]!.key;
        const bytes = encoding === "base64" ? Uint8Array.from(atob(key), (c) => c.charCodeAt(0)) : new TextEncoder().encode(key);
        expect(md.partition).toBe(partitionForKey(bytes, 7));
        expect(server.log("t", md.partition)[md.offset]?.value).toBe(records[i]!.value);
      });
      expect(new Set(sent.value!.map((m) => m.partition)).size).toBe(7);
    }
  });

  it("keyless records stick to one partition per batch and move to another when it is full (KIP-480)", async () => {
    // "vNN" values: 25 + 3 = 28 estimated bytes each; 17 + 4 × 28 = 129 holds exactly 4.
    const { server, producer } = setup({ t: 3 }, { lingerMs: 10_000, batchSize: 129 });
    const sent = track(producer.send("t", Array.from({ length: 12 }, (_, i) => ({ value: `v${String(i).padStart(2, "0")}` }))));
    await vi.advanceTimersByTimeAsync(0);
    await pump(server, () => sent.done);
    expect(server.produceCalls.map((c) => c.values.length)).toEqual([4, 4, 4]);
    const parts = server.produceCalls.map((c) => c.partition);
    expect(parts[0]).not.toBe(parts[1]);
    expect(parts[1]).not.toBe(parts[2]);
    sent.value!.forEach((md, i) => expect(md.partition).toBe(parts[Math.floor(i / 4)]));
  });

  it("an explicit partition outside the topic fails the whole send and queues nothing", async () => {
    const { server, producer } = setup({ t: 2 }, { lingerMs: 0 });
    const sent = await drive(server, producer.send("t", [{ value: "ok", partition: 1 }, { value: "bad", partition: 2 }]));
    expect(errorOf(sent).errorCode).toBe(3);
    await vi.advanceTimersByTimeAsync(100);
    expect(server.produceCalls).toEqual([]);
  });
});

describe("send outcomes", () => {
  it("acks=0 resolves once the request is accepted, with offset -1 (nothing is known of where it landed)", async () => {
    const { server, producer } = setup({ t: 1 }, { acks: "0", lingerMs: 0 });
    const sent = await drive(server, producer.send("t", [{ value: "a", timestamp: 42 }]));
    expect(sent.value).toEqual([{ topic: "t", partition: 0, offset: -1, timestamp: 42 }]);
    expect(server.produceCalls[0]!.producerId).toBeUndefined();
    expect(server.values("t", 0)).toEqual(["a"]);
  });

  it("bad input fails the whole send before anything is queued: a key that is not base64, a record over maxRequestSize", async () => {
    const { server, producer } = setup({ t: 2 }, { encoding: "base64", lingerMs: 0, maxRequestSize: 1000 });
    const badKey = await drive(server, producer.send("t", [{ key: "a2V5", value: "dg==" }, { key: "%%%", value: "dg==" }]));
    expect(errorOf(badKey).error).toBe("INVALID_RECORD");
    await expect(producer.send("t", [{ value: btoa("x".repeat(1000)) }])).rejects.toMatchObject({ error: "MESSAGE_TOO_LARGE" });
    const flushed = await drive(server, producer.flush());
    expect(flushed.error).toBeUndefined();
    expect(server.produceCalls).toEqual([]);
  });

  it("a background metadata refresh that fails keeps the last partition count, sends go on, and the failure goes to onError", async () => {
    const server = new FakeLogServer({ t: 2 });
    let refuseDescribe = false;
    const fetch: typeof server.fetch = (input, init) =>
      refuseDescribe && (init?.method ?? "GET") === "GET" && new URL(input).pathname === "/v1/topics/t"
        ? Promise.resolve(new Response(JSON.stringify({ error_code: 29, error: "TOPIC_AUTHORIZATION_FAILED", message: "no", retriable: false }), { status: 403 }))
        : server.fetch(input, init);
    const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch });
    const errors: FlarelogError[] = [];
    const producer = client.producer({ lingerMs: 0, metadataMaxAgeMs: 100, onError: (e) => errors.push(e) });
    expect((await drive(server, producer.send("t", [{ value: "a", partition: 1 }]))).error).toBeUndefined();
    refuseDescribe = true;
    await vi.advanceTimersByTimeAsync(150);
    const after = await drive(server, producer.send("t", [{ value: "b", partition: 1 }]));
    expect(after.error).toBeUndefined();
    expect(server.values("t", 1)).toEqual(["a", "b"]);
    expect(errors.map((e) => e.errorCode)).toEqual([29]);
  });

  it("a send to a topic that does not exist fails after maxBlockMs with UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const { server, producer } = setup({ t: 1 }, { maxBlockMs: 1_000, retryBackoffMs: 50 });
    const start = Date.now();
    const sent = track(producer.send("missing", [{ value: "a" }]));
    await vi.advanceTimersByTimeAsync(900);
    expect(sent.done).toBe(false);
    await pump(server, () => sent.done);
    expect(errorOf(sent).errorCode).toBe(3);
    expect(Date.now() - start).toBeGreaterThanOrEqual(1_000);
    expect(server.produceCalls).toEqual([]);
  });
});

describe("batching", () => {
  it("a batch closes at batchSize estimated bytes and the rest waits for lingerMs", async () => {
    // 100-character values: 125 estimated bytes each; 17 + 4 × 125 = 517 holds exactly 4.
    const { server, producer } = setup({ t: 1 }, { lingerMs: 10_000, batchSize: 517 });
    const sent = track(producer.send("t", Array.from({ length: 10 }, (_, i) => ({ value: String(i).padEnd(100, ".") }))));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(server.produceCalls.map((c) => c.values.length)).toEqual([4, 4]);
    expect(sent.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pump(server, () => sent.done);
    expect(server.produceCalls.map((c) => c.values.length)).toEqual([4, 4, 2]);
    expect(server.values("t", 0)).toEqual(Array.from({ length: 10 }, (_, i) => String(i).padEnd(100, ".")));
  });

  it("sends made within lingerMs share one request, sent when the first record has waited lingerMs", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 5 });
    await drive(server, producer.send("t", [{ value: "warm-up" }]));
    const start = Date.now();
    const a = track(producer.send("t", [{ value: "a" }]));
    await vi.advanceTimersByTimeAsync(2);
    const b = track(producer.send("t", [{ value: "b" }]));
    await vi.advanceTimersByTimeAsync(2);
    const c = track(producer.send("t", [{ value: "c" }]));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.produceCalls.length).toBe(1);
    await vi.advanceTimersByTimeAsync(start + 5 - Date.now());
    expect(server.produceCalls.length).toBe(2);
    expect(server.produceCalls[1]!.values).toEqual(["a", "b", "c"]);
    await pump(server, () => a.done && b.done && c.done);
  });

  it("flush sends lingering batches at once and waits for them; close then refuses sends and leaves no timer", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 60_000, deliveryTimeoutMs: 120_000 });
    const start = Date.now();
    const a = track(producer.send("t", [{ value: "a" }]));
    const flushed = track(producer.flush());
    await pump(server, () => flushed.done);
    expect(a.done).toBe(true);
    expect(Date.now() - start).toBeLessThan(100);
    const closed = track(producer.close());
    await pump(server, () => closed.done);
    expect(vi.getTimerCount()).toBe(0);
    const after = await drive(server, producer.send("t", [{ value: "late" }]));
    expect(errorOf(after).error).toBe("PRODUCER_CLOSED");
    expect(server.values("t", 0)).toEqual(["a"]);
  });
});

describe("send window", () => {
  it.each([1, 3, 5])("at most maxInFlight=%i batches of a partition are in flight, and the first batch of an epoch goes alone", async (maxInFlight) => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, batchSize: 0, maxInFlight });
    server.hold = true;
    const sends = Array.from({ length: 12 }, (_, i) => track(producer.send("t", [{ value: `v${i}` }])));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.heldCount).toBe(1);
    // Answers in reverse arrival order, as far as the window allows.
    while (!sends.every((s) => s.done)) {
      const calls = server.produceCalls.slice(-server.heldCount);
      for (const c of calls.reverse()) server.releaseOne((h) => h.n === c.n);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(server.maxOutstanding("t", 0)).toBe(maxInFlight);
    expect(server.values("t", 0)).toEqual(sends.map((_, i) => `v${i}`));
  });

  it("an acknowledged batch behind an unanswered one does not free a slot (a 6th batch would push the first out of the broker's 5)", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, batchSize: 0, maxInFlight: 5 });
    await drive(server, producer.send("t", [{ value: "v0" }]));
    server.faults = (c) => (c.values[0] === "w0" ? { kind: "stall" } : { kind: "pass" });
    const sends = Array.from({ length: 6 }, (_, i) => track(producer.send("t", [{ value: `w${i}` }])));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.values("t", 0)).toEqual(["v0", "w0", "w1", "w2", "w3", "w4"]);
    expect(sends.slice(1, 5).every((s) => s.done)).toBe(true);
    expect(server.produceCalls.some((c) => c.values[0] === "w5")).toBe(false);
    server.releaseStalled();
    await pump(server, () => sends.every((s) => s.done));
    expect(server.values("t", 0)).toEqual(["v0", "w0", "w1", "w2", "w3", "w4", "w5"]);
  });

  it("re-sends go one at a time from the earliest unfinished batch, and new batches wait while one is waiting to be re-sent", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, batchSize: 0, retryBackoffMs: 10 });
    await drive(server, producer.send("t", [{ value: "v0" }]));
    const failOnce = new Set(["w1", "w2", "w3"]);
    server.faults = (c) => (failOnce.delete(c.values[0]!) ? { kind: "fail", error: "NOT_LEADER_OR_FOLLOWER" } : { kind: "pass" });
    const sends = ["w1", "w2", "w3"].map((value) => track(producer.send("t", [{ value }])));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.produceCalls.map((c) => c.values[0])).toEqual(["v0", "w1", "w2", "w3"]);
    server.hold = true;
    sends.push(track(producer.send("t", [{ value: "w4" }])));
    const heldSets: string[][] = [];
    while (!sends.every((s) => s.done)) {
      if (server.heldCount > 0) heldSets.push(server.produceCalls.slice(-server.heldCount).map((c) => c.values[0]!));
      server.releaseHeld();
      await vi.advanceTimersByTimeAsync(1);
    }
    // w4 goes only after the last waiting re-send (as Kafka's drain does), never beside w1 or w2.
    expect(heldSets).toEqual([["w1"], ["w2"], ["w3", "w4"]]);
    expect(server.produceCalls.map((c) => c.values[0]).slice(4)).toEqual(["w1", "w2", "w3", "w4"]);
    expect(server.values("t", 0)).toEqual(["v0", "w1", "w2", "w3", "w4"]);
  });
});

describe("fatal errors", () => {
  it("a 47 (fenced by a newer instance of the transactional id) rejects every pending send and makes the producer unusable", async () => {
    const { server, client } = setup({ t: 2 });
    const a = client.producer({ transactionalId: "tx", lingerMs: 0 });
    await drive(server, a.send("t", [{ value: "a1", partition: 0 }]));
    const b = client.producer({ transactionalId: "tx", lingerMs: 0 });
    await drive(server, b.send("t", [{ value: "b1", partition: 0 }]));
    expect(b.producerIdentity).toEqual({ producerId: a.producerIdentity!.producerId, producerEpoch: 1 });

    server.hold = true;
    const pending = [a.send("t", [{ value: "a2", partition: 0 }]), a.send("t", [{ value: "a3", partition: 1 }]), a.send("t", [{ value: "a4", partition: 1 }])].map(track);
    await vi.advanceTimersByTimeAsync(0);
    server.releaseOne((c) => c.values[0] === "a2");
    await vi.advanceTimersByTimeAsync(0);
    for (const p of pending) expect(errorOf(p).errorCode).toBe(47);
    const later = await drive(server, a.send("t", [{ value: "a5", partition: 1 }]));
    expect(errorOf(later).errorCode).toBe(47);
    expect(server.values("t", 0)).toEqual(["a1", "b1"]);
    await a.close();
    expect(server.produceCalls.some((c) => c.values[0] === "a5")).toBe(false);
  });

  it("a 45 with every earlier batch acknowledged fails that send, bumps the epoch and restarts every partition at sequence 0 (KIP-360)", async () => {
    const { server, producer } = setup({ t: 2 }, { lingerMs: 0 });
    await drive(server, producer.send("t", [{ value: "a", partition: 0 }, { value: "x", partition: 1 }]));
    await drive(server, producer.send("t", [{ value: "b", partition: 0 }]));
    const { producerId } = producer.producerIdentity!;
    server.truncate("t", 0, 1); // the leader lost "b" and the producer state it made
    const lost = await drive(server, producer.send("t", [{ value: "c", partition: 0 }]));
    expect(errorOf(lost).errorCode).toBe(45);
    expect(errorOf(lost).outcomeUnknown).toBe(false);

    const next = await drive(server, producer.send("t", [{ value: "d", partition: 0 }, { value: "y", partition: 1 }]));
    expect(next.error).toBeUndefined();
    expect(server.producerCalls.at(-1)).toEqual({ producer_id: producerId, producer_epoch: 0 });
    expect(producer.producerIdentity).toEqual({ producerId, producerEpoch: 1 });
    const last = (p: number) => server.produceCalls.filter((c) => c.partition === p).at(-1)!;
    expect([last(0).producerEpoch, last(0).baseSequence]).toEqual([1, 0]);
    expect([last(1).producerEpoch, last(1).baseSequence]).toEqual([1, 0]);
    expect(server.values("t", 0)).toEqual(["a", "d"]);
    expect(server.values("t", 1)).toEqual(["x", "y"]);
  });

  it("a non-retriable refusal fails only that send; its sequences are reused without an epoch bump", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0 });
    server.maxValueLength = 10;
    await drive(server, producer.send("t", [{ value: "first" }]));
    const big = await drive(server, producer.send("t", [{ value: "x".repeat(11) }]));
    expect(errorOf(big).errorCode).toBe(10);
    expect(errorOf(big).outcomeUnknown).toBe(false);
    const ok = await drive(server, producer.send("t", [{ value: "second" }]));
    expect(ok.error).toBeUndefined();
    expect(server.produceCalls.map((c) => [c.producerEpoch, c.baseSequence])).toEqual([
      [0, 0],
      [0, 1],
      [0, 1],
    ]);
    expect(server.producerCalls.length).toBe(1);
    expect(server.values("t", 0)).toEqual(["first", "second"]);
  });

  it("a CORRUPT_MESSAGE (2) refusal is sent once and fails its send: the same bytes would be refused again", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, retryBackoffMs: 1 });
    server.faults = (c) => (c.values[0] === "bad" ? { kind: "fail", error: "CORRUPT_MESSAGE" } : { kind: "pass" });
    const bad = await drive(server, producer.send("t", [{ value: "bad" }]));
    expect(errorOf(bad)).toMatchObject({ errorCode: 2, retriable: false, outcomeUnknown: false });
    expect(server.produceCalls.filter((c) => c.values[0] === "bad").length).toBe(1);
    const ok = await drive(server, producer.send("t", [{ value: "good" }]));
    expect(ok.error).toBeUndefined();
    expect(server.values("t", 0)).toEqual(["good"]);
  });

  it("a SendError lists each record's outcome when one partition of the send fails", async () => {
    const { server, producer } = setup({ t: 2 }, { lingerMs: 0 });
    server.maxValueLength = 3;
    const sent = await drive(server, producer.send("t", [{ value: "ok", partition: 0 }, { value: "too long", partition: 1 }]));
    expect(sent.error).toBeInstanceOf(SendError);
    const results = (sent.error as SendError).results;
    expect(results[0]).toEqual({ topic: "t", partition: 0, offset: 0, timestamp: expect.any(Number) });
    expect((results[1] as FlarelogError).errorCode).toBe(10);
  });
});

describe("timeouts", () => {
  it("delivery timeout rejects a send whose partition never answers, at deliveryTimeoutMs and not before; the next send bumps the epoch", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, requestTimeoutMs: 100, deliveryTimeoutMs: 1_000, retryBackoffMs: 10 });
    await drive(server, producer.send("t", [{ value: "before" }]));
    let broken = true;
    server.faults = () => (broken ? { kind: "hang" } : { kind: "pass" });
    const lost = track(producer.send("t", [{ value: "lost" }]));
    await vi.advanceTimersByTimeAsync(999);
    expect(lost.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(errorOf(lost).errorCode).toBe(7);
    expect(errorOf(lost).outcomeUnknown).toBe(true);
    expect(server.produceCalls.length).toBeGreaterThan(3);

    broken = false;
    const next = await drive(server, producer.send("t", [{ value: "next" }]));
    expect(next.error).toBeUndefined();
    expect(producer.producerIdentity!.producerEpoch).toBe(1);
    expect(server.produceCalls.at(-1)).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
    expect(server.values("t", 0)).toEqual(["before", "next"]);
  });

  it("a batch given up leaves its partition unresolved: a later batch refused with 45 is sent again under the bumped epoch and lands once", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, batchSize: 0, requestTimeoutMs: 100, deliveryTimeoutMs: 1_000, retryBackoffMs: 10 });
    await drive(server, producer.send("t", [{ value: "v0" }]));
    server.faults = (c) => (c.values[0] === "E" ? { kind: "hang" } : { kind: "pass" });
    const e = track(producer.send("t", [{ value: "E" }]));
    await vi.advanceTimersByTimeAsync(500);
    const f = track(producer.send("t", [{ value: "F" }]));
    await pump(server, () => e.done && f.done);
    expect(errorOf(e).errorCode).toBe(7);
    expect(f.error).toBeUndefined();
    const fCalls = server.produceCalls.filter((c) => c.values[0] === "F").map((c) => [c.producerEpoch, c.baseSequence]);
    expect(fCalls.at(0)).toEqual([0, 2]);
    expect(fCalls.at(-1)).toEqual([1, 0]);
    expect(server.refusals.OUT_OF_ORDER_SEQUENCE_NUMBER).toBeGreaterThanOrEqual(2);
    expect(server.values("t", 0)).toEqual(["v0", "F"]);
  });

  it("retries stop after `retries` and the send fails with the last error", async () => {
    const { server, producer } = setup({ t: 1 }, { lingerMs: 0, retries: 2, retryBackoffMs: 1, idempotent: false });
    server.faults = () => ({ kind: "fail", error: "NOT_LEADER_OR_FOLLOWER" });
    const sent = await drive(server, producer.send("t", [{ value: "v" }]));
    expect(errorOf(sent).error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(server.produceCalls.length).toBe(3);
  });
});

describe("configuration", () => {
  it("follows Kafka's rules: idempotence needs acks=all and maxInFlight ≤ 5, and is off by default when they rule it out", () => {
    const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: new FakeLogServer({}).fetch });
    const invalid = (c: ProducerConfig) => {
      try {
        client.producer(c);
      } catch (e) {
        return (e as FlarelogError).error;
      }
      return "accepted";
    };
    expect(invalid({ idempotent: true, acks: "1" })).toBe("INVALID_CONFIG");
    expect(invalid({ idempotent: true, maxInFlight: 6 })).toBe("INVALID_CONFIG");
    expect(invalid({ idempotent: false, transactionalId: "t" })).toBe("INVALID_CONFIG");
    expect(invalid({ lingerMs: 10, requestTimeoutMs: 100, deliveryTimeoutMs: 100 })).toBe("INVALID_CONFIG");
    const defaults = (c: ProducerConfig): Producer => client.producer(c);
    expect(defaults({}).config).toMatchObject({ idempotent: true, acks: "all", lingerMs: 5, batchSize: 16384, maxInFlight: 5, deliveryTimeoutMs: 120_000 });
    expect(defaults({ acks: "1" }).config.idempotent).toBe(false);
    expect(defaults({ maxInFlight: 10 }).config.idempotent).toBe(false);
  });
});
