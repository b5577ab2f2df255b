/**
 * Test-only: a one-node, in-memory Kafka broker over TCP built on src/codec/kafka alone, so a
 * real librdkafka client (Debian's kcat) can exercise the codec: ApiVersions (with Kafka's v0
 * answer to v3), Metadata, InitProducerId, Produce (every batch decoded, compressed or not),
 * ListOffsets and Fetch (records re-encoded as one RecordBatch v2), and one-member consumer
 * groups (FindCoordinator, JoinGroup, SyncGroup handing back the leader's own assignment,
 * Heartbeat, OffsetCommit, OffsetFetch, LeaveGroup); SASL PLAIN when `password` is given
 * (SaslHandshake, SaslAuthenticate; not enforced per request); CreateTopics, DeleteTopics and
 * DescribeConfigs (every config default) over the in-memory topic list.
 * Not the Kafka door: it only proves the bytes.
 */
import { createServer, type Server, type Socket } from "node:net";
import {
  ApiKey,
  apiVersionsUnsupportedResponse,
  decodeRecordBatches,
  decodeRequest,
  encodeRecordBatch,
  encodeResponse,
  FrameSplitter,
  parseSaslPlain,
  frameSizePrefixed,
  supportedApiVersions,
  type DecodedRequestOf,
  type DecodedRequestOk,
  type KafkaRecordBatch,
  type KafkaRecordInput,
} from "../../src/codec/kafka/index.ts";

export interface StoredRecord extends KafkaRecordInput {
  timestamp: number;
}

export interface MiniBroker {
  port: number;
  /** Records per "topic/partition", in offset order. */
  logs: Map<string, StoredRecord[]>;
  /** Every batch produced, as decoded (to check compression and producer fields). */
  produced: KafkaRecordBatch[];
  /** `apiKey vN` of every request, in arrival order. */
  requests: string[];
  /** Committed offsets per "group/topic/partition". */
  committed: Map<string, number>;
  close(): Promise<void>;
}

export async function startMiniBroker(topics: Record<string, number>, password?: string): Promise<MiniBroker> {
  const logs = new Map<string, StoredRecord[]>();
  for (const [t, n] of Object.entries(topics)) for (let p = 0; p < n; p++) logs.set(`${t}/${p}`, []);
  const broker: State = { port: 0, logs, produced: [], requests: [], committed: new Map(), password };
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    const splitter = new FrameSplitter(1 << 20);
    sock.on("data", (chunk) => {
      if (splitter.push(new Uint8Array(chunk)) !== null) return void sock.destroy();
      try {
        for (let f = splitter.pop(); f !== null; f = splitter.pop()) {
          const answer = handle(broker, topics, f);
          if (answer !== null) sock.write(frameSizePrefixed(answer));
        }
      } catch (e) {
        broker.requests.push(`error: ${(e as Error).message}`);
        sock.destroy();
      }
    });
    sock.on("error", () => sockets.delete(sock));
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  broker.port = (server.address() as { port: number }).port;
  const close = (): Promise<void> => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return { ...broker, close, get port() { return broker.port; } };
}

type State = {
  port: number;
  logs: Map<string, StoredRecord[]>;
  produced: KafkaRecordBatch[];
  requests: string[];
  committed: Map<string, number>;
  password: string | undefined;
};

function handle(b: State, topics: Record<string, number>, frame: Uint8Array): Uint8Array | null {
  const d = decodeRequest(frame);
  if (!d.ok) {
    b.requests.push(`${d.header?.apiKey} v${d.header?.apiVersion} ${d.reason}`);
    if (d.reason === "unsupported_version" && d.header?.apiKey === ApiKey.ApiVersions) {
      return apiVersionsUnsupportedResponse(d.header.correlationId);
    }
    throw new Error(`mini broker: ${d.reason}: ${d.message}`);
  }
  b.requests.push(`${d.apiKey} v${d.header.apiVersion}`);
  return answer(b, topics, d);
}

function answer(b: State, topics: Record<string, number>, d: DecodedRequestOk): Uint8Array | null {
  switch (d.apiKey) {
    case ApiKey.ApiVersions:
      return encodeResponse(d.header, { errorCode: 0, apiKeys: supportedApiVersions() });
    case ApiKey.Metadata: {
      const names = d.body.topics === null ? Object.keys(topics) : d.body.topics.map((t) => t.name);
      const partitions = (n: number) => Array.from({ length: n }, (_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 0, replicaNodes: [0], isrNodes: [0] }));
      return encodeResponse(d.header, {
        brokers: [{ nodeId: 0, host: "127.0.0.1", port: b.port }],
        clusterId: "mini",
        controllerId: 0,
        topics: names.map((name) => ({ errorCode: topics[name] === undefined ? 3 : 0, name, partitions: partitions(topics[name] ?? 0) })),
      });
    }
    case ApiKey.InitProducerId:
      return encodeResponse(d.header, { errorCode: 0, producerId: 1000, producerEpoch: 0 });
    case ApiKey.Produce:
      return produce(b, d);
    case ApiKey.ListOffsets:
      return encodeResponse(d.header, {
        topics: d.body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            const log = b.logs.get(`${t.name}/${p.partitionIndex}`) ?? [];
            return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: p.timestamp === -2 ? 0 : log.length };
          }),
        })),
      });
    case ApiKey.Fetch:
      return fetch(b, d);
    default:
      return group(b, topics, d);
  }
}

