/**
 * Kafka's ConsumerProtocol bytes, the opaque `metadata` of a JoinGroup protocol and the
 * `assignment` of a SyncGroup answer: a consumer's subscription (version, topics, …) and a
 * member's assignment (version, topic partitions, user data). The Kafka door reads the topics a
 * member subscribes to and writes the server's assignment; nothing else is interpreted.
 *
 * Invariants: `decodeSubscription` reads only the version and the topic list (later fields,
 * owned partitions, generation, rack, are ignored) and answers null for bytes too short for
 * them; `encodeAssignment` writes version 0, which every consumer version reads.
 * Pure; called by src/doors/kafka/groups.ts.
 */
import type { TopicPartitions } from "../../protocol/topic-partitions.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const toUtf8 = new TextEncoder();

/** The topics a ConsumerProtocol subscription names, or null when the bytes are not one. */
export function decodeSubscription(bytes: Uint8Array): string[] | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    let pos = 2; // version: int16
    const count = view.getInt32(pos);
    pos += 4;
    if (count < 0 || count > 10_000) return null;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const len = view.getInt16(pos);
      pos += 2;
      if (len < 0 || pos + len > bytes.length) return null;
      topics.push(utf8.decode(bytes.subarray(pos, pos + len)));
      pos += len;
    }
    return topics;
  } catch {
    return null; // a RangeError from DataView or a TypeError from the decoder: not a subscription
  }
}

/** A ConsumerProtocol assignment, version 0, with empty user data. */
export function encodeAssignment(assignment: TopicPartitions): Uint8Array {
  const topics = Object.entries(assignment)
    .filter(([, ps]) => ps.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const names = topics.map(([t]) => toUtf8.encode(t));
  const size = 2 + 4 + topics.reduce((n, [, ps], i) => n + 2 + names[i]!.length + 4 + 4 * ps.length, 0) + 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  view.setInt16(pos, 0);
  view.setInt32((pos += 2), topics.length);
  pos += 4;
  topics.forEach(([, ps], i) => {
    view.setInt16(pos, names[i]!.length);
    out.set(names[i]!, pos + 2);
    pos += 2 + names[i]!.length;
    view.setInt32(pos, ps.length);
    pos += 4;
    for (const p of [...ps].sort((a, b) => a - b)) {
      view.setInt32(pos, p);
      pos += 4;
    }
  });
  view.setInt32(pos, 0); // user data: empty bytes
  return out;
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
