/**
 * The group consumer (src/client/group-consumer.ts) against the in-memory group fake
 * (support/fake-group-server.ts, membership by the real src/groups engine) on vitest's fake
 * timers: heartbeat cadence, revocation before release, commits of last returned + 1,
 * auto-commit at the next poll, rejoin without commit after 25/110/82, rejoin from committed
 * offsets after a lost poll answer, close.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import type { GroupConsumer, GroupConsumerConfig, TopicPartition } from "../../src/client/group-consumer.ts";
import { FakeGroupServer, type GroupCall } from "../support/fake-group-server.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** session 9000 ms → the engine answers heartbeat_interval_ms = 3000. */
const SESSION_MS = 9000;
const INTERVAL_MS = 3000;

function consumer(server: FakeGroupServer, cfg: Partial<GroupConsumerConfig> = {}): GroupConsumer {
  const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: server.fetch });
  return client.groupConsumer({ group: "g", topics: ["t"], sessionTimeoutMs: SESSION_MS, autoOffsetReset: "earliest", ...cfg });
}

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const fmt = (tps: TopicPartition[]) => tps.map((tp) => `${tp.topic}-${tp.partition}`).join(",");
const ownedOf = (call: GroupCall): number[] => (call.body.owned_partitions as { partitions: number[] }[]).flatMap((e) => e.partitions);
const callsBy = (server: FakeGroupServer, memberId: string) => server.calls.filter((c) => c.memberId === memberId || c.body?.member_id === memberId);

