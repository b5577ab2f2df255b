import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { names } from "../../src/protocol/names.ts";
import { app } from "../../src/api/app.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();

async function created(name: string, opts: Parameters<typeof client.createTopic>[1] = {}) {
  const r = await client.createTopic(name, opts);
  if (!r.ok) throw new Error(`create failed: ${JSON.stringify(r.error)}`);
  return r.body;
}

describe("topics", () => {
  it("a created topic is described with a topic id, its partitions and effective configs", async () => {
    const name = uniqueTopic();
    const t = await created(name, { partitions: 3, configs: { "retention.ms": "1000" } });
    expect(t.name).toBe(name);
    expect(t.topic_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.replication_factor).toBe(1);
    expect(t.configs["retention.ms"]).toBe("1000");
    expect(t.configs["cleanup.policy"]).toBe("delete");
    expect(t.partitions).toHaveLength(3);
    expect(t.partitions[0]).toEqual({
      partition: 0, leader: 0, leader_epoch: 0, replicas: [0], isr: [0], offline_replicas: [],
      log_start_offset: 0, high_watermark: 0, log_end_offset: 0,
    });
    const d = await client.describeTopic(name);
    expect(d.ok && d.body.topic_id).toBe(t.topic_id);
    const list = await client.listTopics();
    expect(list.ok && list.body.topics.map((x) => x.name)).toContain(name);
  });

  it("creating an existing topic is TOPIC_ALREADY_EXISTS (36) and keeps the original id", async () => {
    const name = uniqueTopic();
    const t = await created(name);
    const again = await client.createTopic(name, { partitions: 5 });
    expect(again).toMatchObject({ ok: false, status: 409, error: { error_code: 36, error: "TOPIC_ALREADY_EXISTS", retriable: false } });
    const d = await client.describeTopic(name);
    expect(d.ok && [d.body.topic_id, d.body.partitions.length]).toEqual([t.topic_id, 1]);
  });

  it("partitions only grow, and new partitions accept records", async () => {
    const name = uniqueTopic();
    await created(name, { partitions: 2 });
    const grown = await client.alterTopic(name, { partitions: 4 });
    expect(grown.ok && grown.body.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
    const shrink = await client.alterTopic(name, { partitions: 3 });
    expect(shrink).toMatchObject({ status: 400, error: { error_code: 37, error: "INVALID_PARTITIONS" } });
    const p = await client.produce(name, [{ value: "x", partition: 3 }]);
    expect(p.ok && p.body.offsets).toEqual([{ partition: 3, offset: 0, timestamp: expect.any(Number) }]);
  });

  it("a config change is validated, kept, and reaches the replicas", async () => {
    const name = uniqueTopic();
    await created(name);
    const bad = await client.alterTopic(name, { configs: { "retention.ms": "soon" } });
    expect(bad).toMatchObject({ status: 400, error: { error_code: 40, error: "INVALID_CONFIG" } });
    const good = await client.alterTopic(name, { configs: { "message.timestamp.type": "LogAppendTime" } });
    expect(good.ok && good.body.configs["message.timestamp.type"]).toBe("LogAppendTime");
    const p = await client.produce(name, [{ value: "v", timestamp: 1 }]);
    expect(p.ok && p.body.offsets[0]!.timestamp).toBeGreaterThan(1_000_000_000_000);
  });

  it("a deleted and re-created topic has a new id and none of the old records", async () => {
    const name = uniqueTopic();
    const first = await created(name);
    await client.produce(name, [{ value: "old" }]);
    expect((await client.deleteTopic(name)).status).toBe(204);
    expect(await client.describeTopic(name)).toMatchObject({ status: 404, error: { error_code: 3 } });
    const second = await created(name);
    expect(second.topic_id).not.toBe(first.topic_id);
    const f = await client.fetchRecords(name, 0, { offset: 0 });
    expect(f.ok && f.body).toMatchObject({ records: [], high_watermark: 0 });
  });
});

describe("produce and fetch", () => {
  it("records come back in order with keys, values, headers and timestamps", async () => {
    const name = uniqueTopic();
    await created(name);
    const p = await client.produce(name, [
      { key: "k1", value: "v1", headers: { h: "x" }, partition: 0, timestamp: 1700000000000 },
      { key: null, value: null, partition: 0, timestamp: 1700000000001 },
      { value: "ünïcode ✓", partition: 0 },
    ]);
    expect(p.ok && p.body.offsets.map((o) => o.offset)).toEqual([0, 1, 2]);
    const f = await client.fetchRecords(name, 0, { offset: 0 });
    expect(f.ok).toBe(true);
    if (!f.ok) return;
    expect(f.body.records).toEqual([
      { offset: 0, timestamp: 1700000000000, key: "k1", value: "v1", headers: { h: "x" } },
      { offset: 1, timestamp: 1700000000001, key: null, value: null, headers: {} },
      { offset: 2, timestamp: expect.any(Number), key: null, value: "ünïcode ✓", headers: {} },
    ]);
    expect(f.body).toMatchObject({ next_offset: 3, high_watermark: 3, log_start_offset: 0 });
  });

  it("keyed records land on Kafka's murmur2 partition, keyless ones round-robin", async () => {
    const name = uniqueTopic();
    await created(name, { partitions: 3 });
    const keyed = await client.produce(name, [{ key: "a", value: "1" }, { key: "b", value: "2" }, { key: "a", value: "3" }]);
    if (!keyed.ok) throw new Error("produce failed");
    const [a1, b, a2] = keyed.body.offsets;
    expect(a1!.partition).toBe(a2!.partition);
    // Kafka's Java client puts "a" on partition 1 and "b" on partition 2 of a 3-partition topic.
    expect([a1!.partition, b!.partition]).toEqual([1, 2]);
    const keyless = await client.produce(name, [{ value: "x" }, { value: "y" }, { value: "z" }]);
    expect(keyless.ok && new Set(keyless.body.offsets.map((o) => o.partition)).size).toBe(3);
    // Records without a timestamp share the request's CreateTime, whichever partition they hit.
    expect(keyless.ok && new Set(keyless.body.offsets.map((o) => o.timestamp)).size).toBe(1);
  });

  it("an NDJSON body produces one record a line, blank lines skipped", async () => {
    const name = uniqueTopic();
    await created(name);
    const body = '{"key":"a","value":"1"}\n\n{"value":"2","headers":{"h":"x"}}\r\n';
    const p = await client.request<{ offsets: { offset: number }[] }>("POST", `/v1/topics/${name}/records`, {
      body,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(p.ok && p.body.offsets.map((o) => o.offset)).toEqual([0, 1]);
    const f = await client.fetchRecords(name, 0, { offset: 0 });
    expect(f.ok && f.body.records.map((r) => [r.key, r.value, r.headers])).toEqual([["a", "1", {}], [null, "2", { h: "x" }]]);
  });

  it("utf8 keys, values and headers are stored as their exact UTF-8 bytes, also past one 64 KiB encoding chunk", async () => {
    const name = uniqueTopic();
    await created(name);
    const big = "ü€😀".repeat(9000); // 81,000 UTF-8 bytes from 27,000 UTF-16 code units: more than one chunk
    const records = [
      { key: "k-ü", value: "a€b😀c", headers: { "h-ü": "v😀", e: "" } },
      { key: null, value: "" },
      { value: big },
      { key: "x".repeat(70_000), value: null },
      { value: "after" },
    ];
    const p = await client.produce(name, records);
    expect(p.ok && p.body.offsets.map((o) => o.offset)).toEqual([0, 1, 2, 3, 4]);
    const f = await client.fetchRecords(name, 0, { offset: 0, encoding: "base64" });
    const utf8 = (s: string | null) => (s === null ? null : Buffer.from(s, "utf8").toString("base64"));
    expect(f.ok && f.body.records.map((r) => [r.key, r.value, r.headers])).toEqual([
      [utf8("k-ü"), utf8("a€b😀c"), { "h-ü": utf8("v😀"), e: "" }],
      [null, "", {}],
      [null, utf8(big), {}],
      [utf8("x".repeat(70_000)), null, {}],
      [null, utf8("after"), {}],
    ]);
  }, 20_000);

  it("a utf8 value with a lone surrogate is INVALID_REQUEST naming the field, and nothing of the request is written", async () => {
    const name = uniqueTopic();
    await created(name);
    const r = await client.produce(name, [{ value: "fine" }, { key: "k", value: "bad\ud800" }]);
    expect(r).toMatchObject({ ok: false, status: 400, error: { error: "INVALID_REQUEST", message: "records[1].value contains a lone UTF-16 surrogate" } });
    const d = await client.describeTopic(name);
    expect(d.ok && d.body.partitions[0]!.log_end_offset).toBe(0);
  });

  it("base64 encoding round-trips arbitrary bytes", async () => {
    const name = uniqueTopic();
    await created(name);
    const bytes = "AP8QgH9+"; // 00 ff 10 80 7f 7e
    await client.produce(name, [{ key: "AQI=", value: bytes, headers: { h: "/w==" } }], { encoding: "base64" });
    const f = await client.fetchRecords(name, 0, { offset: 0, encoding: "base64" });
    expect(f.ok && f.body.records[0]).toMatchObject({ key: "AQI=", value: bytes, headers: { h: "/w==" } });
  });

  it("fetch honours max_records, and max_bytes still returns at least one record", async () => {
    const name = uniqueTopic();
    await created(name);
    await client.produce(name, Array.from({ length: 10 }, (_, i) => ({ value: `value-${i}`.padEnd(100, "x") })));
    const two = await client.fetchRecords(name, 0, { offset: 3, max_records: 2 });
    expect(two.ok && [two.body.records.map((r) => r.offset), two.body.next_offset]).toEqual([[3, 4], 5]);
    const one = await client.fetchRecords(name, 0, { offset: 5, max_bytes: 1 });
    expect(one.ok && one.body.records.map((r) => r.offset)).toEqual([5]);
    const latest = await client.fetchRecords(name, 0, { offset: "latest" });
    expect(latest.ok && [latest.body.records.length, latest.body.next_offset]).toEqual([0, 10]);
  });

  it("a long-polling fetch returns as soon as a record is produced", async () => {
    const name = uniqueTopic();
    await created(name);
    const waiting = client.fetchRecords(name, 0, { offset: 0, wait_ms: 20_000 });
    const started = Date.now();
    await client.produce(name, [{ value: "wake" }]);
    const f = await waiting;
    expect(f.ok && f.body.records.map((r) => r.value)).toEqual(["wake"]);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("acks=0 answers 202 with an empty body and the record is appended", async () => {
    const name = uniqueTopic();
    await created(name);
    const p = await client.produce(name, [{ value: "fire-and-forget" }], { acks: "0" });
    expect([p.status, p.ok && p.body]).toEqual([202, {}]);
    const f = await client.fetchRecords(name, 0, { offset: 0, wait_ms: 10_000 });
    expect(f.ok && f.body.records.map((r) => r.value)).toEqual(["fire-and-forget"]);
  });

  it("list offsets answers earliest, latest and the first offset at or after a timestamp", async () => {
    const name = uniqueTopic();
    await created(name);
    await client.produce(name, [1000, 2000, 3000].map((timestamp, i) => ({ value: `${i}`, timestamp })));
    expect(await client.listOffsets(name, 0, "earliest")).toMatchObject({ body: { offset: 0 } });
    expect(await client.listOffsets(name, 0, "latest")).toMatchObject({ body: { offset: 3 } });
    expect(await client.listOffsets(name, 0, 1500)).toMatchObject({ body: { offset: 1, timestamp: 2000 } });
    expect(await client.listOffsets(name, 0, 9999)).toMatchObject({ body: { offset: 3, timestamp: null } });
  });
});

describe("durability", () => {
  it("an evicted partition replica comes back with its log and offsets intact", async () => {
    const name = uniqueTopic();
    const t = await created(name);
    await client.produce(name, Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const stub = env.PARTITION_REPLICA.getByName(names.partitionReplica("default", t.topic_id, 0, 0));
    await evictDurableObject(stub);
    const f = await client.fetchRecords(name, 0, { offset: 0 });
    expect(f.ok && f.body.records.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(f.ok && f.body.high_watermark).toBe(50);
    const more = await client.produce(name, [{ value: "after" }]);
    expect(more.ok && more.body.offsets[0]!.offset).toBe(50);
  });

  it("an evicted coordinator keeps every topic", async () => {
    const name = uniqueTopic();
    const t = await created(name, { partitions: 2 });
    await evictDurableObject(env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator("default")));
    const d = await client.describeTopic(name);
    expect(d.ok && [d.body.topic_id, d.body.partitions.length]).toEqual([t.topic_id, 2]);
  });
});

describe("service endpoints", () => {
  it("/healthz answers without a token and /openapi.json lists the produce route", async () => {
    const anon = workerClient("");
    expect((await anon.request("GET", "/healthz")).status).toBe(200);
    const doc = await anon.request<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(doc.ok && doc.body.openapi).toBe("3.1.0");
    expect(doc.ok && Object.keys(doc.body.paths)).toContain("/v1/topics/{topic}/records");
  });

  it("/openapi.json documents every route the app serves, with its method", async () => {
    const doc = await workerClient("").request<{ paths: Record<string, Record<string, unknown>> }>("GET", "/openapi.json");
    const paths = doc.ok ? doc.body.paths : {};
    const served = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([a-z_]+)/g, "{$1}").replace(/\/$/, "")}`);
    const documented = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(served.filter((r) => r !== "get /openapi.json" && !documented.includes(r))).toEqual([]);
    expect(served.length).toBeGreaterThan(25);
  });

  it("every /v1 route refuses a missing or wrong token with 401 and the error body", async () => {
    for (const token of ["", "wrong"]) {
      const r = await workerClient(token).listTopics();
      expect(r).toMatchObject({ ok: false, status: 401, error: { error_code: 58, retriable: false } });
    }
  });
});
