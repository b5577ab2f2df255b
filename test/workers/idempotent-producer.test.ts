/**
 * Issue 5 end to end in workerd, through the HTTP API: producer ids from `POST /v1/producers`,
 * and the idempotent partition-level produce — retries after a lost answer, after a leader
 * change and after the leader's Durable Object is evicted write one copy and answer the
 * original offsets; zombies are fenced; sequence gaps, wrap-around and more than 5 batches in
 * flight behave as Kafka's broker does. The non-idempotent control writes the duplicate.
 */
import { env } from "cloudflare:workers";
import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { names } from "../../src/protocol/names.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { partitionOf, replicaView, setReplica } from "../support/replicas.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const WAIT = { timeout: 15_000, interval: 20 };
const MAX_SEQUENCE = 2 ** 31 - 1;

interface ProducerId {
  producer_id: number;
  producer_epoch: number;
}
type Offsets = { offsets: { partition: number; offset: number; timestamp: number }[] };

async function initProducer(body: object = {}): Promise<ProducerId> {
  const r = await client.request<ProducerId>("POST", "/v1/producers", { body });
  if (!r.ok) throw new Error(`init failed: ${JSON.stringify(r.error)}`);
  return r.body;
}

async function topic(replicationFactor = 1) {
  const name = uniqueTopic("idem");
  const configs: Record<string, string> = replicationFactor > 1 ? { "min.insync.replicas": "2" } : {};
  const r = await client.createTopic(name, { partitions: 2, replication_factor: replicationFactor, configs });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return { name, topicId: r.body.topic_id };
}

/** One idempotent batch to partition 0 (or a plain one when `p` is null). */
function send(name: string, values: string[], p: ProducerId | null, baseSequence = 0, partition = 0) {
  const idempotent = p ? { producer_id: p.producer_id, producer_epoch: p.producer_epoch, base_sequence: baseSequence } : {};
  return client.request<Offsets>("POST", `/v1/topics/${name}/partitions/${partition}/records`, {
    query: { acks: "all" },
    body: { records: values.map((value) => ({ value })), ...idempotent },
  });
}

async function logValues(name: string, partition = 0): Promise<string[]> {
  const r = await client.fetchRecords(name, partition, { offset: 0, max_records: 10_000 });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.body.records.map((x) => x.value ?? "");
}

const countOf = (values: string[], v: string) => values.filter((x) => x === v).length;

describe("POST /v1/producers", () => {
  it("hands out fresh ids at epoch 0 that are never reused, also after the coordinator is evicted", async () => {
    const a = await initProducer();
    const b = await initProducer();
    expect(a.producer_epoch).toBe(0);
    expect(b.producer_id).toBeGreaterThan(a.producer_id);
    await evictDurableObject(env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator("default")));
    const c = await initProducer();
    expect(c.producer_id).toBeGreaterThan(b.producer_id);
    const empty = await client.request<ProducerId>("POST", "/v1/producers");
    expect(empty.ok && empty.body.producer_id).toBeGreaterThan(c.producer_id);
  });

  it("re-initialising a transactional id keeps the id and bumps the epoch", async () => {
    const t = `txn-${crypto.randomUUID()}`;
    const first = await initProducer({ transactional_id: t });
    const second = await initProducer({ transactional_id: t });
    expect(second).toEqual({ producer_id: first.producer_id, producer_epoch: first.producer_epoch + 1 });
    const other = await initProducer({ transactional_id: `${t}-other` });
    expect(other.producer_id).not.toBe(first.producer_id);
  });

  it("an epoch bump by id and epoch (KIP-360) is retry-safe; an older epoch then gets 47, an unknown id 59", async () => {
    const p = await initProducer();
    expect(await initProducer({ producer_id: p.producer_id, producer_epoch: 0 })).toEqual({ producer_id: p.producer_id, producer_epoch: 1 });
    expect(await initProducer({ producer_id: p.producer_id, producer_epoch: 0 })).toEqual({ producer_id: p.producer_id, producer_epoch: 1 });
    expect(await initProducer({ producer_id: p.producer_id, producer_epoch: 1 })).toEqual({ producer_id: p.producer_id, producer_epoch: 2 });
    const stale = await client.request("POST", "/v1/producers", { body: { producer_id: p.producer_id, producer_epoch: 0 } });
    expect(stale).toMatchObject({ ok: false, status: 409, error: { error_code: 47, error: "INVALID_PRODUCER_EPOCH" } });
    const unknown = await client.request("POST", "/v1/producers", { body: { producer_id: 999_999_999, producer_epoch: 0 } });
    expect(unknown).toMatchObject({ ok: false, status: 409, error: { error_code: 59, error: "UNKNOWN_PRODUCER_ID" } });
  });

  it("bad bodies are 400 INVALID_REQUEST in the contract's error body", async () => {
    for (const body of [{ producer_id: 5 }, { producer_epoch: 1 }, { transactional_id: "" }, { transactional_id: 7 }, { extra: 1 }, { producer_id: 1, producer_epoch: 40_000 }, "[1"]) {
      const r = await client.request("POST", "/v1/producers", { body: typeof body === "string" ? body : body });
      expect(r, JSON.stringify(body)).toMatchObject({ ok: false, status: 400, error: { error_code: 42, error: "INVALID_REQUEST", retriable: false } });
    }
  });
});

