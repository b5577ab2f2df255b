/**
 * Issue 19: the Kafka codec runs inside workerd as in Node: RecordBatch v2 round-trips with
 * every codec it writes (gzip through workerd's node:zlib under nodejs_compat, snappyjs,
 * lz4js), a zstd batch (written once by Node's zstd, kept here as hex) decodes through fzstd,
 * a gzip bomb is refused within the limit, and a request frame decodes and is answered.
 */
import { describe, expect, it } from "vitest";
import {
  ApiKey,
  CompressionCodec,
  decodeRecordBatches,
  decodeRequest,
  encodeRecordBatch,
  encodeResponse,
  KafkaBatchError,
} from "../../src/codec/kafka/index.ts";

const te = new TextEncoder();
const records = Array.from({ length: 50 }, (_, i) => ({
  offsetDelta: i,
  timestampDelta: i,
  key: te.encode(`k${i}`),
  value: te.encode(`value ${i} ${"x".repeat(i)}`),
  headers: [{ key: "h", value: te.encode(String(i)) }],
}));

describe("Kafka codec in workerd", () => {
  it.each([CompressionCodec.None, CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4])(
    "codec %i: a batch round-trips",
    (codec) => {
      const bytes = encodeRecordBatch({ baseOffset: 7, baseTimestamp: 1_700_000_000_000, records }, codec);
      const [batch] = decodeRecordBatches(bytes);
      expect(batch!.compression).toBe(codec);
      expect(batch!.records.map((r) => ({ ...r, attributes: undefined }))).toEqual(records.map((r) => ({ ...r, attributes: undefined })));
    },
  );
  it("a zstd batch written by Node's zstd decodes through fzstd", () => {
    const hex = "00000000000000000000005fffffffff02d9e760b500040000000200000000000000010000000000000003ffffffffffffffffffffffffffff0000000328b52ffd20662d0100b84200000001367a7374642030207a00420002023104043205004009902100ac28f74d8012";
    const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const [batch] = decodeRecordBatches(bytes);
    expect(batch!.compression).toBe(CompressionCodec.Zstd);
    expect(batch!.records.map((r) => new TextDecoder().decode(r.value!))).toEqual([0, 1, 2].map((i) => `zstd ${i} ${"z".repeat(20)}`));
  });
  it("a gzip section inflating past the limit is refused", () => {
    const bomb = encodeRecordBatch({ baseOffset: 0, baseTimestamp: 1, records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: new Uint8Array(200_000) }] }, CompressionCodec.Gzip);
    expect(() => decodeRecordBatches(bomb, { maxUncompressedBytes: 10_000 })).toThrow(KafkaBatchError);
  });
  it("a request frame decodes and its answer encodes", () => {
    const frame = new Uint8Array([0, 18, 0, 2, 0, 0, 0, 5, 0, 1, 99]);
    const d = decodeRequest(frame);
    expect(d).toMatchObject({ ok: true, apiKey: ApiKey.ApiVersions, header: { correlationId: 5, clientId: "c" } });
    if (!d.ok || d.apiKey !== ApiKey.ApiVersions) throw new Error("not ApiVersions");
    const out = encodeResponse(d.header, { errorCode: 0, apiKeys: [] });
    expect([...out]).toEqual([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
