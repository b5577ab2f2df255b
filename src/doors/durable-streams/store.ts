/**
 * Streams over the services: a stream is a topic of one partition (names.ts), its metadata the
 * topic's `ds.` configs (meta.ts). Positions count records across a fork chain: a fork starts at
 * its fork offset and its own topic's record k is position `forkOffset + k`; a read below the
 * fork offset is served from the source stream's topic (copy-on-write prefix, nothing copied).
 *
 * One append is one or more records (a body over CHUNK_BYTES is cut, every chunk but the last
 * marked with the `ds-more` header), so a message boundary is a record with no `ds-more`; reads
 * answer whole messages only. Each message's offset token is the position after it.
 *
 * Concurrency: a mutation reads the metadata, appends, then writes the metadata it implies;
 * concurrent mutations of one stream can interleave (`serially`). Called by writes.ts,
 * append.ts and reads.ts.
 */
import { LIMITS } from "../../protocol/config.ts";
import type { LogRecord } from "../../protocol/types.ts";
import type { ServiceContext } from "../../services/context.ts";
import { decodeFetched, fetchBatches } from "../../services/fetch.ts";
import { produce } from "../../services/produce.ts";
import { alterTopic, createTopic, deleteTopic, describeTopic } from "../../services/topics.ts";
import { changedConfigs, configsOf, isStream, metaOf, type StreamMeta } from "./meta.ts";
import { topicOf } from "./names.ts";

/** Record size a body is cut into (below max.message.bytes and one stored blob). */
export const CHUNK_BYTES = 256 * 1024;
const MORE = "ds-more";

export class DsAnswer extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(text);
  }
}

export const answer = (status: number, text: string, headers: Record<string, string> = {}): never => {
  throw new DsAnswer(status, text, headers);
};

/** A stream as read now: its topic, metadata and where its own records start and end. */
export interface Loaded {
  topic: string;
  meta: StreamMeta;
  /** Position of the own topic's first record (the fork offset; 0 for a stream that is not a fork). */
  base: number;
  /** Positions below this were dropped by retention. */
  start: number;
  tail: number;
}

export interface Message {
  data: Uint8Array;
  /** The position after the message (its offset token's position). */
  end: number;
}

/**
 * Runs a mutation. Workers forbid one request from awaiting a promise another request made (the
 * runtime cancels it as hung), so mutations of different requests are not chained here: the
 * check-then-write of a producer's sequence or a Stream-Seq is not atomic between concurrent
 * requests (docs/durable-streams.md "Limits").
 */
export function serially<T>(_ctx: ServiceContext, work: () => Promise<T>): Promise<T> {
  return work();
}

export function topicFor(path: string): string {
  return topicOf(path) ?? answer(400, "stream path too long (its topic name would be over 249 characters)");
}

function failed(err: { error: string; message: string; httpStatus?: number }): never {
  const status = err.error === "UNKNOWN_TOPIC_OR_PARTITION" ? 404 : err.error === "TOPIC_AUTHORIZATION_FAILED" ? 403 : 503;
  return answer(status === 503 && err.error === "INVALID_CONFIG" ? 400 : status, `${err.error}: ${err.message}`);
}

/** The stream at `path`, or null if there is none. */
export async function load(ctx: ServiceContext, path: string): Promise<Loaded | null> {
  const topic = topicFor(path);
  const r = await describeTopic(ctx, topic);
  if (!r.ok) return r.err.error === "UNKNOWN_TOPIC_OR_PARTITION" ? null : failed(r.err);
  if (!isStream(r.value.meta.configs)) return null;
  const meta = metaOf(r.value.meta.configs);
  const offsets = r.value.partitions[0]?.offsets;
  if (!offsets) return answer(503, "the stream's partition has no reachable leader; retry");
  const base = meta.forkOffset;
  return { topic, meta, base, start: base + offsets.logStartOffset, tail: base + offsets.highWatermark };
}

export interface CreateSpec {
  meta: StreamMeta;
  replicationFactor: number;
  minInsyncReplicas: number | null;
}

export async function createStream(ctx: ServiceContext, spec: CreateSpec): Promise<"created" | "exists"> {
  const configs = configsOf(spec.meta);
  if (spec.minInsyncReplicas !== null) configs["min.insync.replicas"] = String(spec.minInsyncReplicas);
  const name = topicFor(spec.meta.path);
  const r = await createTopic(ctx, { name, partitions: 1, replicationFactor: spec.replicationFactor, configs });
  if (r.ok) return "created";
  if (r.err.error === "TOPIC_ALREADY_EXISTS") return "exists";
  return answer(r.err.error === "INVALID_REPLICATION_FACTOR" || r.err.error === "INVALID_CONFIG" ? 400 : 503, `${r.err.error}: ${r.err.message}`);
}

