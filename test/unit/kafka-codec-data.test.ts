/**
 * The Kafka wire codec (issue 19), group 2: Produce, Fetch, ListOffsets and InitProducerId at
 * every supported version. kafkajs 2.2.4's own request encoders produce the bytes our decoder
 * reads (records as RecordBatch v2 bytes our batch decoder reads), and kafkajs's own response
 * decoders read what we encode (a Fetch's records decoded by kafkajs into its messages).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ApiKey,
  decodeRecordBatches,
  decodeRequest,
  encodeRecordBatch,
  encodeResponse,
  KafkaReader,
  KafkaWriter,
  type HeaderOf,
  type KnownApiKey,
} from "../../src/codec/kafka/index.ts";
import { kafkajsDecodeResponse, kafkajsModule, kafkajsRequest, kafkajsResponse } from "../support/kafkajs-oracle.ts";
import { versions, bodyOf } from "../support/kafka-codec.ts";

const header = <K extends KnownApiKey>(apiKey: K, apiVersion: number): HeaderOf<K> => ({ apiKey, apiVersion, correlationId: 9, clientId: "c" });
const te = new TextEncoder();
const text = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));

describe("KafkaWriter", () => {
  it("keeps every byte across buffer growth (each kind of write at every boundary)", () => {
    for (let cap = 1; cap < 24; cap++) {
      const w = new KafkaWriter(cap);
      w.int8(-5).int16(-300).int32(123456789).uint32(0xfffffffe).int64(2 ** 40 + 3).boolean(true);
      w.varint(-77).varlong(-(2 ** 45)).uvarint(300).string("héllo").nullableBytes(te.encode("xyz")).nullableString(null);
      const r = new KafkaReader(w.finish());
      expect([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64(), r.boolean()]).toEqual([-5, -300, 123456789, 0xfffffffe, 2 ** 40 + 3, true]);
      expect([r.varint(), r.varlong(), r.uvarint(), r.string(), text(r.nullableBytes()), r.nullableString()]).toEqual([-77, -(2 ** 45), 300, "héllo", "xyz", null]);
      expect(r.remaining()).toBe(0);
    }
  });
});

describe("varints", () => {
  type KafkajsEncoder = { writeVarInt(v: number): KafkajsEncoder; writeVarLong(v: unknown): KafkajsEncoder; buffer: Buffer };
  const Encoder = kafkajsModule<new () => KafkajsEncoder>("encoder");
  const Long = kafkajsModule<{ fromNumber(n: number): unknown }>("../utils/long");
  it("varint and varlong bytes equal kafkajs's own, and read back (numbers, no BigInt)", () => {
    const edges = [0, -1, 1, 63, -64, 64, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 45), 2 ** 52 - 1, -(2 ** 52 - 1)];
    const prop = (v: number): void => {
      const ours = new KafkaWriter(1).varlong(v).finish();
      expect([...ours]).toEqual([...new Encoder().writeVarLong(Long.fromNumber(v)).buffer]);
      expect(new KafkaReader(ours).varlong()).toBe(v);
      if (Math.abs(v) < 2 ** 31) {
        const int = new KafkaWriter(1).varint(v).finish();
        expect([...int]).toEqual([...new Encoder().writeVarInt(v).buffer]);
        expect(new KafkaReader(int).varint()).toBe(v);
      }
    };
    edges.forEach(prop);
    fc.assert(fc.property(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), prop), { seed: 19, numRuns: 1000 });
  });
  it("a varlong past the safe range or longer than 10 bytes is malformed", () => {
    const big = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => new KafkaReader(big).varlong()).toThrow(expect.objectContaining({ reason: "malformed" }));
    expect(() => new KafkaReader(new Uint8Array(11).fill(0x80)).varlong()).toThrow(expect.objectContaining({ reason: "malformed" }));
  });
});

describe("Produce", () => {
  it.each(versions(ApiKey.Produce))("v%i: kafkajs's idempotent gzip produce decodes, its batch too", async (v) => {
    const args = {
      acks: -1,
      timeout: 30000,
      transactionalId: null,
      producerId: 1234,
      producerEpoch: 2,
      compression: 1,
      topicData: [
        {
          topic: "orders",
          partitions: [
            { partition: 0, firstSequence: 10, messages: [{ key: "k", value: "v0", timestamp: 1_700_000_000_000, headers: { h: "1" } }, { key: null, value: "v1", timestamp: 1_700_000_000_005 }] },
            { partition: 3, firstSequence: 0, messages: [{ value: "p3" }] },
          ],
        },
      ],
    };
    const body = bodyOf(ApiKey.Produce, decodeRequest(await kafkajsRequest("produce", v, args)));
    expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 30000 });
    expect(body.topicData.map((t) => [t.name, t.partitionData.map((p) => p.index)])).toEqual([["orders", [0, 3]]]);
    if (v < 3) {
      // v0–2 carry the old MessageSet (magic 0/1): advertised for librdkafka, refused by name.
      expect(() => decodeRecordBatches(body.topicData[0]!.partitionData[0]!.records!)).toThrow(expect.objectContaining({ reason: "unsupported_magic" }));
      return;
    }
    const [batch, ...none] = decodeRecordBatches(body.topicData[0]!.partitionData[0]!.records!);
    expect(none).toEqual([]);
    expect(batch).toMatchObject({ compression: 1, producerId: 1234, producerEpoch: 2, baseSequence: 10, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_005, lastOffsetDelta: 1 });
    expect(batch!.records.map((r) => [text(r.key), text(r.value), r.timestampDelta, r.headers.length])).toEqual([["k", "v0", 0, 1], [null, "v1", 5, 0]]);
  });
  it.each(versions(ApiKey.Produce))("v%i: kafkajs reads our answer (offsets, errors, log start)", async (v) => {
    const body = {
      responses: [{ name: "orders", partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 42, logStartOffset: 7 }, { index: 3, errorCode: 0, baseOffset: 0, logAppendTimeMs: 1_700_000_000_000 }] }],
      throttleTimeMs: 0,
    };
    const { topics: parsed } = (await kafkajsResponse("produce", v, encodeResponse(header(ApiKey.Produce, v), body))) as { topics: { topicName: string; partitions: Record<string, unknown>[] }[] };
    expect(parsed[0]!.topicName).toBe("orders");
    if (v < 2) {
      expect(parsed[0]!.partitions).toEqual([{ partition: 0, errorCode: 0, offset: "42" }, { partition: 3, errorCode: 0, offset: "0" }]);
    } else if (v === 2) {
      expect(parsed[0]!.partitions).toEqual([{ partition: 0, errorCode: 0, offset: "42", timestamp: "-1" }, { partition: 3, errorCode: 0, offset: "0", timestamp: "1700000000000" }]);
    } else {
      expect(parsed[0]!.partitions[0]).toMatchObject({ partition: 0, errorCode: 0, baseOffset: "42", logAppendTime: "-1", ...(v >= 5 ? { logStartOffset: "7" } : {}) });
      expect(parsed[0]!.partitions[1]).toMatchObject({ partition: 3, baseOffset: "0", logAppendTime: "1700000000000" });
    }
    const failed = { responses: [{ name: "orders", partitionResponses: [{ index: 0, errorCode: 47, baseOffset: -1 }] }] };
    await expect(kafkajsResponse("produce", v, encodeResponse(header(ApiKey.Produce, v), failed))).rejects.toMatchObject({ type: "INVALID_PRODUCER_EPOCH" });
  });
});

describe("Fetch", () => {
  it.each(versions(ApiKey.Fetch))("v%i: kafkajs's fetch decodes with Kafka's defaults for absent fields", async (v) => {
    const args = {
      replicaId: -1,
      maxWaitTime: 5000,
      minBytes: 1,
      maxBytes: v >= 3 ? 10485760 : 0x7fffffff,
      isolationLevel: 0,
      topics: [{ topic: "orders", partitions: [{ partition: 2, fetchOffset: "12345", maxBytes: 1048576, currentLeaderEpoch: 4, logStartOffset: 0 }] }],
      rackId: "r1",
      forgottenTopics: [{ topic: "old", partitions: [1, 2] }],
    };
    const body = bodyOf(ApiKey.Fetch, decodeRequest(await kafkajsRequest("fetch", v, args)));
    expect(body).toEqual({
      replicaId: -1,
      maxWaitMs: 5000,
      minBytes: 1,
      maxBytes: v >= 3 ? 10485760 : 0x7fffffff,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: "orders", partitions: [{ partition: 2, currentLeaderEpoch: v >= 9 ? 4 : -1, fetchOffset: 12345, logStartOffset: v >= 5 ? 0 : -1, partitionMaxBytes: 1048576 }] }],
      forgottenTopicsData: v >= 7 ? [{ topic: "old", partitions: [1, 2] }] : [],
      rackId: v >= 11 ? "r1" : "",
    });
  });
  it.each(versions(ApiKey.Fetch))("v%i: kafkajs reads our answer and the records in it", async (v) => {
    const records = encodeRecordBatch({
      baseOffset: 100,
      partitionLeaderEpoch: 1,
      baseTimestamp: 1_700_000_000_000,
      records: [
        { offsetDelta: 0, timestampDelta: 0, key: te.encode("k"), value: te.encode("a"), headers: [{ key: "h", value: te.encode("x") }] },
        { offsetDelta: 1, timestampDelta: 3, key: null, value: te.encode("b") },
      ],
    });
    const body = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: "orders", partitions: [
        { partitionIndex: 2, errorCode: 0, highWatermark: 102, logStartOffset: 0, records },
        { partitionIndex: 3, errorCode: 1, highWatermark: -1, records: null },
      ] }],
    };
    const decoded = (await kafkajsDecodeResponse("fetch", v, encodeResponse(header(ApiKey.Fetch, v), body))) as {
      responses: { topicName: string; partitions: { partition: number; errorCode: number; highWatermark: string; lastStableOffset: string; messages: { offset: string; key: Buffer | null; value: Buffer; timestamp: string; headers: Record<string, Buffer> }[] }[] }[];
    };
    const [p2, p3] = decoded.responses[0]!.partitions;
    expect(p2).toMatchObject({ partition: 2, errorCode: 0, highWatermark: "102", ...(v >= 4 ? { lastStableOffset: "102" } : {}) });
    expect(p3).toMatchObject({ partition: 3, errorCode: 1, messages: [] });
    // null records go out as an empty record set (size 0, never -1: librdkafka refuses -1).
    const bytes = encodeResponse(header(ApiKey.Fetch, v), { responses: [{ topic: "t", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 0, records: null }] }] });
    expect([...bytes.subarray(bytes.length - 4)]).toEqual([0, 0, 0, 0]);
    // kafkajs reads v2–3 records as the old MessageSet only: their batches are checked from v4.
    if (v < 4) return;
    expect(p2!.messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString(), m.timestamp])).toEqual([
      ["100", "k", "a", "1700000000000"],
      ["101", null, "b", "1700000000003"],
    ]);
    expect(p2!.messages[0]!.headers).toEqual({ h: Buffer.from("x") });
  });
});

describe("ListOffsets", () => {
  it.each(versions(ApiKey.ListOffsets))("v%i: earliest, latest and a timestamp decode; kafkajs reads the answer", async (v) => {
    const args = { replicaId: -1, isolationLevel: 1, topics: [{ topic: "orders", partitions: [{ partition: 0, timestamp: -2 }, { partition: 1, timestamp: -1 }, { partition: 2, timestamp: 1_700_000_000_000 }] }] };
    const body = bodyOf(ApiKey.ListOffsets, decodeRequest(await kafkajsRequest("listOffsets", v, args)));
    expect(body).toEqual({ replicaId: -1, isolationLevel: v >= 2 ? 1 : 0, topics: [{ name: "orders", partitions: [{ partitionIndex: 0, timestamp: -2 }, { partitionIndex: 1, timestamp: -1 }, { partitionIndex: 2, timestamp: 1_700_000_000_000 }] }] });
    const answer = { topics: [{ name: "orders", partitions: [{ partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 17 }] }] };
    const parsed = (await kafkajsResponse("listOffsets", v, encodeResponse(header(ApiKey.ListOffsets, v), answer))) as { responses?: unknown[] } | unknown[];
    const responses = Array.isArray(parsed) ? parsed : parsed.responses!;
    expect(responses).toEqual([{ topic: "orders", partitions: [{ partition: 0, errorCode: 0, timestamp: "-1", offset: "17" }] }]);
  });
});

describe("InitProducerId", () => {
  it.each(versions(ApiKey.InitProducerId))("v%i: an idempotent producer's request decodes; kafkajs reads the id", async (v) => {
    const body = bodyOf(ApiKey.InitProducerId, decodeRequest(await kafkajsRequest("initProducerId", v, { transactionalId: null, transactionTimeout: 60000 })));
    expect(body).toEqual({ transactionalId: null, transactionTimeoutMs: 60000 });
    const bytes = encodeResponse(header(ApiKey.InitProducerId, v), { errorCode: 0, producerId: 2 ** 40, producerEpoch: 3 });
    expect(await kafkajsResponse("initProducerId", v, bytes)).toMatchObject({ errorCode: 0, producerId: String(2 ** 40), producerEpoch: 3 });
  });
});
