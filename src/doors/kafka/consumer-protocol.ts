/**
 * The Kafka door's view of Kafka's ConsumerProtocol bytes (the opaque `metadata` of a
 * JoinGroup protocol, the `assignment` of a SyncGroup answer), over the codec's
 * src/codec/kafka/consumer-protocol.ts: the topics a member subscribes to, and the server's
 * assignment (Flarelog's `TopicPartitions` map) as assignment bytes.
 *
 * Invariants: bytes that are not a subscription answer null (never a throw); an assignment is
 * written with its topics and partitions sorted and empty topics left out. Pure; called by
 * src/doors/kafka/groups.ts.
 */
import { decodeConsumerSubscription, encodeConsumerAssignment, KafkaWireError } from "../../codec/kafka/index.ts";
import type { TopicPartitions } from "../../protocol/topic-partitions.ts";

/** The topics a ConsumerProtocol subscription names, or null when the bytes are not one. */
export function decodeSubscription(bytes: Uint8Array): string[] | null {
  try {
    return decodeConsumerSubscription(bytes).topics;
  } catch (e) {
    if (e instanceof KafkaWireError) return null;
    throw e;
  }
}

/** The server's assignment as ConsumerProtocol assignment bytes (version 0, no user data). */
export function encodeAssignment(assignment: TopicPartitions): Uint8Array {
  const assignedPartitions = Object.entries(assignment)
    .filter(([, ps]) => ps.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
  return encodeConsumerAssignment({ assignedPartitions, userData: null });
}

/** Whether two assignments hold the same partitions. */
export function sameAssignment(a: TopicPartitions, b: TopicPartitions): boolean {
  const flat = (x: TopicPartitions) =>
    Object.entries(x)
      .flatMap(([t, ps]) => ps.map((p) => `${t}\u0000${p}`))
      .sort()
      .join("\u0001");
  return flat(a) === flat(b);
}
