/**
 * Server-side partition assignors (KIP-848: the coordinator, not a client leader, computes the
 * group's target assignment): `range`, `roundrobin` and `sticky` (the default).
 *
 * Every assignor is a pure, deterministic function of its spec: members are ordered as Kafka's
 * `MemberInfo` orders them (static members by `group.instance.id` first, then dynamic members by
 * member id), topics and partitions ascending, so the input order never matters. The result has
 * one entry per member (possibly empty) and gives each partition of each subscribed topic to
 * exactly one member subscribed to that topic.
 * - `range`: Kafka's RangeAssignor, per topic: contiguous ranges, the first
 *   `partitions % members` members get one more. Balanced per topic only.
 * - `roundrobin`: Kafka's RoundRobinAssignor: all partitions sorted by topic then partition dealt
 *   in turn to the members, skipping a member not subscribed to the partition's topic.
 * - `sticky`: keeps every current owner that is still valid, gives unowned partitions to the
 *   least loaded eligible member, then moves partitions from the most loaded member to the least
 *   loaded eligible one while their counts differ by two or more. With identical subscriptions the
 *   counts end within one of each other and the number of moved partitions is the minimum that
 *   balance needs; with different subscriptions no single move could improve the balance.
 * Called by the membership state machine (membership.ts) on every group epoch bump.
 */
import { compareStrings, fromList, type TopicPartition, type TopicPartitions, tpKey } from "../protocol/topic-partitions.ts";

export type AssignorName = "range" | "roundrobin" | "sticky";
export const ASSIGNOR_NAMES: readonly AssignorName[] = ["range", "roundrobin", "sticky"];
export const DEFAULT_ASSIGNOR: AssignorName = "sticky";

export interface AssignmentMember {
  memberId: string;
  instanceId: string | null;
  /** Subscribed topics, resolved against the topics that exist. */
  topics: readonly string[];
}

export interface AssignmentSpec {
  members: readonly AssignmentMember[];
  /** Partition count of every subscribed topic. */
  partitionsPerTopic: Readonly<Record<string, number>>;
  /** The previous target assignment (only `sticky` reads it). */
  currentAssignment: Readonly<Record<string, TopicPartitions>>;
}

/** memberId → its target partitions; every member of the spec has an entry. */
export type GroupAssignment = Record<string, TopicPartitions>;

export type Assignor = (spec: AssignmentSpec) => GroupAssignment;

