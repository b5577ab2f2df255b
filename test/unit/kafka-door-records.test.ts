/**
 * Issue 19, the Kafka door's record translation (src/doors/kafka/records.ts, batch-writer.ts,
 * consumer-protocol.ts, session.ts), pure:
 * - the door's fetch edge writes, straight from stored bytes (a batch with gaps, read from any
 *   record on), byte for byte what the codec's `encodeRecordBatch` writes for the same records
 *   (fast-check, seed 19), and the codec decodes it back to them;
 * - a stored batch read from inside (a fetch starting mid-batch) becomes a Kafka batch based at
 *   its first record, and a Kafka batch of a produce becomes one stored batch of its records
 *   (offset deltas 0..n-1, a missing timestamp at the arrival time) and its producer fields;
 * - a bit flipped in a produce's batch is refused as a whole (nothing taken);
 * - ConsumerProtocol: subscriptions of every version give their topics, garbage gives null; an
 *   assignment is what kafkajs's own decoder reads;
 * - the advertised address is `?advertise=` when valid, else the URL's host and port.
 */
import fc from "fast-check";
import { AssignerProtocol } from "kafkajs";
import { describe, expect, it } from "vitest";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/codec/kafka/index.ts";
import { BatchBuilder, decodeBatch, keepSpans, recordSpans, scanEncodedRecords } from "../../src/codec/record-batch.ts";
import { decodeSubscription, encodeAssignment, sameAssignment } from "../../src/doors/kafka/consumer-protocol.ts";
import { kafkaBatchesOf, kafkaBytesOf } from "../../src/doors/kafka/records.ts";
import { advertisedOf } from "../../src/doors/kafka/session.ts";
import type { LogRecord } from "../../src/protocol/types.ts";

const bytes = fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null });
const header = fc.record({ key: fc.string({ maxLength: 20 }), value: bytes });
const recordsArb = fc
  .tuple(
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.integer({ min: 1e6, max: 2 ** 42 }),
    fc.array(fc.record({ gap: fc.integer({ min: 1, max: 3 }), dt: fc.integer({ min: -1e6, max: 1e9 }), key: bytes, value: bytes, headers: fc.array(header, { maxLength: 3 }) }), { minLength: 1, maxLength: 40 }),
  )
  .map(([base, ts, rs]) => {
    let offset = base;
    return rs.map((r, i): LogRecord => {
      if (i > 0) offset += r.gap;
      return { offset, timestamp: ts + (i === 0 ? 0 : r.dt), key: r.key, value: r.value, headers: r.headers };
    });
  });

/**
 * The records stored as Flarelog stores them: one batch based up to two offsets (and 5 ms)
 * before the first record, holding every offset up to the last, then only the records' own
 * kept, as a read from inside a batch and the log cleaner's gaps leave it.
 */
function stored(records: readonly LogRecord[]): { baseOffset: number; recordCount: number; records: Uint8Array } {
  const first = records[0]!;
  const last = records.at(-1)!;
  const baseOffset = first.offset - Math.min(2, first.offset);
  const wanted = new Set(records.map((r) => r.offset));
  const byOffset = new Map(records.map((r) => [r.offset, r]));
  const b = new BatchBuilder();
  for (let o = baseOffset; o <= last.offset; o++) {
    const r = byOffset.get(o);
    b.add(r ?? { key: null, value: null, headers: [] }, r?.timestamp ?? first.timestamp - 5);
  }
  const full = b.finish().blob;
  const spans = [...recordSpans(full, baseOffset)].filter((s) => wanted.has(s.offset));
  return { baseOffset, recordCount: spans.length, records: keepSpans(full, spans) };
}

describe("the door's Kafka batch writer", () => {
  it("writes from stored bytes byte for byte what the codec's encodeRecordBatch writes, and decodes back to the records", () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const first = records[0]!;
        const ours = kafkaBytesOf([stored(records)]);
        const codec = encodeRecordBatch({
          baseOffset: first.offset,
          baseTimestamp: first.timestamp,
          records: records.map((r) => ({ timestampDelta: r.timestamp - first.timestamp, offsetDelta: r.offset - first.offset, key: r.key, value: r.value, headers: r.headers })),
        });
        expect(ours).toEqual(codec);
        const [batch] = decodeRecordBatches(ours);
        expect(batch!.records.map((r) => [batch!.baseOffset + r.offsetDelta, batch!.baseTimestamp + r.timestampDelta, r.key, r.value, r.headers.length])).toEqual(
          records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers.length]),
        );
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it("a stored batch read from its third record becomes a Kafka batch based at that record", () => {
    const b = new BatchBuilder();
    const utf8 = new TextEncoder();
    for (let i = 0; i < 5; i++) b.add({ key: utf8.encode(`k${i}`), value: utf8.encode(`v${i}`), headers: [{ key: "h", value: utf8.encode(`${i}`) }] }, 1_000 + i);
    const blob = b.finish().blob;
    const all = decodeRecordBatches(kafkaBytesOf([{ baseOffset: 100, recordCount: 5, records: blob }]));
    expect(all).toHaveLength(1);
    expect(all[0]!.baseOffset).toBe(100);
    expect(all[0]!.records.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3, 4]);
    expect(kafkaBytesOf([])).toEqual(new Uint8Array(0));
  });
});

