/**
 * Topic administration: CreateTopics (0–3), DeleteTopics (0–1) and DescribeConfigs (0–2):
 * request decoders and response encoders, field names from Kafka's message schemas in
 * camelCase.
 *
 * Invariant: as messages/core.ts (exact fields per version, Kafka's defaults otherwise).
 * Pure; called through src/codec/kafka/index.ts.
 */
import type { KafkaReader, KafkaWriter } from "../wire.ts";

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}
export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}
export interface CreatableTopic {
  name: string;
  /** -1: the broker's default (with explicit assignments). */
  numPartitions: number;
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}
export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  /** v1+; false before. */
  validateOnly: boolean;
}

function decodeCreatableTopic(r: KafkaReader): CreatableTopic {
  const name = r.string();
  const numPartitions = r.int32();
  const replicationFactor = r.int16();
  const assignments = r.array((r) => ({
    partitionIndex: r.int32(),
    brokerIds: r.array((r) => r.int32()),
  }));
  const configs = r.array((r) => ({ name: r.string(), value: r.nullableString() }));
  return { name, numPartitions, replicationFactor, assignments, configs };
}

export function decodeCreateTopicsRequest(r: KafkaReader, v: number): CreateTopicsRequest {
  const topics = r.array(decodeCreatableTopic);
  const timeoutMs = r.int32();
  return { topics, timeoutMs, validateOnly: v >= 1 ? r.boolean() : false };
}

export interface CreatableTopicResult {
  name: string;
  errorCode: number;
  /** v1+ */
  errorMessage?: string | null;
}
export interface CreateTopicsResponse {
  /** v2+ */
  throttleTimeMs?: number;
  topics: CreatableTopicResult[];
}

export function encodeCreateTopicsResponse(
  w: KafkaWriter,
  v: number,
  b: CreateTopicsResponse,
): void {
  if (v >= 2) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.topics, (w, t) => {
    w.string(t.name).int16(t.errorCode);
    if (v >= 1) w.nullableString(t.errorMessage ?? null);
  });
}

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export function decodeDeleteTopicsRequest(r: KafkaReader): DeleteTopicsRequest {
  const topicNames = r.array((r) => r.string());
  return { topicNames, timeoutMs: r.int32() };
}

export interface DeletableTopicResult {
  name: string;
  errorCode: number;
}
export interface DeleteTopicsResponse {
  /** v1+ */
  throttleTimeMs?: number;
  responses: DeletableTopicResult[];
}

export function encodeDeleteTopicsResponse(
  w: KafkaWriter,
  v: number,
  b: DeleteTopicsResponse,
): void {
  if (v >= 1) w.int32(b.throttleTimeMs ?? 0);
  w.array(b.responses, (w, t) => w.string(t.name).int16(t.errorCode));
}

/** Kafka's ConfigResource.Type: 2 topic, 4 broker, 8 broker logger. */
export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  /** null: every config. */
  configurationKeys: string[] | null;
}
export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  /** v1+; false before. */
  includeSynonyms: boolean;
}

export function decodeDescribeConfigsRequest(r: KafkaReader, v: number): DescribeConfigsRequest {
  const resources = r.array((r) => ({
    resourceType: r.int8(),
    resourceName: r.string(),
    configurationKeys: r.nullableArray((r) => r.string()),
  }));
  return { resources, includeSynonyms: v >= 1 ? r.boolean() : false };
}

export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}
/** Kafka's ConfigSource: 1 dynamic topic, 4 static broker, 5 default, … */
export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v1+ (v0 writes isDefault = configSource is 5, DEFAULT_CONFIG). */
  configSource: number;
  isSensitive: boolean;
  /** v1+ */
  synonyms?: DescribeConfigsSynonym[];
}
export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}
export interface DescribeConfigsResponse {
  throttleTimeMs?: number;
  results: DescribeConfigsResult[];
}

export const DEFAULT_CONFIG_SOURCE = 5;

function encodeConfig(w: KafkaWriter, v: number, c: DescribeConfigsResourceResult): void {
  w.string(c.name).nullableString(c.value).boolean(c.readOnly);
  if (v === 0) w.boolean(c.configSource === DEFAULT_CONFIG_SOURCE);
  else w.int8(c.configSource);
  w.boolean(c.isSensitive);
  if (v >= 1) {
    w.array(c.synonyms ?? [], (w, s) => w.string(s.name).nullableString(s.value).int8(s.source));
  }
}

export function encodeDescribeConfigsResponse(
  w: KafkaWriter,
  v: number,
  b: DescribeConfigsResponse,
): void {
  w.int32(b.throttleTimeMs ?? 0);
  w.array(b.results, (w, r) => {
    w.int16(r.errorCode).nullableString(r.errorMessage).int8(r.resourceType).string(r.resourceName);
    w.array(r.configs, (w, c) => encodeConfig(w, v, c));
  });
}
