/**
 * Bad input: every case answers the contract's error body with the right Kafka code, and
 * nothing is written (topic list and high watermarks unchanged).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "../../src/protocol/config.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const topic = uniqueTopic("bad");

function errorBody(code: number, name: string) {
  return { ok: false, error: { error_code: code, error: name, message: expect.any(String), retriable: expect.any(Boolean) } };
}

async function highWatermarks(): Promise<number[]> {
  const d = await client.describeTopic(topic);
  if (!d.ok) throw new Error("describe failed");
  return d.body.partitions.map((p) => p.high_watermark ?? -1);
}

async function topicNames(): Promise<string[]> {
  const l = await client.listTopics();
  if (!l.ok) throw new Error("list failed");
  return l.body.topics.map((t) => t.name).sort();
}

beforeAll(async () => {
  const r = await client.createTopic(topic, { partitions: 2 });
  expect(r.ok).toBe(true);
  await client.produce(topic, [{ value: "seed", partition: 0 }]);
});

describe("topic names", () => {
  const invalid = ["", ".", "..", "x".repeat(250), "a/b", "%2e%2e", "a\u0000b", "spaces here", "ünï"];
  it.each(invalid)("creating a topic named %j is INVALID_TOPIC_EXCEPTION (17) and creates nothing", async (name) => {
    const before = await topicNames();
    const r = await client.createTopic(name);
    expect(r.status).toBe(400);
    expect(r).toMatchObject(errorBody(17, "INVALID_TOPIC_EXCEPTION"));
    expect(await topicNames()).toEqual(before);
  });

  it("a 249-character name is accepted", async () => {
    const name = `n${crypto.randomUUID()}`.padEnd(249, "x");
    expect((await client.createTopic(name)).status).toBe(201);
  });

  it.each(["a%00b", "a%2Fb", "%20"])("a path naming topic %j is INVALID_TOPIC_EXCEPTION before any lookup", async (raw) => {
    const r = await client.request("GET", `/v1/topics/${raw}`);
    expect(r).toMatchObject(errorBody(17, "INVALID_TOPIC_EXCEPTION"));
  });

  it.each(["..", "%2e%2e", "%2E"])("a dot-segment path %j resolves away from any topic and answers the error body", async (raw) => {
    // URL parsing removes dot segments ("/v1/topics/.." is "/v1/"), so no route can name them.
    const r = await client.request("GET", `/v1/topics/${raw}`);
    expect(r).toMatchObject({ ok: false, status: 404, error: { error_code: expect.any(Number), retriable: false } });
  });

  it("a path with a slash in the topic name matches no route and answers the error body", async () => {
    const r = await client.request("GET", "/v1/topics/a/b");
    expect(r.status).toBe(404);
    expect(r).toMatchObject({ ok: false, error: { error_code: expect.any(Number), message: expect.any(String) } });
  });

  it.each([0, -1, 1001, 1.5])("partitions=%j is INVALID_PARTITIONS (37)", async (partitions) => {
    const r = await client.request("POST", "/v1/topics", { body: { name: uniqueTopic(), partitions } });
    expect(r.status).toBe(400);
    expect([37, 42]).toContain(!r.ok && r.error.error_code);
  });

  it("an unknown config is INVALID_CONFIG (40) and creates nothing", async () => {
    const before = await topicNames();
    const r = await client.createTopic(uniqueTopic(), { configs: { "retention.mss": "1" } });
    expect(r).toMatchObject(errorBody(40, "INVALID_CONFIG"));
    expect(await topicNames()).toEqual(before);
  });
});

describe("unknown topics and partitions", () => {
  it("producing to or fetching from an unknown topic is UNKNOWN_TOPIC_OR_PARTITION (3), 404", async () => {
    const p = await client.produce("no-such-topic", [{ value: "x" }]);
    expect([p.status, p]).toMatchObject([404, errorBody(3, "UNKNOWN_TOPIC_OR_PARTITION")]);
    const f = await client.fetchRecords("no-such-topic", 0);
    expect([f.status, f]).toMatchObject([404, errorBody(3, "UNKNOWN_TOPIC_OR_PARTITION")]);
  });

  it.each([2, 99, -1])("partition %i of a 2-partition topic is unknown, and nothing is written", async (partition) => {
    const before = await highWatermarks();
    const body = await client.request("POST", `/v1/topics/${topic}/records`, {
      body: { records: [{ value: "ok", partition: 0 }, { value: "bad", partition }] },
    });
    expect([body.status, body]).toMatchObject([404, errorBody(3, "UNKNOWN_TOPIC_OR_PARTITION")]);
    const path = await client.request("POST", `/v1/topics/${topic}/partitions/${partition}/records`, { body: { records: [{ value: "x" }] } });
    expect([path.status, path]).toMatchObject([404, errorBody(3, "UNKNOWN_TOPIC_OR_PARTITION")]);
    const f = await client.request("GET", `/v1/topics/${topic}/partitions/${partition}/records`);
    expect(f).toMatchObject(errorBody(3, "UNKNOWN_TOPIC_OR_PARTITION"));
    expect(await highWatermarks()).toEqual(before);
  });
});

describe("produce parameters and bodies", () => {
  it.each(["2", "all2", "-2", "", "true", "ALL"])("acks=%j is INVALID_REQUIRED_ACKS (21)", async (acks) => {
    const before = await highWatermarks();
    const r = await client.produce(topic, [{ value: "x" }], { acks });
    expect([r.status, r]).toMatchObject([400, errorBody(21, "INVALID_REQUIRED_ACKS")]);
    expect(await highWatermarks()).toEqual(before);
  });

  it.each(["all", "-1", "1"])("acks=%s is accepted", async (acks) => {
    expect((await client.produce(topic, [{ value: "x", partition: 1 }], { acks })).status).toBe(200);
  });

  it.each(["YWJj ZA==", "abc", "a===", "@@@@", "YQ"])("invalid base64 %j is INVALID_REQUEST (42) and nothing is written", async (value) => {
    const before = await highWatermarks();
    const r = await client.produce(topic, [{ value: "YQ==" }, { value }], { encoding: "base64" });
    expect([r.status, r]).toMatchObject([400, errorBody(42, "INVALID_REQUEST")]);
    expect(await highWatermarks()).toEqual(before);
  });

  it("invalid JSON is INVALID_REQUEST (42)", async () => {
    const r = await client.request("POST", `/v1/topics/${topic}/records`, { body: '{"records": [' });
    expect([r.status, r]).toMatchObject([400, errorBody(42, "INVALID_REQUEST")]);
  });

  it("a JSON body nested 100,000 deep is refused with INVALID_REQUEST, not a crash", async () => {
    const deep = `{"records":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const r = await client.request("POST", `/v1/topics/${topic}/records`, { body: deep });
    expect([r.status, r]).toMatchObject([400, errorBody(42, "INVALID_REQUEST")]);
  });

  it("a body over the limit is refused with RECORD_LIST_TOO_LARGE (18) with Content-Length", async () => {
    const before = await highWatermarks();
    const big = JSON.stringify({ records: [{ value: "x".repeat(LIMITS.maxRequestBytes) }] });
    const r = await client.request("POST", `/v1/topics/${topic}/records`, { body: big });
    expect([r.status, r]).toMatchObject([413, errorBody(18, "RECORD_LIST_TOO_LARGE")]);
    expect(await highWatermarks()).toEqual(before);
  });

  it("a chunked body over the limit without Content-Length is refused the same way", async () => {
    const before = await highWatermarks();
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"records":[{"value":"'));
        if (sent > LIMITS.maxRequestBytes * 2) return controller.close();
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const r = await client.request("POST", `/v1/topics/${topic}/records`, { body: stream });
    expect([r.status, r]).toMatchObject([413, errorBody(18, "RECORD_LIST_TOO_LARGE")]);
    expect(await highWatermarks()).toEqual(before);
  });

  it("one oversized record rejects the whole batch with MESSAGE_TOO_LARGE (10)", async () => {
    const name = uniqueTopic();
    await client.createTopic(name, { configs: { "max.message.bytes": "1000" } });
    const r = await client.produce(name, [{ value: "small" }, { value: "y".repeat(2000) }, { value: "small" }]);
    expect([r.status, r]).toMatchObject([413, errorBody(10, "MESSAGE_TOO_LARGE")]);
    const f = await client.fetchRecords(name, 0, { offset: 0 });
    expect(f.ok && f.body.high_watermark).toBe(0);
  });

  it("records must be a non-empty array of known fields", async () => {
    for (const body of [{}, { records: [] }, { records: "x" }, { records: [{ value: 1 }] }, { records: [{ valu: "typo" }] }])
      expect(await client.request("POST", `/v1/topics/${topic}/records`, { body })).toMatchObject(errorBody(42, "INVALID_REQUEST"));
  });
});

describe("fetch offsets", () => {
  it.each(["-3", "1.5", "0x10", "9007199254740992", "1e3", "abc", ""])("offset=%j is INVALID_REQUEST (42)", async (offset) => {
    const r = await client.request("GET", `/v1/topics/${topic}/partitions/0/records`, { query: { offset } });
    expect([r.status, r]).toMatchObject([400, errorBody(42, "INVALID_REQUEST")]);
  });

  it("an offset above the log end offset is OFFSET_OUT_OF_RANGE (1), 416", async () => {
    // Fully replicated here, so the LEO is the HW; between the two is an empty answer (fetch-rule test).
    const hw = (await highWatermarks())[0]!;
    const r = await client.fetchRecords(topic, 0, { offset: hw + 1 });
    expect([r.status, r]).toMatchObject([416, errorBody(1, "OFFSET_OUT_OF_RANGE")]);
  });

  it("an offset below the log start offset is OFFSET_OUT_OF_RANGE (1), 416", async () => {
    const name = uniqueTopic();
    await client.createTopic(name, { configs: { "retention.bytes": "0", "segment.bytes": "100" } });
    // One produce request is one batch, and a segment holds whole batches: send five.
    for (let i = 0; i < 5; i++) await client.produce(name, [{ value: "z".repeat(200) }]);
    const { env } = await import("cloudflare:workers");
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const { names } = await import("../../src/protocol/names.ts");
    const d = await client.describeTopic(name);
    if (!d.ok) throw new Error("describe failed");
    await runDurableObjectAlarm(env.PARTITION_REPLICA.getByName(names.partitionReplica("default", d.body.topic_id, 0, 0)));
    const after = await client.describeTopic(name);
    const logStart = after.ok ? after.body.partitions[0]!.log_start_offset! : 0;
    expect(logStart).toBeGreaterThan(0);
    const r = await client.fetchRecords(name, 0, { offset: logStart - 1 });
    expect([r.status, r]).toMatchObject([416, errorBody(1, "OFFSET_OUT_OF_RANGE")]);
  });

  it.each([
    ["max_records", "0"],
    ["max_records", "1.5"],
    ["max_records", String(LIMITS.maxFetchRecords + 1)],
    ["max_bytes", "-1"],
    ["max_bytes", String(LIMITS.maxFetchBytes + 1)],
    ["wait_ms", "999999"],
  ])(
    "%s=%s is INVALID_REQUEST (42)",
    async (k, v) => {
      const r = await client.request("GET", `/v1/topics/${topic}/partitions/0/records`, { query: { [k]: v } });
      expect(r).toMatchObject(errorBody(42, "INVALID_REQUEST"));
    },
  );
});
