/**
 * Kafka's RecordBatch v2 in src/codec/kafka (issue 19): CRC-32C against RFC 3720's vectors and
 * kafkajs's own CRC; batches written by kafkajs 2.2.4's encoder (uncompressed and gzip) decode
 * to the same records and ours are read back by kafkajs's decoder; snappy (raw and xerial),
 * lz4 and zstd record sections decode; every corruption is a typed `KafkaBatchError`.
 */
import { gzipSync, zstdCompressSync } from "node:zlib";
import fc from "fast-check";
import { compress as lz4Compress } from "lz4js";
import { compress as snappyCompress } from "snappyjs";
import { describe, expect, it } from "vitest";
import {
  CompressionCodec,
  crc32c,
  crc32cUpdate,
  decodeRecordBatches,
  encodeRecordBatch,
  KafkaBatchError,
  TimestampType,
  type KafkaRecordBatchInput,
} from "../../src/codec/kafka/index.ts";
import { CorruptBatchError } from "../../src/codec/record-batch.ts";
import { kafkajsModule } from "../support/kafkajs-oracle.ts";

type Enc = { buffer: Buffer };
const KafkajsRecordBatch = kafkajsModule<{ RecordBatch: (a: Record<string, unknown>) => Promise<Enc> }>("recordBatch/v0").RecordBatch;
const KafkajsRecord = kafkajsModule<(a: Record<string, unknown>) => Enc>("recordBatch/record/v0");
const kafkajsCrc32C = kafkajsModule<(b: Buffer) => number>("recordBatch/crc32C");
const KafkajsDecoder = kafkajsModule<new (b: Buffer) => unknown>("decoder");
const kafkajsDecodeBatch = kafkajsModule<(d: unknown) => Promise<KafkajsBatch>>("recordBatch/v0/decoder");
type KafkajsBatch = {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  timestampType: number;
  lastOffsetDelta: number;
  records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }[];
};

const te = new TextEncoder();
const bytes = (s: string): Uint8Array => te.encode(s);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

describe("CRC-32C", () => {
  it("matches RFC 3720's check values", () => {
    expect(crc32c(new Uint8Array(ascii("123456789")))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new Uint8Array())).toBe(0);
  });
  it("equals kafkajs's CRC-32C on random bytes, and continues across any split", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (b, cut) => {
        const at = b.length === 0 ? 0 : cut % b.length;
        expect(crc32c(b)).toBe(kafkajsCrc32C(Buffer.from(b)) >>> 0);
        expect(crc32cUpdate(crc32c(b.subarray(0, at)), b.subarray(at))).toBe(crc32c(b));
      }),
      { seed: 19, numRuns: 300 },
    );
  });
  it("is the same over a view at any alignment of its buffer as over a copy (it reads 32-bit words)", () => {
    const buf = Uint8Array.from({ length: 203 }, (_, i) => (i * 151 + 7) & 0xff);
    for (let off = 0; off < 8; off++)
      for (const len of [0, 1, 7, 8, 9, 17, 64, 195 - off]) {
        const view = buf.subarray(off, off + len);
        expect(crc32c(view)).toBe(kafkajsCrc32C(Buffer.from(view.slice())) >>> 0);
      }
  });
});

const GZIP = 1;
async function kafkajsBatch(compression: number): Promise<Uint8Array> {
  const records = [
    KafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from("k1"), value: Buffer.from("v1"), headers: { h: Buffer.from("x") } }),
    KafkajsRecord({ offsetDelta: 1, timestampDelta: 7, key: null, value: Buffer.from("v2"), headers: { a: [Buffer.from("1"), Buffer.from("2")] } }),
    KafkajsRecord({ offsetDelta: 2, timestampDelta: 9, key: Buffer.from(""), value: null }),
  ];
  const batch = await KafkajsRecordBatch({
    compression,
    firstOffset: 0,
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_009,
    lastOffsetDelta: 2,
    producerId: 4242,
    producerEpoch: 3,
    firstSequence: 17,
    transactional: false,
    records,
  });
  return new Uint8Array(batch.buffer);
}

