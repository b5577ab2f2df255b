/**
 * The Kafka wire protocol door (/kafka, src/doors/kafka) driven by the real, unmodified kafkajs
 * 2.2.4 against the real server started as `npm start` starts it
 * (test/support/server-process.ts). kafkajs reaches the Worker through the client package's
 * `kafkaSocketFactory` (a WebSocket per broker connection); everything else is kafkajs's own:
 * its admin, producer (acks, murmur2 partitioner, idempotence), consumer groups, SASL PLAIN.
 *
 * Waits are bounded by vi.waitFor; nothing sleeps.
 */
import { CompressionTypes, Kafka, logLevel, Partitioners, type Consumer, type EachMessagePayload, type IHeaders, type ISocketFactory } from "kafkajs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kafkaSocketFactory, type KafkaWebSocket } from "../../src/client/kafka-socket-factory.ts";
import { partitionForKey } from "../../src/protocol/partitioner.ts";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "kafkajs-e2e-admin-token";
let server: Running;
let stateDir: string;
const utf8 = new TextEncoder();

async function native(method: string, path: string, body?: unknown, token = ADMIN_TOKEN): Promise<{ status: number; json: any }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === "" ? null : JSON.parse(text) };
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await native("POST", "/v1/topics", { name, partitions, replication_factor: 1 });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
}

async function readHttp(topic: string, partition: number, offset = 0): Promise<any[]> {
  const r = await native("GET", `/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&max_records=1000`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json.records;
}

function kafka(opts: { username?: string; password?: string; clientId?: string; socketFactory?: ISocketFactory } = {}): Kafka {
  return new Kafka({
    clientId: opts.clientId ?? "flarelog-e2e",
    brokers: ["flarelog:9092"],
    sasl: { mechanism: "plain", username: opts.username ?? "default", password: opts.password ?? ADMIN_TOKEN },
    socketFactory: opts.socketFactory ?? (kafkaSocketFactory({ url: server.url }) as unknown as ISocketFactory),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 500 },
  });
}

/**
 * The client package's factory, with one fault: the answer to the next `lose` Produce requests
 * is dropped and the connection closed instead (the server did the work; the client never hears).
 */
function losingFactory(url: string, fault: { lose: number; dropped: number }): ISocketFactory {
  const inner = kafkaSocketFactory({ url });
  return ((args: Parameters<typeof inner>[0]) => {
    const socket = inner(args) as unknown as KafkaWebSocket;
    let dropped: number | null = null;
    const write = socket.write.bind(socket);
    socket.write = (data: Uint8Array | string, encoding?: string) => {
      const b = data as Uint8Array;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (fault.lose > 0 && b.length >= 12 && view.getInt16(4) === 0) {
        fault.lose--;
        dropped = view.getInt32(8);
      }
      return write(data, encoding);
    };
    const on = socket.on.bind(socket);
    socket.on = (event: string, fn: (...args: unknown[]) => void) => {
      if (event !== "data") return on(event, fn);
      return on("data", (chunk: unknown) => {
        const c = chunk as Uint8Array;
        if (dropped !== null && c.length >= 8 && new DataView(c.buffer, c.byteOffset).getInt32(4) === dropped) {
          dropped = null;
          fault.dropped++;
          socket.destroy();
          return;
        }
        fn(chunk);
      });
    };
    return socket;
  }) as unknown as ISocketFactory;
}

/** The client package's factory until `crash()`: then every socket is closed and none opens again. */
function crashableFactory(url: string): { factory: ISocketFactory; crash: () => void } {
  const sockets: KafkaWebSocket[] = [];
  let crashed = false;
  const live = kafkaSocketFactory({ url });
  const dead = kafkaSocketFactory({ url: "http://127.0.0.1:9" });
  const factory = ((args: Parameters<typeof live>[0]) => {
    const socket = (crashed ? dead : live)(args) as unknown as KafkaWebSocket;
    sockets.push(socket);
    return socket;
  }) as unknown as ISocketFactory;
  return {
    factory,
    crash: () => {
      crashed = true;
      for (const s of sockets) s.destroy();
    },
  };
}

const consumerOpts = (groupId: string) => ({ groupId, sessionTimeout: 10_000, heartbeatInterval: 200, maxWaitTimeInMs: 200, retry: { retries: 3, initialRetryTime: 50 } });

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-kafkajs-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
}, 60_000);

