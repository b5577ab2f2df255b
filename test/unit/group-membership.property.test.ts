/**
 * Seeded property test of the consumer-group core (membership.ts, current-assignment.ts,
 * assignors.ts, offsets.ts). Simulated consumers join (some static), heartbeat with right and
 * stale epochs, lose responses, apply assignments late (so their owned-partition reports lag),
 * process and commit, leave, crash, pause as zombies, while the clock jumps past session
 * timeouts, alarms fire (sometimes twice), topics grow and new matching topics appear, and empty
 * groups are reset. After EVERY event:
 * - no partition is owned by two members (server state);
 * - every consumer the group still counts as a member holds only partitions the group says it owns;
 * - committed offsets never move backwards except by an explicit reset;
 * - a rejected heartbeat or commit answers an error the contract allows and changes nothing;
 * - expire() run twice leaves the state of once.
 * At settle points (every live consumer heartbeats until nothing changes) every subscribed
 * partition is owned exactly once and the group is Stable. Two mutant reconcilers (a handover
 * before release, a revocation without waiting) are caught by the same checks.
 */
import { describe, expect, it } from "vitest";
import type { AssignorName } from "../../src/groups/assignors.ts";
import { reconcileMember, type Reconciler } from "../../src/groups/current-assignment.ts";
import { emptyGroupState, ownedBy, ownershipConflicts } from "../../src/groups/group-state.ts";
import { ConsumerGroup, type MemberAssignmentResponse } from "../../src/groups/membership.ts";
import { applyOffsetReset, commitOffsets, committedOffset, planOffsetReset, type OffsetResetSpec } from "../../src/groups/offsets.ts";
import { equals, isSubset, minus, size, toList, type TopicPartitions, tpKey, union } from "../../src/protocol/topic-partitions.ts";
import type { Result } from "../../src/protocol/errors.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { Prng } from "../support/prng.ts";

interface Consumer {
  memberId: string | null;
  instanceId: string | null;
  join: { topics?: string[]; topicPattern?: string; sessionTimeoutMs: number; rebalanceTimeoutMs?: number };
  epoch: number;
  /** The last assignment received. */
  latest: TopicPartitions;
  /** What the consumer really holds (applies `latest` only on an `apply` event). */
  owned: TopicPartitions;
  previouslyOwned: TopicPartitions;
  positions: Map<string, number>;
  status: "live" | "paused" | "gone";
}

interface SimStats {
  events: number;
  settles: number;
  fencedEpoch: number;
  unknownMember: number;
  fencedInstance: number;
  zombieCommitsRejected: number;
  staticReplacements: number;
  resets: number;
  handovers: number;
}

class PropertyViolation extends Error {}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new PropertyViolation(message());
}

