/**
 * Typed client for the Flarelog HTTP API (API.md), used by tests, benchmarks and tools, and the
 * entry point to the producer (`producer()`), the assigned-partition consumer (`consumer()`) and
 * the group consumer (`groupConsumer()`).
 * Works in Node and in Workers: it takes any `fetch`-compatible function, so tests can pass
 * `exports.default.fetch` and talk to the Worker in-process. No Node-only imports.
 *
 * Non-2xx answers are returned as `{ status, error }` values, never thrown, so callers can
 * assert on the contract's error body; a failed connection rejects (the `fetch` error).
 * See docs/client.md.
 */
import type { LogRecord } from "../protocol/types.ts";
import { FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from "../protocol/wire.ts";
import type {
  BatchProduceResponse,
  CommitOffsetsBody,
  CreatedKey,
  CreateKeyBody,
  ErrorBody,
  FetchedRecord,
  FetchResponse,
  GroupDescription,
  GroupListing,
  GroupOffset,
  GroupPollResponse,
  HeartbeatBody,
  JoinGroupBody,
  KeyList,
  MemberAssignment,
  ProduceRecord,
  ProducerIdAndEpoch,
  Quotas,
  RecordOffset,
  ResetOffsetsBody,
  Tenant,
  TenantList,
  TopicDescription,
  TopicPartitionOffset,
} from "../contract/types.ts";
import { BatchBuilder, decodeBatches, decodeFrames } from "../codec/record-batch.ts";
import { Consumer, type ConsumerConfig } from "./consumer.ts";
import { GroupConsumer, type GroupConsumerConfig } from "./group-consumer.ts";
import { Producer } from "./producer.ts";
import type { ProducerConfig } from "./producer-config.ts";

export type {
  Acl,
  ApiKey,
  CreatedKey,
  CreateKeyBody,
  KeyList,
  Quotas,
  Tenant,
  TenantList,
  FetchedRecord,
  FetchResponse,
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupOffset,
  GroupPollResponse,
  GroupRecord,
  GroupStateName,
  HeartbeatBody,
  JoinGroupBody,
  MemberAssignment,
  OffsetResetTarget,
  PartitionDescription,
  RecordOffset,
  ResetOffsetsBody,
  TopicDescription,
  TopicPartitionList,
  TopicPartitionOffset,
  CommitOffsetsBody,
  ProducerIdAndEpoch,
} from "../contract/types.ts";
/** A record to produce, as the JSON body carries it (the contract's ProduceRecord). */
export type ClientRecord = ProduceRecord;

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ErrorBody };

export interface ClientOptions {
  baseUrl: string;
  token: string;
  fetch?: FetchFn;
}

export interface ProducerFields {
  producer_id: number;
  producer_epoch: number;
  base_sequence: number;
}

export type InitProducerIdBody = Record<string, never> | { transactional_id: string } | { producer_id: number; producer_epoch: number };

export interface GroupPollQuery {
  max_records?: number;
  max_bytes?: number;
  wait_ms?: number;
  auto_commit?: boolean;
  /** When given and stale, the poll is refused with FENCED_MEMBER_EPOCH (110). */
  member_epoch?: number;
  /**
   * The `cursor` of the last poll answer received (0 before the first). It acknowledges that
   * answer's records; another cursor (an answer was lost) reads the unacknowledged ones again.
   * Omitted: the previous answer counts as received.
   */
  cursor?: number;
  encoding?: "utf8" | "base64";
}

type Query = Record<string, string | number | boolean | undefined>;

