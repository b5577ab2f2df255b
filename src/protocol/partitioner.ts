/**
 * Partition choice for records produced without an explicit partition, as Kafka's clients do:
 * a keyed record goes to `toPositive(murmur2(key)) % numPartitions` (the Java client's default
 * partitioner, so keys land where a Kafka producer would put them), a keyless record goes
 * round-robin over the topic's partitions.
 *
 * Called by the produce route at the API edge. `RoundRobinPartitioner` keeps one counter per
 * topic in memory (per isolate); JavaScript is single-threaded, so no locking is needed.
 */
import { murmur2, toPositive } from "./murmur2.ts";

/** The partition Kafka's Java client would pick for `key`; `numPartitions` must be ≥ 1. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/** Spreads keyless records over partitions in turn, one counter per topic. */
export class RoundRobinPartitioner {
  readonly #counters = new Map<string, number>();
  readonly #initial: () => number;

  /** `initial` gives a new topic's first counter value (default 0; pass a random source to spread isolates). */
  constructor(initial: () => number = () => 0) {
    this.#initial = initial;
  }

  /** The next partition for a keyless record of `topic`; `numPartitions` must be ≥ 1. */
  next(topic: string, numPartitions: number): number {
    const current = this.#counters.get(topic) ?? this.#initial() | 0;
    // Wrap in int32 like Java's AtomicInteger; toPositive keeps the index non-negative.
    this.#counters.set(topic, (current + 1) | 0);
    return toPositive(current) % numPartitions;
  }
}
