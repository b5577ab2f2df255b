/**
 * Server-side assignors (src/groups/assignors.ts): Kafka's documented range and round-robin
 * layouts, every subscribed partition to exactly one subscribed member, the same result for any
 * input order, balance, and sticky's minimal movement on join and leave; the API's topic-partition
 * lists parse into normalised sets.
 */
import { describe, expect, it } from "vitest";
import {
  ASSIGNORS,
  ASSIGNOR_NAMES,
  type AssignmentMember,
  type AssignmentSpec,
  type GroupAssignment,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
} from "../../src/groups/assignors.ts";
import { minus, parseTopicPartitionList, size, toList, toTopicPartitionList } from "../../src/protocol/topic-partitions.ts";
import { Prng } from "../support/prng.ts";

const member = (memberId: string, topics: string[], instanceId: string | null = null): AssignmentMember => ({ memberId, instanceId, topics });
const spec = (members: AssignmentMember[], partitionsPerTopic: Record<string, number>, currentAssignment: GroupAssignment = {}): AssignmentSpec => ({
  members,
  partitionsPerTopic,
  currentAssignment,
});

/** Throws unless every subscribed partition goes to exactly one member subscribed to its topic. */
function expectComplete(s: AssignmentSpec, out: GroupAssignment): void {
  expect(Object.keys(out).sort()).toEqual(s.members.map((m) => m.memberId).sort());
  const seen = new Set<string>();
  for (const m of s.members)
    for (const { topic, partition } of toList(out[m.memberId]!)) {
      expect(m.topics).toContain(topic);
      expect(partition).toBeLessThan(s.partitionsPerTopic[topic]!);
      expect(seen.has(`${topic}-${partition}`)).toBe(false);
      seen.add(`${topic}-${partition}`);
    }
  const subscribed = new Set(s.members.flatMap((m) => m.topics));
  const expected = Object.entries(s.partitionsPerTopic).filter(([t]) => subscribed.has(t)).reduce((n, [, p]) => n + p, 0);
  expect(seen.size).toBe(expected);
}

function randomSpec(rng: Prng, homogeneous: boolean): AssignmentSpec {
  const topics = Array.from({ length: rng.int(1, 4) }, (_, i) => `t${i}`);
  const partitionsPerTopic = Object.fromEntries(topics.map((t) => [t, rng.int(1, 12)]));
  const members = Array.from({ length: rng.int(1, 7) }, (_, i) =>
    member(`m-${rng.int(0, 999)}-${i}`, homogeneous ? topics : rng.shuffle(topics).slice(0, rng.int(1, topics.length)), rng.chance(0.3) ? `i-${i}` : null),
  );
  return spec(members, partitionsPerTopic);
}

const counts = (out: GroupAssignment, ids: string[]): number[] => ids.map((id) => size(out[id]!));
const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);

describe("range assignor", () => {
  it("lays out Kafka's documented example: C0 gets t0p0 t0p1 t1p0 t1p1, C1 gets t0p2 t1p2", () => {
    const out = rangeAssignor(spec([member("C1", ["t0", "t1"]), member("C0", ["t0", "t1"])], { t0: 3, t1: 3 }));
    expect(out).toEqual({ C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } });
  });

  it("orders static members by group.instance.id before dynamic ones (Kafka's MemberInfo)", () => {
    const out = rangeAssignor(spec([member("a", ["t"]), member("z", ["t"], "i-1"), member("y", ["t"], "i-0")], { t: 3 }));
    expect(out).toEqual({ y: { t: [0] }, z: { t: [1] }, a: { t: [2] } });
  });

  it("is balanced per topic: counts of one topic differ by at most one among its subscribers", () => {
    const rng = new Prng(11);
    for (let i = 0; i < 300; i++) {
      const s = randomSpec(rng, rng.chance(0.5));
      const out = rangeAssignor(s);
      expectComplete(s, out);
      for (const topic of Object.keys(s.partitionsPerTopic)) {
        const subs = s.members.filter((m) => m.topics.includes(topic));
        if (subs.length > 0) expect(spread(subs.map((m) => out[m.memberId]![topic]?.length ?? 0))).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("round-robin assignor", () => {
  it("lays out Kafka's documented example with equal subscriptions: C0 t0p0 t0p2 t1p1, C1 t0p1 t1p0 t1p2", () => {
    const out = roundRobinAssignor(spec([member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])], { t0: 3, t1: 3 }));
    expect(out).toEqual({ C0: { t0: [0, 2], t1: [1] }, C1: { t0: [1], t1: [0, 2] } });
  });

  it("lays out Kafka's documented example with unequal subscriptions: C0 t0p0, C1 t1p0, C2 t1p1 t2p0 t2p1 t2p2", () => {
    const s = spec([member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])], { t0: 1, t1: 2, t2: 3 });
    expect(roundRobinAssignor(s)).toEqual({ C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } });
  });

  it("is balanced with identical subscriptions: counts differ by at most one", () => {
    const rng = new Prng(12);
    for (let i = 0; i < 300; i++) {
      const s = randomSpec(rng, true);
      const out = roundRobinAssignor(s);
      expectComplete(s, out);
      expect(spread(counts(out, s.members.map((m) => m.memberId)))).toBeLessThanOrEqual(1);
    }
  });
});

