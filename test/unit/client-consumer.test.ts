/**
 * The assigned-partition consumer against the in-memory fake server: positions, the poll bound,
 * auto.offset.reset, OFFSET_OUT_OF_RANGE and skipped partitions. No timers are involved.
 */
import { describe, expect, it } from "vitest";
import type { ConsumerRecord } from "../../src/client/consumer.ts";
import { FlarelogClient, type FetchFn } from "../../src/client/flarelog-client.ts";
import { FlarelogError } from "../../src/client/flarelog-error.ts";
import { FakeLogServer } from "../support/fake-log-server.ts";
import { Prng } from "../support/prng.ts";

async function setup(perPartition: number[], fetchWrapper?: (inner: FetchFn) => FetchFn) {
  const server = new FakeLogServer({ t: perPartition.length });
  const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: fetchWrapper ? fetchWrapper(server.fetch) : server.fetch });
  for (const [p, n] of perPartition.entries()) {
    if (n === 0) continue;
    const r = await client.produce(
      "t",
      Array.from({ length: n }, (_, i) => ({ value: `p${p}-${i}`, timestamp: 1 })),
      { partition: p },
    );
    expect(r.ok).toBe(true);
  }
  return { server, client };
}

const valuesOf = (records: ConsumerRecord[], p: number) => records.filter((r) => r.partition === p).map((r) => r.value);

