/**
 * Issue 19: the Kafka door inside workerd through `exports.default.fetch`, as the broker Worker
 * serves it: `/kafka` without an Upgrade header is 426 naming WebSocket; with one it is 101 and
 * a WebSocket whose byte stream answers ApiVersions (the codec's table), SASL PLAIN with the
 * root token, and then Metadata naming the broker of the request's `?advertise=` address.
 * Frames are sent split across messages, as a bridge may forward them.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { frameSizePrefixed, KafkaReader, KafkaWriter } from "../../src/codec/kafka/index.ts";
import { ADMIN_TOKEN } from "../support/worker-client.ts";

function frame(apiKey: number, apiVersion: number, correlationId: number, body: (w: KafkaWriter) => void): Uint8Array {
  const w = new KafkaWriter();
  w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString("workers-test");
  body(w);
  return frameSizePrefixed(w.finish());
}

/** Collects whole answer frames (size prefix removed) from the socket's byte stream. */
function answers(ws: WebSocket): { next: () => Promise<Uint8Array> } {
  let buffered = new Uint8Array(0);
  const waiting: ((f: Uint8Array) => void)[] = [];
  const ready: Uint8Array[] = [];
  ws.addEventListener("message", (e) => {
    const chunk = new Uint8Array(e.data as ArrayBuffer);
    const all = new Uint8Array(buffered.length + chunk.length);
    all.set(buffered);
    all.set(chunk, buffered.length);
    buffered = all;
    while (buffered.length >= 4) {
      const size = new DataView(buffered.buffer, buffered.byteOffset).getInt32(0);
      if (buffered.length < 4 + size) break;
      const f = buffered.slice(4, 4 + size);
      buffered = buffered.slice(4 + size);
      const w = waiting.shift();
      if (w) w(f);
      else ready.push(f);
    }
  });
  return { next: () => (ready.length > 0 ? Promise.resolve(ready.shift()!) : new Promise((r) => waiting.push(r))) };
}

describe("the Kafka door in workerd", () => {
  it("/kafka without Upgrade: websocket is 426", async () => {
    const res = await exports.default.fetch(new Request("http://flarelog.test/kafka"));
    expect(res.status).toBe(426);
    expect(await res.text()).toMatch(/WebSocket/);
  });

  it("answers ApiVersions, SASL PLAIN and Metadata naming the advertised broker, over split messages", async () => {
    const res = await exports.default.fetch(
      new Request("http://flarelog.test/kafka?advertise=127.0.0.1:19092", { headers: { upgrade: "websocket" } }),
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.binaryType = "arraybuffer";
    ws.accept();
    const stream = answers(ws);
    const token = new TextEncoder().encode(`\u0000default\u0000${ADMIN_TOKEN}`);
    const requests = new Uint8Array([
      ...frame(18, 2, 1, () => {}),
      ...frame(17, 1, 2, (w) => w.string("PLAIN")),
      ...frame(36, 1, 3, (w) => w.bytes(token)),
      ...frame(3, 1, 4, (w) => w.int32(0)),
    ]);
    const cuts = [0, 3, 20, 41, requests.length];
    for (let i = 0; i + 1 < cuts.length; i++) ws.send(requests.slice(cuts[i], cuts[i + 1]));
    const apiVersions = new KafkaReader(await stream.next());
    expect(apiVersions.int32()).toBe(1);
    expect(apiVersions.int16()).toBe(0);
    const keys = apiVersions.array((r) => [r.int16(), r.int16(), r.int16()]);
    expect(keys.map((k) => k[0])).toEqual(expect.arrayContaining([0, 1, 3, 11, 17, 18, 36]));
    const handshake = new KafkaReader(await stream.next());
    expect([handshake.int32(), handshake.int16()]).toEqual([2, 0]);
    const auth = new KafkaReader(await stream.next());
    expect([auth.int32(), auth.int16()]).toEqual([3, 0]);
    const metadata = new KafkaReader(await stream.next());
    expect(metadata.int32()).toBe(4);
    const brokers = metadata.array((r) => ({ nodeId: r.int32(), host: r.string(), port: r.int32(), rack: r.nullableString() }));
    expect(brokers).toEqual([{ nodeId: 0, host: "127.0.0.1", port: 19092, rack: null }]);
    ws.close(1000, "done");
  });
});
