/**
 * LeaderState: the leader's push streams (ordering, back-off on divergence), the HW rule and
 * ISR shrink/expand with time from a FakeClock. Leader and followers are PartitionLogs on the
 * in-memory store; pushes are delivered by hand.
 */
import { describe, expect, it } from "vitest";
import { fail, ok } from "../../src/protocol/errors.ts";
import type { PartitionState, ReplicateRequest } from "../../src/protocol/types.ts";
import { DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS, LeaderState } from "../../src/log/leader-state.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { append, cfg, readAll, recs, valuesOf } from "../contract/log-helpers.ts";
import { FakeClock } from "../support/fake-clock.ts";

const LAG_MS = 10_000;

const stateOf = (over: Partial<PartitionState> = {}): PartitionState => ({
  partition: 0,
  replicas: [0, 1, 2],
  leader: 0,
  leaderEpoch: 5,
  isr: [0, 1, 2],
  offlineReplicas: [],
  partitionEpoch: 10,
  ...over,
});

interface ClusterOptions {
  maxPushBytes?: number;
  maxPushesInFlight?: number;
  pipelineAfterMs?: number;
  /** Writes the leader's log from earlier epochs before it becomes leader. */
  history?: (leader: PartitionLog, followers: Map<number, PartitionLog>) => void;
}

function cluster(over: Partial<PartitionState> = {}, { maxPushBytes, maxPushesInFlight, pipelineAfterMs, history }: ClusterOptions = {}) {
  const clock = new FakeClock();
  const open = () => PartitionLog.open(new MemoryLogStore(), clock, cfg());
  const leader = open();
  const followers = new Map([1, 2, 3, 4].map((id) => [id, open()]));
  history?.(leader, followers);
  const state = stateOf(over);
  expect(leader.becomeLeader(state.leaderEpoch).ok).toBe(true);
  const ls = new LeaderState({ localReplicaId: 0, state, clock, replicaLagTimeMaxMs: LAG_MS, maxPushBytes, maxPushesInFlight, pipelineAfterMs });
  /** Sends follower `id` its next push and feeds back its answer; null if there was none. */
  const deliver = (id: number): ReplicateRequest | null => {
    const req = ls.nextPush(id, leader);
    if (!req) return null;
    ls.onPushResult(id, req, followers.get(id)!.appendAsFollower(req), leader);
    return req;
  };
  /** Pushes until the follower needs nothing; returns how many pushes that took. */
  const drain = (id: number): number => {
    let n = 0;
    while (deliver(id)) if (++n > 100) throw new Error("the push stream does not converge");
    return n;
  };
  const advanceHw = () => leader.maybeIncrementHighWatermark(ls.highWatermarkCandidate(leader));
  return { clock, leader, followers, ls, deliver, drain, advanceHw, f: (id: number) => followers.get(id)! };
}