describe("RecordBatch v2 against kafkajs", () => {
  it.each([["none", 0], ["gzip", GZIP]])("kafkajs's %s batch decodes to its records and producer fields", async (_n, codec) => {
    const [b, ...rest] = decodeRecordBatches(await kafkajsBatch(codec));
    expect(rest).toEqual([]);
    expect(b).toMatchObject({
      baseOffset: 0,
      compression: codec,
      timestampType: TimestampType.CreateTime,
      isTransactional: false,
      isControl: false,
      lastOffsetDelta: 2,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_009,
      producerId: 4242,
      producerEpoch: 3,
      baseSequence: 17,
    });
    expect(b!.records).toEqual([
      { attributes: 0, timestampDelta: 0, offsetDelta: 0, key: bytes("k1"), value: bytes("v1"), headers: [{ key: "h", value: bytes("x") }] },
      { attributes: 0, timestampDelta: 7, offsetDelta: 1, key: null, value: bytes("v2"), headers: [{ key: "a", value: bytes("1") }, { key: "a", value: bytes("2") }] },
      { attributes: 0, timestampDelta: 9, offsetDelta: 2, key: bytes(""), value: null, headers: [] },
    ]);
  });

  const ours: KafkaRecordBatchInput = {
    baseOffset: 1000,
    partitionLeaderEpoch: 5,
    baseTimestamp: 1_700_000_000_000,
    producerId: 77,
    producerEpoch: 1,
    baseSequence: 0,
    isTransactional: false,
    records: [
      { timestampDelta: 0, offsetDelta: 0, key: bytes("a"), value: bytes("one"), headers: [{ key: "trace", value: bytes("t") }] },
      { timestampDelta: -3, offsetDelta: 1, key: null, value: bytes("two") },
      { timestampDelta: 40, offsetDelta: 2, key: bytes("c"), value: null, headers: [{ key: "n", value: null }] },
    ],
  };
  it.each([["none", CompressionCodec.None], ["gzip", CompressionCodec.Gzip]])("kafkajs reads our %s batch", async (_n, codec) => {
    const encoded = encodeRecordBatch(ours, codec);
    const d = await kafkajsDecodeBatch(new KafkajsDecoder(Buffer.from(encoded)));
    expect(d).toMatchObject({ firstOffset: "1000", firstTimestamp: "1700000000000", maxTimestamp: "1700000000040", producerId: "77", producerEpoch: 1, firstSequence: 0, lastOffsetDelta: 2 });
    expect(d.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ["1000", "1700000000000", "a", "one"],
      ["1001", "1699999999997", null, "two"],
      ["1002", "1700000000040", "c", null],
    ]);
    expect(d.records[0]!.headers).toEqual({ trace: Buffer.from("t") });
    // kafkajs does not check the CRC: Kafka's own rule is ours, checked by our decoder.
    expect(decodeRecordBatches(encoded)[0]!.records.map((r) => r.value)).toEqual([bytes("one"), bytes("two"), null]);
  });
  it("an uncompressed kafkajs batch is byte for byte ours for the same fields", async () => {
    const theirs = await kafkajsBatch(0);
    const [b] = decodeRecordBatches(theirs);
    const again = encodeRecordBatch({ ...b!, partitionLeaderEpoch: b!.partitionLeaderEpoch });
    expect(again).toEqual(theirs);
  });
});

const record = fc.record({
  timestampDelta: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  key: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(fc.uint8Array({ maxLength: 8 }), { nil: null }) }), { maxLength: 3 }),
});

describe("RecordBatch v2 round trip and compression", () => {
  it("any batch round-trips through our encoder and decoder, with every codec we write", () => {
    const codecs = [CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4];
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.constantFrom(...codecs), fc.boolean(), (recs, codec, logAppend) => {
        const records = recs.map((r, i) => ({ ...r, attributes: 0, offsetDelta: i }));
        const input = { baseOffset: 12, baseTimestamp: 1_600_000_000_000, producerId: 9, producerEpoch: 2, baseSequence: 5, records, timestampType: logAppend ? TimestampType.LogAppendTime : TimestampType.CreateTime };
        const encoded = encodeRecordBatch(input, codec);
        const [b] = decodeRecordBatches(encoded);
        expect(b!.records).toEqual(records);
        expect(b).toMatchObject({ compression: codec, timestampType: input.timestampType, sizeBytes: encoded.length, producerId: 9, baseSequence: 5 });
      }),
      { seed: 19, numRuns: 200 },
    );
  });
  function withSection(codec: number, compressor: (raw: Uint8Array) => Uint8Array): Uint8Array {
    // Build an uncompressed batch, then swap its records section for a compressed one.
    const plain = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 5, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: bytes("snap") }, { timestampDelta: 1, offsetDelta: 1, key: bytes("k"), value: bytes("crackle") }] });
    const section = plain.subarray(61);
    const packed = compressor(section);
    const out = new Uint8Array(61 + packed.length);
    out.set(plain.subarray(0, 61));
    out.set(packed, 61);
    const view = new DataView(out.buffer);
    view.setInt32(8, out.length - 12);
    view.setInt16(21, codec);
    view.setUint32(17, crc32c(out.subarray(21)));
    return out;
  }
  const expectSnapCrackle = (b: Uint8Array): void =>
    expect(decodeRecordBatches(b)[0]!.records.map((r) => r.value)).toEqual([bytes("snap"), bytes("crackle")]);
  it("snappy, raw (librdkafka) and in xerial framing (Java, kafkajs-snappy), decodes", () => {
    expectSnapCrackle(withSection(2, (s) => snappyCompress(s)));
    const xerial = (s: Uint8Array): Uint8Array => {
      const a = snappyCompress(s.subarray(0, 5));
      const b = snappyCompress(s.subarray(5));
      const head = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1];
      const size = (n: number): number[] => [0, 0, n >> 8, n & 255];
      return new Uint8Array([...head, ...size(a.length), ...a, ...size(b.length), ...b]);
    };
    expectSnapCrackle(withSection(2, xerial));
  });
  it("lz4 frames and zstd (Node's own zstd as the writer) decode", () => {
    expectSnapCrackle(withSection(3, (s) => lz4Compress(s)));
    expectSnapCrackle(withSection(4, (s) => new Uint8Array(zstdCompressSync(s))));
  });
  it("several batches in one record set decode in order; a cut tail is skipped only when allowed", () => {
    const a = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: bytes("a") }] });
    const b = encodeRecordBatch({ baseOffset: 1, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: bytes("b") }] }, CompressionCodec.Gzip);
    const set = new Uint8Array([...a, ...b]);
    expect(decodeRecordBatches(set).map((x) => x.baseOffset)).toEqual([0, 1]);
    for (const cut of [a.length + 5, a.length + 20, set.length - 1]) {
      expect(() => decodeRecordBatches(set.subarray(0, cut))).toThrow(expect.objectContaining({ reason: "truncated" }));
      expect(decodeRecordBatches(set.subarray(0, cut), { allowPartialTail: true }).map((x) => x.baseOffset)).toEqual([0]);
    }
    expect(decodeRecordBatches(new Uint8Array())).toEqual([]);
  });
});

