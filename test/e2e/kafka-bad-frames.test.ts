/**
 * The Kafka door (/kafka) against bad input on a raw WebSocket, the real server started as
 * `npm start` starts it: truncated frames, an oversized size prefix, an unknown API key, an
 * unsupported version, a request before SASL, garbage after SASL and a text message each close
 * the connection (WebSocket 1002/1003) without an answer, write nothing to any log, and leave
 * the server serving the next connection. ApiVersions of a newer version is the one bad
 * request answered (v0, UNSUPPORTED_VERSION, so clients retry lower), as Kafka does.
 *
 * The handshake agrees on no WebSocket extension, whatever the client offers: Kafka batches
 * carry their own compression, and permessage-deflate would deflate every answer in workerd.
 *
 * Waits are bounded (each connection's close within a timeout); nothing sleeps.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRecordBatch, frameSizePrefixed } from "../../src/codec/kafka/index.ts";
import { KafkaWriter } from "../../src/codec/kafka/wire.ts";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "kafka-bad-frames-admin-token";
let server: Running;
let stateDir: string;

interface Outcome {
  answers: Uint8Array[];
  closeCode: number;
}

/**
 * Sends `messages` on a new connection and waits (bounded) for the server to close it, or, with
 * `answers`, for that many answers (then closes it itself: code -1).
 */
async function exchange(messages: (Uint8Array | string)[], opts: { answers?: number } = {}): Promise<Outcome> {
  const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/kafka");
  ws.binaryType = "arraybuffer";
  const answers: Uint8Array[] = [];
  let enough: (code: number) => void = () => {};
  const answered = new Promise<number>((resolve) => (enough = resolve));
  ws.addEventListener("message", (e) => {
    answers.push(new Uint8Array(e.data as ArrayBuffer));
    if (answers.length === opts.answers) enough(-1);
  });
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("websocket error")));
  });
  for (const m of messages) ws.send(m);
  const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-2), 10_000));
  const closeCode = await Promise.race([closed, answered, timeout]);
  if (closeCode < 0) ws.close();
  return { answers, closeCode };
}

function request(apiKey: number, apiVersion: number, correlationId: number, body: (w: KafkaWriter) => void = () => {}): Uint8Array {
  const w = new KafkaWriter();
  w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString("bad-frames");
  body(w);
  return frameSizePrefixed(w.finish());
}

const handshake = () => request(17, 1, 1, (w) => w.string("PLAIN"));
const authenticate = (password = ADMIN_TOKEN) => request(36, 1, 2, (w) => w.bytes(new TextEncoder().encode(`\u0000default\u0000${password}`)));
const correlationOf = (answer: Uint8Array) => new DataView(answer.buffer, answer.byteOffset).getInt32(4);

