/**
 * The Kafka door's null server for bench/kafka.ts's ablation: kafkajs's own ceiling on this
 * machine, with the server's work taken out. A child process (`node bench/kafka-null-server.ts
 * <catch-up records>`, its own core as workerd has) that speaks Kafka's wire protocol over a
 * WebSocket at /kafka exactly as the door does (kafkaSocketFactory connects to it unmodified,
 * answers are cut into 1 MiB messages), and answers from memory:
 *   Produce   success, offsets counted per partition; the records are not decoded (the request
 *             is decoded by the codec's decodeRequest, which slices the record set out).
 *   Fetch     RecordBatch v2 batches of 1,000 records encoded once at start (the same values as
 *             bench/kafka.ts's catch-up log: produceBodies(1000, 1919, 2)), as many whole
 *             batches from the one holding the fetch offset as the partition's and the request's
 *             max bytes allow (at least one), as Kafka's broker answers; at the end of the log
 *             an empty answer after the request's max wait.
 *   the rest  ApiVersions, SASL PLAIN (any password), Metadata (every topic: one partition),
 *             FindCoordinator, one-member groups (JoinGroup, SyncGroup handing back the leader's
 *             assignment, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch: nothing committed),
 *             ListOffsets (earliest 0, latest the log's end).
 * Prints `{"port":N}` on stdout once listening; ends with its parent's stdin. Not a broker: it
 * stores nothing. The WebSocket server is the minimum RFC 6455 (masked client frames in,
 * unmasked binary frames out, ping, close), so the bench needs no package of its own.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import {
  ApiKey,
  apiVersionsUnsupportedResponse,
  concatBytes,
  decodeRequest,
  encodeRecordBatch,
  encodeResponse,
  FrameSplitter,
  frameSizePrefixed,
  supportedApiVersions,
  type DecodedRequestOf,
  type DecodedRequestOk,
} from "../src/codec/kafka/index.ts";
import { produceBodies } from "./http.ts";

const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_MESSAGE_BYTES = 1024 * 1024;
const LOG_BATCH = 1000;

/** The catch-up log as Kafka batches of 1,000 records (the fill's batches), offsets from 0. */
function logBatches(records: number): Uint8Array[] {
  const utf8 = new TextEncoder();
  const bodies = produceBodies(LOG_BATCH, 1919, 2).map((b) => (JSON.parse(b) as { records: { value: string }[] }).records);
  const now = Date.now();
  const batches: Uint8Array[] = [];
  for (let base = 0; base < records; base += LOG_BATCH) {
    const values = bodies[(base / LOG_BATCH) % 2]!.slice(0, Math.min(LOG_BATCH, records - base));
    batches.push(
      encodeRecordBatch({
        baseOffset: base,
        baseTimestamp: now,
        records: values.map((r, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: utf8.encode(r.value), headers: [] })),
      }),
    );
  }
  return batches;
}

const logRecords = Number(process.argv[2] ?? 20_000);
const log = logBatches(logRecords);
const produced = new Map<string, number>();

function fetchAnswer(d: DecodedRequestOf<typeof ApiKey.Fetch>): Uint8Array {
  let budget = d.body.maxBytes;
  const responses = d.body.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const parts: Uint8Array[] = [];
      let bytes = 0;
      const limit = Math.min(p.partitionMaxBytes, budget);
      for (let i = Math.floor(p.fetchOffset / LOG_BATCH); i < log.length; i++) {
        const b = log[i]!;
        if (parts.length > 0 && bytes + b.length > limit) break;
        parts.push(b);
        bytes += b.length;
      }
      budget = Math.max(0, budget - bytes);
      return { partitionIndex: p.partition, errorCode: 0, highWatermark: logRecords, logStartOffset: 0, records: concatBytes(parts) };
    }),
  }));
  return encodeResponse(d.header, { responses });
}

function produceAnswer(d: DecodedRequestOf<typeof ApiKey.Produce>): Uint8Array | null {
  const responses = d.body.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => {
      const key = `${t.name}/${p.index}`;
      const baseOffset = produced.get(key) ?? 0;
      // Every bench batch is one Kafka batch; its record count is at byte 57 of the batch.
      const records = p.records;
      const count = records !== null && records.length >= 61 ? new DataView(records.buffer, records.byteOffset).getInt32(57) : 0;
      produced.set(key, baseOffset + count);
      return { index: p.index, errorCode: 0, baseOffset };
    }),
  }));
  return d.body.acks === 0 ? null : encodeResponse(d.header, { responses });
}