afterAll(async () => {
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

describe("kafkajs admin over the Kafka door", () => {
  it("creates, lists, describes (metadata and configs) and deletes topics, each visible over HTTP", async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: "adm-a", numPartitions: 3, configEntries: [{ name: "retention.ms", value: "3600000" }] }] })).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: "adm-a", numPartitions: 3 }] })).toBe(false);
      expect(await admin.listTopics()).toContain("adm-a");
      const meta = await admin.fetchTopicMetadata({ topics: ["adm-a"] });
      expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      expect(meta.topics[0]!.partitions.every((p) => p.leader === 0)).toBe(true);
      const http = await native("GET", "/v1/topics/adm-a");
      expect(http.json.partitions).toHaveLength(3);
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: "adm-a" }] });
      const entries = configs.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === "retention.ms")?.configValue).toBe("3600000");
      await admin.deleteTopics({ topics: ["adm-a"] });
      expect(await admin.listTopics()).not.toContain("adm-a");
      expect((await native("GET", "/v1/topics/adm-a")).status).toBe(404);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});

describe("kafkajs producer over the Kafka door", () => {
  it("writes with acks 0, 1 and -1, and each write is readable over HTTP", async () => {
    await createTopic("prod-acks", 1);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (const acks of [-1, 1, 0]) await producer.send({ topic: "prod-acks", acks, messages: [{ value: `acks=${acks}` }] });
      await vi.waitFor(async () => expect((await readHttp("prod-acks", 0)).map((r) => r.value)).toEqual(["acks=-1", "acks=1", "acks=0"]), { timeout: 10_000, interval: 50 });
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it("puts each keyed message on the partition Flarelog's murmur2 picks (the HTTP API's partition for that key)", async () => {
    await createTopic("prod-keys", 4);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
      const sent = await producer.send({ topic: "prod-keys", messages: keys.map((key) => ({ key, value: "v" })) });
      const partitions = new Set(sent.map((s) => s.partition));
      expect(partitions.size).toBeGreaterThan(1);
      for (let p = 0; p < 4; p++) {
        for (const r of await readHttp("prod-keys", p)) expect(partitionForKey(utf8.encode(r.key), 4)).toBe(p);
      }
      const total = (await Promise.all([0, 1, 2, 3].map((p) => readHttp("prod-keys", p)))).flat();
      expect(total).toHaveLength(40);
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it("an idempotent producer writes each message once, with its producer id known to the leader", async () => {
    await createTopic("prod-idem", 2);
    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: "prod-idem", acks: -1, messages: [{ key: `k${i % 2}`, value: `m${i}` }] });
      const all = (await Promise.all([0, 1].map((p) => readHttp("prod-idem", p)))).flat().map((r) => r.value).sort();
      expect(all).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      // The leaders remember one idempotent producer (kafkajs's id) with its sequences per partition.
      const entries = [];
      for (const p of [0, 1]) {
        const producers = await native("GET", `/v1/topics/prod-idem/partitions/${p}/producers`);
        expect(producers.status).toBe(200);
        entries.push(...producers.json.producers);
      }
      expect(new Set(entries.map((e) => e.producer_id)).size).toBe(1);
      // Sequences run from 0 per partition: five batches in all, none written twice.
      expect(entries.reduce((n, e) => n + e.last_sequence + 1, 0)).toBe(5);
    } finally {
      await producer.disconnect();
    }
  }, 60_000);
});

describe("kafkajs producer faults and formats", () => {
  it("an idempotent batch whose answer is lost is re-sent on a new connection and written once", async () => {
    await createTopic("prod-lost", 1);
    const fault = { lose: 1, dropped: 0 };
    const producer = kafka({ socketFactory: losingFactory(server.url, fault) }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 50 },
    });
    await producer.connect();
    try {
      await producer.send({ topic: "prod-lost", acks: -1, messages: [{ value: "once" }] });
      await producer.send({ topic: "prod-lost", acks: -1, messages: [{ value: "twice" }] });
    } finally {
      await producer.disconnect();
    }
    expect(fault).toEqual({ lose: 0, dropped: 1 });
    expect((await readHttp("prod-lost", 0)).map((r) => [r.offset, r.value])).toEqual([
      [0, "once"],
      [1, "twice"],
    ]);
  }, 60_000);

  it("a produce and a fetch of more than 1 MiB travel as messages of at most 1 MiB and arrive whole", async () => {
    await createTopic("big", 1);
    const chunks: number[] = [];
    const inner = kafkaSocketFactory({ url: server.url });
    const counting = ((args: Parameters<typeof inner>[0]) => {
      const socket = inner(args) as unknown as KafkaWebSocket;
      const on = socket.on.bind(socket);
      socket.on = (event: string, fn: (...a: unknown[]) => void) =>
        on(event, event === "data" ? (c: unknown) => (chunks.push((c as Uint8Array).length), fn(c)) : fn);
      return socket;
    }) as unknown as ISocketFactory;
    const messages = Array.from({ length: 1_500 }, (_, i) => ({ value: `${i}:`.padEnd(1_000, "x") }));
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "big", messages });
    await producer.disconnect();
    const consumer = kafka({ socketFactory: counting }).consumer({ ...consumerOpts("big-g"), maxBytesPerPartition: 4 * 1024 * 1024 });
    let read = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: ["big"], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => void (read += batch.messages.length) });
    try {
      await vi.waitFor(() => expect(read).toBe(1_500), { timeout: 30_000, interval: 50 });
    } finally {
      await consumer.disconnect();
    }
    expect(Math.max(...chunks)).toBeLessThanOrEqual(1024 * 1024);
    expect(chunks.filter((n) => n === 1024 * 1024).length).toBeGreaterThan(0);
  }, 60_000);

  it("the factory connects with the WebSocket class it is given, and records travel through it", async () => {
    await createTopic("ws-class", 1);
    const urls: string[] = [];
    class Recording extends WebSocket {
      constructor(url: string, init?: string[]) {
        super(url, init);
        urls.push(url);
      }
    }
    const socketFactory = kafkaSocketFactory({ url: server.url, webSocket: Recording }) as unknown as ISocketFactory;
    const producer = kafka({ socketFactory }).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "ws-class", messages: [{ value: "through the class" }] });
    await producer.disconnect();
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((u) => u.endsWith("/kafka"))).toBe(true);
    expect((await readHttp("ws-class", 0)).map((r) => r.value)).toEqual(["through the class"]);
  }, 30_000);

  it("gzip-compressed batches are decoded: every record lands with its key and value", async () => {
    await createTopic("prod-gzip", 1);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `g${i}`, value: `gzip value ${i}`.repeat(5) }));
      await producer.send({ topic: "prod-gzip", compression: CompressionTypes.GZIP, messages });
      const read = await readHttp("prod-gzip", 0);
      expect(read.map((r) => [r.key, r.value])).toEqual(messages.map((m) => [m.key, m.value]));
    } finally {
      await producer.disconnect();
    }
  }, 60_000);

  it("offsets by timestamp: the first offset whose timestamp is at or after the one asked", async () => {
    await createTopic("by-time", 1);
    const t = 1_700_000_000_000;
    const records = [0, 10, 20].map((d, i) => ({ value: `t${i}`, timestamp: t + d, partition: 0 }));
    expect((await native("POST", "/v1/topics/by-time/records", { records })).status).toBe(200);
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(await admin.fetchTopicOffsetsByTimestamp("by-time", t + 5)).toEqual([{ partition: 0, offset: "1" }]);
      expect(await admin.fetchTopicOffsets("by-time")).toEqual([expect.objectContaining({ partition: 0, offset: "3", low: "0", high: "3" })]);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});

