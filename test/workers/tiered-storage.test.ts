/**
 * Tiered storage on R2 (issue 21, KIP-405) in workerd with the real R2 binding (Miniflare's
 * local store): uploads from the replica's alarm, local deletion only after a confirmed remote
 * copy, reads below the local log start that answer the same bytes, list-offsets across both
 * tiers, whole-log retention leaving no orphan object, and faults through the remote port's
 * wrapper (src/storage/remote-faults.ts): a torn upload, R2 errors and latency, a leader change
 * while an upload is in flight. Alarms are run by `runDurableObjectAlarm`, never waited for.
 */
import { env, exports } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import type { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";
import { parseSegmentKey } from "../../src/log/remote-segments.ts";
import { faultyRemoteStore, RemoteFaults } from "../../src/storage/remote-faults.ts";
import { r2ObjectStore } from "../../src/storage/remote-object-store.ts";
import { MAX_OBJECT_BYTES } from "../../src/partition/tiered-storage.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../../src/protocol/wire.ts";
import { partitionOf, setReplica } from "../support/replicas.ts";
import { ADMIN_TOKEN, uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const WAIT = { timeout: 15_000, interval: 20 };
const bucket = (): R2Bucket => env.TIERED_STORAGE!;

interface Tiered {
  name: string;
  topicId: string;
  prefix: string;
}

async function tieredTopic(configs: Record<string, string> = {}, replicationFactor = 1): Promise<Tiered> {
  const name = uniqueTopic("tier");
  const r = await client.createTopic(name, {
    partitions: 1,
    replication_factor: replicationFactor,
    configs: { "remote.storage.enable": "true", "segment.bytes": "1024", "local.retention.bytes": "0", ...configs },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  if (replicationFactor > 1) await vi.waitUntil(async () => (await partitionOf(client, name)).isr.length === replicationFactor, WAIT);
  return { name, topicId: r.body.topic_id, prefix: `default/${r.body.topic_id}/0/` };
}

/** Record timestamps start here (recent: retention.ms, 7 days by default, keeps them). */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

/** `batches` produce requests of 4 records (~100 bytes of value each), batch i at T0 + 1000 × (i + 1). */
async function fill(t: Tiered, batches: number, from = 0): Promise<void> {
  for (let i = from; i < from + batches; i++) {
    const records = [0, 1, 2, 3].map((k) => ({ key: `k${i}`, value: `v${i}-${k}-${"x".repeat(90)}`, timestamp: T0 + 1000 * (i + 1) }));
    const r = await client.produce(t.name, records, { partition: 0, acks: "all" });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
  }
}

async function leaderOf(t: Tiered): Promise<DurableObjectStub<PartitionReplicaDO>> {
  const leader = (await partitionOf(client, t.name)).leader;
  return replicaStub(env, "default", t.topicId, 0, leader);
}

/** Runs the replica's alarm until none is armed or `max` runs (each run is one bounded step). */
async function steps(stub: DurableObjectStub<PartitionReplicaDO>, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) if (!(await runDurableObjectAlarm(stub))) return;
}

async function listed(prefix: string): Promise<{ key: string; size: number }[]> {
  return (await bucket().list({ prefix })).objects.map((o) => ({ key: o.key, size: o.size }));
}

/** JSON answers from `offset` to the HW, one record per request (so each read starts anywhere). */
async function readJson(name: string, offset: number, maxRecords = 3): Promise<unknown[]> {
  const out: unknown[] = [];
  for (;;) {
    const r = await client.fetchRecords(name, 0, { offset, max_records: maxRecords });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    out.push(...r.body.records);
    if (r.body.next_offset >= r.body.high_watermark) return out;
    offset = r.body.next_offset;
  }
}

async function rawBinary(name: string, offset: number, maxRecords: number): Promise<Uint8Array> {
  const url = `http://flarelog.test/v1/topics/${name}/partitions/0/records?offset=${offset}&max_records=${maxRecords}`;
  const res = await exports.default.fetch(new Request(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, accept: RECORD_BATCH_CONTENT_TYPE } }));
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

async function localStart(stub: DurableObjectStub<PartitionReplicaDO>): Promise<number> {
  return (await stub.describe()).logStartOffset;
}

function withFaults(stub: DurableObjectStub<PartitionReplicaDO>, faults: RemoteFaults): Promise<void> {
  return runInDurableObject(stub, (instance: PartitionReplicaDO) => {
    instance.remote = faultyRemoteStore(r2ObjectStore(env.TIERED_STORAGE!), faults);
  });
}

describe("tiered storage", () => {
  it("closed segments below the HW go to R2 once, local ones go only after, and reads below the local start answer the same JSON and binary bytes", async () => {
    const t = await tieredTopic();
    await fill(t, 30);
    const before = await readJson(t.name, 0);
    const binBefore = [await rawBinary(t.name, 0, 50), await rawBinary(t.name, 7, 5)];
    const stub = await leaderOf(t);
    await steps(stub);
    const objects = await listed(t.prefix);
    expect(objects.length).toBeGreaterThan(3);
    // Every object is whole (its size is the one its key names) and ranges do not repeat.
    const segs = objects.map((o) => ({ o, s: parseSegmentKey(t.prefix, o.key)! }));
    for (const { o, s } of segs) expect(s.objectBytes).toBe(o.size);
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.s.baseOffset).toBe(segs[i - 1]!.s.endOffset);
    const start = await localStart(stub);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(segs.at(-1)!.s.endOffset);
    expect(await readJson(t.name, 0)).toEqual(before);
    expect(await readJson(t.name, 0, 1)).toEqual(before);
    expect([await rawBinary(t.name, 0, 50), await rawBinary(t.name, 7, 5)]).toEqual(binBefore);
    const first = await client.fetchRecords(t.name, 0, { offset: "earliest", max_records: 1 });
    expect(first.ok && first.body.records[0]!.offset).toBe(0);
    expect(first.ok && first.body.log_start_offset).toBe(0);
    // Another round of steps uploads nothing again.
    await steps(stub);
    expect((await listed(t.prefix)).map((o) => o.key)).toEqual(objects.map((o) => o.key));
  }, 60_000);

  it("a read at any remote offset costs one ranged GET once the segment's index is known", async () => {
    const t = await tieredTopic();
    await fill(t, 20);
    const stub = await leaderOf(t);
    await steps(stub);
    expect(await localStart(stub)).toBeGreaterThan(8);
    const faults = new RemoteFaults();
    await withFaults(stub, faults);
    await client.fetchRecords(t.name, 0, { offset: 5, max_records: 1 });
    const afterFirst = faults.calls.get;
    expect(afterFirst).toBeLessThanOrEqual(2);
    const r = await client.fetchRecords(t.name, 0, { offset: 2, max_records: 2 });
    expect(r.ok && r.body.records.map((x) => x.offset)).toEqual([2, 3]);
    expect(faults.calls.get - afterFirst).toBe(1);
  }, 60_000);

  it("list-offsets by timestamp finds records in the remote tier and in the local log; earliest is the remote start", async () => {
    const t = await tieredTopic();
    await fill(t, 20);
    const stub = await leaderOf(t);
    await steps(stub);
    const start = await localStart(stub);
    expect(start).toBeGreaterThan(8);
    const remote = await client.listOffsets(t.name, 0, T0 + 2500); // batch 2 starts at offset 8
    expect(remote.ok && remote.body).toEqual({ offset: 8, timestamp: T0 + 3000 });
    const local = await client.listOffsets(t.name, 0, T0 + 20_000); // batch 19 starts at 76
    expect(local.ok && local.body).toEqual({ offset: 76, timestamp: T0 + 20_000 });
    const earliest = await client.listOffsets(t.name, 0, "earliest");
    expect(earliest.ok && earliest.body.offset).toBe(0);
  }, 60_000);

  it("an upload torn mid-way commits nothing: no local deletion, the torn object is never read, and the next step replaces it", async () => {
    const t = await tieredTopic();
    await fill(t, 12);
    const before = await readJson(t.name, 0);
    const stub = await leaderOf(t);
    const faults = new RemoteFaults();
    faults.state.tornPuts = 1;
    await withFaults(stub, faults);
    await runDurableObjectAlarm(stub);
    expect(faults.calls.put).toBe(1);
    expect(await localStart(stub)).toBe(0);
    const torn = await listed(t.prefix);
    expect(torn).toHaveLength(1);
    expect(parseSegmentKey(t.prefix, torn[0]!.key)!.objectBytes).not.toBe(torn[0]!.size);
    await steps(stub);
    for (const o of await listed(t.prefix)) expect(parseSegmentKey(t.prefix, o.key)!.objectBytes).toBe(o.size);
    expect(await localStart(stub)).toBeGreaterThan(0);
    expect(await readJson(t.name, 0)).toEqual(before);
  }, 60_000);

  it("while R2 refuses every put, no local segment is deleted; slow R2 only delays; once it recovers tiering catches up", async () => {
    const t = await tieredTopic();
    await fill(t, 12);
    const stub = await leaderOf(t);
    const faults = new RemoteFaults();
    faults.state.failing = ["put"];
    await withFaults(stub, faults);
    await steps(stub, 5);
    expect(faults.calls.put).toBeGreaterThanOrEqual(3);
    expect(await localStart(stub)).toBe(0);
    expect(await listed(t.prefix)).toEqual([]);
    faults.state = { delayMs: 30, failing: [], tornPuts: 0, failRate: 0 };
    await steps(stub);
    expect(await localStart(stub)).toBeGreaterThan(0);
    const before = await readJson(t.name, 0);
    expect(before).toHaveLength(48);
    faults.state.failing = ["get"];
    const refused = await client.fetchRecords(t.name, 0, { offset: 0 });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.status).toBe(503);
    expect(!refused.ok && refused.error.error_code).toBe(56);
  }, 60_000);

  it("retention.bytes over the whole log deletes remote objects oldest first and leaves no orphan; deleting the topic leaves none", async () => {
    const t = await tieredTopic({ "retention.bytes": "4000" });
    await fill(t, 30);
    const stub = await leaderOf(t);
    await steps(stub);
    const objects = await listed(t.prefix);
    const segs = objects.map((o) => parseSegmentKey(t.prefix, o.key)!);
    const earliest = await client.listOffsets(t.name, 0, "earliest");
    expect(earliest.ok).toBe(true);
    const start = earliest.ok ? earliest.body.offset : -1;
    expect(start).toBeGreaterThan(0);
    expect(segs.length).toBeGreaterThan(0);
    // Nothing below the log start survives, remote or local.
    expect(Math.min(...segs.map((s) => s.baseOffset))).toBe(start);
    for (const s of segs) expect(s.endOffset).toBeGreaterThan(start);
    const total = objects.reduce((sum, o) => sum + o.size, 0);
    expect(total).toBeLessThan(4000 + 2048);
    const old = await client.fetchRecords(t.name, 0, { offset: 0 });
    expect(!old.ok && old.error.error_code).toBe(1); // OFFSET_OUT_OF_RANGE
    expect((await client.deleteTopic(t.name)).ok).toBe(true);
    await vi.waitUntil(async () => (await listed(t.prefix)).length === 0, WAIT);
  }, 60_000);

  it("a leader change while an upload is in flight: the data stays readable from offset 0 and no object outlives retention", async () => {
    const t = await tieredTopic({ "min.insync.replicas": "2" }, 3);
    await fill(t, 16);
    const before = await readJson(t.name, 0);
    const old = (await partitionOf(client, t.name)).leader;
    const oldStub = replicaStub(env, "default", t.topicId, 0, old);
    const faults = new RemoteFaults();
    faults.state.delayMs = 300;
    await withFaults(oldStub, faults);
    const inFlight = runDurableObjectAlarm(oldStub);
    await vi.waitUntil(() => faults.calls.list + faults.calls.put > 0, WAIT);
    await setReplica(client, t.name, 0, old, "offline");
    await vi.waitUntil(async () => {
      const p = await partitionOf(client, t.name);
      return p.leader !== old && p.leader >= 0;
    }, WAIT);
    const next = await leaderOf(t);
    await steps(next);
    await inFlight;
    await setReplica(client, t.name, 0, old, "online");
    await fill(t, 8, 16);
    await steps(next);
    const all = await readJson(t.name, 0);
    expect(all.slice(0, before.length)).toEqual(before);
    expect(all).toHaveLength(24 * 4);
    for (const o of await listed(t.prefix)) expect(parseSegmentKey(t.prefix, o.key)!.objectBytes).toBe(o.size);
    // Whole-log retention down to the newest records: every older object goes, whoever wrote it.
    expect((await client.alterTopic(t.name, { configs: { "retention.bytes": "0" } })).ok).toBe(true);
    await steps(next);
    const left = (await listed(t.prefix)).map((o) => parseSegmentKey(t.prefix, o.key)!);
    const earliest = await client.listOffsets(t.name, 0, "earliest");
    const start = earliest.ok ? earliest.body.offset : -1;
    for (const s of left) expect(s.endOffset).toBeGreaterThan(start);
  }, 90_000);

  it("a segment larger than one object's bound goes up in several contiguous objects, and reads across them answer the local bytes", async () => {
    const t = await tieredTopic({ "segment.bytes": String(12 * 1024 * 1024) });
    const value = "y".repeat(1024);
    for (let i = 0; i < 13; i++) {
      const r = await client.produceBatch(t.name, 0, Array.from({ length: 1000 }, (_, k) => ({ value: `${i}-${k}-${value}` })), { acks: "all" });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    }
    const before = [await rawBinary(t.name, 0, 10_000), await rawBinary(t.name, 7500, 2000)];
    const stub = await leaderOf(t);
    await steps(stub);
    const segs = (await listed(t.prefix)).map((o) => parseSegmentKey(t.prefix, o.key)!);
    expect(segs.length).toBeGreaterThanOrEqual(2);
    for (const s of segs) expect(s.objectBytes).toBeLessThanOrEqual(MAX_OBJECT_BYTES + 2 * 1024 * 1024);
    for (let i = 1; i < segs.length; i++) expect(segs[i]!.baseOffset).toBe(segs[i - 1]!.endOffset);
    expect(await localStart(stub)).toBeGreaterThan(0);
    expect([await rawBinary(t.name, 0, 10_000), await rawBinary(t.name, 7500, 2000)]).toEqual(before);
  }, 90_000);

  it("followers learn from the leader's next push (its local start) how far R2 holds the log, and delete local segments only up to there", async () => {
    const t = await tieredTopic({ "min.insync.replicas": "2" }, 3);
    await fill(t, 20);
    const p = await partitionOf(client, t.name);
    const followers = p.replicas.filter((r) => r !== p.leader).map((r) => replicaStub(env, "default", t.topicId, 0, r));
    // Before any upload a follower keeps everything, whatever local.retention.bytes says.
    for (const f of followers) {
      await steps(f, 3);
      expect(await localStart(f)).toBe(0);
    }
    const leader = await leaderOf(t);
    await steps(leader);
    const leaderStart = await localStart(leader);
    expect(leaderStart).toBeGreaterThan(0);
    await fill(t, 1, 20); // the push of this batch carries the leader's new log start
    const segs = (await listed(t.prefix)).map((o) => parseSegmentKey(t.prefix, o.key)!);
    const remoteEnd = Math.max(...segs.map((s) => s.endOffset));
    for (const f of followers) {
      await vi.waitUntil(async () => (await runDurableObjectAlarm(f), (await localStart(f)) > 0), WAIT);
      expect(await localStart(f)).toBeLessThanOrEqual(Math.min(remoteEnd, leaderStart));
    }
  }, 60_000);

  it("topic configs: local.retention.* above retention.* and bad values are INVALID_CONFIG in the error body", async () => {
    const bad = await client.createTopic(uniqueTopic("tierbad"), { configs: { "retention.ms": "1000", "local.retention.ms": "5000" } });
    expect(!bad.ok && bad.error.error_code).toBe(40);
    expect(!bad.ok && bad.error.message).toMatch(/local\.retention\.ms/);
    const flag = await client.createTopic(uniqueTopic("tierbad"), { configs: { "remote.storage.enable": "yes" } });
    expect(!flag.ok && flag.error.error_code).toBe(40);
    const low = await client.createTopic(uniqueTopic("tierbad"), { configs: { "local.retention.bytes": "-3" } });
    expect(!low.ok && low.error.error_code).toBe(40);
    const good = await client.createTopic(uniqueTopic("tiergood"), { configs: { "remote.storage.enable": "true", "local.retention.bytes": "-2" } });
    expect(good.ok && good.body.configs["local.retention.bytes"]).toBe("-2");
  });
});