/** Writes the metadata that changed from `prev` to `next`. */
export async function saveMeta(ctx: ServiceContext, topic: string, prev: StreamMeta, next: StreamMeta): Promise<void> {
  const configs = changedConfigs(prev, next);
  if (Object.keys(configs).length === 0) return;
  const r = await alterTopic(ctx, topic, { configs });
  if (!r.ok) failed(r.err);
}

export async function dropTopic(ctx: ServiceContext, topic: string): Promise<void> {
  const r = await deleteTopic(ctx, topic);
  if (!r.ok && r.err.error !== "UNKNOWN_TOPIC_OR_PARTITION") failed(r.err);
}

/** Appends the bodies (one message each, in order); answers the position after the last. */
export async function appendMessages(ctx: ServiceContext, s: Loaded, bodies: readonly Uint8Array[]): Promise<number> {
  const records = bodies.flatMap((body) => {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < body.length || chunks.length === 0; at += CHUNK_BYTES) chunks.push(body.subarray(at, at + CHUNK_BYTES));
    return chunks.map((value, i) => ({ key: null, value, headers: i < chunks.length - 1 ? [{ key: MORE, value: null }] : [] }));
  });
  if (records.length === 0) return s.tail;
  const input = { topic: s.topic, partition: 0, records, acks: -1 as const, timeoutMs: LIMITS.defaultProduceTimeoutMs };
  const r = await produce(ctx, input, Date.now());
  if (!r.ok) return failed(r.err);
  if (r.value.accepted) return answer(500, "unexpected acks=0 answer");
  const last = r.value.records[r.value.records.length - 1]!;
  if ("error" in last) return failed(last.error);
  return s.base + last.offset + 1;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
};

/** Whole messages of `s`'s own topic from position `from` (a message boundary), up to `cap`. */
async function readOwn(ctx: ServiceContext, s: Loaded, from: number, cap: number, waitMs: number): Promise<Message[]> {
  const out: Message[] = [];
  let parts: Uint8Array[] = [];
  let offset = from - s.base;
  for (;;) {
    const read = { topic: s.topic, partition: 0, offset, maxRecords: LIMITS.maxFetchRecords, maxBytes: LIMITS.defaultFetchBytes * 4, waitMs };
    const r = await fetchBatches(ctx, read);
    if (!r.ok) return r.err.error === "OFFSET_OUT_OF_RANGE" ? answer(410, "offset before the stream's retained data") : failed(r.err);
    const f = decodeFetched(r.value);
    for (const rec of f.records) {
      if (s.base + rec.offset >= cap) return out;
      parts.push(rec.value ?? new Uint8Array(0));
      if (!more(rec)) (out.push({ data: concat(parts), end: s.base + rec.offset + 1 }), (parts = []));
    }
    offset = f.nextOffset;
    if (parts.length === 0 || f.records.length === 0 || offset >= f.highWatermark) return out;
    waitMs = 0;
  }
}

const more = (rec: LogRecord) => rec.headers.some((h) => h.key === MORE);

/**
 * Whole messages from position `from` up to `cap` (exclusive), across the fork chain: below
 * `s.base` from the source stream (even when the source is soft-deleted), then `s`'s own.
 * `waitMs` long-polls the own topic when nothing is there yet.
 */
export async function readMessages(ctx: ServiceContext, s: Loaded, from: number, waitMs: number, cap = Infinity): Promise<Message[]> {
  const out: Message[] = [];
  if (from < s.base && s.meta.forkOf !== null) {
    const source = await load(ctx, s.meta.forkOf);
    if (source === null) return answer(410, "the fork's source data is gone");
    const limit = Math.min(s.base, cap);
    out.push(...(await readMessages(ctx, source, from, 0, limit)));
    const reached = out.length ? out[out.length - 1]!.end : from;
    if (reached < limit) return out;
    from = s.base;
  }
  if (from >= cap || from >= s.tail + (waitMs > 0 ? 1 : 0)) return out;
  if (from < s.start) return answer(410, "offset before the stream's retained data");
  out.push(...(await readOwn(ctx, s, from, cap, out.length ? 0 : waitMs)));
  return out;
}