describe("sticky assignor", () => {
  it("is balanced with identical subscriptions and, with different ones, no single move would improve balance", () => {
    const rng = new Prng(13);
    for (let i = 0; i < 300; i++) {
      const homogeneous = rng.chance(0.5);
      const s = randomSpec(rng, homogeneous);
      const out = stickyAssignor(s);
      expectComplete(s, out);
      if (homogeneous) expect(spread(counts(out, s.members.map((m) => m.memberId)))).toBeLessThanOrEqual(1);
      for (const owner of s.members)
        for (const { topic } of toList(out[owner.memberId]!))
          for (const other of s.members.filter((m) => m.topics.includes(topic)))
            expect(size(out[owner.memberId]!) - size(out[other.memberId]!)).toBeLessThanOrEqual(1);
    }
  });

  it("keeps a balanced current assignment exactly as it is", () => {
    const current = { a: { t: [0, 5] }, b: { t: [1, 3] }, c: { t: [2, 4] } };
    const out = stickyAssignor(spec([member("a", ["t"]), member("b", ["t"]), member("c", ["t"])], { t: 6 }, current));
    expect(out).toEqual(current);
  });

  it("on a join moves only what the new member needs: the others only lose partitions", () => {
    const rng = new Prng(14);
    for (let i = 0; i < 200; i++) {
      const s = randomSpec(rng, true);
      const before = stickyAssignor(s);
      const topics = Object.keys(s.partitionsPerTopic);
      const joined = spec([...s.members, member("new", topics)], s.partitionsPerTopic, before);
      const after = stickyAssignor(joined);
      expectComplete(joined, after);
      const total = Object.values(s.partitionsPerTopic).reduce((a, b) => a + b, 0);
      expect(size(after.new!)).toBe(Math.floor(total / (s.members.length + 1)));
      for (const m of s.members) expect(size(minus(after[m.memberId]!, before[m.memberId]!))).toBe(0);
    }
  });

  it("on a leave moves only the leaver's partitions: every remaining member keeps all it had", () => {
    const rng = new Prng(15);
    for (let i = 0; i < 200; i++) {
      const s = randomSpec(rng, true);
      if (s.members.length < 2) continue;
      const before = stickyAssignor(s);
      const gone = rng.pick(s.members);
      const left = spec(s.members.filter((m) => m !== gone), s.partitionsPerTopic, before);
      const after = stickyAssignor(left);
      expectComplete(left, after);
      for (const m of left.members) expect(size(minus(before[m.memberId]!, after[m.memberId]!))).toBe(0);
    }
  });

  it("drops current owners that unsubscribed or left and partitions that no longer exist", () => {
    const current = { a: { t: [0, 1, 2, 3] }, b: { u: [0] }, gone: { t: [4] } };
    const out = stickyAssignor(spec([member("a", ["t"]), member("b", ["t"])], { t: 3 }, current));
    expect(Object.keys(out).sort()).toEqual(["a", "b"]);
    expect(out.a!.t).toHaveLength(2);
    expect(out.b!.t).toHaveLength(1);
    expect([...out.a!.t!, ...out.b!.t!].sort()).toEqual([0, 1, 2]);
  });
});

describe("every assignor", () => {
  it("gives the same result for any order of the members", () => {
    const rng = new Prng(16);
    for (const name of ASSIGNOR_NAMES)
      for (let i = 0; i < 100; i++) {
        const s = randomSpec(rng, rng.chance(0.5));
        const a = ASSIGNORS[name](s);
        const b = ASSIGNORS[name]({ ...s, members: rng.shuffle(s.members) });
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }
  });

  it("gives every member an entry, empty for a member whose topics do not exist yet", () => {
    for (const name of ASSIGNOR_NAMES)
      expect(ASSIGNORS[name](spec([member("a", ["t"]), member("b", ["missing"])], { t: 2 }))).toEqual({ a: { t: [0, 1] }, b: {} });
  });
});

describe("topic-partition lists (the API's shape)", () => {
  it("parse into a normalised set (sorted, deduplicated, no empty topics) and print back", () => {
    const r = parseTopicPartitionList([{ topic: "b", partitions: [2, 0, 2] }, { topic: "a", partitions: [] }, { topic: "a", partitions: [1] }]);
    expect(r).toEqual({ ok: true, value: { a: [1], b: [0, 2] } });
    expect(toTopicPartitionList(r.ok ? r.value : {})).toEqual([
      { topic: "a", partitions: [1] },
      { topic: "b", partitions: [0, 2] },
    ]);
  });

  it("refuse anything else with INVALID_REQUEST", () => {
    for (const bad of [null, {}, [{ topic: "a" }], [{ topic: "", partitions: [0] }], [{ topic: "a", partitions: [-1] }], [{ topic: "a", partitions: ["0"] }]])
      expect(parseTopicPartitionList(bad)).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
  });
});