function simulate(seed: number, events: number, reconciler: Reconciler = reconcileMember): SimStats {
  const rng = new Prng(seed);
  const clock = new FakeClock();
  const assignor: AssignorName = (["sticky", "range", "roundrobin"] as const)[seed % 3]!;
  const topics: Record<string, number> = { "t.a": 3, "t.b": 2, other: 2 };
  let ids = 0;
  const group = new ConsumerGroup(emptyGroupState(`g-${seed}`, assignor, topics), { clock, newMemberId: () => `m-${++ids}`, reconciler });
  const hw = new Map<string, number>();
  const consumers: Consumer[] = [];
  const stats: SimStats = { events: 0, settles: 0, fencedEpoch: 0, unknownMember: 0, fencedInstance: 0, zombieCommitsRejected: 0, staticReplacements: 0, resets: 0, handovers: 0 };
  let newTopics = 0;

  const live = () => consumers.filter((c) => c.status === "live");
  const isMember = (c: Consumer) => c.memberId !== null && group.state.members[c.memberId] !== undefined;
  const committed = (topic: string, partition: number) => committedOffset(group.state, topic, partition)?.offset;
  const highWatermark = (topic: string, partition: number) => hw.get(tpKey(topic, partition)) ?? 0;

  const dropAll = (c: Consumer) => {
    c.owned = {};
    c.latest = {};
    c.positions.clear();
    c.memberId = null;
  };
  const onError = (c: Consumer, r: Result<unknown>, allowed: number[]) => {
    if (r.ok) return;
    check(allowed.includes(r.err.errorCode), () => `unexpected ${r.err.error}: ${r.err.message}`);
    if (r.err.error === "FENCED_MEMBER_EPOCH") {
      stats.fencedEpoch++;
      const memberId = c.memberId!;
      dropAll(c); // a fenced member gives up everything, then leaves and joins again
      check(group.leave(memberId).ok, () => `a fenced member ${memberId} could not leave`);
    } else if (r.err.error === "UNKNOWN_MEMBER_ID") {
      stats.unknownMember++;
      dropAll(c);
    } else if (r.err.error === "FENCED_INSTANCE_ID") {
      stats.fencedInstance++;
      dropAll(c);
      c.status = "gone";
    }
  };
  const accept = (c: Consumer, r: Result<MemberAssignmentResponse>) => {
    if (!r.ok) return;
    c.memberId = r.value.memberId;
    c.epoch = r.value.memberEpoch;
    c.latest = r.value.assignment;
  };

  const join = (c: Consumer) => {
    if (c.instanceId !== null) {
      const other = consumers.find((o) => o !== c && o.instanceId === c.instanceId && isMember(o));
      if (other) stats.staticReplacements++;
    }
    const r = group.join({ ...c.join, instanceId: c.instanceId });
    check(r.ok, () => `join failed: ${JSON.stringify(r)}`);
    accept(c, r);
  };
  const commit = (c: Consumer, partitions: { topic: string; partition: number }[]) => {
    if (c.memberId === null || partitions.length === 0) return;
    const wasMember = isMember(c);
    const offsets = partitions.map(({ topic, partition }) => ({ topic, partition, offset: c.positions.get(tpKey(topic, partition)) ?? 0 }));
    group.expire();
    const before = JSON.stringify(group.state);
    const r = commitOffsets(group, { memberId: c.memberId, memberEpoch: c.epoch, offsets }, clock.now());
    if (!r.ok) {
      check(JSON.stringify(group.state) === before, () => `a rejected commit (${r.err.error}) changed the group`);
      check([22, 25].includes(r.err.errorCode), () => `commit answered ${r.err.error}`);
      if (!wasMember || r.err.errorCode === 25) stats.zombieCommitsRejected++;
    }
  };
  const apply = (c: Consumer) => {
    const revoked = toList(minus(c.owned, c.latest));
    commit(c, revoked); // onPartitionsRevoked: commit what was processed, then let go
    for (const { topic, partition } of revoked) c.positions.delete(tpKey(topic, partition));
    for (const { topic, partition } of toList(minus(c.latest, c.owned))) {
      stats.handovers++;
      c.positions.set(tpKey(topic, partition), committed(topic, partition) ?? 0);
    }
    c.previouslyOwned = c.owned;
    c.owned = c.latest;
  };
  const heartbeat = (c: Consumer, honest: boolean) => {
    if (c.memberId === null) return join(c);
    let epoch = c.epoch;
    let owned: TopicPartitions | null = c.owned;
    if (!honest) {
      const roll = rng.next();
      if (roll < 0.08) epoch = c.epoch - rng.int(1, 2);
      else if (roll < 0.1) epoch = c.epoch + 1;
      const how = rng.next();
      if (how < 0.15) owned = null;
      else if (how < 0.3) owned = union(c.owned, c.previouslyOwned); // claims more than it holds: only delays a release
    }
    group.expire();
    const before = JSON.stringify(group.state);
    const r = group.heartbeat({ memberId: c.memberId, memberEpoch: epoch, ownedPartitions: owned });
    check(r.ok || JSON.stringify(group.state) === before, () => "a rejected heartbeat changed the group");
    onError(c, r, [110, 25, 82]);
    if (r.ok && (honest || !rng.chance(0.05))) accept(c, r); // else the response is lost
  };

  /** The committed offsets seen after the previous event: they may only grow, except by a reset. */
  const lastCommitted = new Map<string, number>();
  const checkInvariants = (label: string, resetAllowed: boolean) => {
    const conflicts = ownershipConflicts(group.state);
    check(conflicts.length === 0, () => `${label}: ${conflicts.join("; ")}`);
    for (const c of consumers) {
      if (c.status === "gone" || !isMember(c)) continue;
      const server = ownedBy(group.state.members[c.memberId!]!);
      check(isSubset(c.owned, server), () => `${label}: ${c.memberId} holds ${JSON.stringify(c.owned)} but the group gives it ${JSON.stringify(server)}`);
    }
    let count = 0;
    for (const [topic, parts] of Object.entries(group.state.offsets))
      for (const [p, { offset }] of Object.entries(parts)) {
        count++;
        const key = tpKey(topic, Number(p));
        const previous = lastCommitted.get(key);
        check(resetAllowed || previous === undefined || offset >= previous, () => `${label}: committed offset of ${topic}-${p} moved from ${previous} to ${offset}`);
        lastCommitted.set(key, offset);
      }
    check(count === lastCommitted.size, () => `${label}: a committed offset disappeared`);
  };

  const settle = () => {
    stats.settles++;
    for (const c of consumers) if (c.status === "paused") c.status = "gone"; // zombies never come back
    const start = clock.now();
    let previous = "";
    for (let round = 0; round < 100; round++) {
      clock.advance(1_000);
      for (const c of live()) {
        apply(c);
        heartbeat(c, true);
        checkInvariants("settle", false);
      }
      const now = JSON.stringify(Object.values(group.state.members).map((m) => [m.memberId, m.memberEpoch, m.assignedPartitions, m.partitionsPendingRevocation]));
      if (clock.now() - start > 300_000 || (clock.now() - start > 30_000 && now === previous)) break;
      previous = now;
    }
    for (const c of live()) apply(c);
    const members = Object.values(group.state.members);
    check(members.every((m) => live().some((c) => c.memberId === m.memberId)), () => "settle: a member without a live consumer survived its session timeout");
    check(group.groupStateName() === (members.length === 0 ? "Empty" : "Stable"), () => `settle: group is ${group.groupStateName()}`);
    const all: TopicPartitions = {};
    for (const [topic, n] of Object.entries(group.state.subscriptionMetadata)) all[topic] = Array.from({ length: n }, (_, p) => p);
    let union_: TopicPartitions = {};
    for (const m of members) {
      check(size(m.partitionsPendingRevocation) === 0, () => `settle: ${m.memberId} still has revocations pending`);
      check(equals(m.assignedPartitions, group.state.targetAssignment[m.memberId] ?? {}), () => `settle: ${m.memberId} is not at its target`);
      union_ = union(union_, m.assignedPartitions);
    }
    check(equals(union_, all), () => `settle: owned ${JSON.stringify(union_)} but subscribed ${JSON.stringify(all)}`);
    for (const c of live()) check(equals(c.owned, group.state.members[c.memberId!]!.assignedPartitions), () => `settle: consumer ${c.memberId} did not converge`);
  };

  for (let i = 0; i < events; i++) {
    stats.events++;
    let resetAllowed = false;
    const roll = rng.next();
    const someLive = live().length > 0 ? rng.pick(live()) : null;
    if (roll < 0.08 && live().length < 7) {
      const useStatic = rng.chance(0.3);
      const names = Object.keys(topics);
      const c: Consumer = {
        memberId: null,
        instanceId: useStatic ? `i-${rng.int(0, 3)}` : null,
        join: {
          ...(rng.chance(0.5) ? { topicPattern: rng.pick(["t\\..*", ".*"]) } : { topics: rng.shuffle([...names, "t.later"]).slice(0, rng.int(1, 3)) }),
          sessionTimeoutMs: rng.pick([6_000, 10_000, 30_000]),
          ...(rng.chance(0.2) ? { rebalanceTimeoutMs: 15_000 } : {}),
        },
        epoch: 0,
        latest: {},
        owned: {},
        previouslyOwned: {},
        positions: new Map(),
        status: "live",
      };
      consumers.push(c);
      join(c);
    } else if (roll < 0.4 && someLive) {
      heartbeat(someLive, false);
    } else if (roll < 0.55 && someLive) {
      apply(someLive);
    } else if (roll < 0.68) {
      const actors = consumers.filter((x) => x.status !== "gone");
      if (actors.length > 0) {
        const c = rng.pick(actors);
        const mine = toList(c.owned);
        for (const { topic, partition } of mine) {
          const key = tpKey(topic, partition);
          c.positions.set(key, Math.min(highWatermark(topic, partition), (c.positions.get(key) ?? 0) + rng.int(0, 4)));
        }
        commit(c, mine.filter(() => rng.chance(0.7)));
      }
    } else if (roll < 0.7 && someLive) {
      commit(someLive, toList(someLive.owned));
      if (someLive.memberId !== null) onError(someLive, group.leave(someLive.memberId), [25, 82]);
      dropAll(someLive);
      someLive.status = "gone";
    } else if (roll < 0.72 && someLive) {
      someLive.status = "gone"; // crash: no more requests, the session must time out
    } else if (roll < 0.74 && someLive) {
      someLive.status = "paused"; // a zombie: still processes and commits, never heartbeats
    } else if (roll < 0.86) {
      clock.advance(rng.int(0, 7_000));
      if (rng.chance(0.5)) {
        group.expire();
        const once = JSON.stringify(group.state);
        group.expire();
        check(JSON.stringify(group.state) === once, () => "expire() twice differs from once");
      }
    } else if (roll < 0.9) {
      if (rng.chance(0.5)) {
        const t = rng.pick(Object.keys(topics));
        topics[t] = topics[t]! + rng.int(1, 2);
      } else topics[rng.chance(0.7) ? `t.n${newTopics++}` : `x.n${newTopics++}`] = rng.int(1, 3);
      if (rng.chance(0.1)) topics["t.later"] = 2;
      group.updateTopics(topics);
    } else if (roll < 0.97) {
      const t = rng.pick(Object.keys(topics));
      const key = tpKey(t, rng.int(0, topics[t]! - 1));
      hw.set(key, (hw.get(key) ?? 0) + rng.int(1, 20));
    } else {
      group.expire();
      if (Object.keys(group.state.members).length === 0) {
        const spec = rng.pick<OffsetResetSpec>([{ type: "earliest" }, { type: "latest" }, { type: "offset", offset: rng.int(0, 30) }, { type: "timestamp", timestamp: 1 }]);
        const partitions = Object.entries(topics).flatMap(([topic, n]) =>
          Array.from({ length: n }, (_, partition) => ({ topic, partition, logStartOffset: 0, highWatermark: highWatermark(topic, partition), offsetForTimestamp: null })),
        );
        const plan = planOffsetReset(group, spec, partitions);
        check(plan.ok, () => "reset plan failed on an empty group");
        if (plan.ok) check(applyOffsetReset(group, plan.value, clock.now()).ok, () => "reset failed on an empty group");
        stats.resets++;
        resetAllowed = true;
      }
    }
    checkInvariants(`event ${i}`, resetAllowed);
    if (i % 500 === 499) settle();
  }
  settle();
  return stats;
}