describe("consumer", () => {
  it("returns every record of the assigned partitions once, in offset order per partition, and advances positions", async () => {
    const { client } = await setup([30, 0, 17]);
    const consumer = client.consumer({ topic: "t", autoOffsetReset: "earliest", maxPollRecords: 7 });
    const seen: ConsumerRecord[] = [];
    for (let i = 0; i < 20; i++) seen.push(...(await consumer.poll()));
    expect(consumer.assignment()).toEqual([0, 1, 2]);
    expect(valuesOf(seen, 0)).toEqual(Array.from({ length: 30 }, (_, i) => `p0-${i}`));
    expect(valuesOf(seen, 1)).toEqual([]);
    expect(valuesOf(seen, 2)).toEqual(Array.from({ length: 17 }, (_, i) => `p2-${i}`));
    expect(seen.every((r) => r.topic === "t")).toBe(true);
    expect([0, 1, 2].map((p) => consumer.position(p))).toEqual([30, 0, 17]);
  });

  it("never returns more than maxPollRecords, and shares them across partitions (seeded sizes)", async () => {
    const prng = new Prng(5);
    const sizes = [prng.int(5, 40), prng.int(5, 40), prng.int(5, 40)];
    const { client } = await setup(sizes);
    const consumer = client.consumer({ topic: "t", partitions: [0, 1, 2], autoOffsetReset: "earliest", maxPollRecords: 4 });
    const first = await consumer.poll();
    expect(first.length).toBe(4);
    let total = first.length;
    for (;;) {
      const batch = await consumer.poll();
      expect(batch.length).toBeLessThanOrEqual(4);
      if (batch.length === 0) break;
      total += batch.length;
    }
    expect(total).toBe(sizes[0]! + sizes[1]! + sizes[2]!);
  });

  it("autoOffsetReset: latest starts at the end, earliest at the log start, none throws OFFSET_OUT_OF_RANGE", async () => {
    const { client } = await setup([5]);
    const latest = client.consumer({ topic: "t", partitions: [0] });
    expect(await latest.poll()).toEqual([]);
    expect(latest.position(0)).toBe(5);
    const earliest = client.consumer({ topic: "t", partitions: [0], autoOffsetReset: "earliest" });
    expect((await earliest.poll()).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
    const none = client.consumer({ topic: "t", partitions: [0], autoOffsetReset: "none" });
    await expect(none.poll()).rejects.toMatchObject({ errorCode: 1 });
    none.seek(0, 3);
    expect((await none.poll()).map((r) => r.offset)).toEqual([3, 4]);
  });

  it("a position below the log start (OFFSET_OUT_OF_RANGE) is reset by autoOffsetReset and reading goes on", async () => {
    const { server, client } = await setup([10]);
    const consumer = client.consumer({ topic: "t", partitions: [0], autoOffsetReset: "earliest" });
    consumer.seek(0, 2);
    server.deleteRecordsBefore("t", 0, 6);
    expect(await consumer.poll()).toEqual([]);
    expect(consumer.position(0)).toBe(6);
    expect((await consumer.poll()).map((r) => r.value)).toEqual(["p0-6", "p0-7", "p0-8", "p0-9"]);
  });

  it("a skipped partition's failure goes to onError (no answer as NETWORK_EXCEPTION, a retriable answer as itself); a fetch the consumer aborted itself is not reported", async () => {
    let failures: ("throw" | "503")[] = ["throw", "503"];
    const wrap = (inner: FetchFn): FetchFn => async (input, init) => {
      const get = (init?.method ?? "GET") === "GET";
      if (get && input.includes("/partitions/1/records") && failures.length > 0) {
        if (failures.shift() === "throw") throw new TypeError("fetch failed");
        return new Response(JSON.stringify({ error_code: 6, error: "NOT_LEADER_OR_FOLLOWER", message: "moved", retriable: true }), { status: 503 });
      }
      if (get && input.includes("/partitions/2/records") && input.includes("wait_ms")) {
        // A long poll that only ends when the consumer aborts it (partition 0 had records).
        return new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener("abort", () => reject(new DOMException("This operation was aborted", "AbortError"))),
        );
      }
      return inner(input, init);
    };
    const { client } = await setup([2, 3, 0], wrap);
    const errors: FlarelogError[] = [];
    const consumer = client.consumer({ topic: "t", autoOffsetReset: "earliest", onError: (e) => errors.push(e) });
    expect(valuesOf(await consumer.poll(), 1)).toEqual([]);
    expect(valuesOf(await consumer.poll(), 1)).toEqual([]);
    expect(errors.map((e) => [e.error, e.outcomeUnknown])).toEqual([
      ["NETWORK_EXCEPTION", true],
      ["NOT_LEADER_OR_FOLLOWER", true],
    ]);
    expect(errors[0]!.message).toContain("fetch failed");
    expect(valuesOf(await consumer.poll(), 1)).toEqual(["p1-0", "p1-1", "p1-2"]);
    failures = [];
    const waiting = client.consumer({ topic: "t", autoOffsetReset: "earliest", waitMs: 5_000, onError: (e) => errors.push(e) });
    expect(valuesOf(await waiting.poll(), 0)).toEqual(["p0-0", "p0-1"]);
    expect(errors).toHaveLength(2);
  });

  it("a partition whose fetch fails retriably is skipped for one poll without moving its position; a non-retriable error throws", async () => {
    let failPartition1: "none" | "retriable" | "fatal" = "retriable";
    const wrap = (inner: FetchFn): FetchFn => async (input, init) => {
      if (input.includes("/partitions/1/records") && (init?.method ?? "GET") === "GET" && failPartition1 !== "none") {
        const fatal = failPartition1 === "fatal";
        failPartition1 = "none";
        if (!fatal) throw new TypeError("fetch failed");
        return new Response(JSON.stringify({ error_code: 29, error: "TOPIC_AUTHORIZATION_FAILED", message: "no", retriable: false }), { status: 403 });
      }
      return inner(input, init);
    };
    const { client } = await setup([2, 3], wrap);
    const consumer = client.consumer({ topic: "t", autoOffsetReset: "earliest" });
    const first = await consumer.poll();
    expect(valuesOf(first, 0)).toEqual(["p0-0", "p0-1"]);
    expect(valuesOf(first, 1)).toEqual([]);
    expect(consumer.position(1)).toBe(0);
    expect(valuesOf(await consumer.poll(), 1)).toEqual(["p1-0", "p1-1", "p1-2"]);
    failPartition1 = "fatal";
    consumer.seek(1, 0);
    const err = await consumer.poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlarelogError);
    expect((err as FlarelogError).error).toBe("TOPIC_AUTHORIZATION_FAILED");
  });
});
