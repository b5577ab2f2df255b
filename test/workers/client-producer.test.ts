/**
 * Issue 5 with the typed client in workerd: the client's idempotent producer against the real
 * Worker, with a seeded fault layer in its `fetch` that lets the server process a produce and
 * then drops the answer (the client sees a network error and retries), and a leader moved away
 * mid-run. Every acknowledged record is in the log exactly once, in send order per key; the
 * same run without idempotence writes duplicates, and the test counts them.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FlarelogClient, type Producer, type ProducerConfig } from "../../src/client/index.ts";
import { partitionForKey } from "../../src/protocol/partitioner.ts";
import { Prng } from "../support/prng.ts";
import { partitionOf, setReplica } from "../support/replicas.ts";
import { ADMIN_TOKEN, uniqueTopic, workerClient } from "../support/worker-client.ts";

const admin = workerClient();
const PARTITIONS = 3;

/** A client whose produce answers are dropped, after the server processed them, with probability `rate`. */
function lossyClient(seed: number, rate: number) {
  const prng = new Prng(seed);
  const stats = { dropped: 0, produces: 0 };
  const client = new FlarelogClient({
    baseUrl: "http://flarelog.test",
    token: ADMIN_TOKEN,
    fetch: async (input, init) => {
      const res = await exports.default.fetch(new Request(input, init));
      if (init?.method === "POST" && /\/partitions\/\d+\/records/.test(input)) {
        stats.produces++;
        if (prng.chance(rate)) {
          await res.arrayBuffer();
          stats.dropped++;
          throw new TypeError("network connection lost (answer dropped by the test)");
        }
      }
      return res;
    },
  });
  return { client, stats };
}

async function logOf(topic: string): Promise<{ partition: number; offset: number; key: string; value: string }[]> {
  const out = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const r = await admin.fetchRecords(topic, p, { offset: 0, max_records: 10_000 });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    out.push(...r.body.records.map((x) => ({ partition: p, offset: x.offset, key: x.key ?? "", value: x.value ?? "" })));
  }
  return out;
}

/** 20 sends of 10 keyed records (5 keys), all in flight together; returns the acked values per send. */
async function sendAll(producer: Producer, topic: string) {
  const sends = Array.from({ length: 20 }, (_, s) =>
    producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${(s + i) % 5}`, value: `s${s}-r${i}` }))),
  );
  const settled = await Promise.allSettled(sends);
  await producer.close();
  return settled;
}

const CONFIG: ProducerConfig = { lingerMs: 0, batchSize: 256, retryBackoffMs: 1, retryBackoffMaxMs: 20, deliveryTimeoutMs: 60_000, requestTimeoutMs: 10_000 };

describe("the typed client's idempotent producer against the Worker", () => {
  it("answers dropped after the append and a leader move: every record acked, in the log once, per key in send order, on partitionForKey's partition", async () => {
    const topic = uniqueTopic("client");
    expect((await admin.createTopic(topic, { partitions: PARTITIONS, replication_factor: 3, configs: { "min.insync.replicas": "2" } })).ok).toBe(true);
    const { client, stats } = lossyClient(11, 0.3);
    const producer = client.producer({ ...CONFIG, idempotent: true });
    const first = await sendAll(producer, topic);
    const leader = (await partitionOf(admin, topic, 0)).leader;
    // The leader of partition 0 goes offline while the second run's batches are in flight.
    const inFlight = sendAll(client.producer({ ...CONFIG, idempotent: true }), topic);
    await setReplica(admin, topic, 0, leader, "offline");
    const second = await inFlight;
    expect((await partitionOf(admin, topic, 0)).leader).not.toBe(leader);
    await setReplica(admin, topic, 0, leader, "online");
    const results = [...first, ...second];
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect(stats.dropped).toBeGreaterThan(5);

    const log = await logOf(topic);
    const enc = new TextEncoder();
    expect(log.length).toBe(400);
    expect(new Set(log.map((r) => r.value)).size).toBe(200); // each value twice: one per run, never more
    for (const r of log) expect(r.partition).toBe(partitionForKey(enc.encode(r.key), PARTITIONS));
    // Per key, each run's values in send order (s, then r).
    for (let k = 0; k < 5; k++) {
      const values = log.filter((r) => r.key === `k${k}`).map((r) => r.value);
      const order = (v: string) => v.split("-").map((x) => Number(x.slice(1)));
      const runs = [values.slice(0, values.length / 2), values.slice(values.length / 2)];
      for (const run of runs)
        for (let i = 1; i < run.length; i++) {
          const [a, b] = [order(run[i - 1]!), order(run[i]!)];
          expect(a[0]! < b[0]! || (a[0] === b[0] && a[1]! < b[1]!), `${run[i - 1]} before ${run[i]}`).toBe(true);
        }
    }
    // The offsets the client reported are where the records are.
    for (const r of results) {
      if (r.status !== "fulfilled") continue;
      for (const m of r.value) expect(log.some((x) => x.partition === m.partition && x.offset === m.offset)).toBe(true);
    }
    console.log(`[figures] client idempotent producer: ${stats.produces} produce requests, ${stats.dropped} answers dropped, 400 records acked, 0 duplicates`);
  });

  it("the same drops without idempotence write duplicates, and the test counts them", async () => {
    const topic = uniqueTopic("client-plain");
    expect((await admin.createTopic(topic, { partitions: PARTITIONS, replication_factor: 1 })).ok).toBe(true);
    const { client, stats } = lossyClient(11, 0.3);
    const results = await sendAll(client.producer({ ...CONFIG, idempotent: false, acks: "all" }), topic);
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const log = await logOf(topic);
    const duplicates = log.length - new Set(log.map((r) => r.value)).size;
    console.log(`[figures] client non-idempotent producer: ${stats.dropped} answers dropped, ${duplicates} duplicate records`);
    expect(duplicates).toBeGreaterThan(0);
  });
});
