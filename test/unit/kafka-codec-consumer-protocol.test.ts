/**
 * Issue 19: the consumer protocol inside JoinGroup/SyncGroup and SASL PLAIN. kafkajs 2.2.4's
 * own MemberMetadata / MemberAssignment and its PLAIN mechanism are the oracle.
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeConsumerAssignment,
  decodeConsumerSubscription,
  encodeConsumerAssignment,
  encodeConsumerSubscription,
  KafkaWireError,
  parseSaslPlain,
} from "../../src/codec/kafka/index.ts";
import { kafkajsModule } from "../support/kafkajs-oracle.ts";

const require = createRequire(import.meta.url);
type Codec = { encode: (a: Record<string, unknown>) => Buffer; decode: (b: Buffer) => unknown };
const { MemberMetadata, MemberAssignment } = require("kafkajs/src/consumer/assignerProtocol") as { MemberMetadata: Codec; MemberAssignment: Codec };
const plainRequest = kafkajsModule<(a: Record<string, unknown>) => { encode: () => Promise<Buffer> }>("sasl/plain/request");

describe("consumer protocol", () => {
  it("kafkajs's member metadata decodes to its topics and user data", () => {
    const bytes = MemberMetadata.encode({ version: 1, topics: ["orders", "audit"], userData: Buffer.from([7]) });
    expect(decodeConsumerSubscription(new Uint8Array(bytes))).toEqual({ version: 1, topics: ["orders", "audit"], userData: new Uint8Array([7]), ownedPartitions: [], generationId: -1, rackId: null });
  });
  it("subscriptions v0–3 round-trip, and a later version's extra fields are ignored", () => {
    for (const version of [0, 1, 2, 3]) {
      const s = {
        version,
        topics: ["a"],
        userData: null,
        ownedPartitions: version >= 1 ? [{ topic: "a", partitions: [0, 2] }] : [],
        generationId: version >= 2 ? 5 : -1,
        rackId: version >= 3 ? "rack-1" : null,
      };
      expect(decodeConsumerSubscription(encodeConsumerSubscription(s))).toEqual(s);
    }
    const v3 = encodeConsumerSubscription({ version: 3, topics: ["a"], userData: null, ownedPartitions: [], generationId: 1, rackId: "r" });
    const v4 = new Uint8Array([...v3, 0, 0, 0, 9]);
    v4[1] = 4;
    expect(decodeConsumerSubscription(v4)).toMatchObject({ version: 4, topics: ["a"], rackId: "r" });
  });
  it("kafkajs reads our assignment as its own; an empty one is no partitions both ways", () => {
    const bytes = encodeConsumerAssignment({ assignedPartitions: [{ topic: "orders", partitions: [0, 3] }, { topic: "audit", partitions: [1] }], userData: null });
    expect(MemberAssignment.decode(Buffer.from(bytes))).toEqual({ version: 0, assignment: { orders: [0, 3], audit: [1] }, userData: null });
    const theirs = MemberAssignment.encode({ version: 0, assignment: { orders: [2] } });
    expect(decodeConsumerAssignment(new Uint8Array(theirs))).toEqual({ assignedPartitions: [{ topic: "orders", partitions: [2] }], userData: new Uint8Array() });
    expect(decodeConsumerAssignment(new Uint8Array())).toEqual({ assignedPartitions: [], userData: null });
    expect(MemberAssignment.decode(Buffer.from(encodeConsumerAssignment({ assignedPartitions: [], userData: null })))).toMatchObject({ assignment: {} });
  });
  it("truncated member metadata is a KafkaWireError", () => {
    const bytes = MemberMetadata.encode({ version: 0, topics: ["orders"] });
    for (let cut = 0; cut < bytes.length - 4; cut++) {
      expect(() => decodeConsumerSubscription(bytes.subarray(0, cut))).toThrow(KafkaWireError);
    }
  });
});

describe("SASL PLAIN", () => {
  it("kafkajs's PLAIN message (its length prefix removed) parses to the user and password", async () => {
    const framed = await plainRequest({ username: "tenant-a", password: "fl_key_123" }).encode();
    expect(parseSaslPlain(new Uint8Array(framed.subarray(4)))).toEqual({ authorizationId: "", username: "tenant-a", password: "fl_key_123" });
    expect(parseSaslPlain(new TextEncoder().encode("admin\0ü\0pw"))).toEqual({ authorizationId: "admin", username: "ü", password: "pw" });
  });
  it("anything else is null: missing or extra NULs, empty user or password, bad UTF-8", () => {
    for (const s of ["", "user", "\0user", "\0\0pw", "\0user\0", "\0a\0b\0c"]) expect(parseSaslPlain(new TextEncoder().encode(s))).toBeNull();
    expect(parseSaslPlain(new Uint8Array([0, 0xff, 0, 0x61]))).toBeNull();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => void parseSaslPlain(b)), { seed: 19, numRuns: 500 });
  });
});