describe("idempotent produce", () => {
  it("an answer lost after the append, then the retry: one copy and the original offsets; without idempotence a counted duplicate", async () => {
    const { name } = await topic();
    const p = await initProducer();
    const first = await send(name, ["a", "b"], p, 0); // the producer never sees this answer
    expect(first.ok).toBe(true);
    const retry = await send(name, ["a", "b"], p, 0);
    expect(retry).toEqual(first);
    expect(await logValues(name)).toEqual(["a", "b"]);

    // Control: the same loss and retry without producer fields writes the batch twice.
    await send(name, ["c"], null);
    const dup = await send(name, ["c"], null);
    expect(dup.ok && dup.body.offsets[0]!.offset).toBe(3);
    const values = await logValues(name);
    const duplicates = values.length - new Set(values).size;
    console.log(`[figures] lost-answer retry: idempotent copies of "a" = ${countOf(values, "a")}, non-idempotent copies of "c" = ${countOf(values, "c")} (duplicates ${duplicates})`);
    expect(countOf(values, "a")).toBe(1);
    expect(duplicates).toBe(1);
  });

  it("a retry after the leader moved to another replica is still a duplicate with the original offsets", async () => {
    const { name, topicId } = await topic(3);
    const p = await initProducer();
    const originals = [];
    for (let i = 0; i < 3; i++) originals.push(await send(name, [`v${i}`], p, i));
    const before = await partitionOf(client, name);
    await setReplica(client, name, 0, before.leader, "offline");
    const after = await partitionOf(client, name);
    expect(after.leader).not.toBe(before.leader);
    for (let i = 0; i < 3; i++) expect(await send(name, [`v${i}`], p, i)).toEqual(originals[i]);
    expect((await send(name, ["v3"], p, 3)).ok).toBe(true);
    expect(await send(name, ["v9"], p, 9)).toMatchObject({ ok: false, status: 409, error: { error_code: 45 } });
    expect(await logValues(name)).toEqual(["v0", "v1", "v2", "v3"]);
    await setReplica(client, name, 0, before.leader, "online");
    await vi.waitUntil(async () => (await replicaView(topicId, 0, before.leader)).logEndOffset === 4, WAIT);
    expect((await replicaView(topicId, 0, before.leader)).values).toEqual(["v0", "v1", "v2", "v3"]);
  });

  it("a retry after the leader's Durable Object is evicted is still a duplicate (state rebuilt from the batch rows)", async () => {
    const { name, topicId } = await topic();
    const p = await initProducer();
    const first = await send(name, ["x", "y"], p, 0);
    const second = await send(name, ["z"], p, 2);
    await evictDurableObject(replicaStub(env, "default", topicId, 0, 0));
    expect(await send(name, ["x", "y"], p, 0)).toEqual(first);
    expect(await send(name, ["z"], p, 2)).toEqual(second);
    expect(await send(name, ["gap"], p, 4)).toMatchObject({ ok: false, status: 409, error: { error_code: 45, error: "OUT_OF_ORDER_SEQUENCE_NUMBER" } });
    expect(await logValues(name)).toEqual(["x", "y", "z"]);
  });

  it("a zombie producer (older epoch of the same transactional id) is fenced with 47 and writes nothing", async () => {
    const { name } = await topic();
    const t = `txn-${crypto.randomUUID()}`;
    const zombie = await initProducer({ transactional_id: t });
    expect((await send(name, ["z0"], zombie, 0)).ok).toBe(true);
    const fresh = await initProducer({ transactional_id: t });
    expect((await send(name, ["n0"], fresh, 0)).ok).toBe(true);
    const fenced = await send(name, ["z1"], zombie, 1);
    expect(fenced).toMatchObject({ ok: false, status: 409, error: { error_code: 47, error: "INVALID_PRODUCER_EPOCH", retriable: false } });
    expect(await send(name, ["z0"], zombie, 0)).toMatchObject({ ok: false, error: { error_code: 47 } });
    expect(await logValues(name)).toEqual(["z0", "n0"]);
  });

  it("a sequence gap is 45 and writes nothing; the expected sequence then succeeds", async () => {
    const { name } = await topic();
    const p = await initProducer();
    await send(name, ["a", "b", "c"], p, 0);
    const gap = await send(name, ["e"], p, 4);
    expect(gap).toMatchObject({ ok: false, status: 409, error: { error_code: 45, error: "OUT_OF_ORDER_SEQUENCE_NUMBER", retriable: false } });
    expect((await send(name, ["d"], p, 3)).ok).toBe(true);
    expect(await logValues(name)).toEqual(["a", "b", "c", "d"]);
  });

  it("sequences wrap at 2^31-1: a batch across the wrap, its retry, then sequence 1", async () => {
    const { name } = await topic();
    const p = await initProducer();
    const across = await send(name, ["m", "n", "o"], p, MAX_SEQUENCE - 1); // MAX-1, MAX, 0
    expect(across.ok).toBe(true);
    expect(await send(name, ["m", "n", "o"], p, MAX_SEQUENCE - 1)).toEqual(across);
    expect(await send(name, ["q"], p, 0)).toMatchObject({ ok: false, error: { error_code: 45 } });
    expect((await send(name, ["p"], p, 1)).ok).toBe(true);
    expect(await logValues(name)).toEqual(["m", "n", "o", "p"]);
  });

  it("with more than 5 batches in flight, the last 5 dedupe and an older retry is 45, as Kafka's broker answers", async () => {
    const { name } = await topic();
    const p = await initProducer();
    // Six batches whose answers are all lost (in flight, from the producer's view), then retried.
    const sent = [];
    for (let i = 0; i < 6; i++) sent.push(await send(name, [`b${i}`], p, i));
    expect(await send(name, ["b0"], p, 0)).toMatchObject({ ok: false, status: 409, error: { error_code: 45 } });
    for (let i = 1; i < 6; i++) expect(await send(name, [`b${i}`], p, i)).toEqual(sent[i]);
    expect(await logValues(name)).toEqual(["b0", "b1", "b2", "b3", "b4", "b5"]);
  });

  it("two producers on one partition and one producer on two partitions keep separate sequences", async () => {
    const { name } = await topic();
    const [p, q] = [await initProducer(), await initProducer()];
    expect((await send(name, ["p0"], p, 0, 0)).ok).toBe(true);
    expect((await send(name, ["q0"], q, 0, 0)).ok).toBe(true);
    expect((await send(name, ["p0'"], p, 0, 1)).ok).toBe(true);
    expect((await send(name, ["p1"], p, 1, 0)).ok).toBe(true);
    expect(await send(name, ["q2"], q, 2, 0)).toMatchObject({ ok: false, error: { error_code: 45 } });
    expect(await logValues(name, 0)).toEqual(["p0", "q0", "p1"]);
    expect(await logValues(name, 1)).toEqual(["p0'"]);
  });

  it("producer fields are refused on the topic-level route, and must come together", async () => {
    const { name } = await topic();
    const topicLevel = await client.request("POST", `/v1/topics/${name}/records`, {
      body: { records: [{ value: "a" }], producer_id: 1, producer_epoch: 0, base_sequence: 0 },
    });
    expect(topicLevel).toMatchObject({ ok: false, status: 400, error: { error_code: 42 } });
    const partial = await client.request("POST", `/v1/topics/${name}/partitions/0/records`, {
      body: { records: [{ value: "a" }], producer_id: 1, base_sequence: 0 },
    });
    expect(partial).toMatchObject({ ok: false, status: 400, error: { error_code: 42 } });
    expect(await logValues(name)).toEqual([]);
  });

  it("GET …/producers (DescribeProducers) lists the leader's producers with epoch, last sequence and last batch, also after eviction", async () => {
    const { name, topicId } = await topic();
    const [p, q] = [await initProducer(), await initProducer()];
    await send(name, ["a", "b"], p, 0);
    await send(name, ["c"], q, 7);
    await send(name, ["d", "e", "f"], p, 2);
    await send(name, ["plain"], null);
    type Described = { producers: { producer_id: number; producer_epoch: number; last_sequence: number; last_batch_base_offset: number; last_batch_last_offset: number; batches: number }[] };
    const expected = [
      { producer_id: q.producer_id, producer_epoch: 0, last_sequence: 7, last_batch_base_offset: 2, last_batch_last_offset: 2, batches: 1 },
      { producer_id: p.producer_id, producer_epoch: 0, last_sequence: 4, last_batch_base_offset: 3, last_batch_last_offset: 5, batches: 2 },
    ];
    const r = await client.request<Described>("GET", `/v1/topics/${name}/partitions/0/producers`);
    expect(r.ok && r.body.producers).toMatchObject(expected);
    await evictDurableObject(replicaStub(env, "default", topicId, 0, 0));
    const again = await client.request<Described>("GET", `/v1/topics/${name}/partitions/0/producers`);
    expect(again.ok && again.body.producers).toMatchObject(expected);
    const empty = await client.request<Described>("GET", `/v1/topics/${name}/partitions/1/producers`);
    expect(empty).toMatchObject({ ok: true, body: { producers: [] } });
  });
});
