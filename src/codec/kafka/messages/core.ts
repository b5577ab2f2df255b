/**
 * ApiVersions (0–2), Metadata (0–6), SaslHandshake (0–1) and SaslAuthenticate (0–1):
 * request decoders and response encoders. Field names are those of Kafka's message schemas
 * (clients/src/main/resources/common/message/*.json) in camelCase.
 *
 * Invariant: a decoder reads exactly the fields its version has and gives Kafka's default to
 * the others; an encoder writes exactly the fields of its version (optional fields default to
 * Kafka's default). Pure; called through src/codec/kafka/index.ts.
 */
import { KafkaReader, KafkaWriter } from "../wire.ts";

export interface ApiVersionsRequest {
  /** v3+ only (never decoded here): kept for the shape of Kafka's schema. */
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}
export interface ApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}
export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersion[];
  /** v1+ */
  throttleTimeMs?: number;
}

export const decodeApiVersionsRequest = (): ApiVersionsRequest => ({});

export function encodeApiVersionsResponse(w: KafkaWriter, v: number, b: ApiVersionsResponse): void {
  w.int16(b.errorCode);
  w.array(b.apiKeys, (w, k) => w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion));
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
}

export interface MetadataRequestTopic {
  name: string;
}
export interface MetadataRequest {
  /** null: every topic (v0 sends an empty array for that, decoded as null too). */
  topics: MetadataRequestTopic[] | null;
  /** v4+; true before. */
  allowAutoTopicCreation: boolean;
}

export function decodeMetadataRequest(r: KafkaReader, v: number): MetadataRequest {
  let topics = r.nullableArray((r) => ({ name: r.string() }));
  if (v === 0 && topics !== null && topics.length === 0) topics = null;
  const allowAutoTopicCreation = v >= 4 ? r.boolean() : true;
  return { topics, allowAutoTopicCreation };
}

export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  /** v1+ */
  rack?: string | null;
}
export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
  /** v5+ */
  offlineReplicas?: number[];
}
export interface MetadataResponseTopic {
  errorCode: number;
  name: string;
  /** v1+ */
  isInternal?: boolean;
  partitions: MetadataResponsePartition[];
}
export interface MetadataResponse {
  /** v3+ */
  throttleTimeMs?: number;
  brokers: MetadataResponseBroker[];
  /** v2+ */
  clusterId?: string | null;
  /** v1+ */
  controllerId?: number;
  topics: MetadataResponseTopic[];
}

const int32s = (w: KafkaWriter, xs: readonly number[]): void =>
  void w.array(xs, (w, x) => w.int32(x));

export function encodeMetadataResponse(w: KafkaWriter, v: number, b: MetadataResponse): void {
  if (v >= 3) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.brokers, (w, k) => {
    w.int32(k.nodeId).string(k.host).int32(k.port);
    if (v >= 1) w.nullableString(k.rack ?? null);
  });
  if (v >= 2) w.nullableString(b.clusterId ?? null);
  if (v >= 1) w.int32(b.controllerId ?? -1);
  w.array(b.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name);
    if (v >= 1) w.boolean(t.isInternal ?? false);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      int32s(w, p.replicaNodes);
      int32s(w, p.isrNodes);
      if (v >= 5) int32s(w, p.offlineReplicas ?? []);
    });
  });
}

export interface SaslHandshakeRequest {
  mechanism: string;
}
export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export const decodeSaslHandshakeRequest = (r: KafkaReader): SaslHandshakeRequest => ({
  mechanism: r.string(),
});

export function encodeSaslHandshakeResponse(
  w: KafkaWriter,
  _v: number,
  b: SaslHandshakeResponse,
): void {
  w.int16(b.errorCode).array(b.mechanisms, (w, m) => w.string(m));
}

export interface SaslAuthenticateRequest {
  authBytes: Uint8Array;
}
export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
  /** v1+ */
  sessionLifetimeMs?: number;
}

export const decodeSaslAuthenticateRequest = (r: KafkaReader): SaslAuthenticateRequest => ({
  authBytes: r.bytes(),
});

export function encodeSaslAuthenticateResponse(
  w: KafkaWriter,
  v: number,
  b: SaslAuthenticateResponse,
): void {
  w.int16(b.errorCode).nullableString(b.errorMessage).bytes(b.authBytes);
  if (v >= 1) w.int64(b.sessionLifetimeMs ?? 0);
}
