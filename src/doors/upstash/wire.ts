/**
 * The Upstash Kafka REST wire shapes (what `@upstash/kafka` 1.3.5 sends and reads) to and from
 * the services' types: produce requests (one object or a list), fetch requests, consume
 * subscriptions, commit bodies, topic-partition lists, and the `Message` it reads (`key`,
 * `value` and header values as UTF-8 strings, `headers` a list of `{key, value}`).
 * Pure functions; a bad body stops with INVALID_REQUEST naming the field.
 */
import { z } from "zod";
import type { LogRecord } from "../../protocol/types.ts";
import type { ProduceRecord } from "../../services/produce.ts";
import { invalid } from "./answers.ts";

const int = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const TopicPartition = z.object({ topic: z.string(), partition: int.max(2 ** 31 - 1) });
const TopicPartitionOffset = TopicPartition.extend({ offset: int });
const FetchBody = z.object({
  topic: z.string().optional(),
  partition: int.max(2 ** 31 - 1).optional(),
  offset: int.optional(),
  timeout: int.optional(),
  topicPartitionOffsets: z.array(TopicPartitionOffset).optional(),
});
const ConsumeBody = z.object({ topic: z.string().optional(), topics: z.array(z.string()).optional(), timeout: int.optional() });

export interface ProduceItem {
  topic: string;
  value: string;
  partition?: number;
  timestamp?: number;
  key?: string;
  headers?: { key: string; value: string }[];
}
export type TopicPartition = z.infer<typeof TopicPartition>;
export type TopicPartitionOffset = z.infer<typeof TopicPartitionOffset>;

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  return invalid(`${what}: ${issue.path.join(".") || "body"}: ${issue.message}`);
}

const isUint = (v: unknown, max: number) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0 && v <= max;

/** One produce message checked field by field (a plain loop: this is the produce hot path). */
function produceItem(v: unknown, at: string): ProduceItem {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return invalid(`produce: ${at} must be an object`);
  const o = v as Record<string, unknown>;
  if (typeof o.topic !== "string") invalid(`produce: ${at}.topic must be a string`);
  if (typeof o.value !== "string") invalid(`produce: ${at}.value must be a string`);
  if (o.partition !== undefined && !isUint(o.partition, 2 ** 31 - 1)) invalid(`produce: ${at}.partition must be a partition number`);
  if (o.timestamp !== undefined && !isUint(o.timestamp, Number.MAX_SAFE_INTEGER)) invalid(`produce: ${at}.timestamp must be a time in ms`);
  if (o.key !== undefined && typeof o.key !== "string") invalid(`produce: ${at}.key must be a string`);
  if (o.headers !== undefined) {
    const ok = Array.isArray(o.headers) && o.headers.every((h: unknown) => typeof (h as Header)?.key === "string" && typeof (h as Header)?.value === "string");
    if (!ok) invalid(`produce: ${at}.headers must be a list of {key, value} strings`);
  }
  return o as unknown as ProduceItem;
}
type Header = { key: string; value: string };

/** `POST /produce`: one message or a list of them (1 or more). */
export function produceItems(body: unknown): ProduceItem[] {
  if (!Array.isArray(body)) return [produceItem(body, "body")];
  if (body.length === 0) invalid("produce: the list of messages is empty");
  return body.map((v, i) => produceItem(v, `[${i}]`));
}

const utf8 = new TextEncoder();

export function recordOf(item: ProduceItem): ProduceRecord {
  return {
    key: item.key === undefined ? null : utf8.encode(item.key),
    value: utf8.encode(item.value),
    headers: (item.headers ?? []).map((h) => ({ key: h.key, value: utf8.encode(h.value) })),
    ...(item.timestamp === undefined ? {} : { timestamp: item.timestamp }),
    partition: item.partition,
  };
}

/** `POST /fetch`: the reads it asks for (one triple, a list, or both) and its wait. */
export function fetchReads(body: unknown): { reads: TopicPartitionOffset[]; timeoutMs: number | undefined } {
  const b = parse(FetchBody, body, "fetch");
  const reads = [...(b.topicPartitionOffsets ?? [])];
  if (b.topic !== undefined) {
    if (b.partition === undefined || b.offset === undefined) invalid("fetch: topic needs partition and offset");
    reads.push({ topic: b.topic, partition: b.partition!, offset: b.offset! });
  }
  if (reads.length === 0) invalid("fetch: give topic, partition and offset, or topicPartitionOffsets");
  return { reads, timeoutMs: b.timeout };
}

export function consumeTopics(body: unknown): { topics: string[]; timeoutMs: number | undefined } {
  const b = parse(ConsumeBody, body, "consume");
  const topics = b.topics ?? (b.topic === undefined ? [] : [b.topic]);
  if (topics.length === 0) invalid("consume: give topic or topics");
  return { topics, timeoutMs: b.timeout };
}

/** `POST /commit`: no body (what was consumed), one offset or a list. */
export function commitOffsetsOf(body: unknown): TopicPartitionOffset[] | null {
  if (body === undefined || body === null) return null;
  const o = parse(z.union([TopicPartitionOffset, z.array(TopicPartitionOffset)]), body, "commit");
  return Array.isArray(o) ? o : [o];
}

export function topicPartitions(body: unknown, what: string): TopicPartition[] {
  return parse(z.array(TopicPartition), body ?? [], what);
}

const utf8Decoder = new TextDecoder();
const text = (b: Uint8Array | null) => (b === null ? "" : utf8Decoder.decode(b));

/** Upstash's `Message`. */
export function messageOf(topic: string, partition: number, r: LogRecord) {
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: text(r.key),
    value: text(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  };
}
