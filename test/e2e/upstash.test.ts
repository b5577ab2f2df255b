/**
 * The Upstash dialect (/upstash, src/doors/upstash) driven by the real, unmodified
 * `@upstash/kafka` 1.3.5 against the real server started as `npm start` starts it
 * (test/support/server-process.ts). The client takes no custom fetch, so it talks HTTP to the
 * child process; the test only wraps the global `fetch` to watch what the client sends and gets
 * (every answer must be JSON, errors too: the client parses before it checks the status).
 *
 * The client retries a non-2xx answer five times with 0.5 + 1 + 2 + 4 + 8 s of backoff
 * (`setTimeout`); the error cases make those timers (and only those) fire at once, so nothing
 * sleeps, and count the six attempts.
 */
import { Kafka, UpstashError } from "@upstash/kafka";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "upstash-e2e-admin-token";
let server: Running;
let stateDir: string;

interface Seen {
  url: string;
  status: number;
  contentType: string | null;
}
const seen: Seen[] = [];
const realFetch = globalThis.fetch;

async function native(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await realFetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : (JSON.parse(text) as unknown) };
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await native("POST", "/v1/topics", { name, partitions, replication_factor: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
}

const kafka = (password = ADMIN_TOKEN, username = "default") => new Kafka({ url: `${server.url}/upstash`, username, password });

/**
 * Runs `work` with the client's backoff timers (its `setTimeout`s, told apart by the caller's
 * stack: node_modules/@upstash/kafka) firing at once; every other timer (undici's) is untouched.
 */
async function withoutBackoff<T>(work: () => Promise<T>): Promise<T> {
  const realSetTimeout = globalThis.setTimeout;
  const shortened = (fn: () => void, ms?: number) => realSetTimeout(fn, new Error().stack?.includes("@upstash/kafka") ? 0 : ms);
  globalThis.setTimeout = shortened as typeof setTimeout;
  try {
    return await work();
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-upstash-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
  globalThis.fetch = async (input, init) => {
    const res = await realFetch(input, init).catch((e: unknown) => {
      seen.push({ url: String(input), status: -1, contentType: String(e) });
      throw e;
    });
    seen.push({ url: String(input), status: res.status, contentType: res.headers.get("content-type") });
    return res;
  };
}, 60_000);

afterAll(async () => {
  globalThis.fetch = realFetch;
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

afterEach(() => {
  // Every answer the client read was JSON (it parses before it looks at the status).
  for (const s of seen) expect(s.contentType, `${s.url} → ${s.status}`).toMatch(/^application\/json/);
  seen.length = 0;
});

describe("@upstash/kafka 1.3.5 against /upstash", () => {
  it("produce answers each message's partition, offset and timestamp, and fetch reads them back with key, value and headers", { timeout: 30_000 }, async () => {
    await createTopic("up-orders", 1);
    const p = kafka().producer();
    const one = await p.produce("up-orders", { id: 1 }, { key: "k1", headers: [{ key: "h", value: "v" }] });
    expect(one).toMatchObject({ topic: "up-orders", partition: 0, offset: 0 });
    expect(typeof one.timestamp).toBe("number");
    const many = await p.produceMany([
      { topic: "up-orders", value: "plain text" },
      { topic: "up-orders", value: { id: 3 }, timestamp: 1_700_000_000_000 },
    ]);
    expect(many.map((m) => [m.partition, m.offset])).toEqual([[0, 1], [0, 2]]);
    expect(many[1]!.timestamp).toBe(1_700_000_000_000);

    const msgs = await kafka().consumer().fetch({ topic: "up-orders", partition: 0, offset: 0, timeout: 0 });
    expect(msgs).toHaveLength(3);
    expect(msgs[0]).toMatchObject({ topic: "up-orders", partition: 0, offset: 0, key: "k1", value: '{"id":1}', headers: [{ key: "h", value: "v" }] });
    expect(msgs[1]).toMatchObject({ offset: 1, key: "", value: "plain text", headers: [] });
    expect(msgs[2]).toMatchObject({ offset: 2, timestamp: 1_700_000_000_000 });
    const fromOne = await kafka().consumer().fetch({ topicPartitionOffsets: [{ topic: "up-orders", partition: 0, offset: 2 }], timeout: 0 });
    expect(fromOne.map((m) => m.offset)).toEqual([2]);
  });

  it("a produce to several topics writes nothing when one topic is unknown (the 404 the client retries is safe)", { timeout: 30_000 }, async () => {
    await createTopic("up-safe", 1);
    const err = await withoutBackoff(() =>
      kafka().producer().produceMany([
        { topic: "up-safe", value: "a" },
        { topic: "up-nowhere", value: "b" },
      ]),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstashError);
    expect(err).toMatchObject({ status: 404 });
    expect((err as UpstashError).message).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/);
    expect(seen.filter((s) => s.url.endsWith("/upstash/produce")), JSON.stringify(seen)).toHaveLength(6); // first try + 5 retries
    const offsets = await kafka().admin().topicPartitionOffsets({ timestamp: "latest", topicPartition: { topic: "up-safe", partition: 0 } });
    expect(offsets).toEqual([{ topic: "up-safe", partition: 0, offset: 0 }]);
  });

  it("bad credentials and a username other than the key's tenant surface as UpstashError 401", { timeout: 30_000 }, async () => {
    const wrongKey = await withoutBackoff(() => kafka("not-the-key").admin().topics()).catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(UpstashError);
    expect(wrongKey).toMatchObject({ status: 401 });
    expect(seen.map((s) => s.status)).toEqual([401, 401, 401, 401, 401, 401]);
    const wrongTenant = await withoutBackoff(() => kafka(ADMIN_TOKEN, "acme").admin().topics()).catch((e: unknown) => e);
    expect(wrongTenant).toBeInstanceOf(UpstashError);
    expect((wrongTenant as UpstashError).message).toMatch(/tenant "acme"/);
  });

  it("topics lists each topic's partition count; offsets answers earliest, latest and by timestamp", { timeout: 30_000 }, async () => {
    await createTopic("up-three", 3);
    const topics = await kafka().admin().topics();
    expect(topics).toMatchObject({ "up-three": 3 });
    await kafka().producer().produceMany([
      { topic: "up-three", value: "x", partition: 1, timestamp: 1000 },
      { topic: "up-three", value: "y", partition: 1, timestamp: 2000 },
    ]);
    const admin = kafka().admin();
    const tp = { topic: "up-three", partition: 1 };
    expect(await admin.topicPartitionOffsets({ timestamp: "earliest", topicPartition: tp })).toEqual([{ ...tp, offset: 0 }]);
    expect(await admin.topicPartitionOffsets({ timestamp: "latest", topicPartitions: [tp] })).toEqual([{ ...tp, offset: 2 }]);
    expect(await admin.topicPartitionOffsets({ timestamp: 1500, topicPartition: tp })).toEqual([{ ...tp, offset: 1 }]);
  });
});

describe("consumer groups through /upstash", () => {
  const topic = "up-group";
  const group = "up-g1";

  /** The partitions each instance of the group owns now (admin.consumers()). */
  async function owners(): Promise<Map<string, number[]>> {
    const groups = await kafka().admin().consumers();
    const g = groups.find((x) => x.name === group);
    return new Map((g?.instances ?? []).map((i) => [i.name, i.topics.flatMap((t) => t.partitions).sort()]));
  }

  /** Consumes with a and b in turns until each owns one partition; checks no partition is ever owned twice. */
  async function balance(): Promise<Map<string, number[]>> {
    const c = kafka().consumer();
    let own = new Map<string, number[]>();
    for (let round = 0; round < 10; round++) {
      await c.consume({ consumerGroupId: group, instanceId: "b", topics: [topic], timeout: 0, autoOffsetReset: "earliest" });
      await c.consume({ consumerGroupId: group, instanceId: "a", topics: [topic], timeout: 0, autoOffsetReset: "earliest" });
      own = await owners();
      const all = [...own.values()].flat();
      expect(new Set(all).size, JSON.stringify([...own])).toBe(all.length);
      if (own.get("a")?.length === 1 && own.get("b")?.length === 1) return own;
    }
    throw new Error(`instances did not settle on one partition each: ${JSON.stringify([...own])}`);
  }

  it("two instances of a group end up each owning one partition, never the same one, and read only their own", { timeout: 60_000 }, async () => {
    await createTopic(topic, 2);
    await kafka().producer().produceMany([0, 1, 0, 1].map((partition, i) => ({ topic, value: `before-${i}`, partition })));
    const c = kafka().consumer();
    const consume = (instanceId: string) =>
      c.consume({ consumerGroupId: group, instanceId, topics: [topic], timeout: 0, autoOffsetReset: "earliest" });
    const first = await consume("a");
    expect(first.map((m) => m.value).sort()).toEqual(["before-0", "before-1", "before-2", "before-3"]);
    const own = await balance();
    expect(own.get("a")).toHaveLength(1);
    expect(own.get("b")).toHaveLength(1);
    const pa = own.get("a")![0]!;
    const pb = own.get("b")![0]!;
    await kafka().producer().produceMany([{ topic, value: "after-a", partition: pa }, { topic, value: "after-b", partition: pb }]);
    expect((await consume("a")).map((m) => [m.partition, m.value])).toEqual([[pa, "after-a"]]);
    expect((await consume("b")).map((m) => [m.partition, m.value])).toEqual([[pb, "after-b"]]);
  });

  it("a native member joining the group takes a partition only after the dialect instance gave it up", { timeout: 60_000 }, async () => {
    const joined = await native("POST", `/v1/groups/${group}/members`, { topics: [topic] });
    expect(joined.status, JSON.stringify(joined.json)).toBe(200);
    const member = joined.json as { member_id: string; member_epoch: number };
    let epoch = member.member_epoch;
    const c = kafka().consumer();
    for (let round = 0; round < 10; round++) {
      await c.consume({ consumerGroupId: group, instanceId: "a", topics: [topic], timeout: 0 });
      await c.consume({ consumerGroupId: group, instanceId: "b", topics: [topic], timeout: 0 });
      const hb = await native("POST", `/v1/groups/${group}/members/${member.member_id}/heartbeat`, { member_epoch: epoch });
      epoch = (hb.json as { member_epoch: number }).member_epoch;
      const d = (await native("GET", `/v1/groups/${group}`)).json as { members: { assignment: { topic: string; partitions: number[] }[] }[] };
      const owned = d.members.flatMap((m) => m.assignment.flatMap((a) => a.partitions));
      expect(new Set(owned).size, JSON.stringify(d.members)).toBe(owned.length);
    }
    expect((await native("DELETE", `/v1/groups/${group}/members/${member.member_id}`)).status).toBe(204);
  });

  it("commit stores one offset or a list, no body commits what was consumed, committed reads them back", { timeout: 30_000 }, async () => {
    const c = kafka().consumer();
    const own = await balance();
    const pa = own.get("a")![0]!;
    const base = { consumerGroupId: group, instanceId: "a" };
    await c.commit({ ...base, offset: { topic, partition: pa, offset: 1 } });
    expect(await c.committed({ ...base, topicPartitions: [{ topic, partition: pa }] })).toEqual([{ topic, partition: pa, offset: 1 }]);
    await c.commit({ ...base, offset: [{ topic, partition: pa, offset: 2 }] });
    expect(await kafka().admin().committedOffsets({ ...base, topicPartition: { topic, partition: pa } })).toEqual([{ topic, partition: pa, offset: 2 }]);
    await kafka().producer().produce(topic, "to-commit", { partition: pa });
    const read = await c.consume({ ...base, topics: [topic], timeout: 0, autoCommit: false });
    const last = Math.max(...read.filter((m) => m.partition === pa).map((m) => m.offset));
    await c.commit(base);
    expect(await c.committed({ ...base, topicPartitions: [{ topic, partition: pa }] })).toEqual([{ topic, partition: pa, offset: last + 1 }]);
    const never = await c.committed({ ...base, topicPartitions: [{ topic: "up-orders", partition: 0 }] });
    expect(never).toEqual([{ topic: "up-orders", partition: 0, offset: -1 }]);
  });

  it("delete-consumer removes the instance: consumers no longer lists it and its partitions go to the other", { timeout: 60_000 }, async () => {
    await kafka().admin().removeConsumerInstance(group, "a");
    expect([...(await owners()).keys()]).toEqual(["b"]);
    const c = kafka().consumer();
    let own = new Map<string, number[]>();
    for (let round = 0; round < 5 && own.get("b")?.length !== 2; round++) {
      await c.consume({ consumerGroupId: group, instanceId: "b", topics: [topic], timeout: 0 });
      own = await owners();
    }
    expect(own.get("b")).toEqual([0, 1]);
  });

  it("a compacted topic (issue 21): fetch and consume read across the gaps the cleaner left, at the kept offsets", { timeout: 60_000 }, async () => {
    const topic = "up-compacted";
    const configs = { "cleanup.policy": "compact", "segment.bytes": "200", "min.cleanable.dirty.ratio": "0" };
    expect((await native("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 1, configs })).status).toBe(201);
    const keys = [...Array(10).fill("a"), ...Array(10).fill("b"), ...Array(10).fill("a")];
    for (const [i, key] of keys.entries()) await native("POST", `/v1/topics/${topic}/records`, { records: [{ key, value: `${key}${i}` }] });
    await native("POST", `/v1/topics/${topic}/records`, { records: [{ key: "roll", value: "x".repeat(300) }] });
    const kept = async () => ((await native("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`)).json as { records: { offset: number }[] }).records;
    await vi.waitUntil(async () => (await kept()).length === 3, { timeout: 30_000, interval: 50 });
    const c = kafka().consumer();
    const all = await c.fetch({ topic, partition: 0, offset: 0, timeout: 0 });
    expect(all.map((m) => [m.offset, m.key, m.value])).toEqual([[19, "b", "b19"], [29, "a", "a29"], [30, "roll", "x".repeat(300)]]);
    expect((await c.fetch({ topic, partition: 0, offset: 20, timeout: 0 })).map((m) => m.offset)).toEqual([29, 30]);
    const base = { consumerGroupId: "up-compacted-g", instanceId: "i" };
    const consumed: number[] = [];
    for (let i = 0; i < 5 && consumed.length < 3; i++)
      consumed.push(...(await c.consume({ ...base, topics: [topic], timeout: 0, autoOffsetReset: "earliest", autoCommit: false })).map((m) => m.offset));
    expect(consumed).toEqual([19, 29, 30]);
    await c.commit(base);
    expect(await c.committed({ ...base, topicPartitions: [{ topic, partition: 0 }] })).toEqual([{ topic, partition: 0, offset: 31 }]);
  });
});
