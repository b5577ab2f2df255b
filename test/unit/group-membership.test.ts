/**
 * The consumer-group state machine (src/groups/membership.ts), one rule per test: incremental
 * handover (revoke first, assign after release), epochs and fencing, static membership, session
 * and rebalance timeouts (idempotent, order-independent), subscriptions by list and regex,
 * topic changes, validation, and a state that survives a JSON round trip.
 */
import { describe, expect, it } from "vitest";
import { emptyGroupState, ownershipConflicts, type GroupState } from "../../src/groups/group-state.ts";
import { ConsumerGroup, type MemberAssignmentResponse } from "../../src/groups/membership.ts";
import { commitOffsets } from "../../src/groups/offsets.ts";
import type { AssignorName } from "../../src/groups/assignors.ts";
import type { Result } from "../../src/protocol/errors.ts";
import { FakeClock } from "../support/fake-clock.ts";

function setup(topics: Record<string, number> = { orders: 4 }, assignor: AssignorName = "sticky") {
  const clock = new FakeClock();
  let n = 0;
  const group = new ConsumerGroup(emptyGroupState("g", assignor, topics), { clock, newMemberId: () => `m-${++n}` });
  return { clock, group };
}

const value = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.err.error}: ${r.err.message}`);
  return r.value;
};
const snapshot = (s: GroupState): string => JSON.stringify(s);

describe("join and incremental reassignment", () => {
  it("a first member gets every partition at member epoch 1", () => {
    const { group } = setup();
    expect(value(group.join({ topics: ["orders"], sessionTimeoutMs: 30_000 }))).toEqual({
      memberId: "m-1",
      memberEpoch: 1,
      heartbeatIntervalMs: 3_000,
      assignment: { orders: [0, 1, 2, 3] },
    });
    expect(group.groupStateName()).toBe("Stable");
  });

  it("a partition moves to a new member only after its old owner reports it released", () => {
    const { group } = setup();
    value(group.join({ topics: ["orders"] }));
    const b = value(group.join({ topics: ["orders"] }));
    expect(b.assignment).toEqual({}); // everything is still owned by m-1
    expect(group.groupStateName()).toBe("Reconciling");
    // m-1 is told to give up two partitions, at its unchanged epoch.
    const a = value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
    expect(a).toMatchObject({ memberEpoch: 1, assignment: { orders: [0, 1] } });
    expect(group.state.members["m-1"]!.partitionsPendingRevocation).toEqual({ orders: [2, 3] });
    // m-2 still cannot have them: m-1 has not released.
    expect(value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 })).assignment).toEqual({});
    expect(ownershipConflicts(group.state)).toEqual([]);
    // m-1 reports the release and moves to epoch 2; then m-2 gets them.
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } }))).toMatchObject({
      memberEpoch: 2,
      assignment: { orders: [0, 1] },
    });
    expect(value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 })).assignment).toEqual({ orders: [2, 3] });
    expect(group.groupStateName()).toBe("Stable");
  });

  it("a heartbeat that does not report owned partitions releases nothing", () => {
    const { group } = setup();
    value(group.join({ topics: ["orders"] }));
    value(group.join({ topics: ["orders"] }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1 }));
    expect(group.state.members["m-1"]!.partitionsPendingRevocation).toEqual({ orders: [2, 3] });
    expect(value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 })).assignment).toEqual({});
  });

  it("a leave frees the leaver's partitions at once for the others", () => {
    const { group } = setup();
    value(group.join({ topics: ["orders"] }));
    value(group.join({ topics: ["orders"] }));
    value(group.leave("m-1"));
    expect(value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 }))).toMatchObject({ memberEpoch: 3, assignment: { orders: [0, 1, 2, 3] } });
  });
});

describe("epochs and fencing", () => {
  it("a stale member epoch is FENCED_MEMBER_EPOCH and changes nothing; an unknown member is UNKNOWN_MEMBER_ID", () => {
    const { group, clock } = setup();
    value(group.join({ topics: ["orders"] }));
    value(group.join({ topics: ["orders"] }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } })); // revoke 2, 3
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } })); // released: epoch 2
    const before = snapshot(group.state);
    clock.advance(1_000);
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 0, ownedPartitions: { orders: [0, 1, 2, 3] } })).toMatchObject({
      ok: false,
      err: { error: "FENCED_MEMBER_EPOCH", errorCode: 110 },
    });
    expect(group.heartbeat({ memberId: "m-9", memberEpoch: 1 })).toMatchObject({ ok: false, err: { error: "UNKNOWN_MEMBER_ID", errorCode: 25 } });
    expect(group.leave("m-9")).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("the previous epoch is accepted when the member claims nothing beyond its assignment (a lost response)", () => {
    const { group } = setup();
    value(group.join({ topics: ["orders"] }));
    value(group.join({ topics: ["orders"] }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
    // The response that moved m-1 to epoch 2 is lost: m-1 heartbeats again with epoch 1.
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } }));
    expect(group.state.members["m-1"]!.memberEpoch).toBe(2);
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } })).memberEpoch).toBe(2);
    // But not when it claims partitions it no longer has.
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2] } })).toMatchObject({
      ok: false,
      err: { error: "FENCED_MEMBER_EPOCH" },
    });
  });
});

describe("static membership", () => {
  it("a rejoin with the same group.instance.id takes over the partitions and epoch without a rebalance", () => {
    const { group } = setup();
    value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    value(group.join({ topics: ["orders"], instanceId: "c-2" }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } }));
    value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 }));
    const epoch = group.state.groupEpoch;
    const rejoined = value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    expect(rejoined).toMatchObject({ memberId: "m-3", memberEpoch: 2, assignment: { orders: [0, 1] } });
    expect(group.state.groupEpoch).toBe(epoch);
    expect(Object.keys(group.state.members).sort()).toEqual(["m-2", "m-3"]);
    expect(ownershipConflicts(group.state)).toEqual([]);
  });

  it("the replaced member is fenced: heartbeat and leave answer FENCED_INSTANCE_ID, a commit UNKNOWN_MEMBER_ID, and nothing changes", () => {
    const { group, clock } = setup();
    value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    const before = snapshot(group.state);
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 1 })).toMatchObject({ ok: false, err: { error: "FENCED_INSTANCE_ID", errorCode: 82 } });
    expect(group.leave("m-1")).toMatchObject({ ok: false, err: { error: "FENCED_INSTANCE_ID" } });
    const commit = commitOffsets(group, { memberId: "m-1", memberEpoch: 1, offsets: [{ topic: "orders", partition: 0, offset: 5 }] }, clock.now());
    expect(commit).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("a rejoin after the session timed out is a new member with a new epoch", () => {
    const { group, clock } = setup();
    value(group.join({ topics: ["orders"], instanceId: "c-1", sessionTimeoutMs: 10_000 }));
    clock.advance(10_000);
    expect(value(group.join({ topics: ["orders"], instanceId: "c-1" }))).toMatchObject({ memberId: "m-2", memberEpoch: 3 });
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 1 })).toMatchObject({ ok: false, err: { error: "UNKNOWN_MEMBER_ID" } });
  });

  it("a rejoin with another subscription bumps the group epoch", () => {
    const { group } = setup({ orders: 2, payments: 2 });
    value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    const r = value(group.join({ topics: ["payments"], instanceId: "c-1" }));
    expect(group.state.groupEpoch).toBe(2);
    expect(r.assignment).toEqual({}); // orders must be released first
    expect(group.state.members["m-2"]!.partitionsPendingRevocation).toEqual({ orders: [0, 1] });
  });
});

describe("session timeouts and alarms", () => {
  function twoMembers() {
    const s = setup();
    value(s.group.join({ topics: ["orders"], sessionTimeoutMs: 10_000 }));
    value(s.group.join({ topics: ["orders"], sessionTimeoutMs: 20_000 }));
    return s;
  }

  it("expire() removes exactly the members whose session deadline passed and returns their ids", () => {
    const { group, clock } = twoMembers();
    clock.advance(9_999);
    expect(group.expire()).toEqual([]);
    expect(group.nextDeadlineMs()).toBe(clock.now() + 1);
    clock.advance(1);
    expect(group.expire()).toEqual(["m-1"]);
    expect(Object.keys(group.state.members)).toEqual(["m-2"]);
  });

  it("expire() fired twice leaves the same state as once", () => {
    const { group, clock } = twoMembers();
    clock.advance(10_000);
    group.expire();
    const once = snapshot(group.state);
    expect(group.expire()).toEqual([]);
    expect(snapshot(group.state)).toBe(once);
  });

  it("one late expire() leaves the same state as alarms fired on time at each deadline", () => {
    const onTime = twoMembers();
    onTime.clock.advance(10_000);
    onTime.group.expire();
    onTime.clock.advance(10_000);
    onTime.group.expire();
    const late = twoMembers();
    late.clock.advance(45_000);
    late.group.expire();
    expect(snapshot(late.group.state)).toBe(snapshot(onTime.group.state));
    expect(late.group.state.groupEpoch).toBe(4);
  });

  it("a request after a missed alarm sees the same state as after the alarm", () => {
    const withAlarm = twoMembers();
    withAlarm.clock.advance(15_000);
    withAlarm.group.expire();
    const a = withAlarm.group.heartbeat({ memberId: "m-2", memberEpoch: 2 });
    const noAlarm = twoMembers();
    noAlarm.clock.advance(15_000);
    const b = noAlarm.group.heartbeat({ memberId: "m-2", memberEpoch: 2 });
    expect(b).toEqual(a);
    expect(snapshot(noAlarm.group.state)).toBe(snapshot(withAlarm.group.state));
  });

  it("a heartbeat moves the session deadline; a rejected one does not", () => {
    const { group, clock } = twoMembers();
    clock.advance(9_000);
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1 }));
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 7 }).ok).toBe(false);
    clock.advance(9_000);
    expect(group.expire()).toEqual([]);
    clock.advance(1_000);
    expect(group.expire()).toEqual(["m-1"]);
  });

  it("a member that keeps heartbeating but never releases a revoked partition is removed after the rebalance timeout", () => {
    const { group, clock } = setup();
    value(group.join({ topics: ["orders"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 25_000 }));
    value(group.join({ topics: ["orders"], sessionTimeoutMs: 10_000 }));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
    for (let i = 0; i < 3; i++) {
      clock.advance(8_000);
      value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
      value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 }));
    }
    clock.advance(1_000);
    expect(group.expire()).toEqual(["m-1"]);
    expect(value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 })).assignment).toEqual({ orders: [0, 1, 2, 3] });
  });
});

describe("subscriptions and topic changes", () => {
  it("a regex subscription matches whole topic names and picks up a new matching topic", () => {
    const { group } = setup({ "orders.eu": 1, "orders.us": 1, "xorders.eu": 1 });
    expect(value(group.join({ topicPattern: "orders\\..*" })).assignment).toEqual({ "orders.eu": [0], "orders.us": [0] });
    expect(group.updateTopics({ "orders.eu": 1, "orders.us": 1, "xorders.eu": 1, "orders.asia": 2 })).toBe(true);
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1 }))).toMatchObject({
      memberEpoch: 2,
      assignment: { "orders.asia": [0, 1], "orders.eu": [0], "orders.us": [0] },
    });
  });

  it("new partitions bump the group epoch; a change to a topic nobody subscribes to does not", () => {
    const { group } = setup({ orders: 2, other: 1 });
    value(group.join({ topics: ["orders"] }));
    expect(group.updateTopics({ orders: 2, other: 5 })).toBe(false);
    expect(group.updateTopics({ orders: 3, other: 5 })).toBe(true);
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1 })).assignment).toEqual({ orders: [0, 1, 2] });
  });

  it("a listed topic that does not exist yet is assigned once it is created", () => {
    const { group } = setup({});
    expect(value(group.join({ topics: ["later"] })).assignment).toEqual({});
    group.updateTopics({ later: 2 });
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1 })).assignment).toEqual({ later: [0, 1] });
  });

  it("a deleted topic's partitions are revoked like any other", () => {
    const { group } = setup({ orders: 1, payments: 1 });
    value(group.join({ topics: ["orders", "payments"] }));
    group.updateTopics({ orders: 1 });
    expect(value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0], payments: [0] } })).assignment).toEqual({ orders: [0] });
    expect(group.state.members["m-1"]!.partitionsPendingRevocation).toEqual({ payments: [0] });
  });
});

describe("validation", () => {
  it("session_timeout_ms outside 6000..300000 is INVALID_SESSION_TIMEOUT (26); the default is 45000", () => {
    const { group } = setup();
    expect(group.join({ topics: ["orders"], sessionTimeoutMs: 5_999 })).toMatchObject({ ok: false, err: { errorCode: 26 } });
    expect(group.join({ topics: ["orders"], sessionTimeoutMs: 300_001 })).toMatchObject({ ok: false, err: { errorCode: 26 } });
    value(group.join({ topics: ["orders"] }));
    expect(group.state.members["m-1"]!.sessionTimeoutMs).toBe(45_000);
  });

  it("a join needs exactly one of topics and a valid pattern; bad names and instance ids are rejected; nothing changes", () => {
    const { group } = setup();
    const before = snapshot(group.state);
    expect(group.join({})).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(group.join({ topics: ["orders"], topicPattern: "o.*" })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(group.join({ topics: [] })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(group.join({ topicPattern: "(" })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    // Issue 13: the regular expression's own reason is in the error, not dropped by the catch.
    const badPattern = group.join({ topicPattern: "(" });
    expect(badPattern.ok ? "" : badPattern.err.message).toMatch(/not a supported regular expression/);
    expect(group.join({ topics: ["bad/name"] })).toMatchObject({ ok: false, err: { error: "INVALID_TOPIC_EXCEPTION" } });
    expect(group.join({ topics: ["orders"], instanceId: "bad id" })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("a full group answers GROUP_MAX_SIZE_REACHED (81), but a static rejoin still replaces", () => {
    const clock = new FakeClock();
    let n = 0;
    const group = new ConsumerGroup(emptyGroupState("g", "sticky", { orders: 2 }), { clock, newMemberId: () => `m-${++n}`, config: { maxSize: 1 } });
    value(group.join({ topics: ["orders"], instanceId: "c-1" }));
    expect(group.join({ topics: ["orders"] })).toMatchObject({ ok: false, err: { errorCode: 81 } });
    expect(value(group.join({ topics: ["orders"], instanceId: "c-1" })).memberId).toBe("m-2");
  });

  it("heartbeat_interval_ms is at most a third of the session timeout", () => {
    const { group } = setup();
    expect(value(group.join({ topics: ["orders"], sessionTimeoutMs: 6_000 })).heartbeatIntervalMs).toBe(2_000);
  });
});

describe("serializable state", () => {
  it("a state saved as JSON and loaded back behaves exactly like the original", () => {
    const run = (group: ConsumerGroup, clock: FakeClock, steps: ((g: ConsumerGroup) => Result<unknown> | unknown)[]) =>
      steps.map((step) => {
        clock.advance(1_000);
        return step(group);
      });
    const a = setup({ orders: 5, payments: 3 }, "range");
    const prefix = [
      (g: ConsumerGroup) => g.join({ topics: ["orders", "payments"], instanceId: "c-1" }),
      (g: ConsumerGroup) => g.join({ topicPattern: "pay.*" }),
      (g: ConsumerGroup) => g.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3, 4], payments: [0, 1, 2] } }),
      (g: ConsumerGroup) => commitOffsets(g, { memberId: "m-1", memberEpoch: 1, offsets: [{ topic: "orders", partition: 1, offset: 9 }] }, 0),
    ];
    run(a.group, a.clock, prefix);
    const suffix = [
      (g: ConsumerGroup) => g.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3, 4] } }),
      (g: ConsumerGroup) => g.heartbeat({ memberId: "m-2", memberEpoch: 2 }),
      (g: ConsumerGroup) => g.updateTopics({ orders: 6, payments: 3 }),
      (g: ConsumerGroup) => g.join({ topics: ["orders"] }),
    ];
    const clockB = new FakeClock(a.clock.now());
    const reloaded = new ConsumerGroup(JSON.parse(JSON.stringify(a.group.state)) as GroupState, { clock: clockB, newMemberId: () => "m-3" });
    const original = new ConsumerGroup(a.group.state, { clock: a.clock, newMemberId: () => "m-3" });
    const outA = run(original, a.clock, suffix) as Result<MemberAssignmentResponse>[];
    const outB = run(reloaded, clockB, suffix) as Result<MemberAssignmentResponse>[];
    expect(outA.every((r) => typeof r === "boolean" || r.ok)).toBe(true);
    expect(outB).toEqual(outA);
    expect(reloaded.state).toEqual(original.state);
    expect(JSON.parse(JSON.stringify(original.state))).toEqual(original.state);
  });
});
