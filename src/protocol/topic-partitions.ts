/**
 * Sets of topic-partitions as plain, JSON-ready data: `{ [topic]: sortedPartitions }`.
 *
 * Invariants of every value these functions return: partitions are sorted ascending with no
 * duplicates, and no topic maps to an empty list (so two equal sets are deeply equal and
 * serialise to the same JSON). Topics compare by UTF-16 code units (Java's String.compareTo),
 * never by locale, so every ordering built on them is deterministic.
 * Pure; used by the assignors, the membership state machine and offset commits.
 */
import { fail, ok, type Result } from "./errors.ts";

export type TopicPartitions = Record<string, number[]>;

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** The API's shape: `[{"topic": "orders", "partitions": [0, 2]}]`, topics sorted. */
export interface TopicPartitionList {
  topic: string;
  partitions: number[];
}

export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedTopics(tps: TopicPartitions): string[] {
  return Object.keys(tps).sort(compareStrings);
}

/** Builds a normalised set from any list of topic-partitions. */
export function fromList(items: Iterable<TopicPartition>): TopicPartitions {
  const byTopic = new Map<string, Set<number>>();
  for (const { topic, partition } of items) {
    let set = byTopic.get(topic);
    if (!set) byTopic.set(topic, (set = new Set()));
    set.add(partition);
  }
  const out: TopicPartitions = {};
  for (const topic of [...byTopic.keys()].sort(compareStrings)) out[topic] = [...byTopic.get(topic)!].sort((a, b) => a - b);
  return out;
}

/** Every topic-partition, sorted by topic then partition. */
export function toList(tps: TopicPartitions): TopicPartition[] {
  return sortedTopics(tps).flatMap((topic) => tps[topic]!.map((partition) => ({ topic, partition })));
}

export function toTopicPartitionList(tps: TopicPartitions): TopicPartitionList[] {
  return sortedTopics(tps).map((topic) => ({ topic, partitions: [...tps[topic]!] }));
}

export function normalize(tps: TopicPartitions): TopicPartitions {
  return fromList(toList(tps));
}

export function size(tps: TopicPartitions): number {
  let n = 0;
  for (const topic in tps) n += tps[topic]!.length;
  return n;
}

export function isEmpty(tps: TopicPartitions): boolean {
  return size(tps) === 0;
}

export function contains(tps: TopicPartitions, topic: string, partition: number): boolean {
  return tps[topic]?.includes(partition) ?? false;
}

export function union(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  return fromList([...toList(a), ...toList(b)]);
}

export function minus(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  return fromList(toList(a).filter((tp) => !contains(b, tp.topic, tp.partition)));
}

export function intersect(a: TopicPartitions, b: TopicPartitions): TopicPartitions {
  return fromList(toList(a).filter((tp) => contains(b, tp.topic, tp.partition)));
}

export function isSubset(a: TopicPartitions, b: TopicPartitions): boolean {
  return toList(a).every((tp) => contains(b, tp.topic, tp.partition));
}

export function equals(a: TopicPartitions, b: TopicPartitions): boolean {
  return size(a) === size(b) && isSubset(a, b);
}

/** A map key for one partition; topic names cannot contain NUL. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export const formatTp = (topic: string, partition: number): string => `${topic}-${partition}`;

/** Reads the API's `[{"topic", "partitions"}]` (e.g. a heartbeat's owned partitions) from untrusted JSON. */
export function parseTopicPartitionList(raw: unknown): Result<TopicPartitions> {
  if (!Array.isArray(raw)) return fail("INVALID_REQUEST", "expected a list of {topic, partitions}");
  const items: TopicPartition[] = [];
  for (const entry of raw) {
    const { topic, partitions } = (entry ?? {}) as { topic?: unknown; partitions?: unknown };
    if (typeof topic !== "string" || topic.length === 0 || !Array.isArray(partitions))
      return fail("INVALID_REQUEST", "each entry needs a topic name and a list of partitions");
    for (const partition of partitions) {
      if (!Number.isSafeInteger(partition) || (partition as number) < 0) return fail("INVALID_REQUEST", `partitions of ${topic} must be non-negative integers`);
      items.push({ topic, partition: partition as number });
    }
  }
  return ok(fromList(items));
}
