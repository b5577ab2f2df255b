/**
 * Issue 16 in workerd: Durable Object eviction (in-memory state lost, storage kept, as the
 * platform does) during produce, replication and group polls, and a full storage on a leader and
 * on a follower (test/support/storage-full.ts). RF 3, min.insync.replicas 2, acks=all;
 * REPLICA_LAG_TIME_MAX_MS is 2000 in the test bindings. Waits are conditions, never sleeps.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { groupStub } from "../support/group-sessions.ts";
import { Prng } from "../support/prng.ts";
import { partitionOf, replicaView, type ReplicaView } from "../support/replicas.ts";
import { fillStorage, freeStorage } from "../support/storage-full.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";
import { Workload } from "../support/workload.ts";

const client = workerClient();
const WAIT = { timeout: 15_000, interval: 20 };

async function replicatedTopic(partitions = 1) {
  const name = uniqueTopic("sf");
  const r = await client.createTopic(name, { partitions, replication_factor: 3, configs: { "min.insync.replicas": "2" } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  await vi.waitUntil(async () => (await partitionOf(client, name)).isr.length === 3, WAIT);
  return { name, topicId: r.body.topic_id };
}

const views = (topicId: string): Promise<ReplicaView[]> => Promise.all([0, 1, 2].map((r) => replicaView(topicId, 0, r)));

async function waitForConvergence(topicId: string): Promise<ReplicaView[]> {
  await vi.waitUntil(async () => {
    const vs = await views(topicId);
    return vs.every((v) => v.logEndOffset === vs[0]!.logEndOffset && v.highWatermark === v.logEndOffset);
  }, WAIT);
  const vs = await views(topicId);
  for (const v of vs) expect(v.values, `replica ${v.replica} equals replica 0`).toEqual(vs[0]!.values);
  return vs;
}

describe("eviction", () => {
  it("replicas evicted at random (seeded) during acks=all produce and replication: nothing acknowledged is lost, replicas converge", async () => {
    const { name, topicId } = await replicatedTopic();
    const rng = new Prng(16);
    const w = new Workload(client, name, { timeoutMs: 8000 });
    let evictions = 0;
    await w.runFor(4000, 60, async (i) => {
      if (i % 3 !== 0) return;
      await evictDurableObject(replicaStub(env, "default", topicId, 0, rng.int(0, 2)));
      evictions++;
    });
    expect(evictions).toBeGreaterThanOrEqual(5);
    const summary = await w.check();
    expect(summary.acked).toBeGreaterThan(0);
    await waitForConvergence(topicId);
  }, 60_000);

  it("an idempotent batch re-sent after its leader was evicted is written once, at its original offsets", async () => {
    const { name, topicId } = await replicatedTopic();
    const p = await client.initProducerId({});
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    const ids = { producer_id: p.body.producer_id, producer_epoch: p.body.producer_epoch };
    const batch = [{ value: "once-0" }, { value: "once-1" }];
    const first = await client.produce(name, batch, { partition: 0, producer: { ...ids, base_sequence: 0 } });
    expect(first.ok).toBe(true);
    const leader = (await partitionOf(client, name)).leader;
    // The producer state is rebuilt from storage: the re-send (its answer was "lost") is recognised.
    await evictDurableObject(replicaStub(env, "default", topicId, 0, leader));
    const again = await client.produce(name, batch, { partition: 0, producer: { ...ids, base_sequence: 0 } });
    expect(again.ok && again.body.offsets.map((o) => o.offset)).toEqual(first.ok && first.body.offsets.map((o) => o.offset));
    const next = await client.produce(name, [{ value: "once-2" }], { partition: 0, producer: { ...ids, base_sequence: 2 } });
    expect(next.ok).toBe(true);
    const vs = await waitForConvergence(topicId);
    expect(vs[0]!.values).toEqual(["once-0", "once-1", "once-2"]);
  }, 30_000);

  it("the group coordinator evicted between polls: committed offsets survive and every record is processed, none skipped", async () => {
    const name = uniqueTopic("sfg");
    expect((await client.createTopic(name, { partitions: 2 })).ok).toBe(true);
    for (let p = 0; p < 2; p++) expect((await client.produce(name, [0, 1, 2, 3, 4].map((i) => ({ value: `p${p}-${i}` })), { partition: p })).ok).toBe(true);
    const group = `g-${crypto.randomUUID().slice(0, 8)}`;
    const joined = await client.request<{ member_id: string; member_epoch: number }>("POST", `/v1/groups/${group}/members`, {
      body: { topics: [name], auto_offset_reset: "earliest" },
    });
    if (!joined.ok) throw new Error(JSON.stringify(joined.error));
    const m = joined.body;
    const processed: string[] = [];
    for (let round = 0; round < 6 && processed.length < 10; round++) {
      const r = await client.request<{ records: { topic: string; partition: number; offset: number; value: string }[] }>(
        "GET",
        `/v1/groups/${group}/members/${m.member_id}/records`,
        { query: { max_records: 3 } },
      );
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      processed.push(...r.body.records.map((x) => x.value));
      const next = new Map(r.body.records.map((x) => [x.partition, { topic: x.topic, partition: x.partition, offset: x.offset + 1 }]));
      if (next.size > 0) {
        const c = await client.request("POST", `/v1/groups/${group}/offsets`, { body: { member_id: m.member_id, member_epoch: m.member_epoch, offsets: [...next.values()] } });
        expect(c.ok).toBe(true);
      }
      await evictDurableObject(groupStub(group));
    }
    expect(new Set(processed)).toEqual(new Set([0, 1, 2, 3, 4].flatMap((i) => [`p0-${i}`, `p1-${i}`])));
    const offsets = await client.request<{ offsets: { partition: number; offset: number }[] }>("GET", `/v1/groups/${group}/offsets`);
    expect(offsets.ok && offsets.body.offsets.map((o) => o.offset)).toEqual([5, 5]);
  }, 30_000);
});

describe("storage full", () => {
  it("on the leader: produce answers KAFKA_STORAGE_ERROR (56, 503, retriable), writes nothing, and succeeds once space returns", async () => {
    const { name, topicId } = await replicatedTopic();
    const w = new Workload(client, name);
    for (let i = 0; i < 3; i++) expect(await w.send(2)).toBeNull();
    const leader = (await partitionOf(client, name)).leader;
    const stub = replicaStub(env, "default", topicId, 0, leader);
    const before = await replicaView(topicId, 0, leader);
    await fillStorage(stub);
    const refused = await client.produce(name, [{ value: "no-space" }], { partition: 0 });
    expect([refused.status, refused.ok ? null : refused.error]).toMatchObject([503, { error_code: 56, error: "KAFKA_STORAGE_ERROR", retriable: true }]);
    const during = await replicaView(topicId, 0, leader);
    expect([during.logEndOffset, during.values]).toEqual([before.logEndOffset, before.values]);
    await freeStorage(stub);
    for (let i = 0; i < 3; i++) expect(await w.send(2)).toBeNull();
    await w.check();
    const vs = await waitForConvergence(topicId);
    expect(vs[0]!.values.includes("no-space")).toBe(false);
  }, 30_000);

  it("on a follower: acks=all goes on, the follower leaves the ISR with its log an intact prefix, and rejoins once space returns", async () => {
    const { name, topicId } = await replicatedTopic();
    const w = new Workload(client, name, { timeoutMs: 8000 });
    expect(await w.send(2)).toBeNull();
    const state = await partitionOf(client, name);
    const follower = [0, 1, 2].find((r) => r !== state.leader)!;
    const stub = replicaStub(env, "default", topicId, 0, follower);
    await fillStorage(stub);
    await vi.waitUntil(async () => {
      expect(await w.send(1)).toBeNull();
      return !(await partitionOf(client, name)).isr.includes(follower);
    }, WAIT);
    const leaderView = await replicaView(topicId, 0, state.leader);
    const full = await replicaView(topicId, 0, follower);
    expect(full.logEndOffset).toBeLessThan(leaderView.logEndOffset);
    expect(full.values, "the full follower's log is a prefix of the leader's").toEqual(leaderView.values.slice(0, full.values.length));
    await freeStorage(stub);
    await vi.waitUntil(async () => (await partitionOf(client, name)).isr.includes(follower), WAIT);
    await w.check();
    await waitForConvergence(topicId);
  }, 40_000);
});
