/**
 * Kafka's fetch rule (issue 16): an offset between the high watermark and the log end offset is
 * not an error — the answer is empty and, with wait_ms, waits for the HW — and only an offset
 * above the LEO is OFFSET_OUT_OF_RANGE. The case that matters: a consumer at the old leader's HW
 * right after a fail-over, while the new leader's HW is still what its last push told it.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { stubTransport, type ReplicaTransport } from "../../src/partition/replica-transport.ts";
import type { ReplicateRequest } from "../../src/protocol/types.ts";
import { partitionOf, replicaView, setReplica } from "../support/replicas.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const WAIT = { timeout: 15_000, interval: 20 };

/** Pushes for which `drop` holds fail as a transient error before they are sent. */
function droppingTransport(topicId: string, drop: (req: ReplicateRequest) => boolean): ReplicaTransport {
  const inner = stubTransport(env, { tenant: "default", topicId, partition: 0 });
  return {
    replicate: async (followerId, req) => {
      if (drop(req)) throw Object.assign(new Error("injected: push dropped"), { retryable: true });
      return inner.replicate(followerId, req);
    },
    alterPartition: (req) => inner.alterPartition(req),
    partitionState: () => inner.partitionState(),
  };
}

async function setTransport(topicId: string, replica: number, t: ReplicaTransport | null): Promise<void> {
  await runInDurableObject(replicaStub(env, "default", topicId, 0, replica), (instance: PartitionReplicaDO) => {
    instance.transport = t;
  });
}

describe("Kafka's fetch rule", () => {
  it("a consumer tailing at the old leader's HW across a fail-over sees no 416: empty answers until the new HW passes it, then the records", async () => {
    const name = uniqueTopic("fetchrule");
    const created = await client.createTopic(name, { partitions: 1, replication_factor: 3, configs: { "min.insync.replicas": "2" } });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const topicId = created.body.topic_id;
    await vi.waitUntil(async () => (await partitionOf(client, name)).isr.length === 3, WAIT);
    const old = await partitionOf(client, name);
    const followers = [0, 1, 2].filter((r) => r !== old.leader);
    // The old leader's HW-only pushes are lost (followers keep their older HW), and the
    // followers cannot push at all once one of them leads, so its HW stays below its LEO.
    await setTransport(topicId, old.leader, droppingTransport(topicId, (req) => req.batches.length === 0));
    for (const f of followers) await setTransport(topicId, f, droppingTransport(topicId, () => true));
    const sent = await client.produce(name, [{ value: "a" }, { value: "b" }, { value: "c" }], { acks: "all" });
    expect(sent.ok).toBe(true);
    const tail = (await client.fetchRecords(name, 0, { offset: 0 }));
    expect(tail.ok && tail.body.records.map((r) => r.value)).toEqual(["a", "b", "c"]);
    const position = tail.ok ? tail.body.next_offset : -1;

    await setReplica(client, name, 0, old.leader, "offline");
    const now = await partitionOf(client, name);
    expect(now.leader).not.toBe(old.leader);
    const leaderView = await replicaView(topicId, 0, now.leader);
    // The situation the rule is for: the consumer's position lies between the new leader's HW and LEO.
    expect(leaderView.highWatermark).toBeLessThan(position);
    expect(leaderView.logEndOffset).toBe(position);

    const empty = await client.fetchRecords(name, 0, { offset: position, wait_ms: 200 });
    expect([empty.status, empty.ok && empty.body]).toMatchObject([200, { records: [], next_offset: position }]);

    // Pushes flow again: the HW passes the position, and a long poll there gets the next records.
    for (const f of followers) await setTransport(topicId, f, null);
    const waiting = client.fetchRecords(name, 0, { offset: position, wait_ms: 10_000 });
    expect((await client.produce(name, [{ value: "d" }], { acks: "all" })).ok).toBe(true);
    const next = await waiting;
    expect([next.status, next.ok && next.body.records.map((r) => r.value)]).toEqual([200, ["d"]]);
  }, 30_000);

  it("an offset above the log end offset is still OFFSET_OUT_OF_RANGE (1), 416", async () => {
    const name = uniqueTopic("fetchrule");
    expect((await client.createTopic(name, { partitions: 1 })).ok).toBe(true);
    expect((await client.produce(name, [{ value: "a" }])).ok).toBe(true);
    const r = await client.fetchRecords(name, 0, { offset: 2 });
    expect(r.status).toBe(416);
  });
});