function answer(d: DecodedRequestOk): Uint8Array | null | Promise<Uint8Array> {
  const me = { nodeId: 0, host: "127.0.0.1", port: 9092 };
  switch (d.apiKey) {
    case ApiKey.ApiVersions:
      return encodeResponse(d.header, { errorCode: 0, apiKeys: supportedApiVersions() });
    case ApiKey.SaslHandshake:
      return encodeResponse(d.header, { errorCode: 0, mechanisms: ["PLAIN"] });
    case ApiKey.SaslAuthenticate:
      return encodeResponse(d.header, { errorCode: 0, errorMessage: null, authBytes: new Uint8Array(), sessionLifetimeMs: 0 });
    case ApiKey.Metadata: {
      const names = (d.body.topics ?? []).map((t) => t.name);
      const partitions = [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0] }];
      return encodeResponse(d.header, { brokers: [me], clusterId: "null", controllerId: 0, topics: names.map((name) => ({ errorCode: 0, name, partitions })) });
    }
    case ApiKey.FindCoordinator:
      return encodeResponse(d.header, { errorCode: 0, errorMessage: null, ...me });
    case ApiKey.JoinGroup: {
      const memberId = d.body.memberId || "member-1";
      const protocol = d.body.protocols[0]!;
      const members = [{ memberId, groupInstanceId: null, metadata: protocol.metadata }];
      return encodeResponse(d.header, { errorCode: 0, generationId: 1, protocolName: protocol.name, leader: memberId, memberId, members });
    }
    case ApiKey.SyncGroup: {
      const mine = d.body.assignments.find((a) => a.memberId === d.body.memberId);
      return encodeResponse(d.header, { errorCode: 0, assignment: mine?.assignment ?? new Uint8Array() });
    }
    case ApiKey.Heartbeat:
      return encodeResponse(d.header, { errorCode: 0 });
    case ApiKey.LeaveGroup:
      return encodeResponse(d.header, { errorCode: 0, members: [] });
    case ApiKey.OffsetCommit:
      return encodeResponse(d.header, {
        topics: d.body.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
      });
    case ApiKey.OffsetFetch:
      return encodeResponse(d.header, {
        errorCode: 0,
        topics: (d.body.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, metadata: null, errorCode: 0 })),
        })),
      });
    case ApiKey.ListOffsets:
      return encodeResponse(d.header, {
        topics: d.body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: p.timestamp === -2 ? 0 : (produced.get(`${t.name}/${p.partitionIndex}`) ?? logRecords) })),
        })),
      });
    case ApiKey.Produce:
      return produceAnswer(d);
    case ApiKey.Fetch: {
      const atEnd = d.body.topics.every((t) => t.partitions.every((p) => p.fetchOffset >= logRecords));
      if (!atEnd) return fetchAnswer(d);
      return new Promise((resolve) => setTimeout(() => resolve(fetchAnswer(d)), Math.min(d.body.maxWaitMs, 1000)));
    }
    default:
      throw new Error(`null server: no answer for API ${d.apiKey}`);
  }
}

/** One binary WebSocket frame, unmasked (server to client). */
function wsFrame(opcode: number, payload: Uint8Array): Uint8Array[] {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126 && n < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else if (n >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return [head, payload];
}

function serve(socket: Duplex): void {
  const splitter = new FrameSplitter(16 * 1024 * 1024);
  let pending: Buffer = Buffer.alloc(0);
  let queue: Promise<void> = Promise.resolve();
  const send = (bytes: Uint8Array) => {
    socket.cork();
    for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) for (const part of wsFrame(2, bytes.subarray(at, at + MAX_MESSAGE_BYTES))) socket.write(part);
    socket.uncork();
  };
  const handle = (payload: Uint8Array) => {
    queue = queue.then(async () => {
      const d = decodeRequest(payload);
      if (!d.ok) {
        if (d.header?.apiKey === ApiKey.ApiVersions && d.reason === "unsupported_version") return send(frameSizePrefixed(apiVersionsUnsupportedResponse(d.header.correlationId)));
        return void socket.destroy();
      }
      const a = await answer(d);
      if (a !== null) send(frameSizePrefixed(a));
    });
  };
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 2) return;
      const opcode = pending[0]! & 0x0f;
      let len = pending[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (pending.length < 4) return;
        len = pending.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (pending.length < 10) return;
        len = Number(pending.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (pending[1]! & 0x80) !== 0;
      if (pending.length < at + (masked ? 4 : 0) + len) return;
      const mask = masked ? pending.subarray(at, at + 4) : null;
      if (masked) at += 4;
      const payload = Buffer.from(pending.subarray(at, at + len));
      if (mask !== null) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      pending = pending.subarray(at + len);
      if (opcode === 0x8) {
        for (const part of wsFrame(0x8, payload.subarray(0, 2))) socket.write(part);
        return void socket.end();
      }
      if (opcode === 0x9) for (const part of wsFrame(0xa, payload)) socket.write(part);
      else if (opcode === 0x0 || opcode === 0x2) {
        if (splitter.push(payload) !== null) return void socket.destroy();
        for (let f = splitter.pop(); f !== null; f = splitter.pop()) handle(f);
      }
    }
  });
  socket.on("error", () => socket.destroy());
}

const server = createServer((_req, res) => res.writeHead(426).end());
server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
  const accept = createHash("sha1").update(`${req.headers["sec-websocket-key"]}${WS_GUID}`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  (socket as Duplex & { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  serve(socket);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