export class FlarelogClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: FetchFn;

  constructor(opts: ClientOptions) {
    this.#base = opts.baseUrl.replace(/\/$/, "");
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  #url(path: string, query: Query = {}): string {
    const url = new URL(this.#base + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Low-level call: any method, path and body; used by tests that send malformed input. */
  async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: BodyInit | object; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<ApiResult<T>> {
    const url = this.#url(path, opts.query);
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, ...opts.headers };
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      const raw = typeof opts.body === "string" || opts.body instanceof Uint8Array || opts.body instanceof ReadableStream;
      body = raw ? (opts.body as BodyInit) : JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await this.#fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : null;
    return res.ok ? { ok: true, status: res.status, body: parsed as T } : { ok: false, status: res.status, error: parsed as ErrorBody };
  }

  createTopic(name: string, opts: { partitions?: number; replication_factor?: number; configs?: Record<string, string> } = {}) {
    return this.request<TopicDescription>("POST", "/v1/topics", { body: { name, ...opts } });
  }

  listTopics() {
    return this.request<{ topics: TopicDescription[] }>("GET", "/v1/topics");
  }

  describeTopic(name: string, opts: { signal?: AbortSignal } = {}) {
    return this.request<TopicDescription>("GET", `/v1/topics/${encodeURIComponent(name)}`, opts);
  }

  alterTopic(name: string, body: { partitions?: number; configs?: Record<string, string> }) {
    return this.request<TopicDescription>("PATCH", `/v1/topics/${encodeURIComponent(name)}`, { body });
  }

  deleteTopic(name: string) {
    return this.request<null>("DELETE", `/v1/topics/${encodeURIComponent(name)}`);
  }

  /**
   * One produce request. With `partition` it goes to the partition-level path, where `producer`
   * adds the idempotent fields (a retried batch with the same sequence answers its original offsets).
   */
  produce(
    topic: string,
    records: ClientRecord[],
    opts: {
      acks?: string;
      timeout_ms?: number;
      encoding?: "utf8" | "base64";
      partition?: number;
      producer?: ProducerFields;
      signal?: AbortSignal;
    } = {},
  ) {
    const path =
      opts.partition === undefined
        ? `/v1/topics/${encodeURIComponent(topic)}/records`
        : `/v1/topics/${encodeURIComponent(topic)}/partitions/${opts.partition}/records`;
    return this.request<{ offsets: RecordOffset[] }>("POST", path, {
      query: { acks: opts.acks, timeout_ms: opts.timeout_ms },
      body: { records, ...(opts.encoding ? { encoding: opts.encoding } : {}), ...opts.producer },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** `POST /v1/producers`: a producer id and epoch (see `InitProducerIdBody`). */
  initProducerId(body: InitProducerIdBody = {}, opts: { signal?: AbortSignal } = {}) {
    return this.request<ProducerIdAndEpoch>("POST", "/v1/producers", { body, ...opts });
  }

  /** A batching producer, idempotent by default (docs/client.md lists the configs). */
  producer(config: ProducerConfig = {}): Producer {
    return new Producer(this, config);
  }

  /** A consumer of assigned partitions with its own positions (no group yet). */
  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this, config);
  }

  /** A consumer-group member (Kafka's KafkaConsumer with `subscribe`); docs/client.md "Consumer groups". */
  groupConsumer(config: GroupConsumerConfig): GroupConsumer {
    return new GroupConsumer(this, config);
  }

  /** `POST /v1/groups/{group}/members`: a new member (or, naming a current `member_id`, that one again), its epoch, heartbeat interval and assignment. */
  joinGroup(group: string, body: JoinGroupBody, opts: { signal?: AbortSignal } = {}) {
    return this.request<MemberAssignment>("POST", `${groupPath(group)}/members`, { body, ...opts });
  }

  /** `POST …/members/{member}/heartbeat`; 110/25/82 mean: rejoin, do not commit. */
  heartbeat(group: string, memberId: string, body: HeartbeatBody, opts: { signal?: AbortSignal } = {}) {
    return this.request<MemberAssignment>("POST", `${groupPath(group)}/members/${encodeURIComponent(memberId)}/heartbeat`, { body, ...opts });
  }

  /** `DELETE …/members/{member}`: leave; the member's partitions are free at once. */
  leaveGroup(group: string, memberId: string, opts: { signal?: AbortSignal } = {}) {
    return this.request<null>("DELETE", `${groupPath(group)}/members/${encodeURIComponent(memberId)}`, opts);
  }

  /** `GET …/members/{member}/records`: records from the member's server-side positions, which move past them once the next poll brings back the answer's `cursor`. */
  pollGroup(group: string, memberId: string, query: GroupPollQuery = {}, opts: { signal?: AbortSignal } = {}) {
    return this.request<GroupPollResponse>("GET", `${groupPath(group)}/members/${encodeURIComponent(memberId)}/records`, {
      query: { ...query },
      ...opts,
    });
  }

  /** `POST /v1/groups/{group}/offsets`: all or nothing; 22 stale epoch or not owned, 25 unknown member. */
  commitOffsets(group: string, body: CommitOffsetsBody, opts: { signal?: AbortSignal } = {}) {
    return this.request<null>("POST", `${groupPath(group)}/offsets`, { body, ...opts });
  }

  /** `GET /v1/groups/{group}/offsets`: committed offsets with lag. */
  fetchOffsets(group: string) {
    return this.request<{ offsets: GroupOffset[] }>("GET", `${groupPath(group)}/offsets`);
  }

  /** `POST /v1/groups/{group}/offsets/reset`: only while the group has no members (else 68). */
  resetOffsets(group: string, body: ResetOffsetsBody) {
    return this.request<{ offsets: TopicPartitionOffset[] }>("POST", `${groupPath(group)}/offsets/reset`, { body });
  }

  listGroups() {
    return this.request<{ groups: GroupListing[] }>("GET", "/v1/groups");
  }

  /** Unknown group → 404 GROUP_ID_NOT_FOUND (69). */
  describeGroup(group: string) {
    return this.request<GroupDescription>("GET", groupPath(group));
  }

  /** 204 when empty; 409 NON_EMPTY_GROUP (68); 404 (69). */
  deleteGroup(group: string) {
    return this.request<null>("DELETE", groupPath(group));
  }

  fetchRecords(
    topic: string,
    partition: number,
    query: { offset?: number | string; max_records?: number; max_bytes?: number; wait_ms?: number; encoding?: string } = {},
    opts: { signal?: AbortSignal } = {},
  ) {
    return this.request<FetchResponse>("GET", `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records`, { query, ...opts });
  }

  /**
   * Binary produce (docs/api.md, Binary record batches): the records encoded once into a record
   * batch in the stored format and sent as `application/vnd.flarelog.record-batch` to one
   * partition, which stores those bytes as they are. Strings are UTF-8; a record without a
   * timestamp gets this call's time (CreateTime). Answers the batch's base offset.
   */
  produceBatch(
    topic: string,
    partition: number,
    records: BatchRecordInput[],
    opts: { acks?: string; timeout_ms?: number; producer?: { producer_id: number; producer_epoch: number; base_sequence: number } } = {},
  ) {
    const builder = new BatchBuilder();
    const now = Date.now();
    for (const r of records)
      builder.add(
        { key: toBytes(r.key), value: toBytes(r.value), headers: Object.entries(r.headers ?? {}).map(([key, v]) => ({ key, value: toBytes(v) })) },
        r.timestamp ?? now,
      );
    return this.request<BatchProduceResponse>("POST", `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records`, {
      query: { acks: opts.acks, timeout_ms: opts.timeout_ms, ...opts.producer },
      body: builder.finish().blob,
      headers: { "content-type": RECORD_BATCH_CONTENT_TYPE },
    });
  }

  /** Binary fetch: the records of the binary frames, keys and values as bytes; the offsets from the answer's headers. */
  async fetchBatch(
    topic: string,
    partition: number,
    query: { offset?: number | string; max_records?: number; max_bytes?: number; wait_ms?: number } = {},
    opts: { signal?: AbortSignal } = {},
  ): Promise<ApiResult<BatchFetchResponse>> {
    const res = await this.#fetch(this.#url(`/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records`, query), {
      headers: { authorization: `Bearer ${this.#token}`, accept: RECORD_BATCH_CONTENT_TYPE },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!res.ok) return { ok: false, status: res.status, error: (await res.json()) as ErrorBody };
    const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
    const header = (name: string) => Number(res.headers.get(name));
    return {
      ok: true,
      status: res.status,
      body: {
        // Views into the answer's body, which this call owns: no copy per key and value.
        records: decodeBatches(frames, { views: true }),
        next_offset: header(FETCH_HEADERS.nextOffset),
        high_watermark: header(FETCH_HEADERS.highWatermark),
        log_start_offset: header(FETCH_HEADERS.logStartOffset),
      },
    };
  }

  // Tenants (root token only) and API keys: docs/api.md "Tenants, API keys and ACLs".

  /** `POST /v1/admin/tenants`; 409 DUPLICATE_RESOURCE (92) when it exists. */
  createTenant(name: string) {
    return this.request<Tenant>("POST", "/v1/admin/tenants", { body: { name } });
  }

  listTenants() {
    return this.request<TenantList>("GET", "/v1/admin/tenants");
  }

  /** Unknown tenant → 404 RESOURCE_NOT_FOUND (91). */
  describeTenant(name: string) {
    return this.request<Tenant>("GET", tenantPath(name));
  }

  /** Deletes the tenant and its keys; 409 POLICY_VIOLATION (44) while it has topics unless `force` (then they are deleted). */
  deleteTenant(name: string, opts: { force?: boolean } = {}) {
    return this.request<null>("DELETE", tenantPath(name), { query: { force: opts.force ? "true" : undefined } });
  }

  /** The tenant's quotas as set (an absent field is the operator's default). */
  getTenantQuotas(name: string) {
    return this.request<Quotas>("GET", `${tenantPath(name)}/quotas`);
  }

  /** Replaces the tenant's quotas (a field left out goes back to the operator's default). */
  setTenantQuotas(name: string, quotas: Quotas) {
    return this.request<Quotas>("PUT", `${tenantPath(name)}/quotas`, { body: quotas });
  }

  /** `POST /v1/keys` with `acls`, or `role` (and `prefix`); the answer's `key` is the only copy of the secret. */
  createKey(body: CreateKeyBody) {
    return this.request<CreatedKey>("POST", "/v1/keys", { body });
  }

  /** The caller's tenant's keys (every tenant's for the root token), never a secret. */
  listKeys() {
    return this.request<KeyList>("GET", "/v1/keys");
  }

  /** Refused everywhere within 10 s, at once in the isolate that revoked it; another tenant's key is 404 (91). */
  revokeKey(keyId: string) {
    return this.request<null>("DELETE", `/v1/keys/${encodeURIComponent(keyId)}`);
  }

  listOffsets(topic: string, partition: number, timestamp: number | "earliest" | "latest") {
    return this.request<{ offset: number; timestamp: number | null }>(
      "GET",
      `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/offsets`,
      { query: { timestamp } },
    );
  }
}

const groupPath = (group: string): string => `/v1/groups/${encodeURIComponent(group)}`;
const tenantPath = (name: string): string => `/v1/admin/tenants/${encodeURIComponent(name)}`;

/** A record for `produceBatch`: bytes, or strings sent as UTF-8. */
export interface BatchRecordInput {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: Record<string, Uint8Array | string | null>;
  timestamp?: number;
}

/** `fetchBatch`'s answer: the JSON fetch's fields, records with bytes. */
export interface BatchFetchResponse {
  records: LogRecord[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

const UTF8 = new TextEncoder();
const toBytes = (v: Uint8Array | string | null | undefined): Uint8Array | null => (v === undefined || v === null ? null : typeof v === "string" ? UTF8.encode(v) : v);