async function topicRecords(topic: string): Promise<unknown[]> {
  const res = await fetch(`${server.url}/v1/topics/${topic}/partitions/0/records?offset=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: unknown[] }).records;
}

/** The server still answers a good connection: ApiVersions v0 is answered with its correlation id. */
async function stillServing(): Promise<void> {
  const r = await exchange([request(18, 0, 77)], { answers: 1 });
  expect(r.answers).toHaveLength(1);
  expect(correlationOf(r.answers[0]!)).toBe(77);
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-kafka-bad-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
  const res = await fetch(`${server.url}/v1/topics`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "victim", partitions: 1, replication_factor: 1 }),
  });
  expect(res.status).toBe(201);
}, 60_000);

afterAll(async () => {
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

describe("bad frames close the connection, answer nothing and write nothing", () => {
  it("a frame whose request is truncated closes with 1002 and no answer", async () => {
    const frame = request(3, 1, 5);
    const cut = frame.slice(0, 4 + 6); // header cut inside the correlation id
    new DataView(cut.buffer).setInt32(0, 6);
    const r = await exchange([cut]);
    expect(r).toEqual({ answers: [], closeCode: 1002 });
    await stillServing();
  }, 30_000);

  it("a size prefix over the frame limit closes with 1002 before any byte of it is buffered", async () => {
    const r = await exchange([new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])]);
    expect(r).toEqual({ answers: [], closeCode: 1002 });
    await stillServing();
  }, 30_000);

  it("an unknown API key closes with 1002 and no answer", async () => {
    const r = await exchange([request(999, 0, 9)]);
    expect(r).toEqual({ answers: [], closeCode: 1002 });
  }, 30_000);

  it("an unsupported version of Metadata closes; ApiVersions v3 is answered at v0 with UNSUPPORTED_VERSION (35)", async () => {
    expect(await exchange([request(3, 99, 9)])).toEqual({ answers: [], closeCode: 1002 });
    const r = await exchange([request(18, 3, 11)], { answers: 1 });
    expect(r.answers).toHaveLength(1);
    const view = new DataView(r.answers[0]!.buffer, r.answers[0]!.byteOffset);
    expect(view.getInt32(4)).toBe(11);
    expect(view.getInt16(8)).toBe(35);
  }, 30_000);

  it("a request other than ApiVersions/SASL before authentication closes with 1002 and no answer", async () => {
    const r = await exchange([request(3, 1, 4, (w) => w.int32(-1))]);
    expect(r).toEqual({ answers: [], closeCode: 1002 });
  }, 30_000);

  it("a wrong key is answered SASL_AUTHENTICATION_FAILED (58), then the connection closes", async () => {
    const r = await exchange([handshake(), authenticate("wrong")]);
    expect(r.answers).toHaveLength(2);
    expect(new DataView(r.answers[1]!.buffer, r.answers[1]!.byteOffset).getInt16(8)).toBe(58);
    expect(r.closeCode).toBe(1002);
  }, 30_000);

  it("garbage after SASL closes with 1002 after the SASL answers, and no log changes", async () => {
    const garbage = new Uint8Array(4 + 64).map((_, i) => (i * 37 + 11) & 0xff);
    new DataView(garbage.buffer).setInt32(0, 64);
    const r = await exchange([handshake(), authenticate(), garbage]);
    expect(r.answers.map(correlationOf)).toEqual([1, 2]);
    expect(r.closeCode).toBe(1002);
    expect(await topicRecords("victim")).toEqual([]);
    await stillServing();
  }, 30_000);

  it("a Produce whose record batch fails its CRC is answered CORRUPT_MESSAGE (2) and writes nothing", async () => {
    const value = new TextEncoder().encode("never");
    const batch = encodeRecordBatch({ baseOffset: 0, baseTimestamp: Date.now(), records: [{ timestampDelta: 0, offsetDelta: 0, key: null, value }] });
    batch[batch.length - 1]! ^= 0xff; // inside the CRC-32C's range
    const produce = request(0, 3, 3, (w) => {
      w.nullableString(null).int16(-1).int32(5_000);
      w.int32(1).string("victim").int32(1).int32(0).nullableBytes(batch);
    });
    const r = await exchange([handshake(), authenticate(), produce], { answers: 3 });
    expect(r.answers.map(correlationOf)).toEqual([1, 2, 3]);
    // correlation id, 1 topic, "victim", 1 partition, index 0, then the error code
    expect(new DataView(r.answers[2]!.buffer, r.answers[2]!.byteOffset).getInt16(4 + 4 + 4 + 2 + 6 + 4 + 4)).toBe(2);
    expect(await topicRecords("victim")).toEqual([]);
  }, 30_000);

  it("a text message closes with 1003", async () => {
    const r = await exchange(["hello"]);
    expect(r).toEqual({ answers: [], closeCode: 1003 });
  }, 30_000);

  it("frames split across and joined within WebSocket messages are served in order", async () => {
    const both = new Uint8Array([...request(18, 0, 21), ...request(18, 1, 22)]);
    const r = await exchange([both.slice(0, 7), both.slice(7, 30), both.slice(30)], { answers: 2 });
    expect(r.answers.map(correlationOf)).toEqual([21, 22]);
  }, 30_000);
});

/** The headers of the server's 101 to an upgrade of /kafka that offers `extensions`. */
function upgradeHeaders(extensions: string): Promise<IncomingHttpHeaders> {
  const headers = {
    connection: "Upgrade",
    upgrade: "websocket",
    "sec-websocket-version": "13",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-extensions": extensions,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}/kafka`, { headers, timeout: 10_000 });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.headers);
    });
    req.on("response", (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on("timeout", () => req.destroy(new Error("no answer to the upgrade")));
    req.on("error", reject);
    req.end();
  });
}

describe("the handshake agrees on no WebSocket extension (Kafka batches carry their own compression)", () => {
  it("an upgrade offering permessage-deflate is answered 101 without Sec-WebSocket-Extensions", async () => {
    for (const offer of ["permessage-deflate; client_max_window_bits", "permessage-deflate"]) {
      const headers = await upgradeHeaders(offer);
      expect(headers["sec-websocket-accept"]).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
      expect(headers["sec-websocket-extensions"]).toBeUndefined();
    }
  }, 30_000);

  it("Node's WebSocket (which offers permessage-deflate) connects with no extension and is served", async () => {
    const ws = new WebSocket(server.url.replace(/^http/, "ws") + "/kafka");
    ws.binaryType = "arraybuffer";
    const answer = new Promise<Uint8Array>((resolve) => ws.addEventListener("message", (e) => resolve(new Uint8Array(e.data as ArrayBuffer))));
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error("websocket error")));
    });
    expect(ws.extensions).toBe("");
    ws.send(request(18, 0, 31));
    expect(correlationOf(await answer)).toBe(31);
    ws.close();
  }, 30_000);
});