describe("a produce's Kafka batch at the edge", () => {
  const utf8 = new TextEncoder();
  const batch = () =>
    encodeRecordBatch({
      baseOffset: 0,
      baseTimestamp: 5_000,
      producerId: 42,
      producerEpoch: 3,
      baseSequence: 7,
      records: [
        { timestampDelta: 0, offsetDelta: 0, key: utf8.encode("a"), value: utf8.encode("1"), headers: [{ key: "h", value: utf8.encode("x") }] },
        { timestampDelta: 9, offsetDelta: 1, key: null, value: null },
      ],
    });

  it("becomes one stored batch of its records (CreateTime = base + delta) and the batch's producer id, epoch and sequence", () => {
    const r = kafkaBatchesOf(batch(), 1);
    if (!r.ok) throw new Error(r.message);
    expect(r.batches).toHaveLength(1);
    const [b] = r.batches;
    expect({ producer: b!.producer, transactional: b!.transactional }).toEqual({ producer: { producerId: 42, producerEpoch: 3, baseSequence: 7 }, transactional: false });
    expect(b!.records.recordCount).toBe(2);
    expect(b!.records.maxTimestamp).toBe(5_009);
    expect(decodeBatch(b!.records.blob, 70)).toEqual([
      { offset: 70, key: utf8.encode("a"), value: utf8.encode("1"), headers: [{ key: "h", value: utf8.encode("x") }], timestamp: 5_000 },
      { offset: 71, key: null, value: null, headers: [], timestamp: 5_009 },
    ]);
    // What the produce service checks a binary produce's batch with finds the same.
    expect(scanEncodedRecords(b!.records.blob, 2)).toEqual(b!.records);
  });

  it("stores the records at offset deltas 0..n-1 whatever the producer's deltas, and a record without a timestamp (-1) at now", () => {
    const odd = encodeRecordBatch({
      baseOffset: 0,
      baseTimestamp: -1,
      records: [
        { timestampDelta: 0, offsetDelta: 5, key: null, value: utf8.encode("x") },
        { timestampDelta: 0, offsetDelta: 5, key: null, value: utf8.encode("y") },
      ],
    });
    const r = kafkaBatchesOf(odd, 7_777);
    if (!r.ok) throw new Error(r.message);
    expect(decodeBatch(r.batches[0]!.records.blob, 0).map((x) => [x.offset, x.timestamp])).toEqual([
      [0, 7_777],
      [1, 7_777],
    ]);
  });

  it("a flipped bit anywhere after the magic refuses the whole record set", () => {
    const good = batch();
    for (let i = 17; i < good.length; i++) {
      const bad = good.slice();
      bad[i]! ^= 0x10;
      expect(kafkaBatchesOf(bad, 1).ok).toBe(false);
    }
  });
});

describe("ConsumerProtocol and the advertised address", () => {
  it("reads the topics of kafkajs's subscriptions and writes assignments kafkajs reads", () => {
    const metadata = AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ["a", "b.c"], userData: Buffer.from("u") });
    expect(decodeSubscription(metadata)).toEqual(["a", "b.c"]);
    expect(decodeSubscription(new Uint8Array([0, 0, 0, 0, 0, 9, 0]))).toBeNull();
    expect(decodeSubscription(new Uint8Array([0]))).toBeNull();
    const assignment = { b: [2, 0], a: [1], empty: [] };
    const decoded = AssignerProtocol.MemberAssignment.decode(Buffer.from(encodeAssignment(assignment)));
    expect(decoded?.assignment).toEqual({ a: [1], b: [0, 2] });
    expect(sameAssignment({ a: [1, 0] }, { a: [0, 1], b: [] })).toBe(true);
    expect(sameAssignment({ a: [1] }, { a: [0] })).toBe(false);
  });

  it("advertises ?advertise=host:port when valid, else the URL's own host and port", () => {
    expect(advertisedOf(new URL("http://127.0.0.1:8787/kafka?advertise=127.0.0.1:9092"))).toEqual({ host: "127.0.0.1", port: 9092 });
    expect(advertisedOf(new URL("http://x:1/kafka?advertise=[::1]:19092"))).toEqual({ host: "::1", port: 19092 });
    expect(advertisedOf(new URL("https://broker.example.com/kafka?advertise=nonsense"))).toEqual({ host: "broker.example.com", port: 443 });
    expect(advertisedOf(new URL("http://h:5/kafka?advertise=h:0"))).toEqual({ host: "h", port: 5 });
  });
});