describe("corrupt batches are typed KafkaBatchErrors (also CorruptBatchError)", () => {
  const good = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: bytes("k"), value: bytes("v") }] });
  const fault = (b: Uint8Array, opts = {}): KafkaBatchError => {
    try {
      decodeRecordBatches(b, opts);
    } catch (e) {
      expect(e).toBeInstanceOf(KafkaBatchError);
      expect(e).toBeInstanceOf(CorruptBatchError);
      return e as KafkaBatchError;
    }
    throw new Error("decoded");
  };
  const mutate = (f: (b: Uint8Array, v: DataView) => void, fixCrc = true): Uint8Array => {
    const b = good.slice();
    const v = new DataView(b.buffer);
    f(b, v);
    if (fixCrc) v.setUint32(17, crc32c(b.subarray(21)));
    return b;
  };
  it("every single flipped bit after the magic byte fails the CRC", () => {
    for (let i = 21 * 8; i < good.length * 8; i++) {
      const b = good.slice();
      b[i >> 3]! ^= 1 << (i & 7);
      expect(fault(b).reason).toBe("crc_mismatch");
    }
  });
  it("magic 0 and 1 are unsupported_magic; codec 5 is unsupported_compression", () => {
    expect(fault(mutate((b) => (b[16] = 1), false)).reason).toBe("unsupported_magic");
    expect(fault(mutate((b) => (b[16] = 0), false)).reason).toBe("unsupported_magic");
    expect(fault(mutate((_b, v) => v.setInt16(21, 5))).reason).toBe("unsupported_compression");
  });
  it("a record count that lies, a record length that lies, and trailing bytes are malformed", () => {
    expect(fault(mutate((_b, v) => v.setInt32(57, 2))).reason).toMatch(/truncated|malformed/);
    expect(fault(mutate((_b, v) => v.setInt32(57, 0))).reason).toBe("malformed");
    expect(fault(mutate((_b, v) => v.setInt32(57, -1))).reason).toBe("malformed");
    expect(fault(mutate((b) => (b[61] = 2)))).toBeInstanceOf(KafkaBatchError);
    expect(fault(mutate((_b, v) => v.setInt32(8, 10))).reason).toBe("malformed");
  });
  it("a gzip section that is not gzip, and one inflating past the limit, are compression faults", () => {
    const notGzip = mutate((_b, v) => v.setInt16(21, 1));
    expect(fault(notGzip).reason).toBe("compression");
    const bomb = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: new Uint8Array(100_000) }] }, CompressionCodec.Gzip);
    expect(bomb.length).toBeLessThan(1000);
    expect(fault(bomb, { maxUncompressedBytes: 10_000 }).reason).toBe("compression");
    expect(decodeRecordBatches(bomb)[0]!.records[0]!.value!.length).toBe(100_000);
    expect(gzipSync(new Uint8Array(1)).length).toBeGreaterThan(0);
  });
  it("lz4 and zstd frames claiming more than the limit are refused before inflating", () => {
    const big = new Uint8Array(200_000);
    const lz4Batch = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: big }] }, CompressionCodec.Lz4);
    expect(fault(lz4Batch, { maxUncompressedBytes: 100_000 }).reason).toBe("compression");
    expect(decodeRecordBatches(lz4Batch)[0]!.records[0]!.value!.length).toBe(200_000);
    const plain = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value: big }] });
    const packed = new Uint8Array(zstdCompressSync(plain.subarray(61)));
    const zstdBatch = new Uint8Array([...plain.subarray(0, 61), ...packed]);
    const view = new DataView(zstdBatch.buffer);
    view.setInt32(8, zstdBatch.length - 12);
    view.setInt16(21, CompressionCodec.Zstd);
    view.setUint32(17, crc32c(zstdBatch.subarray(21)));
    expect(fault(zstdBatch, { maxUncompressedBytes: 100_000 }).reason).toBe("compression");
    expect(decodeRecordBatches(zstdBatch)[0]!.records[0]!.value!.length).toBe(200_000);
  });
});
