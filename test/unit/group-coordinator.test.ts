/**
 * The group coordinator's rules for HTTP members (src/groups/group-coordinator.ts): read
 * positions start at the committed offset or the member's auto_offset_reset, move only for an
 * assigned partition and only from where the read started, are dropped when a partition leaves
 * a member (so its next owner starts at the committed offset), auto-commit commits what earlier
 * polls reached, a heartbeat without owned partitions means "what you gave me", and the group's
 * assignor is chosen by its first member.
 */
import { describe, expect, it } from "vitest";
import { GroupCoordinator, newStoredGroup, type PartitionAdvance } from "../../src/groups/group-coordinator.ts";
import { committedOffset } from "../../src/groups/offsets.ts";
import type { Result } from "../../src/protocol/errors.ts";
import { FakeClock } from "../support/fake-clock.ts";

const value = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.err.error}: ${r.err.message}`);
  return r.value;
};

function coordinator() {
  const clock = new FakeClock();
  let n = 0;
  const gc = new GroupCoordinator(newStoredGroup("g"), { clock, newMemberId: () => `m-${++n}` });
  gc.updateTopics({ orders: 2 });
  return { clock, gc };
}

const adv = (partition: number, from: PartitionAdvance["from"], next: number): PartitionAdvance => ({ topic: "orders", partition, from, next });

describe("group coordinator: positions and polls", () => {
  it("a new member reads from its auto_offset_reset; a committed offset wins; positions move from where the read started", () => {
    const { gc } = coordinator();
    const m = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.commit({ memberId: m.memberId, memberEpoch: m.memberEpoch, offsets: [{ topic: "orders", partition: 1, offset: 7 }] }));
    const plan = value(gc.pollPlan(m.memberId, null, false));
    expect(plan.reads).toEqual([
      { topic: "orders", partition: 0, from: "earliest" },
      { topic: "orders", partition: 1, from: 7 },
    ]);
    const first = value(gc.advance(m.memberId, [adv(0, "earliest", 3), adv(1, 7, 9)]));
    expect(first.moved).toHaveLength(2);
    expect(value(gc.pollPlan(m.memberId, null, false, first.cursor)).reads.map((r) => r.from)).toEqual([3, 9]);
    // A second read that started from the old position (a concurrent poll) does not move it.
    expect(value(gc.advance(m.memberId, [adv(1, 7, 12)])).moved).toEqual([]);
    expect(value(gc.pollPlan(m.memberId, null, false)).reads.map((r) => r.from)).toEqual([3, 9]);
  });

  it("a partition taken from a member keeps no position: its next owner starts at the committed offset (at least once)", () => {
    const { gc } = coordinator();
    const a = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.advance(a.memberId, [adv(0, "earliest", 10), adv(1, "earliest", 10)]));
    value(gc.pollPlan(a.memberId, null, false)); // acknowledges the read
    value(gc.commit({ memberId: a.memberId, memberEpoch: a.memberEpoch, offsets: [{ topic: "orders", partition: 1, offset: 4 }] }));
    const b = value(gc.join({ topics: ["orders"] }));
    const told = value(gc.heartbeat({ memberId: a.memberId, memberEpoch: a.memberEpoch }));
    const kept = told.assignment.orders!;
    const moving = kept[0] === 0 ? 1 : 0;
    // The moving partition is being revoked: not read any more, and a read of it cannot advance.
    expect(value(gc.pollPlan(a.memberId, null, false)).reads.map((r) => r.partition)).toEqual(kept);
    expect(value(gc.advance(a.memberId, [adv(moving, 10, 12)])).moved).toEqual([]);
    value(gc.heartbeat({ memberId: a.memberId, memberEpoch: told.memberEpoch, ownedPartitions: { orders: kept } }));
    const gotIt = value(gc.heartbeat({ memberId: b.memberId, memberEpoch: b.memberEpoch }));
    expect(gotIt.assignment).toEqual({ orders: [moving] });
    const committed = committedOffset(gc.stored.state, "orders", moving)?.offset;
    expect(value(gc.pollPlan(b.memberId, null, false)).reads).toEqual([{ topic: "orders", partition: moving, from: committed ?? "latest" }]);
    expect(Object.keys(gc.stored.extras.positions[a.memberId] ?? {})).toHaveLength(1);
  });

  it("auto-commit commits, before the read, the positions earlier polls reached — only forward", () => {
    const { gc } = coordinator();
    const m = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.pollPlan(m.memberId, null, true));
    expect(gc.stored.state.offsets).toEqual({});
    const read = value(gc.advance(m.memberId, [adv(0, "earliest", 5)]));
    value(gc.pollPlan(m.memberId, null, true, read.cursor));
    expect(committedOffset(gc.stored.state, "orders", 0)?.offset).toBe(5);
    value(gc.commit({ memberId: m.memberId, memberEpoch: m.memberEpoch, offsets: [{ topic: "orders", partition: 0, offset: 8 }] }));
    value(gc.pollPlan(m.memberId, null, true));
    expect(committedOffset(gc.stored.state, "orders", 0)?.offset).toBe(8);
  });

  it("a poll by an unknown member is 25, with a stale epoch 110; removed members leave no extras", () => {
    const { gc, clock } = coordinator();
    const m = value(gc.join({ topics: ["orders"], sessionTimeoutMs: 10_000 }));
    expect(gc.pollPlan("m-9", null, false)).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(gc.pollPlan(m.memberId, m.memberEpoch + 1, false)).toMatchObject({ ok: false, err: { errorCode: 110 } });
    value(gc.advance(m.memberId, [adv(0, "latest", 3)]));
    clock.advance(10_000);
    expect(gc.expire()).toEqual([m.memberId]);
    expect(gc.stored.extras).toEqual({ positions: {}, autoOffsetReset: {}, pending: {}, cursors: {} });
    expect(gc.advance(m.memberId, [adv(0, 3, 4)])).toMatchObject({ ok: false, err: { errorCode: 25 } });
  });

  it("a seek moves a member's positions on partitions it owns; the next poll reads there, whatever the pending answer said; nothing is committed", () => {
    const { gc } = coordinator();
    const m = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.pollPlan(m.memberId, null, false));
    value(gc.advance(m.memberId, [adv(0, "earliest", 10), adv(1, "earliest", 10)])); // pending, not yet acknowledged
    value(gc.seek(m.memberId, m.memberEpoch, [{ topic: "orders", partition: 0, offset: 3 }]));
    expect(value(gc.pollPlan(m.memberId, null, false)).reads.map((r) => r.from)).toEqual([3, 10]);
    // A poll planned before the seek cannot advance the partition from its old position.
    const before = value(gc.pollPlan(m.memberId, null, false));
    value(gc.seek(m.memberId, null, [{ topic: "orders", partition: 1, offset: 0 }]));
    expect(value(gc.advance(m.memberId, [adv(1, before.reads[1]!.from, 12)])).moved).toEqual([]);
    expect(value(gc.pollPlan(m.memberId, null, false)).reads.map((r) => r.from)).toEqual([3, 0]);
    expect(committedOffset(gc.stored.state, "orders", 0)).toBeUndefined();
  });

  it("a seek on a partition the member does not own now (another member's, being revoked, unknown) is refused and moves nothing", () => {
    const { gc } = coordinator();
    const a = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.seek(a.memberId, null, [{ topic: "orders", partition: 0, offset: 5 }, { topic: "orders", partition: 1, offset: 5 }]));
    const b = value(gc.join({ topics: ["orders"] }));
    const told = value(gc.heartbeat({ memberId: a.memberId, memberEpoch: a.memberEpoch }));
    const kept = told.assignment.orders![0]!;
    const moving = kept === 0 ? 1 : 0; // being revoked from a: no longer a's to move
    const refused = gc.seek(a.memberId, null, [{ topic: "orders", partition: kept, offset: 1 }, { topic: "orders", partition: moving, offset: 1 }]);
    expect(refused).toMatchObject({ ok: false, err: { errorCode: 3 } });
    expect(gc.seek(a.memberId, null, [{ topic: "other", partition: 0, offset: 1 }])).toMatchObject({ ok: false, err: { errorCode: 3 } });
    expect(gc.seek(b.memberId, null, [{ topic: "orders", partition: kept, offset: 1 }])).toMatchObject({ ok: false, err: { errorCode: 3 } });
    expect(gc.seek(a.memberId, null, [{ topic: "orders", partition: kept, offset: -1 }])).toMatchObject({ ok: false, err: { errorCode: 42 } });
    expect(gc.seek(a.memberId, told.memberEpoch + 1, [{ topic: "orders", partition: kept, offset: 1 }])).toMatchObject({ ok: false, err: { errorCode: 110 } });
    expect(gc.seek("m-9", null, [])).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(value(gc.pollPlan(a.memberId, null, false)).reads).toEqual([{ topic: "orders", partition: kept, from: 5 }]);
  });

  it("a heartbeat without owned partitions means the member holds what it was last given", () => {
    const { gc } = coordinator();
    const a = value(gc.join({ topics: ["orders"] }));
    const b = value(gc.join({ topics: ["orders"] }));
    const told = value(gc.heartbeat({ memberId: a.memberId, memberEpoch: a.memberEpoch }));
    expect(Object.values(told.assignment).flat()).toHaveLength(1);
    value(gc.heartbeat({ memberId: a.memberId, memberEpoch: told.memberEpoch }));
    expect(Object.values(value(gc.heartbeat({ memberId: b.memberId, memberEpoch: b.memberEpoch })).assignment).flat()).toHaveLength(1);
  });

  it("the first member of an empty group picks the assignor; another one is 23 until the group is empty again", () => {
    const { gc } = coordinator();
    const a = value(gc.join({ topics: ["orders"], assignor: "range" }));
    expect(gc.stored.state.assignor).toBe("range");
    expect(gc.join({ topics: ["orders"], assignor: "roundrobin" })).toMatchObject({ ok: false, err: { errorCode: 23 } });
    expect(gc.join({ topics: ["orders"], assignor: "nope" as "range" })).toMatchObject({ ok: false, err: { errorCode: 42 } });
    value(gc.join({ topics: ["orders"] }));
    expect(gc.stored.state.assignor).toBe("range");
    value(gc.leave(a.memberId));
    value(gc.leave("m-2"));
    value(gc.join({ topics: ["orders"], assignor: "roundrobin" }));
    expect(gc.stored.state.assignor).toBe("roundrobin");
  });

  it("an answer lost on the way is read again: a poll without its cursor drops the pending advance; with it (or without any cursor) the reads count", () => {
    const { gc } = coordinator();
    const m = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    const lost = value(gc.advance(m.memberId, [adv(0, "earliest", 4)]));
    expect(value(gc.pollPlan(m.memberId, null, false, lost.cursor - 1)).reads[0]!.from).toBe("earliest");
    const again = value(gc.advance(m.memberId, [adv(0, "earliest", 4)]));
    expect(again.cursor).toBeGreaterThan(lost.cursor);
    expect(value(gc.pollPlan(m.memberId, null, false, lost.cursor)).reads[0]!.from).toBe("earliest"); // an older cursor is no ack
    const third = value(gc.advance(m.memberId, [adv(0, "earliest", 4)]));
    expect(value(gc.pollPlan(m.memberId, null, true, third.cursor)).reads[0]!.from).toBe(4);
    expect(committedOffset(gc.stored.state, "orders", 0)?.offset).toBe(4);
    value(gc.advance(m.memberId, [adv(0, 4, 6)]));
    expect(value(gc.pollPlan(m.memberId, null, false, null)).reads[0]!.from).toBe(6);
  });

  it("a join naming its member id (KIP-1082) is retry-safe: the retry answers the same member, no second one", () => {
    const { gc } = coordinator();
    const first = value(gc.join({ topics: ["orders"], memberId: "client-1" }));
    const retry = value(gc.join({ topics: ["orders"], memberId: "client-1" }));
    expect(first.memberId).toBe("client-1");
    expect(retry).toMatchObject({ memberId: "client-1", memberEpoch: first.memberEpoch, assignment: first.assignment });
    expect(Object.keys(gc.stored.state.members)).toEqual(["client-1"]);
    expect(gc.join({ topics: ["orders"], memberId: "bad id!" })).toMatchObject({ ok: false, err: { errorCode: 42 } });
    expect(value(gc.join({ topics: ["orders"] })).memberId).toBe("m-1");
  });

  it("the stored group survives a JSON round trip and behaves the same", () => {
    const { gc, clock } = coordinator();
    const m = value(gc.join({ topics: ["orders"], autoOffsetReset: "earliest" }));
    value(gc.advance(m.memberId, [adv(0, "earliest", 2)]));
    value(gc.pollPlan(m.memberId, null, false));
    const copy = new GroupCoordinator(JSON.parse(JSON.stringify(gc.stored)), { clock, newMemberId: () => "m-x" });
    expect(value(copy.pollPlan(m.memberId, null, false))).toEqual(value(gc.pollPlan(m.memberId, null, false)));
  });
});
