/**
 * Log compaction in workerd (issue 21): the cleaner runs from each replica's alarm on a
 * cleanup.policy=compact topic; every reader handles the gaps it leaves (native JSON fetch,
 * binary frames, the group poll through the client's group consumer, the REST Proxy's v2
 * consumer); a leader change during compaction leaves every replica with the same latest value
 * per key and the consumer reading exactly that.
 */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { DoSqlPort } from "../../src/storage/do-sql-port.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { DEFAULT_LOG_CONFIG } from "../../src/protocol/config.ts";
import { systemClock } from "../../src/protocol/types.ts";
import { ADMIN_TOKEN } from "../support/worker-client.ts";
import { partitionOf, setReplica } from "../support/replicas.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const WAIT = { timeout: 20_000, interval: 25 };
const COMPACT = { "cleanup.policy": "compact", "segment.bytes": "200", "min.cleanable.dirty.ratio": "0" };
const dec = new TextDecoder();

interface KeyedRecord {
  offset: number;
  key: string | null;
  value: string | null;
}

async function compactTopic(replicationFactor: number, configs: Record<string, string> = {}) {
  const name = uniqueTopic("compact");
  const r = await client.createTopic(name, { partitions: 1, replication_factor: replicationFactor, configs: { ...COMPACT, ...configs } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { name, topicId: r.body.topic_id };
}

/** One replica's own log below its LEO, read straight from its SQLite. */
async function replicaLog(topicId: string, replica: number) {
  return runInDurableObject(replicaStub(env, "default", topicId, 0, replica), (_i, state) => {
    const log = PartitionLog.open(new SqliteLogStore(new DoSqlPort(state.storage)), systemClock, DEFAULT_LOG_CONFIG);
    const records: KeyedRecord[] = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const r = log.read({ offset, maxRecords: 10_000, maxBytes: 8 << 20 }, "logEndOffset");
      if (!r.ok) throw new Error(r.err.message);
      for (const x of r.value.records) records.push({ offset: x.offset, key: x.key && dec.decode(x.key), value: x.value && dec.decode(x.value) });
      offset = r.value.nextOffset;
    }
    return { records, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark };
  });
}

/** Key → value of its latest record (what a compacted log must keep). */
const latestByKey = (records: readonly KeyedRecord[]) => new Map(records.map((r) => [r.key, r.value]));

/** Every record via the native JSON fetch, from offset 0 following next_offset. */
async function readNative(name: string, maxRecords = 3): Promise<KeyedRecord[]> {
  const out: KeyedRecord[] = [];
  let offset = 0;
  for (let i = 0; i < 1000; i++) {
    const f = await client.fetchRecords(name, 0, { offset, max_records: maxRecords });
    if (!f.ok) throw new Error(JSON.stringify(f.error));
    out.push(...f.body.records.map((r) => ({ offset: r.offset, key: r.key, value: r.value })));
    if (f.body.next_offset >= f.body.high_watermark) return out;
    expect(f.body.next_offset).toBeGreaterThan(offset);
    offset = f.body.next_offset;
  }
  throw new Error("the native fetch did not reach the high watermark");
}

async function produceAll(name: string, records: { key: string; value: string }[]) {
  for (const r of records) {
    const p = await client.produce(name, [r], { acks: "all" });
    if (!p.ok) throw new Error(JSON.stringify(p.error));
  }
}

describe("log compaction", () => {
  it("the alarm compacts a topic; native JSON, binary frames, the group consumer and the REST Proxy consumer all read across the gaps", async () => {
    const { name, topicId } = await compactTopic(1);
    const keys = [...Array(10).fill("a"), ...Array(10).fill("b"), ...Array(10).fill("a")];
    await produceAll(name, keys.map((key, i) => ({ key, value: `${key}${i}` })));
    await produceAll(name, [{ key: "roll", value: "x".repeat(300) }]);
    await vi.waitUntil(async () => (await replicaLog(topicId, 0)).records.length === 3, WAIT);
    const expected = [
      { offset: 19, key: "b", value: "b19" },
      { offset: 29, key: "a", value: "a29" },
      { offset: 30, key: "roll", value: "x".repeat(300) },
    ];
    expect(await readNative(name, 1)).toEqual(expected);
    expect(await readNative(name, 100)).toEqual(expected);
    const bin = await client.fetchBatch(name, 0, { offset: 0 });
    expect(bin.ok && bin.body.records.map((r) => [r.offset, r.key && dec.decode(r.key)])).toEqual(expected.map((r) => [r.offset, r.key]));
    const fromGap = await client.fetchBatch(name, 0, { offset: 20 });
    expect(fromGap.ok && fromGap.body.records.map((r) => r.offset)).toEqual([29, 30]);

    const consumer = client.groupConsumer({ group: uniqueTopic("g"), topics: [name], autoOffsetReset: "earliest", maxPollRecords: 1 });
    const polled: number[] = [];
    for (let i = 0; i < 10 && polled.length < 3; i++) polled.push(...(await consumer.poll({ waitMs: 0 })).map((r) => r.offset));
    expect(polled).toEqual([19, 29, 30]);
    await consumer.close();

    expect(await restProxyConsume(name)).toEqual([19, 29, 30]);
  });

  it("the compaction configs are validated at the API: a bad value is 400 with the contract's error body naming the key, and nothing is created", async () => {
    const name = uniqueTopic("badcompact");
    for (const [key, value] of [["min.cleanable.dirty.ratio", "2"], ["cleanup.policy", "compact,shred"], ["max.compaction.lag.ms", "0"]]) {
      const r = await client.createTopic(name, { partitions: 1, configs: { [key!]: value! } });
      expect(r.ok ? null : [r.status, r.error.error_code, r.error.error, r.error.retriable]).toEqual([400, 40, "INVALID_CONFIG", false]);
      expect(r.ok ? "" : r.error.message).toContain(key);
    }
    expect((await client.describeTopic(name)).ok).toBe(false);
    const ok = await client.createTopic(name, { partitions: 1, configs: { ...COMPACT, "delete.retention.ms": "1000", "min.compaction.lag.ms": "5" } });
    expect(ok.ok && ok.body.configs).toMatchObject({ "cleanup.policy": "compact", "delete.retention.ms": "1000", "min.compaction.lag.ms": "5" });
  });

  it("a topic altered from delete to compact is compacted by its alarm with nothing more produced", async () => {
    const { name, topicId } = await compactTopic(1, { "cleanup.policy": "delete" });
    const keys = [...Array(10).fill("a"), ...Array(10).fill("b"), ...Array(10).fill("a")];
    await produceAll(name, keys.map((key, i) => ({ key, value: `${key}${i}` })));
    await produceAll(name, [{ key: "roll", value: "x".repeat(300) }]);
    expect((await replicaLog(topicId, 0)).records).toHaveLength(31);
    const altered = await client.alterTopic(name, { configs: { ...COMPACT } });
    expect(altered.ok).toBe(true);
    await vi.waitUntil(async () => (await replicaLog(topicId, 0)).records.length === 3, WAIT);
  });

  it("a leader change during compaction: every replica keeps the same latest value per key, and a consumer reads exactly the latest acked value of each key", async () => {
    const { name, topicId } = await compactTopic(3, { "min.insync.replicas": "2" });
    await vi.waitUntil(async () => (await partitionOf(client, name)).isr.length === 3, WAIT);
    const acked: { key: string; value: string }[] = [];
    const send = async (n: number, tag: string) => {
      const batch = Array.from({ length: n }, (_, i) => ({ key: `k${i % 5}`, value: `${tag}-${i}` }));
      await produceAll(name, batch);
      acked.push(...batch);
    };
    await send(40, "before");
    const oldLeader = (await partitionOf(client, name)).leader;
    await vi.waitUntil(async () => (await replicaLog(topicId, oldLeader)).records.length < 40, WAIT);
    await setReplica(client, name, 0, oldLeader, "offline");
    await vi.waitUntil(async () => (await partitionOf(client, name)).leader !== oldLeader, WAIT);
    await send(40, "after");
    await setReplica(client, name, 0, oldLeader, "online");
    await vi.waitUntil(async () => (await partitionOf(client, name)).isr.length === 3, WAIT);
    await send(1, "roll"); // closes the last segment of "after" records on every replica
    await produceAll(name, [{ key: "roll", value: "x".repeat(300) }]);
    const expected = latestByKey(acked.concat({ key: "roll", value: "x".repeat(300) }).map((r, offset) => ({ offset, ...r })));
    await vi.waitUntil(async () => {
      const logs = await Promise.all([0, 1, 2].map((r) => replicaLog(topicId, r)));
      return logs.every((l) => l.highWatermark === l.logEndOffset && l.logEndOffset === acked.length + 1 && l.records.length <= 12);
    }, WAIT);
    for (const r of [0, 1, 2]) {
      const log = await replicaLog(topicId, r);
      expect(latestByKey(log.records), `replica ${r}`).toEqual(expected);
      expect(log.records.map((x) => x.offset)).toEqual([...log.records.map((x) => x.offset)].sort((a, b) => a - b));
    }
    const read = await readNative(name, 2);
    expect(latestByKey(read)).toEqual(expected);
    expect(read.length).toBeLessThan(acked.length / 4);
  }, 60_000);
});

/** Consumes the topic from the start with a REST Proxy v2 consumer instance; returns the offsets read. */
async function restProxyConsume(topic: string): Promise<number[]> {
  const base = "http://flarelog.test/kafka-rest";
  const headers = { authorization: `Basic ${btoa(`default:${ADMIN_TOKEN}`)}`, "content-type": "application/vnd.kafka.v2+json" };
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await exports.default.fetch(new Request(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    const text = await res.text();
    return text === "" ? null : (JSON.parse(text) as unknown);
  };
  const group = uniqueTopic("rpg");
  const inst = `${base}/consumers/${group}/instances/c1`;
  await call("POST", `${base}/consumers/${group}`, { name: "c1", "auto.offset.reset": "earliest", "consumer.request.max.records": 1 });
  await call("POST", `${inst}/subscription`, { topics: [topic] });
  const offsets: number[] = [];
  for (let i = 0; i < 10 && offsets.length < 3; i++) offsets.push(...((await call("GET", `${inst}/records?max_bytes=1`)) as { offset: number }[]).map((r) => r.offset));
  await call("DELETE", inst);
  return offsets;
}