describe("records cross the doors intact", () => {
  it("a record produced over HTTP is read by kafkajs with its key, headers and timestamp, and the reverse", async () => {
    await createTopic("cross", 1);
    const ts = 1_700_000_123_456;
    const r = await native("POST", "/v1/topics/cross/records", { records: [{ key: "hk", value: "from-http", headers: { h1: "x" }, timestamp: ts, partition: 0 }] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "cross", messages: [{ key: "kk", value: "from-kafka", headers: { h2: "y" }, timestamp: String(ts + 1), partition: 0 }] });
    await producer.disconnect();

    const consumer = kafka().consumer(consumerOpts("cross-g"));
    const got: EachMessagePayload["message"][] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ["cross"], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    try {
      await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: 20_000, interval: 50 });
      expect(got[0]!.key?.toString()).toBe("hk");
      expect(got[0]!.value?.toString()).toBe("from-http");
      expect(got[0]!.timestamp).toBe(String(ts));
      expect((got[0]!.headers as IHeaders).h1?.toString()).toBe("x");
      expect(got[0]!.offset).toBe("0");
    } finally {
      await consumer.disconnect();
    }
    const http = await readHttp("cross", 0, 1);
    expect(http[0]).toMatchObject({ offset: 1, key: "kk", value: "from-kafka", headers: { h2: "y" }, timestamp: ts + 1 });
  }, 60_000);
});

