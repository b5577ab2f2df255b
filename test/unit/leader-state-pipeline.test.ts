/**
 * LeaderState's pipelined push streams as a property: whatever the order in which pushes reach
 * the followers and their answers come back (overtaking, lost requests, lost answers, answers
 * fed twice), with appends and HW advances in between, (1) the leader never believes a follower
 * holds more than it really shares with the leader's log, so (2) the HW never passes what every
 * ISR member holds, and (3) once the network delivers in order again every follower ends with
 * exactly the leader's log and the HW reaches the log end. Followers are PartitionLogs on the
 * in-memory store (the real follower rules, truncation of a divergent tail included); seeded
 * fast-check runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fail } from "../../src/protocol/errors.ts";
import type { ReplicateRequest, ReplicateResponse } from "../../src/protocol/types.ts";
import type { Result } from "../../src/protocol/errors.ts";
import { LeaderState } from "../../src/log/leader-state.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { append, cfg, recs } from "../contract/log-helpers.ts";
import { FakeClock } from "../support/fake-clock.ts";

const EPOCH = 5;
const FOLLOWERS = [1, 2] as const;

/** The end of the longest prefix (from offset 0) that `f` holds exactly as `leader` does: same batches, same bytes. */
function sharedEnd(leader: PartitionLog, f: PartitionLog): number {
  const a = leader.batchesForReplication(0, Number.MAX_SAFE_INTEGER);
  const b = f.batchesForReplication(0, Number.MAX_SAFE_INTEGER);
  let end = 0;
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const same =
      x.baseOffset === y.baseOffset &&
      x.lastOffset === y.lastOffset &&
      x.leaderEpoch === y.leaderEpoch &&
      x.records.length === y.records.length &&
      x.records.every((v, j) => v === y.records[j]);
    if (!same) break;
    end = x.lastOffset + 1;
  }
  return end;
}

type Step =
  | { kind: "append"; n: number }
  | { kind: "send"; f: number }
  | { kind: "deliver"; f: number; pick: number; lose: boolean }
  | { kind: "answer"; f: number; pick: number; twice: boolean }
  | { kind: "tick"; ms: number };

// Lost requests and doubled answers are the rarer events, so most runs also keep streams moving.
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("append" as const), n: fc.integer({ min: 1, max: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("send" as const), f: fc.constantFrom(...FOLLOWERS) }), weight: 4 },
  {
    arbitrary: fc.record({ kind: fc.constant("deliver" as const), f: fc.constantFrom(...FOLLOWERS), pick: fc.nat(), lose: fc.integer({ min: 0, max: 6 }).map((x) => x === 0) }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("answer" as const), f: fc.constantFrom(...FOLLOWERS), pick: fc.nat(), twice: fc.integer({ min: 0, max: 6 }).map((x) => x === 0) }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 8 }) }), weight: 1 },
);

function run(steps: Step[], maxPushesInFlight: number, pipelineAfterMs: number, divergent: boolean, synced: boolean): void {
  const clock = new FakeClock();
  const open = () => PartitionLog.open(new MemoryLogStore(), clock, cfg());
  const leader = open();
  const followers = new Map<number, PartitionLog>(FOLLOWERS.map((id) => [id, open()]));
  if (divergent) {
    // Follower 1 holds a tail from epochs the leader never had; follower 2 is a fresh replica.
    append(leader, recs("a", "b"), 1);
    append(followers.get(1)!, recs("a", "b"), 1);
    append(followers.get(1)!, recs("x", "y", "z"), 3);
    append(leader, recs("c"), 4);
  }
  expect(leader.becomeLeader(EPOCH).ok).toBe(true);
  const ls = new LeaderState({
    localReplicaId: 0,
    state: { partition: 0, replicas: [0, 1, 2], leader: 0, leaderEpoch: EPOCH, isr: [0, 1, 2], offlineReplicas: [], partitionEpoch: 1 },
    clock,
    replicaLagTimeMaxMs: 1_000_000,
    maxPushesInFlight,
    pipelineAfterMs,
    maxPushBytes: 200,
    highWatermarkPushDelayMs: 5,
  });
  const sent = new Map<number, ReplicateRequest[]>(FOLLOWERS.map((id) => [id, []]));
  const answers = new Map<number, [ReplicateRequest, Result<ReplicateResponse>][]>(FOLLOWERS.map((id) => [id, []]));
  let value = 0;
  const check = () => {
    leader.maybeIncrementHighWatermark(ls.highWatermarkCandidate(leader));
    for (const id of FOLLOWERS) {
      const real = sharedEnd(leader, followers.get(id)!);
      const known = ls.followerLogEndOffset(id);
      if (known !== null) expect(known).toBeLessThanOrEqual(real);
      expect(leader.highWatermark).toBeLessThanOrEqual(real);
    }
  };
  /** Delivers in order until no follower needs a push. */
  const settle = () => {
    for (let round = 0; round < 200; round++) {
      let any = false;
      clock.advance(10);
      for (const id of FOLLOWERS) {
        const req = ls.nextPush(id, leader);
        if (!req) continue;
        any = true;
        ls.onPushResult(id, req, followers.get(id)!.appendAsFollower(req), leader);
        check();
      }
      if (!any) return;
    }
  };
  // Half the runs start from streams that have matched, so pipelining starts with the first steps.
  if (synced) settle();
  const take = <T>(list: T[], pick: number): T | undefined => (list.length === 0 ? undefined : list.splice(pick % list.length, 1)[0]);
  for (const s of steps) {
    if (s.kind === "append") append(leader, recs(...Array.from({ length: s.n }, () => `v${value++}`)), EPOCH);
    else if (s.kind === "send") {
      const req = ls.nextPush(s.f, leader);
      if (req) sent.get(s.f)!.push(req);
    } else if (s.kind === "deliver") {
      const req = take(sent.get(s.f)!, s.pick);
      if (req) answers.get(s.f)!.push([req, s.lose ? fail("NETWORK_EXCEPTION", "lost") : followers.get(s.f)!.appendAsFollower(req)]);
    } else if (s.kind === "answer") {
      const a = take(answers.get(s.f)!, s.pick);
      if (a) {
        expect(ls.onPushResult(s.f, a[0], a[1], leader).fenced).toBe(false);
        if (s.twice) ls.onPushResult(s.f, a[0], a[1], leader);
      }
    } else clock.advance(s.ms);
    check();
  }
  // The network heals: every request still out is lost (its answer never comes), then in-order delivery.
  for (const id of FOLLOWERS) {
    for (const req of sent.get(id)!) ls.onPushResult(id, req, fail("NETWORK_EXCEPTION", "lost"), leader);
    for (const [req] of answers.get(id)!) ls.onPushResult(id, req, fail("NETWORK_EXCEPTION", "lost"), leader);
  }
  settle();
  for (const id of FOLLOWERS) {
    expect(sharedEnd(leader, followers.get(id)!)).toBe(leader.logEndOffset);
    expect(followers.get(id)!.logEndOffset).toBe(leader.logEndOffset);
    expect(ls.followerLogEndOffset(id)).toBe(leader.logEndOffset);
  }
  expect(leader.highWatermark).toBe(leader.logEndOffset);
}

describe("LeaderState pipelined pushes (property)", () => {
  it("in any delivery order the HW never passes what every ISR member holds, and the followers converge to the leader's log", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 5), fc.boolean(), fc.boolean(), (steps, inFlight, after, divergent, synced) =>
        run(steps, inFlight, after, divergent, synced),
      ),
      { seed: 22, numRuns: 400 },
    );
  });
});
