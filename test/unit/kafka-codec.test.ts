/**
 * The Kafka wire codec (issue 19), group 1: request headers, ApiVersions, Metadata, SASL
 * handshake and authenticate, framing. kafkajs 2.2.4's own encoders produce the requests our
 * decoder must read, and its own decoders read the responses we encode.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ApiKey,
  apiVersionsUnsupportedResponse,
  decodeRequest,
  encodeResponse,
  FrameSplitter,
  frameSizePrefixed,
  SUPPORTED_VERSIONS,
  supportedApiVersions,
  type DecodedRequest,
  type HeaderOf,
  type KnownApiKey,
} from "../../src/codec/kafka/index.ts";
import { kafkajsDecodeResponse, kafkajsRequest, kafkajsResponse } from "../support/kafkajs-oracle.ts";
import { versions } from "../support/kafka-codec.ts";

const header = <K extends KnownApiKey>(apiKey: K, apiVersion: number, correlationId = 42): HeaderOf<K> => ({
  apiKey,
  apiVersion,
  correlationId,
  clientId: "c",
});

function ok(d: DecodedRequest): Extract<DecodedRequest, { ok: true }> {
  if (!d.ok) throw new Error(`decode failed: ${d.reason} ${d.message}`);
  return d;
}


describe("request header", () => {
  it("reads kafkajs's header v1: api key, version, correlation id and client id", async () => {
    const d = ok(decodeRequest(await kafkajsRequest("apiVersions", 2, {}, 123456, "my-app")));
    expect(d.header).toEqual({ apiKey: 18, apiVersion: 2, correlationId: 123456, clientId: "my-app" });
    expect(d.apiKey).toBe(ApiKey.ApiVersions);
  });
  it("a frame shorter than a header is truncated with no header; 8 bytes give the correlation id", () => {
    const d = decodeRequest(new Uint8Array([0, 18]));
    expect(d).toMatchObject({ ok: false, reason: "truncated", header: null });
    const e = decodeRequest(new Uint8Array([0, 3, 0, 1, 0, 0, 0, 9, 0]));
    expect(e).toMatchObject({ ok: false, reason: "truncated", header: { apiKey: 3, correlationId: 9 } });
  });
  it("an unknown API key is unknown_api with the header kept", () => {
    const f = new Uint8Array([0, 99, 0, 0, 0, 0, 0, 5, 255, 255]);
    expect(decodeRequest(f)).toMatchObject({ ok: false, reason: "unknown_api", header: { apiKey: 99, correlationId: 5, clientId: null } });
  });
  it("a version past the table is unsupported_version (Metadata v7 from kafkajs's v6 bytes)", async () => {
    const bytes = await kafkajsRequest("metadata", 6, { topics: ["a"] });
    bytes[3] = 7;
    expect(decodeRequest(bytes)).toMatchObject({ ok: false, reason: "unsupported_version", header: { apiVersion: 7 } });
  });
  it("bytes after a body are malformed; a body cut short is truncated", async () => {
    const bytes = await kafkajsRequest("metadata", 4, { topics: ["a", "b"] });
    const longer = new Uint8Array([...bytes, 0]);
    expect(decodeRequest(longer)).toMatchObject({ ok: false, reason: "malformed" });
    for (let cut = 10; cut < bytes.length; cut++) {
      expect(decodeRequest(bytes.subarray(0, cut))).toMatchObject({ ok: false, reason: "truncated" });
    }
  });
  it("a negative string length other than -1 and an invalid UTF-8 client id are malformed", async () => {
    const bytes = await kafkajsRequest("metadata", 4, { topics: ["ab"] }, 1, "xy");
    const neg = bytes.slice();
    neg[8] = 0xff;
    neg[9] = 0xf0;
    expect(decodeRequest(neg)).toMatchObject({ ok: false, reason: "malformed", header: { correlationId: 1 } });
    const bad = bytes.slice();
    bad[10] = 0xff;
    expect(decodeRequest(bad)).toMatchObject({ ok: false, reason: "malformed" });
  });
  it("an array count beyond the bytes left is refused before allocating", () => {
    const f = new Uint8Array([0, 3, 0, 1, 0, 0, 0, 1, 255, 255, 0x7f, 0xff, 0xff, 0xff]);
    expect(decodeRequest(f)).toMatchObject({ ok: false, reason: "truncated" });
  });
});

describe("ApiVersions", () => {
  it.each(versions(ApiKey.ApiVersions))("v%i: kafkajs reads every supported range we advertise", async (v) => {
    const d = ok(decodeRequest(await kafkajsRequest("apiVersions", v, {})));
    expect(d.body).toEqual({});
    const apiKeys = supportedApiVersions();
    const bytes = encodeResponse(header(ApiKey.ApiVersions, v), { errorCode: 0, apiKeys, throttleTimeMs: 3 });
    expect(new DataView(bytes.buffer).getInt32(0)).toBe(42);
    const parsed = (await kafkajsResponse("apiVersions", v, bytes)) as Record<string, unknown>;
    expect(parsed).toMatchObject({ errorCode: 0, apiVersions: apiKeys, ...(v === 1 ? { throttleTime: 3 } : {}), ...(v === 2 ? { clientSideThrottleTime: 3 } : {}) });
  });
  it("the advertised table is exactly SUPPORTED_VERSIONS, sorted by key", () => {
    const listed = supportedApiVersions();
    expect(listed.map((k) => k.apiKey)).toEqual(Object.keys(SUPPORTED_VERSIONS).map(Number).sort((a, b) => a - b));
    for (const k of listed) expect(SUPPORTED_VERSIONS[k.apiKey]).toEqual({ min: k.minVersion, max: k.maxVersion });
  });
  it("an unsupported ApiVersions version is answered at v0 with 35 and the ApiVersions range", async () => {
    const bytes = await kafkajsRequest("apiVersions", 2, {}, 77);
    bytes[3] = 3;
    const d = decodeRequest(bytes);
    expect(d).toMatchObject({ ok: false, reason: "unsupported_version", header: { apiKey: 18, apiVersion: 3, correlationId: 77 } });
    const answer = apiVersionsUnsupportedResponse(77);
    expect(new DataView(answer.buffer).getInt32(0)).toBe(77);
    // kafkajs's v0 decoder fails on 35 by design (it then retries a lower version).
    await expect(kafkajsDecodeResponse("apiVersions", 0, answer)).rejects.toMatchObject({ type: "UNSUPPORTED_VERSION" });
    const view = new DataView(answer.buffer);
    expect([view.getInt16(4), view.getInt32(6), view.getInt16(10), view.getInt16(12), view.getInt16(14)]).toEqual([35, 1, 18, 0, 2]);
    expect(answer.length).toBe(16);
    const same = encodeResponse(header(ApiKey.ApiVersions, 3, 77), { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }] });
    expect(same).toEqual(answer);
  });
});

describe("Metadata", () => {
  it.each(versions(ApiKey.Metadata))("v%i: topics named, and all topics, decode", async (v) => {
    const named = ok(decodeRequest(await kafkajsRequest("metadata", v, { topics: ["t1", "t-2"], allowAutoTopicCreation: false })));
    expect(named.body).toEqual({ topics: [{ name: "t1" }, { name: "t-2" }], allowAutoTopicCreation: v < 4 });
    const all = ok(decodeRequest(await kafkajsRequest("metadata", v, { topics: [] })));
    expect(all.body).toEqual({ topics: null, allowAutoTopicCreation: true });
  });
  it.each(versions(ApiKey.Metadata))("v%i: kafkajs reads our answer", async (v) => {
    const body = {
      throttleTimeMs: 5,
      brokers: [{ nodeId: 0, host: "broker.example", port: 9092, rack: "r1" }],
      clusterId: "flarelog",
      controllerId: 0,
      topics: [
        {
          errorCode: 0,
          name: "orders",
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0, 1], isrNodes: [0], offlineReplicas: [1] }],
        },
        { errorCode: 3, name: "missing", partitions: [] },
      ],
    };
    const parsed = (await kafkajsDecodeResponse("metadata", v, encodeResponse(header(ApiKey.Metadata, v), body))) as {
      brokers: unknown[];
      topicMetadata: { topicErrorCode: number; topic: string; partitionMetadata: Record<string, unknown>[] }[];
      clusterId?: string;
      controllerId?: number;
    };
    expect(parsed.brokers).toEqual([{ nodeId: 0, host: "broker.example", port: 9092, ...(v >= 1 ? { rack: "r1" } : {}) }]);
    expect(parsed.topicMetadata.map((t) => [t.topicErrorCode, t.topic])).toEqual([[0, "orders"], [3, "missing"]]);
    expect(parsed.topicMetadata[0]!.partitionMetadata[0]).toMatchObject({
      partitionErrorCode: 0,
      partitionId: 0,
      leader: 0,
      replicas: [0, 1],
      isr: [0],
      ...(v >= 5 ? { offlineReplicas: [1] } : {}),
    });
    if (v >= 2) expect(parsed.clusterId).toBe("flarelog");
    if (v >= 1) expect(parsed.controllerId).toBe(0);
  });
});

describe("SASL", () => {
  it.each(versions(ApiKey.SaslHandshake))("SaslHandshake v%i: mechanism in, mechanisms out", async (v) => {
    const d = ok(decodeRequest(await kafkajsRequest("saslHandshake", v, { mechanism: "PLAIN" })));
    expect(d.body).toEqual({ mechanism: "PLAIN" });
    const bytes = encodeResponse(header(ApiKey.SaslHandshake, v), { errorCode: 0, mechanisms: ["PLAIN"] });
    expect(await kafkajsResponse("saslHandshake", v, bytes)).toEqual({ errorCode: 0, enabledMechanisms: ["PLAIN"] });
  });
  it.each(versions(ApiKey.SaslAuthenticate))("SaslAuthenticate v%i: auth bytes in and out", async (v) => {
    // kafkajs's PLAIN mechanism hands the request its bytes already length-prefixed.
    const authBytes = Buffer.from("\0user\0secret");
    const prefixed = Buffer.concat([Buffer.from([0, 0, 0, authBytes.length]), authBytes]);
    const d = ok(decodeRequest(await kafkajsRequest("saslAuthenticate", v, { authBytes: prefixed })));
    expect(Buffer.from((d.body as { authBytes: Uint8Array }).authBytes)).toEqual(authBytes);
    const body = { errorCode: 0, errorMessage: null, authBytes: new Uint8Array([1, 2]), sessionLifetimeMs: 1000 };
    const parsed = await kafkajsResponse("saslAuthenticate", v, encodeResponse(header(ApiKey.SaslAuthenticate, v), body));
    // kafkajs re-prefixes the bytes with their length for its mechanisms.
    expect(parsed).toMatchObject({ errorCode: 0, authBytes: Buffer.from([0, 0, 0, 2, 1, 2]) });
  });
  it("a failed SaslAuthenticate is kafkajs's SASL_AUTHENTICATION_FAILED with our message", async () => {
    const body = { errorCode: 58, errorMessage: "bad key", authBytes: new Uint8Array() };
    const bytes = encodeResponse(header(ApiKey.SaslAuthenticate, 1), body);
    await expect(kafkajsResponse("saslAuthenticate", 1, bytes)).rejects.toMatchObject({ type: "SASL_AUTHENTICATION_FAILED" });
  });
});

describe("framing", () => {
  const payloads = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 });
  it("any chunking of a stream of frames pops exactly its payloads, in order", () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat({ max: 30 }), { maxLength: 60 }), (ps, cuts) => {
        const stream = new Uint8Array(ps.flatMap((p) => [...frameSizePrefixed(p)]));
        const s = new FrameSplitter(1000);
        const out: Uint8Array[] = [];
        let at = 0;
        for (const c of [...cuts, stream.length]) {
          const end = Math.min(stream.length, at + c);
          expect(s.push(stream.subarray(at, end))).toBeNull();
          at = end;
          for (let p = s.pop(); p !== null; p = s.pop()) out.push(p);
        }
        expect(out.map((p) => [...p])).toEqual(ps.map((p) => [...p]));
        expect(s.bufferedBytes).toBe(0);
      }),
      { seed: 19, numRuns: 300 },
    );
  });
  it("a declared size past the maximum is refused at once, byte by byte too, and stays refused", () => {
    const s = new FrameSplitter(16);
    expect(s.push(frameSizePrefixed(new Uint8Array(16)))).toBeNull();
    expect(s.pop()?.length).toBe(16);
    const big = frameSizePrefixed(new Uint8Array(17));
    for (let i = 0; i < 3; i++) expect(s.push(big.subarray(i, i + 1))).toBeNull();
    expect(s.push(big.subarray(3, 4))).toEqual({ kind: "frame_too_large", sizeBytes: 17, maxFrameBytes: 16 });
    expect(s.pop()).toBeNull();
    expect(s.push(frameSizePrefixed(new Uint8Array(1)))).not.toBeNull();
    expect(s.bufferedBytes).toBe(0);
  });
  it("a negative declared size is refused; a truncated frame pops nothing", () => {
    expect(new FrameSplitter().push(new Uint8Array([255, 255, 255, 255]))).toMatchObject({ kind: "frame_too_large", sizeBytes: -1 });
    const s = new FrameSplitter();
    expect(s.push(frameSizePrefixed(new Uint8Array(10)).subarray(0, 13))).toBeNull();
    expect(s.pop()).toBeNull();
    expect(s.bufferedBytes).toBe(13);
  });
});