/** A consumer of `group` whose latest assignment (from its GROUP_JOIN events) is kept. */
async function groupMember(group: string, topic: string, seen: Map<number, string>, name: string) {
  const consumer = kafka({ clientId: name }).consumer(consumerOpts(group));
  const state = { consumer, assignment: [] as number[], name };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    state.assignment = [...((e.payload.memberAssignment as Record<string, number[]>)[topic] ?? [])].sort();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void seen.set(Number(message.offset) * 10 + partition, name) });
  return state;
}

describe("kafkajs consumer groups mapped onto the server-side assignment", () => {
  it("a group of 3 has each partition at exactly one member, and a member's leave moves its partition to another", async () => {
    await createTopic("grp3", 3);
    const seen = new Map<number, string>();
    const members: Awaited<ReturnType<typeof groupMember>>[] = [];
    for (const name of ["c1", "c2", "c3"]) members.push(await groupMember("g3", "grp3", seen, name));
    try {
      await vi.waitFor(
        () => {
          const owned = members.flatMap((m) => m.assignment);
          expect(members.every((m) => m.assignment.length === 1)).toBe(true);
          expect(owned.sort()).toEqual([0, 1, 2]);
        },
        { timeout: 30_000, interval: 50 },
      );
      const server = await native("GET", "/v1/groups/g3");
      expect(server.status).toBe(200);
      const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic: "grp3", messages: [0, 1, 2].map((partition) => ({ partition, value: `p${partition}` })) });
      await producer.disconnect();
      await vi.waitFor(() => expect(seen.size).toBe(3), { timeout: 20_000, interval: 50 });
      for (const m of members) expect(seen.get(m.assignment[0]!)).toBe(m.name);

      await members[2]!.consumer.disconnect();
      await vi.waitFor(
        () => {
          const owned = members.slice(0, 2).flatMap((m) => m.assignment);
          expect(owned.sort()).toEqual([0, 1, 2]);
        },
        { timeout: 30_000, interval: 50 },
      );
    } finally {
      await Promise.all(members.slice(0, 2).map((m) => m.consumer.disconnect()));
    }
  }, 120_000);

  it("a kafkajs consumer and a native HTTP member of one group never own the same partition", async () => {
    await createTopic("mixed", 2);
    const seen = new Map<number, string>();
    const kafkaMember = await groupMember("mix", "mixed", seen, "kafkajs");
    try {
      await vi.waitFor(() => expect(kafkaMember.assignment).toEqual([0, 1]), { timeout: 20_000, interval: 50 });
      const joined = await native("POST", "/v1/groups/mix/members", { topics: ["mixed"], session_timeout_ms: 30_000 });
      expect(joined.status, JSON.stringify(joined.json)).toBe(200);
      let nativeOwns: number[] = joined.json.assignment.flatMap((a: { partitions: number[] }) => a.partitions);
      let epoch = joined.json.member_epoch;
      // Each observation: what the native member holds is disjoint from what kafkajs was last given.
      await vi.waitFor(
        async () => {
          const hb = await native("POST", `/v1/groups/mix/members/${joined.json.member_id}/heartbeat`, { member_epoch: epoch });
          expect(hb.status, JSON.stringify(hb.json)).toBe(200);
          epoch = hb.json.member_epoch;
          nativeOwns = hb.json.assignment.flatMap((a: { partitions: number[] }) => a.partitions);
          expect(nativeOwns.filter((p) => kafkaMember.assignment.includes(p))).toEqual([]);
          expect(nativeOwns).toHaveLength(1);
          expect(kafkaMember.assignment).toHaveLength(1);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect([...nativeOwns, ...kafkaMember.assignment].sort()).toEqual([0, 1]);
    } finally {
      await kafkaMember.consumer.disconnect();
    }
  }, 90_000);

  it("a crashed member (no heartbeat, no leave) loses its partition after its session timeout", async () => {
    await createTopic("crash", 2);
    const seen = new Map<number, string>();
    const survivor = await groupMember("crash-g", "crash", seen, "survivor");
    const { factory, crash } = crashableFactory(server.url);
    const victim = kafka({ clientId: "victim", socketFactory: factory }).consumer({
      ...consumerOpts("crash-g"),
      sessionTimeout: 6_000,
      retry: { retries: 0 },
    });
    let victimAssignment: number[] = [];
    victim.on(victim.events.GROUP_JOIN, (e) => (victimAssignment = [...((e.payload.memberAssignment as Record<string, number[]>).crash ?? [])]));
    await victim.connect();
    await victim.subscribe({ topics: ["crash"], fromBeginning: true });
    await victim.run({ eachMessage: async () => {} });
    try {
      await vi.waitFor(
        () => {
          expect(survivor.assignment).toHaveLength(1);
          expect([...survivor.assignment, ...victimAssignment].sort()).toEqual([0, 1]);
        },
        { timeout: 30_000, interval: 50 },
      );
      crash();
      await vi.waitFor(() => expect(survivor.assignment).toEqual([0, 1]), { timeout: 30_000, interval: 100 });
    } finally {
      await survivor.consumer.disconnect();
      await victim.disconnect().catch(() => undefined);
    }
  }, 90_000);

  it("committed offsets survive the consumer: a new consumer of the group resumes after them", async () => {
    await createTopic("resume", 1);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "resume", messages: ["a", "b", "c"].map((value) => ({ value })) });
    const run = async (expected: number): Promise<string[]> => {
      const got: string[] = [];
      const consumer: Consumer = kafka().consumer(consumerOpts("resume-g"));
      await consumer.connect();
      await consumer.subscribe({ topics: ["resume"], fromBeginning: true });
      await consumer.run({ autoCommitThreshold: 1, eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await vi.waitFor(() => expect(got.length).toBeGreaterThanOrEqual(expected), { timeout: 20_000, interval: 50 });
      await consumer.disconnect();
      return got;
    };
    expect(await run(3)).toEqual(["a", "b", "c"]);
    const committed = await native("GET", "/v1/groups/resume-g/offsets");
    expect(committed.json.offsets).toEqual([expect.objectContaining({ topic: "resume", partition: 0, offset: 3 })]);
    await producer.send({ topic: "resume", messages: [{ value: "d" }] });
    await producer.disconnect();
    expect(await run(1)).toEqual(["d"]);
  }, 90_000);

  it("seek moves a consumer to the offset given", async () => {
    await createTopic("seek", 1);
    const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: "seek", messages: ["s0", "s1", "s2", "s3"].map((value) => ({ value })) });
    await producer.disconnect();
    const got: string[] = [];
    const consumer = kafka().consumer(consumerOpts("seek-g"));
    await consumer.connect();
    await consumer.subscribe({ topics: ["seek"], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
    try {
      await vi.waitFor(() => expect(got).toHaveLength(4), { timeout: 20_000, interval: 50 });
      consumer.seek({ topic: "seek", partition: 0, offset: "2" });
      await vi.waitFor(() => expect(got).toEqual(["s0", "s1", "s2", "s3", "s2", "s3"]), { timeout: 20_000, interval: 50 });
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);
});

describe("authentication and authorization give kafkajs's own errors", () => {
  it("a wrong API key fails SASL with KafkaJSSASLAuthenticationError", async () => {
    const admin = kafka({ password: "not-a-key" }).admin();
    await expect(admin.connect()).rejects.toMatchObject({ name: "KafkaJSSASLAuthenticationError" });
  }, 30_000);

  it("a key over its request-rate quota is answered with throttle time, counted in /metrics, and still served", async () => {
    await createTopic("quota-t", 1);
    const key = await native("POST", "/v1/keys", { name: "slow", tenant: "default", role: "admin", quotas: { requests_per_s: 2 } });
    expect(key.status, JSON.stringify(key.json)).toBe(201);
    const throttledMs = async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const line = (await res.text()).split("\n").find((l) => l.startsWith("flarelog_throttle_time_ms_total{") && l.includes('quota="requests"') && l.includes('tenant="default"'));
      return line === undefined ? 0 : Number(line.split(" ").at(-1));
    };
    const before = await throttledMs();
    const admin = kafka({ password: key.json.key }).admin();
    await admin.connect();
    try {
      for (let i = 0; i < 6; i++) expect(await admin.listTopics()).toContain("quota-t");
    } finally {
      await admin.disconnect();
    }
    expect(await throttledMs()).toBeGreaterThan(before);
  }, 60_000);

  it("a key without rights on a topic gets TOPIC_AUTHORIZATION_FAILED and writes nothing", async () => {
    await createTopic("secret", 1);
    const key = await native("POST", "/v1/keys", { name: "limited", tenant: "default", role: "producer", prefix: "public." });
    expect(key.status, JSON.stringify(key.json)).toBe(201);
    const producer = kafka({ password: key.json.key }).producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: "secret", messages: [{ value: "x" }] })).rejects.toMatchObject({
        name: "KafkaJSNonRetriableError",
        cause: { name: "KafkaJSProtocolError", type: "TOPIC_AUTHORIZATION_FAILED", code: 29 },
      });
    } finally {
      await producer.disconnect();
    }
    expect(await readHttp("secret", 0)).toEqual([]);
  }, 30_000);
});