describe("group consumer", () => {
  it("poll joins on first use and returns records with topic, partition and offset of its assignment", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 3));
    server.append("t", 1, values("b", 2));
    const c = consumer(server);
    expect(c.memberId).toBeUndefined();
    const records = await c.poll();
    expect(c.memberId).toBe("m-1");
    expect(c.memberEpoch).toBeGreaterThan(0);
    expect(c.assignment()).toEqual([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 1 },
    ]);
    expect(records.map((r) => [r.topic, r.partition, r.offset, r.value])).toEqual([
      ["t", 0, 0, "a-0"],
      ["t", 0, 1, "a-1"],
      ["t", 0, 2, "a-2"],
      ["t", 1, 0, "b-0"],
      ["t", 1, 1, "b-1"],
    ]);
    expect(server.callsOf("join")[0]!.body).toEqual({ topics: ["t"], session_timeout_ms: SESSION_MS, auto_offset_reset: "earliest" });
    await c.close();
  });

  it("heartbeats every heartbeat_interval_ms with owned_partitions = its assignment, and a lost heartbeat answer is simply followed by the next one", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.faultFor = ({ kind }) => (kind === "heartbeat" && server.callsOf("heartbeat").length === 1 ? { kind: "drop" } : { kind: "pass" }); // the 2nd
    const c = consumer(server);
    await c.poll();
    const joinedAt = Date.now();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(server.callsOf("heartbeat")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1 + 3 * INTERVAL_MS);
    const beats = server.callsOf("heartbeat");
    expect(beats.map((b) => b.at - joinedAt)).toEqual([3000, 6000, 9000, 12000]);
    expect(beats[1]!.dropped).toBe(true);
    for (const b of beats) {
      expect(b.memberId).toBe("m-1");
      expect(ownedOf(b)).toEqual([0, 1]);
      expect(b.body.member_epoch).toBe(c.memberEpoch);
    }
    // 12 s without a poll and one answer lost: still a member, because heartbeats kept the session.
    expect(server.memberIds()).toEqual(["m-1"]);
    await c.close();
  });

  it("commit() commits last returned + 1 per partition, nothing when nothing new was returned; commit(offsets) commits exactly those", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 5));
    server.append("t", 1, values("b", 5));
    const c = consumer(server, { maxPollRecords: 7 });
    const records = await c.poll();
    expect(records).toHaveLength(7); // 5 of partition 0, 2 of partition 1
    await c.commit();
    expect(server.callsOf("commit")).toHaveLength(1);
    expect(server.callsOf("commit")[0]!.body.offsets).toEqual([
      { topic: "t", partition: 0, offset: 5 },
      { topic: "t", partition: 1, offset: 2 },
    ]);
    expect([server.committed("t", 0), server.committed("t", 1)]).toEqual([5, 2]);
    await c.commit();
    expect(server.callsOf("commit")).toHaveLength(1);
    await c.commit([{ topic: "t", partition: 1, offset: 1 }]);
    expect(server.callsOf("commit")[1]!.body).toEqual({ member_id: "m-1", member_epoch: c.memberEpoch, offsets: [{ topic: "t", partition: 1, offset: 1 }] });
    expect(server.committed("t", 1)).toBe(1);
    await c.close();
  });

  it("autoCommit commits at the next poll the offsets after the records the previous poll returned, and never beyond them", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 5));
    const c = consumer(server, { autoCommit: true });
    expect(await c.poll()).toHaveLength(5);
    expect(server.callsOf("commit")).toHaveLength(0);
    server.append("t", 0, values("b", 3));
    expect(await c.poll()).toHaveLength(3);
    const kinds = server.calls.map((x) => x.kind).filter((k) => k !== "heartbeat");
    expect(kinds).toEqual(["join", "poll", "commit", "poll"]);
    expect(server.committed("t", 0)).toBe(5); // not 8: the second poll's records are committed by the third poll
    await c.poll();
    expect(server.committed("t", 0)).toBe(8);
    await c.close();
  });

  it("on a revocation it stops returning the partition at once; processing → commit (in onPartitionsRevoked) → release reported, and the new owner starts at the committed offset", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 4));
    server.append("t", 1, values("b", 4));
    const log: string[] = [];
    const c1: GroupConsumer = consumer(server, {
      onPartitionsAssigned: (tps) => void log.push(`assigned ${fmt(tps)}`),
      onPartitionsRevoked: async (tps) => {
        log.push(`revoked ${fmt(tps)}`);
        await c1.commit();
        log.push("committed");
      },
    });
    for (const r of await c1.poll()) log.push(`processed ${r.partition}/${r.offset}`);
    const c2 = consumer(server);
    expect(await c2.poll()).toEqual([]); // its target partition is still owned by c1
    await vi.advanceTimersByTimeAsync(INTERVAL_MS); // c1's heartbeat answer revokes one partition
    expect(c1.assignment()).toHaveLength(1);
    const kept = c1.assignment()[0]!.partition;
    const revoked = 1 - kept;
    server.append("t", revoked, ["late"]);
    const released0 = server.calls.length;

    const next = await c1.poll();
    expect(next.some((r) => r.partition === revoked)).toBe(false);
    expect(log).toEqual([
      "assigned t-0,t-1",
      ...[0, 1, 2, 3].map((o) => `processed 0/${o}`),
      ...[0, 1, 2, 3].map((o) => `processed 1/${o}`),
      `revoked t-${revoked}`,
      "committed",
    ]);
    const after = server.calls.slice(released0).filter((x) => x.memberId === "m-1" || x.body?.member_id === "m-1");
    const commitAt = after.findIndex((x) => x.kind === "commit");
    const releaseAt = after.findIndex((x) => x.kind === "heartbeat" && !ownedOf(x).includes(revoked));
    expect(commitAt).toBeGreaterThanOrEqual(0);
    expect(releaseAt).toBeGreaterThan(commitAt);
    expect(after[commitAt]!.body.offsets).toContainEqual({ topic: "t", partition: revoked, offset: 4 });

    await vi.advanceTimersByTimeAsync(INTERVAL_MS); // c2's heartbeat picks the released partition up
    const got = await c2.poll();
    expect(got.map((r) => [r.partition, r.offset, r.value])).toEqual([[revoked, 4, "late"]]);
    await c1.close();
    await c2.close();
  });

  it("with autoCommit, a revoked partition is committed before onPartitionsRevoked and before the release is reported", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 3));
    server.append("t", 1, values("b", 3));
    const order: string[] = [];
    const c1 = consumer(server, {
      autoCommit: true,
      onPartitionsRevoked: (tps) => void order.push(`revoked ${fmt(tps)} committed=${server.committed(tps[0]!.topic, tps[0]!.partition)}`),
    });
    await c1.poll();
    await consumer(server).poll();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    const revoked = 1 - c1.assignment()[0]!.partition;
    const from = server.calls.length;
    await c1.poll();
    expect(order).toEqual([`revoked t-${revoked} committed=3`]);
    const mine = server.calls.slice(from).filter((x) => x.memberId === "m-1" || x.body?.member_id === "m-1");
    const commitAt = mine.findIndex((x) => x.kind === "commit" && x.body.offsets.some((o: { partition: number }) => o.partition === revoked));
    const releaseAt = mine.findIndex((x) => x.kind === "heartbeat" && !ownedOf(x).includes(revoked));
    expect(commitAt).toBeGreaterThanOrEqual(0);
    expect(releaseAt).toBeGreaterThan(commitAt);
  });

  it("UNKNOWN_MEMBER_ID (25) after its session expired: drops its assignment, commits nothing for the old member, rejoins fresh and re-reads from the committed offset", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 10));
    const lost: string[] = [];
    const c = consumer(server, { onPartitionsLost: (tps) => void lost.push(fmt(tps)) });
    expect(await c.poll()).toHaveLength(10);
    await c.commit([{ topic: "t", partition: 0, offset: 5 }]); // processed 0..4 only
    server.expire("m-1");
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c.memberId).toBeUndefined();
    expect(c.assignment()).toEqual([]);
    await expect(c.commit()).rejects.toMatchObject({ errorCode: 25 });
    await expect(c.commit([{ topic: "t", partition: 0, offset: 10 }])).rejects.toMatchObject({ errorCode: 25 });

    const again = await c.poll();
    expect(lost).toEqual(["t-0"]);
    expect(c.memberId).toBe("m-2");
    expect(again.map((r) => r.offset)).toEqual([5, 6, 7, 8, 9]);
    expect(callsBy(server, "m-1").filter((x) => x.kind === "commit")).toHaveLength(1); // the one before the expiry
    expect(server.committed("t", 0)).toBe(5);
    await c.close();
  });

  it("FENCED_MEMBER_EPOCH (110) on a heartbeat: no commit, the stale member is left, and a fresh member joins", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 4));
    server.faultFor = ({ kind }) =>
      kind === "heartbeat" && server.callsOf("heartbeat").length === 0
        ? { kind: "reply", status: 409, body: { error_code: 110, error: "FENCED_MEMBER_EPOCH", message: "stale epoch", retriable: false } }
        : { kind: "pass" };
    const c = consumer(server);
    expect(await c.poll()).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c.memberId).toBeUndefined();
    await expect(c.commit()).rejects.toMatchObject({ errorCode: 110 });
    const again = await c.poll();
    expect(again.map((r) => r.offset)).toEqual([0, 1, 2, 3]); // nothing was committed: redelivered
    const kinds = server.calls.map((x) => `${x.kind}:${x.memberId ?? ""}`);
    expect(kinds.filter((k) => k.startsWith("join") || k.startsWith("leave"))).toEqual(["join:", "leave:m-1", "join:"]);
    expect(server.callsOf("commit")).toHaveLength(0);
    expect(server.memberIds()).toEqual(["m-2"]);
    await c.close();
  });

  it("FENCED_INSTANCE_ID (82): a static member replaced by a new instance with its group.instance.id commits nothing and rejoins", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 4));
    const c1 = consumer(server, { groupInstanceId: "i-1" });
    expect(await c1.poll()).toHaveLength(4);
    const c2 = consumer(server, { groupInstanceId: "i-1" });
    await c2.poll(); // replaces m-1 and takes over its partition
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c1.memberId).toBeUndefined();
    await expect(c1.commit()).rejects.toMatchObject({ errorCode: 82 });
    expect(callsBy(server, "m-1").some((x) => x.kind === "commit")).toBe(false);
    await c1.poll();
    expect(c1.memberId).toBe("m-3");
    expect(callsBy(server, "m-1").map((x) => x.kind)).toEqual(["poll", "heartbeat"]);
    await c1.close();
    await c2.close();
  });

  it("a poll answer lost after the server advanced its positions: the consumer rejoins and those records are delivered again, none skipped", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 6));
    const c = consumer(server);
    expect(await c.poll()).toHaveLength(6);
    await c.commit();
    server.append("t", 0, values("b", 4));
    server.faultFor = ({ kind }) => (kind === "poll" && server.callsOf("poll").length === 1 ? { kind: "drop" } : { kind: "pass" });
    expect(await c.poll()).toEqual([]);
    expect(server.callsOf("poll")[1]!.dropped).toBe(true);
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(...(await c.poll()));
    expect(seen.map((r) => r.value)).toEqual(values("b", 4));
    expect(seen.map((r) => r.offset)).toEqual([6, 7, 8, 9]);
    await c.close();
  });

  it("close() runs onPartitionsRevoked, leaves the group (DELETE) and stops every timer; poll after close is refused", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    const revoked: string[] = [];
    const c = consumer(server, { onPartitionsRevoked: (tps) => void revoked.push(fmt(tps)) });
    await c.poll();
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await c.close();
    expect(revoked).toEqual(["t-0,t-1"]);
    expect(server.callsOf("leave").map((x) => [x.memberId, x.status])).toEqual([["m-1", 204]]);
    expect(server.memberIds()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    const n = server.calls.length;
    await vi.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(server.calls.length).toBe(n);
    await expect(c.poll()).rejects.toMatchObject({ error: "PRODUCER_CLOSED" });
  });

  it("topics and topicPattern: exactly one is required", () => {
    const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: new FakeGroupServer({ topics: { t: 1 } }).fetch });
    expect(() => client.groupConsumer({ group: "g" })).toThrow(/exactly one/);
    expect(() => client.groupConsumer({ group: "g", topics: ["t"], topicPattern: "t.*" })).toThrow(/exactly one/);
    expect(client.groupConsumer({ group: "g", topicPattern: "t.*" }).memberId).toBeUndefined();
  });
});
