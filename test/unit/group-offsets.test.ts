/**
 * Committed offsets (src/groups/offsets.ts): a commit needs the owner at its current epoch
 * (22 / 25 otherwise, as API.md states) and is all-or-nothing; a timed-out zombie changes
 * nothing; lag is HW − committed or null; resets run only on an empty group and clamp to
 * [log start, HW] as kafka-consumer-groups does.
 */
import { describe, expect, it } from "vitest";
import { emptyGroupState, type GroupState } from "../../src/groups/group-state.ts";
import { ConsumerGroup } from "../../src/groups/membership.ts";
import { applyOffsetReset, commitOffsets, committedOffset, fetchOffsets, lag, planOffsetReset, type ResetPartition } from "../../src/groups/offsets.ts";
import type { Result } from "../../src/protocol/errors.ts";
import { FakeClock } from "../support/fake-clock.ts";

const value = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.err.error}: ${r.err.message}`);
  return r.value;
};
const snapshot = (s: GroupState): string => JSON.stringify(s);

/** m-1 owns orders 0-1 at epoch 2, m-2 owns orders 2-3 at epoch 2. */
function stableGroup() {
  const clock = new FakeClock();
  let n = 0;
  const group = new ConsumerGroup(emptyGroupState("g", "sticky", { orders: 4 }), { clock, newMemberId: () => `m-${++n}` });
  value(group.join({ topics: ["orders"], sessionTimeoutMs: 10_000 }));
  value(group.join({ topics: ["orders"], sessionTimeoutMs: 30_000 }));
  value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1, 2, 3] } }));
  value(group.heartbeat({ memberId: "m-1", memberEpoch: 1, ownedPartitions: { orders: [0, 1] } }));
  value(group.heartbeat({ memberId: "m-2", memberEpoch: 2 }));
  return { clock, group };
}

const commit = (group: ConsumerGroup, memberId: string, memberEpoch: number, offsets: [number, number][]) =>
  commitOffsets(group, { memberId, memberEpoch, offsets: offsets.map(([partition, offset]) => ({ topic: "orders", partition, offset })) }, 1_000);

describe("offset commits", () => {
  it("the owner at its current epoch commits; the offset and metadata are stored", () => {
    const { group } = stableGroup();
    value(commitOffsets(group, { memberId: "m-1", memberEpoch: 2, offsets: [{ topic: "orders", partition: 1, offset: 7, metadata: "x" }] }, 5));
    expect(committedOffset(group.state, "orders", 1)).toEqual({ offset: 7, metadata: "x", commitTimestampMs: 5 });
  });

  it("a stale epoch is ILLEGAL_GENERATION (22), an unknown member UNKNOWN_MEMBER_ID (25); nothing changes", () => {
    const { group } = stableGroup();
    const before = snapshot(group.state);
    expect(commit(group, "m-1", 1, [[0, 5]])).toMatchObject({ ok: false, err: { errorCode: 22 } });
    expect(commit(group, "m-9", 2, [[0, 5]])).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("a partition the member does not own is ILLEGAL_GENERATION (22) and the whole request is refused", () => {
    const { group } = stableGroup();
    const before = snapshot(group.state);
    expect(commit(group, "m-1", 2, [[0, 5], [2, 5]])).toMatchObject({ ok: false, err: { errorCode: 22 } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("a member may commit a partition pending revocation until it reports the release", () => {
    const { group } = stableGroup();
    value(group.join({ topics: ["orders"] })); // m-3: m-1 and m-2 each must give one up
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 2, ownedPartitions: { orders: [0, 1] } }));
    const pending = group.state.members["m-1"]!.partitionsPendingRevocation.orders!;
    expect(pending).toHaveLength(1);
    value(commit(group, "m-1", 2, [[pending[0]!, 11]]));
    value(group.heartbeat({ memberId: "m-1", memberEpoch: 2, ownedPartitions: {} }));
    expect(commit(group, "m-1", 3, [[pending[0]!, 12]])).toMatchObject({ ok: false, err: { errorCode: 22 } });
  });

  it("a zombie (session timed out) that commits or heartbeats is rejected with 25 and changes nothing", () => {
    const { group, clock } = stableGroup();
    clock.advance(10_000);
    group.expire();
    const before = snapshot(group.state);
    expect(commit(group, "m-1", 2, [[0, 99]])).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(group.heartbeat({ memberId: "m-1", memberEpoch: 2, ownedPartitions: { orders: [0, 1] } })).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(group.leave("m-1")).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(snapshot(group.state)).toBe(before);
  });

  it("a zombie's commit that arrives before the alarm is still rejected (expiry runs first)", () => {
    const { group, clock } = stableGroup();
    clock.advance(10_000);
    expect(commit(group, "m-1", 2, [[0, 99]])).toMatchObject({ ok: false, err: { errorCode: 25 } });
    expect(committedOffset(group.state, "orders", 0)).toBeUndefined();
  });

  it("bad offsets and oversized metadata are refused before anything is written", () => {
    const { group } = stableGroup();
    expect(commit(group, "m-1", 2, [[0, -1]])).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(commit(group, "m-1", 2, [[0, 1.5]])).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    const long = "x".repeat(4_097);
    expect(commitOffsets(group, { memberId: "m-1", memberEpoch: 2, offsets: [{ topic: "orders", partition: 0, offset: 1, metadata: long }] }, 0)).toMatchObject({
      ok: false,
      err: { errorCode: 28 },
    });
    expect(group.state.offsets).toEqual({});
  });
});

describe("lag", () => {
  it("is HW − committed, never negative, and null when nothing is committed", () => {
    expect(lag(6, 42)).toBe(36);
    expect(lag(50, 42)).toBe(0);
    expect(lag(undefined, 42)).toBeNull();
    expect(lag(null, 42)).toBeNull();
  });

  it("fetchOffsets lists committed offsets sorted, with lag from the given high watermarks", () => {
    const { group } = stableGroup();
    value(commit(group, "m-2", 2, [[3, 4], [2, 1]]));
    value(commit(group, "m-1", 2, [[0, 6]]));
    expect(fetchOffsets(group.state, (_t, p) => (p === 3 ? undefined : 42))).toEqual([
      { topic: "orders", partition: 0, offset: 6, metadata: "", lag: 36 },
      { topic: "orders", partition: 2, offset: 1, metadata: "", lag: 41 },
      { topic: "orders", partition: 3, offset: 4, metadata: "", lag: null },
    ]);
  });
});

describe("offset resets", () => {
  const partitions: ResetPartition[] = [
    { topic: "orders", partition: 0, logStartOffset: 10, highWatermark: 100, offsetForTimestamp: 55 },
    { topic: "orders", partition: 1, logStartOffset: 0, highWatermark: 20, offsetForTimestamp: null },
  ];

  function emptiedGroup() {
    const s = stableGroup();
    value(commit(s.group, "m-1", 2, [[0, 50], [1, 15]]));
    value(s.group.leave("m-1"));
    value(s.group.leave("m-2"));
    return s;
  }

  const plan = (group: ConsumerGroup, spec: Parameters<typeof planOffsetReset>[1]) => value(planOffsetReset(group, spec, partitions)).map((e) => e.offset);

  it("is refused while the group has members (68 NON_EMPTY_GROUP) and allowed once it is empty", () => {
    const { group } = stableGroup();
    expect(planOffsetReset(group, { type: "earliest" }, partitions)).toMatchObject({ ok: false, err: { errorCode: 68 } });
    expect(applyOffsetReset(group, [], 0)).toMatchObject({ ok: false, err: { errorCode: 68 } });
    value(group.leave("m-1"));
    value(group.leave("m-2"));
    expect(planOffsetReset(group, { type: "earliest" }, partitions).ok).toBe(true);
  });

  it("earliest, latest, to timestamp (none found → HW), to offset and shift-by, clamped to [log start, HW]", () => {
    const { group } = emptiedGroup();
    expect(plan(group, { type: "earliest" })).toEqual([10, 0]);
    expect(plan(group, { type: "latest" })).toEqual([100, 20]);
    expect(plan(group, { type: "timestamp", timestamp: 1 })).toEqual([55, 20]);
    expect(plan(group, { type: "offset", offset: 5 })).toEqual([10, 5]);
    expect(plan(group, { type: "offset", offset: 500 })).toEqual([100, 20]);
    expect(plan(group, { type: "shift", by: -45 })).toEqual([10, 0]);
    expect(plan(group, { type: "shift", by: 3 })).toEqual([53, 18]);
  });

  it("a shift of a partition with no committed offset is refused, as the tool refuses it", () => {
    const { group } = emptiedGroup();
    const r = planOffsetReset(group, { type: "shift", by: 1 }, [{ topic: "orders", partition: 3, logStartOffset: 0, highWatermark: 9 }]);
    expect(r).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
  });

  it("applying a plan commits it (moving backwards is allowed only here) and reports the previous offsets", () => {
    const { group } = emptiedGroup();
    const p = value(planOffsetReset(group, { type: "earliest" }, partitions));
    expect(p.map((e) => e.previousOffset)).toEqual([50, 15]);
    value(applyOffsetReset(group, p, 7));
    expect(committedOffset(group.state, "orders", 0)).toEqual({ offset: 10, metadata: "", commitTimestampMs: 7 });
    expect(committedOffset(group.state, "orders", 1)!.offset).toBe(0);
  });

  it("a plan made while empty is refused if a member joined before it is applied", () => {
    const { group } = emptiedGroup();
    const p = value(planOffsetReset(group, { type: "latest" }, partitions));
    value(group.join({ topics: ["orders"] }));
    const before = snapshot(group.state);
    expect(applyOffsetReset(group, p, 0)).toMatchObject({ ok: false, err: { errorCode: 68 } });
    expect(snapshot(group.state)).toBe(before);
  });
});