describe("LeaderState push streams", () => {
  it("the first push probes at the leader's log end; after a match each push carries only the new batches", () => {
    const c = cluster();
    append(c.leader, recs("a", "b"), 5);
    c.f(1).appendAsFollower({ leaderId: 0, leaderEpoch: 5, prevOffset: 0, prevEpoch: -1, batches: c.leader.batchesForReplication(0, 1e6), highWatermark: 0, logStartOffset: 0, leaderEpochStartOffset: 0 });
    const probe = c.ls.nextPush(1, c.leader)!;
    expect(probe).toMatchObject({ prevOffset: 2, prevEpoch: 5, batches: [], leaderEpoch: 5, leaderId: 0 });
    c.ls.onPushResult(1, probe, c.f(1).appendAsFollower(probe), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(2);
    append(c.leader, recs("c"), 5);
    const next = c.ls.nextPush(1, c.leader)!;
    expect(next.prevOffset).toBe(2);
    expect(next.batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[2, 2]]);
  });

  it("with maxPushesInFlight 1, nextPush is null until the push's answer, and only that answer moves the stream", () => {
    const c = cluster({}, { maxPushesInFlight: 1 });
    append(c.leader, recs("a"), 5);
    const first = c.ls.nextPush(1, c.leader)!;
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    expect(c.ls.nextPush(2, c.leader)).not.toBeNull(); // other streams are independent
    const stale: ReplicateRequest = { ...first };
    expect(c.ls.onPushResult(1, stale, ok({ status: "ok", logEndOffset: 1 }), c.leader)).toEqual({ fenced: false });
    expect(c.ls.followerLogEndOffset(1)).toBeNull();
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    c.ls.onPushResult(1, first, c.f(1).appendAsFollower(first), c.leader);
    expect(c.ls.nextPush(1, c.leader)).not.toBeNull();
  });

  it("with maxPushesInFlight 1 an append during a push waits for its answer, then one push carries it", () => {
    const c = cluster({}, { maxPushesInFlight: 1 });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    append(c.leader, recs("b"), 5);
    const first = c.ls.nextPush(1, c.leader)!;
    append(c.leader, recs("c"), 5);
    append(c.leader, recs("d"), 5);
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    c.ls.onPushResult(1, first, c.f(1).appendAsFollower(first), c.leader);
    const next = c.ls.nextPush(1, c.leader)!;
    expect(next.batches.map((b) => b.baseOffset)).toEqual([2, 3]);
  });

  it("pipelined: an append during a push leaves at once from where that push ends, up to maxPushesInFlight", () => {
    const c = cluster({}, { maxPushesInFlight: 2, pipelineAfterMs: 0 });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    append(c.leader, recs("b"), 5);
    const first = c.ls.nextPush(1, c.leader)!;
    expect(c.ls.nextPush(1, c.leader)).toBeNull(); // nothing new beyond the push in flight
    append(c.leader, recs("c"), 5);
    const second = c.ls.nextPush(1, c.leader)!;
    expect(second).toMatchObject({ prevOffset: 2, prevEpoch: 5 });
    expect(second.batches.map((b) => b.baseOffset)).toEqual([2]);
    append(c.leader, recs("d"), 5);
    expect(c.ls.nextPush(1, c.leader)).toBeNull(); // two in flight
    // Answers in order: each moves the known end to what it proved, never to what is only in flight.
    c.ls.onPushResult(1, first, c.f(1).appendAsFollower(first), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(2);
    const third = c.ls.nextPush(1, c.leader)!;
    expect(third.prevOffset).toBe(3);
    c.ls.onPushResult(1, second, c.f(1).appendAsFollower(second), c.leader);
    c.ls.onPushResult(1, third, c.f(1).appendAsFollower(third), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(4);
    expect(valuesOf(readAll(c.f(1)))).toEqual(["a", "b", "c", "d"]);
  });

  it("pipelined: a failed push drops the pushes sent after it; an earlier one's answer still counts; the stream resends", () => {
    const c = cluster({}, { maxPushesInFlight: 3, pipelineAfterMs: 0 });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    append(c.leader, recs("b"), 5);
    const p1 = c.ls.nextPush(1, c.leader)!;
    append(c.leader, recs("c"), 5);
    const p2 = c.ls.nextPush(1, c.leader)!;
    append(c.leader, recs("d"), 5);
    const p3 = c.ls.nextPush(1, c.leader)!;
    // p2 is lost; p3 overtakes it and finds a gap; p1 answers last.
    c.ls.onPushResult(1, p2, fail("NETWORK_EXCEPTION", "lost"), c.leader);
    const r1 = c.f(1).appendAsFollower(p1);
    c.ls.onPushResult(1, p3, c.f(1).appendAsFollower(p3), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(1);
    c.ls.onPushResult(1, p1, r1, c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(2);
    const again = c.ls.nextPush(1, c.leader)!;
    expect(again.prevOffset).toBe(2);
    expect(again.batches.map((b) => b.baseOffset)).toEqual([2, 3]);
    c.ls.onPushResult(1, again, c.f(1).appendAsFollower(again), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(4);
    expect(valuesOf(readAll(c.f(1)))).toEqual(["a", "b", "c", "d"]);
  });

  it("a second push follows only once the oldest in flight has been out pipelineAfterMs; nextPushDeadline says when", () => {
    const c = cluster({}, { maxPushesInFlight: 2, pipelineAfterMs: 5 });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    c.drain(2);
    append(c.leader, recs("b"), 5);
    const t0 = c.clock.now();
    const first = c.ls.nextPush(1, c.leader)!;
    append(c.leader, recs("c"), 5);
    expect(c.ls.nextPush(1, c.leader)).toBeNull(); // a prompt answer will carry "c" with the next push
    c.drain(2);
    expect(c.ls.nextPushDeadline(c.leader)).toBe(t0 + 5);
    c.clock.advance(5);
    const second = c.ls.nextPush(1, c.leader)!;
    expect(second.prevOffset).toBe(2);
    c.ls.onPushResult(1, first, c.f(1).appendAsFollower(first), c.leader);
    c.ls.onPushResult(1, second, c.f(1).appendAsFollower(second), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(3);
  });

  it("a failed push only clears the in-flight mark; FENCED_LEADER_EPOCH reports the leader fenced", () => {
    const c = cluster();
    append(c.leader, recs("a"), 5);
    const req = c.ls.nextPush(1, c.leader)!;
    expect(c.ls.onPushResult(1, req, fail("NETWORK_EXCEPTION", "lost"), c.leader)).toEqual({ fenced: false });
    const again = c.ls.nextPush(1, c.leader)!;
    expect(again.prevOffset).toBe(req.prevOffset);
    expect(c.ls.onPushResult(1, again, fail("FENCED_LEADER_EPOCH", "epoch 6 exists"), c.leader)).toEqual({ fenced: true });
  });

  it("a gap answer restarts the stream at the follower's log end, which then catches up", () => {
    const c = cluster();
    append(c.leader, recs("a", "b"), 5);
    append(c.leader, recs("c"), 5);
    const probe = c.deliver(1)!;
    expect(probe.prevOffset).toBe(3);
    const next = c.ls.nextPush(1, c.leader)!;
    expect(next).toMatchObject({ prevOffset: 0, prevEpoch: -1 });
    expect(next.batches.length).toBe(2);
    c.ls.onPushResult(1, next, c.f(1).appendAsFollower(next), c.leader);
    expect(c.ls.followerLogEndOffset(1)).toBe(3);
  });

  it("diverging answers move the next push strictly down until the logs agree; the follower ends with the leader's log", () => {
    const c = cluster({}, {
      history: (leader, followers) => {
        const f1 = followers.get(1)!;
        append(f1, recs("a", "b"), 1);
        append(f1, recs("x1", "x2"), 2); // epoch 2's tail never committed
        append(f1, recs("y1", "y2", "y3"), 3); // nor epoch 3's
        append(leader, recs("a", "b"), 1);
        append(leader, recs("c", "d"), 4);
      },
    });
    const f1 = c.f(1);
    append(c.leader, recs("e", "f", "g", "h"), 5);
    const prevs: number[] = [];
    let req: ReplicateRequest | null;
    while ((req = c.ls.nextPush(1, c.leader))) {
      prevs.push(req.prevOffset);
      c.ls.onPushResult(1, req, f1.appendAsFollower(req), c.leader);
      if (prevs.length > 20) break;
    }
    for (let i = 1; i < prevs.length - 1; i++) expect(prevs[i]!).toBeLessThan(prevs[i - 1]!);
    expect(prevs.length).toBeLessThanOrEqual(4);
    expect(valuesOf(readAll(f1))).toEqual(valuesOf(readAll(c.leader)));
    expect(f1.epochEntries()).toEqual(c.leader.epochEntries().filter((e) => e.startOffset < c.leader.logEndOffset));
    expect(c.ls.followerLogEndOffset(1)).toBe(8);
  });

  it("a follower behind the leader's log start is sent the log from its start with prevEpoch −1", () => {
    const c = cluster();
    c.leader.truncateFullyAndStartAt(20);
    append(c.leader, recs("k"), 5);
    append(c.f(1), recs("old"), 1);
    c.drain(1);
    expect(c.f(1).offsets()).toMatchObject({ logStartOffset: 20, logEndOffset: 21 });
    expect(valuesOf(readAll(c.f(1)))).toEqual(["k"]);
  });

  it("a follower holding the whole log and the current HW gets no push; a HW rise is pushed to it alone once the HW stops rising", () => {
    const c = cluster({ isr: [0, 1] });
    append(c.leader, recs("a", "b"), 5);
    c.drain(1);
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    expect(c.ls.nextPushDeadline(c.leader)).toBeNull();
    expect(c.advanceHw()).toBe(true);
    // A push carrying only the HW waits for the delay; the deadline says when it falls due.
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    expect(c.ls.nextPushDeadline(c.leader)).toBe(c.clock.now() + DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS);
    c.clock.advance(DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS - 1);
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    c.clock.advance(1);
    const hwPush = c.ls.nextPush(1, c.leader)!;
    expect(hwPush).toMatchObject({ batches: [], highWatermark: 2 });
    c.ls.onPushResult(1, hwPush, c.f(1).appendAsFollower(hwPush), c.leader);
    expect(c.f(1).highWatermark).toBe(2);
    expect(c.ls.nextPush(1, c.leader)).toBeNull();
    expect(c.ls.nextPushDeadline(c.leader)).toBeNull();
  });

  it("under steady appends the HW travels with the next data push, with no HW-only push between", () => {
    const c = cluster({ isr: [0, 1] });
    c.drain(1); // the probe
    for (let i = 0; i < 5; i++) {
      append(c.leader, recs(`v${i}`), 5);
      const push = c.ls.nextPush(1, c.leader)!;
      expect(push.batches.length).toBeGreaterThan(0);
      c.ls.onPushResult(1, push, c.f(1).appendAsFollower(push), c.leader);
      c.advanceHw();
      expect(c.ls.nextPush(1, c.leader)).toBeNull();
      c.clock.advance(1);
    }
    expect([c.leader.highWatermark, c.f(1).highWatermark]).toEqual([5, 4]);
  });

  it("with a delay of 0 every HW rise is pushed at once", () => {
    const clock = new FakeClock();
    const leader = PartitionLog.open(new MemoryLogStore(), clock, cfg());
    const follower = PartitionLog.open(new MemoryLogStore(), clock, cfg());
    const state = stateOf({ isr: [0, 1], replicas: [0, 1] });
    expect(leader.becomeLeader(5).ok).toBe(true);
    const ls = new LeaderState({ localReplicaId: 0, state, clock, replicaLagTimeMaxMs: LAG_MS, highWatermarkPushDelayMs: 0 });
    append(leader, recs("a"), 5);
    for (let req = ls.nextPush(1, leader); req; req = ls.nextPush(1, leader)) ls.onPushResult(1, req, follower.appendAsFollower(req), leader);
    leader.maybeIncrementHighWatermark(ls.highWatermarkCandidate(leader));
    expect(ls.nextPush(1, leader)).toMatchObject({ batches: [], highWatermark: 1 });
  });

  it("a push holds at most maxPushBytes of whole batches, but always one", () => {
    const c = cluster({}, { maxPushBytes: 1 });
    append(c.leader, recs("a"), 5);
    append(c.leader, recs("b"), 5);
    c.deliver(1); // probe: gap
    expect(c.ls.nextPush(1, c.leader)!.batches.length).toBe(1);
  });
});

describe("LeaderState high watermark", () => {
  it("the HW candidate is the min log end offset over the ISR and the leader; an unknown ISR member holds it at the HW", () => {
    const c = cluster({ replicas: [0, 1, 2, 3], isr: [0, 1, 2] });
    append(c.leader, recs("a", "b", "c"), 5);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(0); // 1 and 2 unknown
    c.drain(1);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(0); // 2 still unknown
    c.drain(2);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(3); // 3 is not in the ISR
    append(c.leader, recs("d"), 5);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(3);
    c.drain(1);
    c.drain(2);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(4);
  });

  it("a leader alone in the ISR commits at its own log end", () => {
    const c = cluster({ isr: [0] });
    append(c.leader, recs("a", "b"), 5);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(2);
  });
});

describe("LeaderState ISR changes", () => {
  it("shrink proposes the ISR without followers not caught up for more than replicaLagTimeMaxMs, never the leader", () => {
    const c = cluster();
    append(c.leader, recs("a"), 5);
    c.drain(1);
    c.drain(2);
    c.clock.advance(LAG_MS + 5000);
    expect(c.ls.maybeShrinkIsr(c.leader)).toBeNull(); // both hold the whole log: idle, not lagging
    append(c.leader, recs("b"), 5);
    c.drain(1);
    c.clock.advance(LAG_MS);
    expect(c.ls.isCaughtUp(2, c.leader)).toBe(true); // it held the whole log until "b": exactly at the limit
    c.clock.advance(1);
    expect(c.ls.isCaughtUp(2, c.leader)).toBe(false);
    expect(c.ls.maybeShrinkIsr(c.leader)).toEqual([0, 1]);
  });

  it("on becoming leader every ISR follower counts as caught up now; one that never answers is out after the lag limit", () => {
    const c = cluster();
    append(c.leader, recs("a"), 5);
    expect(c.ls.nextLagDeadline(c.leader)).toBe(c.clock.now() + LAG_MS + 1);
    c.drain(1);
    expect(c.ls.nextLagDeadline(c.leader)).toBe(c.clock.now() + LAG_MS + 1); // 2 still lags
    c.clock.advance(LAG_MS);
    expect(c.ls.maybeShrinkIsr(c.leader)).toBeNull();
    c.clock.advance(1);
    expect(c.ls.maybeShrinkIsr(c.leader)).toEqual([0, 1]);
  });

  it("expand proposes online followers that hold the HW and everything before this leader epoch began", () => {
    // Earlier epochs wrote 0 and 1: the current one (5) starts at 2.
    const history = (l: PartitionLog) => {
      append(l, recs("a"), 3);
      append(l, recs("b"), 4);
    };
    const c = cluster({ replicas: [0, 1, 2, 3], isr: [0, 1], offlineReplicas: [3] }, { history });
    const probe = c.ls.nextPush(2, c.leader)!;
    c.ls.onPushResult(2, probe, ok({ status: "ok", logEndOffset: 1 }), c.leader);
    expect(c.leader.highWatermark).toBe(0);
    expect(c.ls.maybeExpandIsr(c.leader)).toBeNull(); // 2 holds the HW (0) but not offset 1 of epoch 4
    c.drain(1);
    c.advanceHw();
    c.drain(3); // offline: nothing is pushed to it
    expect(c.ls.followerLogEndOffset(3)).toBeNull();
    c.drain(2);
    expect(c.ls.maybeExpandIsr(c.leader)).toEqual([0, 1, 2]);
  });

  it("a proposal is pending until a newer state: it counts for the HW, blocks other proposals, and a stale state does not end it", () => {
    const c = cluster({ replicas: [0, 1, 2], isr: [0, 1] });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    c.drain(2);
    c.advanceHw();
    expect(c.ls.maybeExpandIsr(c.leader)).toEqual([0, 1, 2]);
    expect(c.ls.alterPartitionRequest()).toEqual({ leaderId: 0, leaderEpoch: 5, partitionEpoch: 10, newIsr: [0, 1, 2] });
    expect(c.ls.maximalIsr()).toEqual([0, 1, 2]);
    append(c.leader, recs("b"), 5);
    c.drain(1);
    expect(c.ls.highWatermarkCandidate(c.leader)).toBe(1); // 2 already counts
    c.clock.advance(LAG_MS * 2);
    expect(c.ls.maybeShrinkIsr(c.leader)).toBeNull();
    expect(c.ls.nextLagDeadline(c.leader)).toBeNull();
    c.ls.updateState(stateOf({ isr: [0, 1], partitionEpoch: 9 }));
    expect(c.ls.alterPartitionRequest()).not.toBeNull();
    c.ls.updateState(stateOf({ isr: [0, 1, 2], partitionEpoch: 11 }));
    expect(c.ls.alterPartitionRequest()).toBeNull();
    expect(c.ls.state.isr).toEqual([0, 1, 2]);
  });

  it("updateState: a new replica starts unknown, a removed one is dropped, another leader or epoch needs a new LeaderState", () => {
    const c = cluster();
    c.ls.updateState(stateOf({ replicas: [0, 1, 3], isr: [0, 1], partitionEpoch: 11 }));
    expect(c.ls.followerIds()).toEqual([1, 3]);
    expect(c.ls.followerLogEndOffset(3)).toBeNull();
    expect(() => c.ls.followerLogEndOffset(2)).toThrow(RangeError);
    expect(() => c.ls.updateState(stateOf({ leaderEpoch: 6, partitionEpoch: 12 }))).toThrow(RangeError);
    expect(() => c.ls.updateState(stateOf({ leader: 1, partitionEpoch: 12 }))).toThrow(RangeError);
  });
});

describe("LeaderState after a restart", () => {
  it("a restarted leader keeps the ISR change it proposed before the restart pending (counted for the HW) until a newer state", () => {
    const c = cluster({ isr: [0, 1] });
    append(c.leader, recs("a"), 5);
    c.drain(1);
    c.drain(2);
    c.advanceHw();
    expect(c.ls.maybeExpandIsr(c.leader)).toEqual([0, 1, 2]);
    const persisted = c.ls.alterPartitionRequest();
    // The coordinator applied it, the answer was lost, the leader restarted from its stored state.
    const restarted = new LeaderState({ localReplicaId: 0, state: stateOf({ isr: [0, 1] }), clock: c.clock, replicaLagTimeMaxMs: LAG_MS, pendingAlterPartition: persisted });
    expect(restarted.maximalIsr()).toEqual([0, 1, 2]);
    append(c.leader, recs("b"), 5);
    expect(restarted.highWatermarkCandidate(c.leader)).toBe(1); // 2 is unknown again: held at the HW
    expect(restarted.maybeShrinkIsr(c.leader)).toBeNull();
    const settled = new LeaderState({ localReplicaId: 0, state: stateOf({ isr: [0, 1, 2], partitionEpoch: 11 }), clock: c.clock, replicaLagTimeMaxMs: LAG_MS, pendingAlterPartition: persisted });
    expect(settled.alterPartitionRequest()).toBeNull();
  });
});
