/**
 * The group consumer (src/client/group-consumer.ts) against the in-memory group fake
 * (support/fake-group-server.ts, membership by the real src/groups engine) on vitest's fake
 * timers: heartbeat cadence, revocation before release, commits of last returned + 1,
 * auto-commit at the next poll, rejoin without commit (and with a new member id) after
 * 25/110/82, client-chosen member ids that make a retried join one member, the poll cursor that
 * makes a lost poll answer come again without a rebalance, close.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import { JOIN_ATTEMPTS, type GroupConsumer, type GroupConsumerConfig, type TopicPartition } from "../../src/client/group-consumer.ts";
import { FakeGroupServer, type GroupCall } from "../support/fake-group-server.ts";
import { Prng } from "../support/prng.ts";

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
const CLIENT_ID = /^c-[0-9a-f-]{36}$/;

describe("group consumer", () => {
  it("poll joins on first use and returns records with topic, partition and offset of its assignment", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 3));
    server.append("t", 1, values("b", 2));
    const c = consumer(server);
    expect(c.memberId).toBeUndefined();
    const records = await c.poll();
    expect(c.memberId).toMatch(CLIENT_ID);
    expect(server.memberIds()).toEqual([c.memberId]);
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
    expect(server.callsOf("join")[0]!.body).toEqual({ topics: ["t"], session_timeout_ms: SESSION_MS, auto_offset_reset: "earliest", member_id: c.memberId });
    expect(server.callsOf("poll")[0]!.query).toMatchObject({ cursor: "0" });
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
      expect(b.memberId).toBe(c.memberId);
      expect(ownedOf(b)).toEqual([0, 1]);
      expect(b.body.member_epoch).toBe(c.memberEpoch);
    }
    // 12 s without a poll and one answer lost: still a member, because heartbeats kept the session.
    expect(server.memberIds()).toEqual([c.memberId]);
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
    expect(server.callsOf("commit")[1]!.body).toEqual({ member_id: c.memberId, member_epoch: c.memberEpoch, offsets: [{ topic: "t", partition: 1, offset: 1 }] });
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
    const id1 = c1.memberId!;
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
    const after = callsBy(server, id1).filter((x) => x.n >= released0);
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
    const mine = callsBy(server, c1.memberId!).filter((x) => x.n >= from);
    const commitAt = mine.findIndex((x) => x.kind === "commit" && x.body.offsets.some((o: { partition: number }) => o.partition === revoked));
    const releaseAt = mine.findIndex((x) => x.kind === "heartbeat" && !ownedOf(x).includes(revoked));
    expect(commitAt).toBeGreaterThanOrEqual(0);
    expect(releaseAt).toBeGreaterThan(commitAt);
  });

  it("UNKNOWN_MEMBER_ID (25) after its session expired: drops its assignment, commits nothing for the old member, rejoins fresh with a new member id and re-reads from the committed offset", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 10));
    const lost: string[] = [];
    const c = consumer(server, { onPartitionsLost: (tps) => void lost.push(fmt(tps)) });
    expect(await c.poll()).toHaveLength(10);
    await c.commit([{ topic: "t", partition: 0, offset: 5 }]); // processed 0..4 only
    const old = c.memberId!;
    server.expire(old);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c.memberId).toBeUndefined();
    expect(c.assignment()).toEqual([]);
    await expect(c.commit()).rejects.toMatchObject({ errorCode: 25 });
    await expect(c.commit([{ topic: "t", partition: 0, offset: 10 }])).rejects.toMatchObject({ errorCode: 25 });

    const again = await c.poll();
    expect(lost).toEqual(["t-0"]);
    expect(c.memberId).toMatch(CLIENT_ID);
    expect(c.memberId).not.toBe(old);
    expect(server.callsOf("join").map((x) => x.body.member_id)).toEqual([old, c.memberId]);
    expect(again.map((r) => r.offset)).toEqual([5, 6, 7, 8, 9]);
    expect(server.callsOf("poll").at(-1)!.query).toMatchObject({ cursor: "0" }); // a new member's first poll
    expect(callsBy(server, old).filter((x) => x.kind === "commit")).toHaveLength(1); // the one before the expiry
    expect(server.committed("t", 0)).toBe(5);
    await c.close();
  });

  it("FENCED_MEMBER_EPOCH (110) on a heartbeat: no commit, the stale member is left, and a fresh member joins with a new member id", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 4));
    server.faultFor = ({ kind }) =>
      kind === "heartbeat" && server.callsOf("heartbeat").length === 0
        ? { kind: "reply", status: 409, body: { error_code: 110, error: "FENCED_MEMBER_EPOCH", message: "stale epoch", retriable: false } }
        : { kind: "pass" };
    const c = consumer(server);
    expect(await c.poll()).toHaveLength(4);
    const old = c.memberId!;
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c.memberId).toBeUndefined();
    await expect(c.commit()).rejects.toMatchObject({ errorCode: 110 });
    const again = await c.poll();
    expect(again.map((r) => r.offset)).toEqual([0, 1, 2, 3]); // nothing was committed: redelivered
    const kinds = server.calls.map((x) => `${x.kind}:${x.memberId ?? ""}`);
    expect(kinds.filter((k) => k.startsWith("join") || k.startsWith("leave"))).toEqual(["join:", `leave:${old}`, "join:"]);
    expect(server.callsOf("join").map((x) => x.body.member_id)).toEqual([old, c.memberId]);
    expect(c.memberId).not.toBe(old);
    expect(server.callsOf("commit")).toHaveLength(0);
    expect(server.memberIds()).toEqual([c.memberId]);
    await c.close();
  });

  it("FENCED_INSTANCE_ID (82): a static member replaced by a new instance with its group.instance.id commits nothing and rejoins", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 4));
    const c1 = consumer(server, { groupInstanceId: "i-1" });
    expect(await c1.poll()).toHaveLength(4);
    const old = c1.memberId!;
    const c2 = consumer(server, { groupInstanceId: "i-1" });
    await c2.poll(); // replaces m-1 and takes over its partition
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(c1.memberId).toBeUndefined();
    await expect(c1.commit()).rejects.toMatchObject({ errorCode: 82 });
    expect(callsBy(server, old).some((x) => x.kind === "commit")).toBe(false);
    await c1.poll();
    expect(c1.memberId).toMatch(CLIENT_ID);
    expect(new Set([old, c2.memberId, c1.memberId]).size).toBe(3);
    expect(callsBy(server, old).map((x) => x.kind)).toEqual(["join", "poll", "heartbeat"]);
    await c1.close();
    await c2.close();
  });

  it("every poll sends the cursor of the last answer received: 0 first, then each answer's own", async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.append("t", 0, values("a", 6));
    const c = consumer(server, { maxPollRecords: 2 });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push(...(await c.poll()));
    expect(seen.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    const polls = server.callsOf("poll");
    expect(polls.map((p) => p.query!.cursor)).toEqual(["0", ...polls.slice(0, -1).map((p) => String(p.answer.cursor))]);
    expect(new Set(polls.map((p) => p.answer.cursor)).size).toBe(4);
    await c.close();
  });

  it("a poll answer lost after the server read the records: the next poll sends the same cursor and gets them again, without a rebalance, none skipped", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 3));
    server.append("t", 1, values("b", 3));
    const revoked: string[] = [];
    const c = consumer(server, { onPartitionsRevoked: (tps) => void revoked.push(fmt(tps)) });
    expect(await c.poll()).toHaveLength(6);
    await c.commit();
    const id = c.memberId;
    const epoch = server.group.state.groupEpoch;
    server.append("t", 0, values("c", 2));
    server.append("t", 1, values("d", 2));
    server.faultFor = ({ kind }) => (kind === "poll" && server.callsOf("poll").length === 1 ? { kind: "drop" } : { kind: "pass" });
    expect(await c.poll()).toEqual([]);
    const [first, lost] = server.callsOf("poll");
    expect(lost!.dropped).toBe(true);
    expect(lost!.answer.records).toHaveLength(4); // the server did read them
    const seen = await c.poll();
    expect(seen.map((r) => r.value)).toEqual([...values("c", 2), ...values("d", 2)]);
    expect(seen.map((r) => r.offset)).toEqual([3, 4, 3, 4]);
    const polls = server.callsOf("poll");
    expect(polls.map((p) => p.query!.cursor)).toEqual(["0", String(first!.answer.cursor), String(first!.answer.cursor)]);
    // Still the same member with the same partitions: no leave, no join, no callback, the group epoch unchanged.
    expect(c.memberId).toBe(id);
    expect(server.callsOf("join")).toHaveLength(1);
    expect(server.callsOf("leave")).toHaveLength(0);
    expect(revoked).toEqual([]);
    expect(server.group.state.groupEpoch).toBe(epoch);
    expect(await c.poll()).toEqual([]); // acknowledged: nothing comes a third time
    await c.close();
  });

  it("seeded: with 30% of poll answers lost, commit-after-process sees every record exactly once (a lost answer comes again; nothing the application saw does) and never rejoins", async () => {
    const server = new FakeGroupServer({ topics: { t: 3 } });
    const prng = new Prng(7);
    server.faultFor = ({ kind }) => (kind === "poll" && prng.chance(0.3) ? { kind: "drop" } : { kind: "pass" });
    const c = consumer(server, { maxPollRecords: 4 });
    const processed: string[] = [];
    for (let round = 0; round < 10; round++) {
      for (let p = 0; p < 3; p++) server.append("t", p, values(`r${round}p${p}`, 3));
      for (let i = 0; i < 6; i++) {
        for (const r of await c.poll()) processed.push(r.value!);
        await c.commit();
      }
    }
    for (let i = 0; i < 20; i++) for (const r of await c.poll()) processed.push(r.value!);
    const dropped = server.callsOf("poll").filter((p) => p.dropped).length;
    expect(dropped).toBeGreaterThan(5);
    expect(new Set(processed).size).toBe(90);
    expect(processed).toHaveLength(90); // a lost answer was never seen, so re-reading it is no duplicate
    expect(server.callsOf("join")).toHaveLength(1);
    await c.close();
  });

  it("a join whose answer is lost, then answered 503, is retried at once naming the same member id: one member", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    server.append("t", 0, values("a", 2));
    const unavailable = { error_code: 15, error: "COORDINATOR_NOT_AVAILABLE", message: "try again", retriable: true };
    server.faultFor = ({ kind }) => {
      const joins = server.callsOf("join").length;
      return kind !== "join" || joins >= 2 ? { kind: "pass" } : joins === 0 ? { kind: "drop" } : { kind: "reply", status: 503, body: unavailable };
    };
    const c = consumer(server);
    expect((await c.poll()).map((r) => r.value)).toEqual(values("a", 2));
    const joins = server.callsOf("join");
    expect(joins.map((j) => [j.dropped, j.status])).toEqual([
      [true, 200],
      [false, 503],
      [false, 200],
    ]);
    expect(new Set(joins.map((j) => j.body.member_id))).toEqual(new Set([c.memberId]));
    expect(server.memberIds()).toEqual([c.memberId]);
    expect(server.group.state.groupEpoch).toBe(1); // the retries changed nothing
    await c.close();
    expect(server.memberIds()).toEqual([]);
  });

  it(`a join unanswered ${JOIN_ATTEMPTS} times is thrown; the next poll joins with the same id (one member), and close leaves a member a lost join made`, async () => {
    const server = new FakeGroupServer({ topics: { t: 1 } });
    server.faultFor = ({ kind }) => (kind === "join" && server.callsOf("join").length < JOIN_ATTEMPTS ? { kind: "drop" } : { kind: "pass" });
    const c = consumer(server);
    await expect(c.poll()).rejects.toMatchObject({ outcomeUnknown: true });
    const id = server.callsOf("join")[0]!.body.member_id as string;
    expect(server.memberIds()).toEqual([id]); // made by the first try
    expect(c.memberId).toBeUndefined();
    await c.poll();
    expect(c.memberId).toBe(id);
    expect(server.callsOf("join").map((j) => j.body.member_id)).toEqual(Array(JOIN_ATTEMPTS + 1).fill(id));
    expect(server.memberIds()).toEqual([id]);
    await c.close();

    const orphaned = new FakeGroupServer({ topics: { t: 1 } });
    orphaned.faultFor = ({ kind }) => (kind === "join" ? { kind: "drop" } : { kind: "pass" });
    const d = consumer(orphaned);
    await expect(d.poll()).rejects.toMatchObject({ outcomeUnknown: true });
    expect(orphaned.memberIds()).toHaveLength(1);
    await d.close();
    expect(orphaned.callsOf("leave").map((x) => [x.memberId, x.status])).toEqual([[orphaned.callsOf("join")[0]!.body.member_id, 204]]);
    expect(orphaned.memberIds()).toEqual([]);
  });

  it("close() runs onPartitionsRevoked, leaves the group (DELETE) and stops every timer; poll after close is refused", async () => {
    const server = new FakeGroupServer({ topics: { t: 2 } });
    const revoked: string[] = [];
    const c = consumer(server, { onPartitionsRevoked: (tps) => void revoked.push(fmt(tps)) });
    await c.poll();
    const id = c.memberId;
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await c.close();
    expect(revoked).toEqual(["t-0,t-1"]);
    expect(server.callsOf("leave").map((x) => [x.memberId, x.status])).toEqual([[id, 204]]);
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