/** Kafka's MemberInfo.compareTo. */
export function compareMembers(a: AssignmentMember, b: AssignmentMember): number {
  if (a.instanceId !== null && b.instanceId !== null) return compareStrings(a.instanceId, b.instanceId) || compareStrings(a.memberId, b.memberId);
  if (a.instanceId !== null) return -1;
  if (b.instanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

function sortedMembers(spec: AssignmentSpec): AssignmentMember[] {
  return [...spec.members].sort(compareMembers);
}

function subscribed(member: AssignmentMember, topic: string): boolean {
  return member.topics.includes(topic);
}

/** Topics with a known partition count that at least one member subscribes to, sorted. */
function subscribedTopics(spec: AssignmentSpec): string[] {
  const topics = new Set<string>();
  for (const m of spec.members) for (const t of m.topics) if ((spec.partitionsPerTopic[t] ?? 0) > 0) topics.add(t);
  return [...topics].sort(compareStrings);
}

function collect(members: readonly AssignmentMember[], lists: Map<string, TopicPartition[]>): GroupAssignment {
  const out: GroupAssignment = {};
  for (const m of members) out[m.memberId] = fromList(lists.get(m.memberId) ?? []);
  return out;
}

function emptyLists(members: readonly AssignmentMember[]): Map<string, TopicPartition[]> {
  return new Map(members.map((m) => [m.memberId, []]));
}

export const rangeAssignor: Assignor = (spec) => {
  const members = sortedMembers(spec);
  const lists = emptyLists(members);
  for (const topic of subscribedTopics(spec)) {
    const consumers = members.filter((m) => subscribed(m, topic));
    const partitions = spec.partitionsPerTopic[topic]!;
    const perConsumer = Math.floor(partitions / consumers.length);
    const extra = partitions % consumers.length;
    consumers.forEach((m, i) => {
      const start = perConsumer * i + Math.min(i, extra);
      const length = perConsumer + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) lists.get(m.memberId)!.push({ topic, partition: p });
    });
  }
  return collect(members, lists);
};

export const roundRobinAssignor: Assignor = (spec) => {
  const members = sortedMembers(spec);
  const lists = emptyLists(members);
  let next = 0;
  for (const topic of subscribedTopics(spec)) {
    for (let partition = 0; partition < spec.partitionsPerTopic[topic]!; partition++) {
      // Some member is subscribed (subscribedTopics), so this loop ends within one turn.
      while (!subscribed(members[next % members.length]!, topic)) next++;
      lists.get(members[next % members.length]!.memberId)!.push({ topic, partition });
      next++;
    }
  }
  return collect(members, lists);
};

export const stickyAssignor: Assignor = (spec) => {
  const members = sortedMembers(spec);
  const rank = new Map(members.map((m, i) => [m.memberId, i]));
  const owner = new Map<string, string>();
  const owned = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const eligible = new Map<string, AssignmentMember[]>();
  const all: TopicPartition[] = [];
  for (const topic of subscribedTopics(spec)) {
    const consumers = members.filter((m) => subscribed(m, topic));
    for (let partition = 0; partition < spec.partitionsPerTopic[topic]!; partition++) {
      all.push({ topic, partition });
      eligible.set(tpKey(topic, partition), consumers);
    }
  }
  const give = (tp: TopicPartition, memberId: string): void => {
    owner.set(tpKey(tp.topic, tp.partition), memberId);
    owned.get(memberId)!.push(tp);
  };
  const take = (tp: TopicPartition, memberId: string): void => {
    const list = owned.get(memberId)!;
    list.splice(list.findIndex((x) => x.topic === tp.topic && x.partition === tp.partition), 1);
    owner.delete(tpKey(tp.topic, tp.partition));
  };
  const count = (memberId: string): number => owned.get(memberId)!.length;
  const leastLoaded = (candidates: readonly AssignmentMember[]): AssignmentMember | undefined => {
    let best: AssignmentMember | undefined;
    for (const m of candidates) if (!best || count(m.memberId) < count(best.memberId)) best = m;
    return best;
  };

  // 1. Stickiness: every current owner that still exists and is still subscribed keeps it.
  for (const m of members) {
    const current = spec.currentAssignment[m.memberId] ?? {};
    for (const topic of Object.keys(current).sort(compareStrings)) {
      for (const partition of current[topic]!) {
        const key = tpKey(topic, partition);
        if (eligible.get(key)?.includes(m) && !owner.has(key)) give({ topic, partition }, m.memberId);
      }
    }
  }
  // 2. Unowned partitions, those with the fewest eligible members first, to the least loaded.
  const unowned = all
    .filter((tp) => !owner.has(tpKey(tp.topic, tp.partition)))
    .map((tp, i) => ({ tp, i, n: eligible.get(tpKey(tp.topic, tp.partition))!.length }))
    .sort((a, b) => a.n - b.n || a.i - b.i);
  for (const { tp } of unowned) give(tp, leastLoaded(eligible.get(tpKey(tp.topic, tp.partition))!)!.memberId);
  // 3. Balance: move from the most loaded member first, one partition at a time, only where the
  //    receiver has at least two fewer. Each move lowers Σ count², so the loop ends.
  for (;;) {
    const byLoad = [...members].sort((a, b) => count(b.memberId) - count(a.memberId) || rank.get(a.memberId)! - rank.get(b.memberId)!);
    let moved = false;
    for (const from of byLoad) {
      // Highest partitions move first, so a member keeps the low end of what it had.
      const candidates = [...owned.get(from.memberId)!].sort((a, b) => compareStrings(b.topic, a.topic) || b.partition - a.partition);
      for (const tp of candidates) {
        const to = leastLoaded(eligible.get(tpKey(tp.topic, tp.partition))!)!;
        if (count(from.memberId) - count(to.memberId) >= 2) {
          take(tp, from.memberId);
          give(tp, to.memberId);
          moved = true;
          break;
        }
      }
      if (moved) break;
    }
    if (!moved) break;
  }
  return collect(members, owned);
};

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
};

export function isAssignorName(name: unknown): name is AssignorName {
  return typeof name === "string" && (ASSIGNOR_NAMES as readonly string[]).includes(name);
}
