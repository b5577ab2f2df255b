/**
 * The coordinator's leadership rules (src/coordinator/election.ts): clean elections pick only live ISR
 * members, epochs always rise, the ISR never empties, and AlterPartition is compare-and-set.
 */
import { describe, expect, it } from "vitest";
import { alterPartition, bringReplicaOnline, electLeader, electPreferredLeader, NO_LEADER, takeReplicaOffline } from "../../src/coordinator/election.ts";
import type { PartitionState } from "../../src/protocol/types.ts";

const base: PartitionState = { partition: 0, replicas: [0, 1, 2], leader: 0, leaderEpoch: 3, isr: [0, 1, 2], offlineReplicas: [], partitionEpoch: 7 };
const alive = (...ids: number[]) => (r: number) => ids.includes(r);

describe("electLeader", () => {
  it("keeps a usable leader: no election, no epoch bump", () => {
    expect(electLeader(base, alive(0, 1, 2), false)).toBeNull();
  });

  it("a failed leader is replaced by the first live ISR member in replica order, with both epochs bumped", () => {
    const r = electLeader(base, alive(1, 2), false);
    expect(r).toEqual({ state: { ...base, leader: 1, leaderEpoch: 4, isr: [1, 2], partitionEpoch: 8 }, unclean: false });
  });

  it("never elects a replica outside the ISR unless unclean election is enabled", () => {
    const narrow = { ...base, isr: [0] };
    const clean = electLeader(narrow, alive(1, 2), false);
    expect(clean?.state).toMatchObject({ leader: NO_LEADER, isr: [0], leaderEpoch: 4 });
    const unclean = electLeader(narrow, alive(1, 2), true);
    expect(unclean).toMatchObject({ state: { leader: 1, isr: [1], leaderEpoch: 4 }, unclean: true });
  });

  it("a leaderless partition is led again by its last ISR member when it returns", () => {
    const leaderless = { ...base, leader: NO_LEADER, isr: [0], leaderEpoch: 4 };
    expect(electLeader(leaderless, alive(1, 2), false)).toBeNull();
    expect(electLeader(leaderless, alive(0, 1, 2), false)?.state).toMatchObject({ leader: 0, leaderEpoch: 5 });
  });

  it("offline replicas are never elected", () => {
    const s = takeReplicaOffline(takeReplicaOffline(base, 0), 1);
    expect(s.isr).toEqual([2]);
    expect(electLeader(s, alive(0, 1, 2), true)?.state.leader).toBe(2);
  });
});

describe("offline, online and preferred leader", () => {
  it("taking a replica offline drops it from the ISR but never empties the ISR", () => {
    const one = takeReplicaOffline({ ...base, isr: [0] }, 0);
    expect(one).toMatchObject({ isr: [0], offlineReplicas: [0], partitionEpoch: 8 });
    expect(bringReplicaOnline(one, 0)).toMatchObject({ offlineReplicas: [], partitionEpoch: 9 });
  });

  it("preferred-leader election moves leadership to replica list's first member only if it is a live ISR member", () => {
    const led = { ...base, leader: 2 };
    expect(electPreferredLeader(led, alive(0, 1, 2))).toEqual({ ok: true, value: { ...led, leader: 0, leaderEpoch: 4, partitionEpoch: 8 } });
    const r = electPreferredLeader({ ...led, isr: [1, 2] }, alive(0, 1, 2));
    expect(!r.ok && r.err.error).toBe("PREFERRED_LEADER_NOT_AVAILABLE");
    expect(electPreferredLeader(base, alive(0))).toEqual({ ok: true, value: null });
  });
});

describe("alterPartition", () => {
  const req = { leaderId: 0, leaderEpoch: 3, partitionEpoch: 7, newIsr: [0, 1] };

  it("applies the leader's ISR change and bumps the partition epoch", () => {
    expect(alterPartition(base, req)).toEqual({ ok: true, value: { ...base, isr: [0, 1], partitionEpoch: 8 } });
  });

  it.each([
    [{ ...req, leaderEpoch: 2 }, "FENCED_LEADER_EPOCH"],
    [{ ...req, leaderId: 1 }, "NOT_LEADER_OR_FOLLOWER"],
    [{ ...req, partitionEpoch: 6 }, "INVALID_UPDATE_VERSION"],
    [{ ...req, newIsr: [1, 2] }, "INVALID_REQUEST"],
    [{ ...req, newIsr: [0, 5] }, "INVALID_REQUEST"],
  ])("refuses %j with %s", (r, error) => {
    const out = alterPartition(base, r);
    expect(!out.ok && out.err.error).toBe(error);
  });

  it("an offline replica cannot rejoin the ISR", () => {
    const s = takeReplicaOffline(base, 2);
    const out = alterPartition(s, { ...req, partitionEpoch: s.partitionEpoch, newIsr: [0, 1, 2] });
    expect(!out.ok && out.err.error).toBe("INVALID_REQUEST");
  });
});