/** One member per group: it is the leader, and SyncGroup hands back its own assignment. */
function group(b: State, topics: Record<string, number>, d: DecodedRequestOk): Uint8Array {
  const me = { nodeId: 0, host: "127.0.0.1", port: b.port };
  switch (d.apiKey) {
    case ApiKey.FindCoordinator:
      return encodeResponse(d.header, { errorCode: 0, errorMessage: null, ...me });
    case ApiKey.SaslHandshake:
      return encodeResponse(d.header, { errorCode: d.body.mechanism === "PLAIN" ? 0 : 33, mechanisms: ["PLAIN"] });
    case ApiKey.SaslAuthenticate: {
      const creds = parseSaslPlain(d.body.authBytes);
      const ok = creds !== null && creds.password === b.password;
      const errorMessage = ok ? null : "Authentication failed: invalid credentials";
      return encodeResponse(d.header, { errorCode: ok ? 0 : 58, errorMessage, authBytes: new Uint8Array(), sessionLifetimeMs: 0 });
    }
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
        topics: d.body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => {
            b.committed.set(`${d.body.groupId}/${t.name}/${p.partitionIndex}`, p.committedOffset);
            return { partitionIndex: p.partitionIndex, errorCode: 0 };
          }),
        })),
      });
    case ApiKey.OffsetFetch:
      return encodeResponse(d.header, {
        errorCode: 0,
        topics: (d.body.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            const committedOffset = b.committed.get(`${d.body.groupId}/${t.name}/${partitionIndex}`) ?? -1;
            return { partitionIndex, committedOffset, metadata: null, errorCode: 0 };
          }),
        })),
      });
    default:
      return admin(b, topics, d);
  }
}

function admin(b: State, topics: Record<string, number>, d: DecodedRequestOk): Uint8Array {
  switch (d.apiKey) {
    case ApiKey.CreateTopics:
      return encodeResponse(d.header, {
        topics: d.body.topics.map((t) => {
          if (topics[t.name] !== undefined) return { name: t.name, errorCode: 36, errorMessage: "exists" };
          topics[t.name] = t.numPartitions > 0 ? t.numPartitions : 1;
          for (let p = 0; p < topics[t.name]!; p++) b.logs.set(`${t.name}/${p}`, []);
          return { name: t.name, errorCode: 0, errorMessage: null };
        }),
      });
    case ApiKey.DeleteTopics:
      return encodeResponse(d.header, {
        responses: d.body.topicNames.map((name) => {
          const known = topics[name] !== undefined;
          delete topics[name];
          return { name, errorCode: known ? 0 : 3 };
        }),
      });
    case ApiKey.DescribeConfigs:
      return encodeResponse(d.header, {
        results: d.body.resources.map((r) => ({
          errorCode: 0,
          errorMessage: null,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [{ name: "retention.ms", value: "604800000", readOnly: false, configSource: 5, isSensitive: false }],
        })),
      });
    default:
      throw new Error(`mini broker: no handler for API ${d.apiKey}`);
  }
}

function produce(b: State, d: DecodedRequestOf<typeof ApiKey.Produce>): Uint8Array | null {
  const responses = d.body.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => {
      const log = b.logs.get(`${t.name}/${p.index}`)!;
      const baseOffset = log.length;
      for (const batch of decodeRecordBatches(p.records ?? new Uint8Array())) {
        b.produced.push(batch);
        for (const r of batch.records) log.push({ ...r, offsetDelta: 0, timestamp: batch.baseTimestamp + r.timestampDelta });
      }
      return { index: p.index, errorCode: 0, baseOffset };
    }),
  }));
  return d.body.acks === 0 ? null : encodeResponse(d.header, { responses });
}

function fetch(b: State, d: DecodedRequestOf<typeof ApiKey.Fetch>): Uint8Array {
  const responses = d.body.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const log = b.logs.get(`${t.topic}/${p.partition}`) ?? [];
      const from = log.slice(p.fetchOffset);
      const base = from[0]?.timestamp ?? 0;
      const records = from.length === 0 ? null : encodeRecordBatch({
        baseOffset: p.fetchOffset,
        partitionLeaderEpoch: 0,
        baseTimestamp: base,
        records: from.map((r, i) => ({ ...r, offsetDelta: i, timestampDelta: r.timestamp - base })),
      });
      return { partitionIndex: p.partition, errorCode: 0, highWatermark: log.length, logStartOffset: 0, records };
    }),
  }));
  return encodeResponse(d.header, { responses });
}