const SEEDS = [1, 2, 3, 4, 5, 6];
const EVENTS = 3_000;
const totals: SimStats[] = [];

describe("consumer group under random joins, heartbeats, leaves, crashes, zombies, timeouts and topic growth", () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: no partition owned twice after any event, all owned once when stable, commits only move forward`, () => {
      const stats = simulate(seed, EVENTS);
      totals.push(stats);
      expect(stats.settles).toBeGreaterThan(5);
      expect(stats.handovers).toBeGreaterThan(50);
    });
  }

  it("the seeds reach every path they mean to test: fencing, lost members, zombies, static replacement, resets", () => {
    expect(totals).toHaveLength(SEEDS.length);
    const sum = (k: keyof SimStats) => totals.reduce((n, s) => n + s[k], 0);
    for (const k of ["fencedEpoch", "unknownMember", "fencedInstance", "zombieCommitsRejected", "staticReplacements", "resets"] as const)
      expect(sum(k), k).toBeGreaterThan(0);
  });
});

describe("the property checks catch unsafe reconciliation (mutants)", () => {
  it("a reconciler that hands a partition over before its owner released it is caught", () => {
    const eager: Reconciler = (input) => reconcileMember({ ...input, ownedByOther: () => false });
    expect(() => simulate(1, EVENTS, eager)).toThrow(/owned by .* and /);
  });

  it("a reconciler that revokes without waiting for the release is caught", () => {
    const noWait: Reconciler = (input) => {
      const next = reconcileMember(input);
      return { ...next, partitionsPendingRevocation: {}, state: "stable", revocationDeadlineMs: null };
    };
    expect(() => simulate(1, EVENTS, noWait)).toThrow(/holds .* but the group gives it/);
  });
});
