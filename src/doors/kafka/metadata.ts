/**
 * ApiVersions, Metadata and FindCoordinator for the Kafka door. Flarelog is one broker to a
 * Kafka client: node 0, at the address the connection advertises (session.ts), leads every
 * partition and coordinates every group; where a partition's replicas really live is the
 * services' business, as a Kafka client never needs to know it here.
 *
 * Invariants: the ApiVersions answer is built from the codec's SUPPORTED_VERSIONS, so what is
 * advertised is what is decoded; a topic the caller may not describe answers
 * TOPIC_AUTHORIZATION_FAILED in its entry (never its partitions); topics are never created by a
 * Metadata request (allowAutoTopicCreation is refused: UNKNOWN_TOPIC_OR_PARTITION).
 * Called by connection.ts, one request at a time per connection.
 */
import { SUPPORTED_VERSIONS } from "../../codec/kafka/index.ts";
import type { TopicMetadata } from "../../protocol/types.ts";
import { listTopicMetadata, topicMetadata } from "../../services/topic-metadata.ts";
import { BROKER_NODE_ID, CLUSTER_ID, type Session } from "./session.ts";

export function apiVersionsBody(errorCode = 0) {
  const apiKeys = Object.entries(SUPPORTED_VERSIONS)
    .map(([key, r]) => ({ apiKey: Number(key), minVersion: r.min, maxVersion: r.max }))
    .sort((a, b) => a.apiKey - b.apiKey);
  return { errorCode, apiKeys, throttleTimeMs: 0 };
}

const topicEntry = (t: TopicMetadata) => ({
  errorCode: 0,
  name: t.name,
  topicId: t.topicId,
  isInternal: false,
  partitions: t.partitions.map((p) => ({
    errorCode: 0,
    partitionIndex: p.partition,
    leaderId: BROKER_NODE_ID,
    // Unknown to the client: no KIP-320 epoch validation against a broker that has one node.
    leaderEpoch: -1,
    replicaNodes: [BROKER_NODE_ID],
    isrNodes: [BROKER_NODE_ID],
    offlineReplicas: [],
  })),
  topicAuthorizedOperations: -2147483648,
});

export async function metadata(session: Session, body: { topics: { name: string }[] | null }) {
  const ctx = session.ctx;
  let topics;
  if (body.topics === null) {
    const all = await listTopicMetadata(ctx);
    topics = all.ok ? all.value.map(topicEntry) : [];
  } else {
    topics = await Promise.all(
      body.topics.map(async ({ name }) => {
        const r = await topicMetadata(ctx, name);
        if (r.ok) return topicEntry(r.value);
        return { errorCode: r.err.errorCode, name, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
      }),
    );
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: BROKER_NODE_ID, host: session.advertised.host, port: session.advertised.port, rack: null }],
    clusterId: CLUSTER_ID,
    controllerId: BROKER_NODE_ID,
    topics,
    clusterAuthorizedOperations: -2147483648,
  };
}

/** Every group (and transactional id) is coordinated by node 0. */
export function findCoordinator(session: Session, body: { key?: string; coordinatorKeys?: string[] }) {
  const { host, port } = session.advertised;
  const keys = body.coordinatorKeys ?? (body.key === undefined ? [] : [body.key]);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    nodeId: BROKER_NODE_ID,
    host,
    port,
    coordinators: keys.map((key) => ({ key, nodeId: BROKER_NODE_ID, host, port, errorCode: 0, errorMessage: null })),
  };
}
