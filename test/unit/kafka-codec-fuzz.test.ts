/**
 * The Kafka codec never throws on hostile bytes (issue 19: a bad frame must never crash the
 * isolate): `decodeRequest` answers a value for random frames and for every truncation and
 * byte mutation of real kafkajs frames of every supported API; `decodeRecordBatches` throws
 * only `KafkaBatchError` for mutated batches whose CRC was fixed up to reach the parsers.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CompressionCodec,
  crc32c,
  decodeRecordBatches,
  decodeRequest,
  encodeRecordBatch,
  KafkaBatchError,
} from "../../src/codec/kafka/index.ts";
import { kafkajsRequest } from "../support/kafkajs-oracle.ts";

const te = new TextEncoder();
const meta = Buffer.from([0, 1, 0, 0, 0, 1, 0, 1, 97, 0, 0, 0, 0]);
/** One real frame per API at its highest supported version, as kafkajs sends it. */
const FRAMES: [string, number, Record<string, unknown>][] = [
  ["apiVersions", 2, {}],
  ["metadata", 6, { topics: ["a", "bb"], allowAutoTopicCreation: false }],
  ["saslHandshake", 1, { mechanism: "PLAIN" }],
  ["saslAuthenticate", 1, { authBytes: Buffer.from([0, 0, 0, 3, 0, 97, 0]) }],
  ["produce", 7, { acks: -1, timeout: 100, producerId: 5, producerEpoch: 1, compression: 1, topicData: [{ topic: "t", partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: "k", value: "v", headers: { h: "x" } }] }] }] }],
  ["fetch", 11, { replicaId: -1, maxWaitTime: 10, minBytes: 1, maxBytes: 100, topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: "3", maxBytes: 100 }] }] }],
  ["listOffsets", 3, { replicaId: -1, isolationLevel: 0, topics: [{ topic: "t", partitions: [{ partition: 0, timestamp: -1 }] }] }],
  ["initProducerId", 1, { transactionalId: null, transactionTimeout: 1000 }],
  ["findCoordinator", 2, { coordinatorKey: "g", coordinatorType: 0 }],
  ["joinGroup", 5, { groupId: "g", sessionTimeout: 1, rebalanceTimeout: 2, memberId: "", groupInstanceId: null, protocolType: "consumer", groupProtocols: [{ name: "rr", metadata: meta }] }],
  ["syncGroup", 3, { groupId: "g", generationId: 1, memberId: "m", groupAssignment: [{ memberId: "m", memberAssignment: meta }] }],
  ["heartbeat", 3, { groupId: "g", groupGenerationId: 1, memberId: "m" }],
  ["leaveGroup", 3, { groupId: "g", members: [{ memberId: "m" }] }],
  ["offsetCommit", 5, { groupId: "g", groupGenerationId: 1, memberId: "m", topics: [{ topic: "t", partitions: [{ partition: 0, offset: "1" }] }] }],
  ["offsetFetch", 4, { groupId: "g", topics: [{ topic: "t", partitions: [{ partition: 0 }] }] }],
  ["createTopics", 3, { topics: [{ topic: "t", numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "a", value: "b" }] }] }],
  ["deleteTopics", 1, { topics: ["t"] }],
  ["describeConfigs", 2, { resources: [{ type: 2, name: "t", configNames: ["a"] }], includeSynonyms: true }],
];

describe("decodeRequest never throws", () => {
  it.each(FRAMES)("%s v%i: every truncation and every single-byte change answers a value", async (api, v, args) => {
    const frame = await kafkajsRequest(api, v, args);
    expect(decodeRequest(frame).ok).toBe(true);
    for (let cut = 0; cut < frame.length; cut++) {
      const d = decodeRequest(frame.subarray(0, cut));
      expect(d.ok).toBe(false);
    }
    for (let i = 0; i < frame.length; i++) {
      for (const b of [0x00, 0x7f, 0x80, 0xff, frame[i]! ^ 1]) {
        const m = frame.slice();
        m[i] = b;
        expect(() => decodeRequest(m)).not.toThrow();
      }
    }
  });
  it("random frames, and random tails after a valid header, answer a value", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 17, 18, 19, 20, 22, 32, 36), fc.nat({ max: 12 }), (tail, key, version) => {
        expect(() => decodeRequest(tail)).not.toThrow();
        const head = new Uint8Array([0, key, 0, version, 0, 0, 0, 1, 0xff, 0xff]);
        const d = decodeRequest(new Uint8Array([...head, ...tail]));
        expect(d.ok || ["truncated", "malformed", "unsupported_version"].includes(d.reason)).toBe(true);
      }),
      { seed: 19, numRuns: 2000 },
    );
  });
});

describe("decodeRecordBatches throws only KafkaBatchError", () => {
  const records = Array.from({ length: 5 }, (_, i) => ({ timestampDelta: i, offsetDelta: i, key: te.encode(`k${i}`), value: te.encode(`value ${i}`), headers: [{ key: "h", value: te.encode("x") }] }));
  it.each([CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4])("codec %i: every byte change after the CRC (CRC fixed up) is decoded or refused by class", (codec) => {
    const good = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records }, codec);
    for (let i = 21; i < good.length; i++) {
      for (const b of [0x00, 0xff, good[i]! ^ 0x40]) {
        const m = good.slice();
        m[i] = b;
        new DataView(m.buffer).setUint32(17, crc32c(m.subarray(21)));
        try {
          decodeRecordBatches(m);
        } catch (e) {
          expect(e).toBeInstanceOf(KafkaBatchError);
        }
      }
    }
  });
});
