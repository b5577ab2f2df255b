/**
 * Typed client for the Flarelog HTTP API (API.md), used by tests, benchmarks and tools, and the
 * entry point to the producer (`producer()`) and the assigned-partition consumer (`consumer()`).
 * Works in Node and in Workers: it takes any `fetch`-compatible function, so tests can pass
 * `exports.default.fetch` and talk to the Worker in-process. No Node-only imports.
 *
 * Non-2xx answers are returned as `{ status, error }` values, never thrown, so callers can
 * assert on the contract's error body; a failed connection rejects (the `fetch` error).
 * See docs/client.md.
 */
import type { ErrorBody } from "../protocol/errors.ts";
import type { TopicDescription } from "../protocol/wire.ts";
import { Consumer, type ConsumerConfig } from "./consumer.ts";
import { Producer } from "./producer.ts";
import type { ProducerConfig } from "./producer-config.ts";

export type { PartitionDescription, TopicDescription } from "../protocol/wire.ts";

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface ClientRecord {
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string | null>;
  partition?: number;
  timestamp?: number;
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export interface RecordOffset {
  partition: number;
  offset?: number;
  timestamp?: number;
  error_code?: number;
  error?: string;
}

export interface FetchResponse {
  records: FetchedRecord[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; status: number; error: ErrorBody };

export interface ClientOptions {
  baseUrl: string;
  token: string;
  fetch?: FetchFn;
}

/** The idempotent produce fields of API.md (partition-level produce only). */
export interface ProducerFields {
  producer_id: number;
  producer_epoch: number;
  base_sequence: number;
}

/** `POST /v1/producers` bodies: a new id, a transactional id's next epoch, or a KIP-360 epoch bump. */
export type InitProducerIdBody = Record<string, never> | { transactional_id: string } | { producer_id: number; producer_epoch: number };

export interface ProducerIdAndEpoch {
  producer_id: number;
  producer_epoch: number;
}

type Query = Record<string, string | number | undefined>;

export class FlarelogClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: FetchFn;

  constructor(opts: ClientOptions) {
    this.#base = opts.baseUrl.replace(/\/$/, "");
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Low-level call: any method, path and body; used by tests that send malformed input. */
  async request<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: BodyInit | object; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<ApiResult<T>> {
    const url = new URL(this.#base + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, ...opts.headers };
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      const raw = typeof opts.body === "string" || opts.body instanceof Uint8Array || opts.body instanceof ReadableStream;
      body = raw ? (opts.body as BodyInit) : JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await this.#fetch(url.toString(), {
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

  fetchRecords(
    topic: string,
    partition: number,
    query: { offset?: number | string; max_records?: number; max_bytes?: number; wait_ms?: number; encoding?: string } = {},
    opts: { signal?: AbortSignal } = {},
  ) {
    return this.request<FetchResponse>("GET", `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records`, { query, ...opts });
  }

  listOffsets(topic: string, partition: number, timestamp: number | "earliest" | "latest") {
    return this.request<{ offset: number; timestamp: number | null }>(
      "GET",
      `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/offsets`,
      { query: { timestamp } },
    );
  }
}
