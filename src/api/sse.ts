/**
 * The native API's live tail, `GET …/partitions/{p}/records?live=sse` (issue 18): records as
 * Server-Sent Events as they pass the high watermark (docs/api.md, "Live tail").
 *
 * Stream format (text/event-stream, UTF-8):
 *   id: <offset>           one event per record; the id is the record's offset
 *   event: record
 *   data: <the record as in the JSON fetch answer>
 *
 *   : heartbeat            a comment when nothing was sent for SSE_HEARTBEAT_MS
 *
 *   id: <next_offset - 1>  the last event, at the end of the lifetime or on an error
 *   event: control
 *   data: {"next_offset": n, "high_watermark": h, "reason": "lifetime"|"error", ...error body}
 * A client resumes with `Last-Event-ID` (the next read starts after it) or `offset=next_offset`:
 * no gap, no repeat. Lifetime: `live_ms`, at most and by default SSE_MAX_LIFETIME_MS.
 *
 * Every refusal (auth, ACL, quota, bad parameter, unknown topic, offset out of range) is the
 * contract's error answer before the stream starts (the first read is a plain fetch). The
 * stream is pull-driven (`ReadableStream.pull`), so a slow client holds one pending event and
 * a disconnect (`cancel`) leaves the tail hub at once. A record's event text is rendered once
 * per encoding and shared by every tailer of the isolate (the hub hands out the same objects).
 * Fetched bytes are charged to the caller's `fetch_bytes_per_s` quota as they are sent; over
 * it, the next event waits the throttle time (Kafka delays a throttled fetch's answer).
 */
import type { Context } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { errorBody, type KafkaError, type Result } from "../protocol/errors.ts";
import type { LogRecord } from "../protocol/types.ts";
import { bucketOf, quotaValue, rateLimiter } from "../services/quotas.ts";
import { openTail } from "../services/tail.ts";
import type { TailRead } from "../services/tail-hub.ts";
import type { AppEnv } from "./env.ts";
import { raise, toKafkaError, unwrap } from "./errors.ts";
import { serviceContext } from "./mount.ts";
import { parseIntParam, parseOffsetParam, type BytesEncoding } from "./params.ts";
import { recordsJson } from "./render.ts";

export const SSE_CONTENT_TYPE = "text/event-stream";
const UTF8 = new TextEncoder();
const HEARTBEAT = UTF8.encode(": heartbeat\n\n");
type Encodings<K extends WeakKey, V> = Record<BytesEncoding, WeakMap<K, V>>;

/** Each record's event text, per encoding: rendered once, shared by every tailer of the isolate. */
const rendered: Encodings<LogRecord, string> = { utf8: new WeakMap(), base64: new WeakMap() };

function recordEvent(rec: LogRecord, encoding: BytesEncoding): string {
  let text = rendered[encoding].get(rec);
  if (text === undefined) {
    const data = JSON.stringify(recordsJson([rec], encoding)[0]);
    text = `id: ${rec.offset}\nevent: record\ndata: ${data}\n\n`;
    rendered[encoding].set(rec, text);
  }
  return text;
}

/** The event bytes of each read the hub hands to every tailer as the same object: encoded once. */
const encoded: Encodings<TailRead<LogRecord>, Uint8Array> = {
  utf8: new WeakMap(),
  base64: new WeakMap(),
};

/**
 * A read's events as bytes. A tailer that keeps up gets the hub's own read object, shared with
 * every other tailer, so its bytes are encoded once and the same (never written to) array is
 * enqueued on every stream (a merged read goes out as its parts); a read cut for one tailer
 * is encoded for it.
 */
function readEvents(read: TailRead<LogRecord>, encoding: BytesEncoding): Uint8Array {
  let bytes = encoded[encoding].get(read);
  if (bytes === undefined) {
    bytes = UTF8.encode(read.records.map((r) => recordEvent(r, encoding)).join(""));
    encoded[encoding].set(read, bytes);
  }
  return bytes;
}

type EndReason = "lifetime" | "error";

function controlEvent(next: number, hw: number, reason: EndReason, err?: KafkaError) {
  const id = next > 0 ? `id: ${next - 1}\n` : "";
  const data = { next_offset: next, high_watermark: hw, reason, ...(err && errorBody(err)) };
  return UTF8.encode(`${id}event: control\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Where the tail starts: after `Last-Event-ID` when sent, else the `offset` parameter. */
export function tailStart(
  offsetParam: string | undefined,
  lastEventId: string | undefined,
): number | "earliest" | "latest" {
  if (lastEventId === undefined) return unwrap(parseOffsetParam(offsetParam ?? "earliest"));
  const spec = { name: "Last-Event-ID", min: 0, max: Number.MAX_SAFE_INTEGER - 1 };
  return unwrap(parseIntParam(lastEventId.trim(), spec)) + 1;
}

/** Over the caller's fetch byte quota: the time until it may send again (0 when within it). */
function fetchQuota(c: Context<AppEnv>): (bytes: number) => number {
  const p = c.get("principal");
  const rate = quotaValue(p.quotas, brokerConfig(c.env).quotaDefaults, "fetch_bytes_per_s");
  if (p.acls === null || rate === null) return () => 0;
  const bucket = bucketOf(p, "fetch_bytes_per_s");
  return (bytes) => {
    const t = rateLimiter.take(bucket, "fetch_bytes_per_s", rate, 0);
    if (t) return t.throttleTimeMs;
    rateLimiter.charge(bucket, "fetch_bytes_per_s", rate, bytes);
    return 0;
  };
}

export interface LiveTailRequest {
  topic: string;
  partition: number;
  encoding: BytesEncoding;
  maxRecords: number;
  maxBytes: number;
}

const SSE_HEADERS = {
  "content-type": `${SSE_CONTENT_TYPE}; charset=utf-8`,
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

/** The live tail's answer: the error answer before any stream, else the event stream. */
export async function liveTail(c: Context<AppEnv>, req: LiveTailRequest): Promise<Response> {
  const config = brokerConfig(c.env);
  const max = config.sseMaxLifetimeMs;
  const liveMs = { name: "live_ms", min: 1, max, default: max };
  const lifetimeMs = unwrap(parseIntParam(c.req.query("live_ms"), liveMs));
  if (c.req.query("wait_ms") !== undefined)
    raise("INVALID_REQUEST", "wait_ms does not apply to live=sse (it streams)");
  const offset = tailStart(c.req.query("offset"), c.req.header("last-event-id"));
  const { topic, partition, maxRecords, maxBytes } = req;
  const input = { topic, partition, offset, maxRecords, maxBytes };
  const tail = unwrap(await openTail(serviceContext(c), input));
  const stream = new TailStream({
    first: tail.first,
    next: () => tail.subscription.next(),
    close: () => tail.subscription.close(),
    encoding: req.encoding,
    lifetimeMs,
    heartbeatMs: config.sseHeartbeatMs,
    quota: fetchQuota(c),
    keepAlive: (work) => c.executionCtx.waitUntil(work),
  });
  return new Response(stream.readable, { headers: SSE_HEADERS });
}

export interface EventStreamSource {
  first: TailRead<LogRecord>;
  next: () => Promise<Result<TailRead<LogRecord>>>;
  close: () => void;
  encoding: BytesEncoding;
  lifetimeMs: number;
  heartbeatMs: number;
  /** Charges sent bytes; answers how long to wait first when over the quota. */
  quota: (bytes: number) => number;
  /**
   * Keeps the request alive until `work` settles (`ctx.waitUntil`): a tail that ends while it
   * waits for a shared read lets that wait finish in a live request (workerd warns, and drops
   * the continuation, when a promise settles for a request that has ended).
   */
  keepAlive: (work: Promise<unknown>) => void;
}

/** `p`, or "timer" when `ms` pass first; the timer is cleared either way. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timer"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<"timer">((resolve) => {
    timer = setTimeout(() => resolve("timer"), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

type Controller = ReadableStreamDefaultController<Uint8Array>;

/**
 * The SSE byte stream of one tail: records, heartbeats, and the control event that ends it.
 * Pull-driven: each `pull` enqueues one chunk (a read's events, a heartbeat or the end).
 */
class TailStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #src: EventStreamSource;
  readonly #deadline: number;
  #nextOffset: number;
  #highWatermark: number;
  #pending: Promise<Result<TailRead<LogRecord>>> | null = null;
  #first: TailRead<LogRecord> | null;
  #lastSent = Date.now();
  #done = false;

  constructor(src: EventStreamSource) {
    this.#src = src;
    this.#deadline = Date.now() + src.lifetimeMs;
    this.#nextOffset = src.first.nextOffset;
    this.#highWatermark = src.first.highWatermark;
    this.#first = src.first.records.length > 0 ? src.first : null;
    this.readable = new ReadableStream<Uint8Array>({
      pull: (controller) => this.#pull(controller),
      cancel: () => this.#close(),
    });
  }

  #close(): void {
    this.#done = true;
    this.#src.close();
    if (this.#pending) this.#src.keepAlive(this.#pending);
  }

  #end(controller: Controller, reason: EndReason, err?: KafkaError): void {
    this.#close();
    controller.enqueue(controlEvent(this.#nextOffset, this.#highWatermark, reason, err));
    controller.close();
  }

  async #send(controller: Controller, read: TailRead<LogRecord>): Promise<void> {
    // Merged reads go out part by part: each part's bytes are shared with every other tailer.
    const chunks = (read.parts ?? [read]).map((part) => readEvents(part, this.#src.encoding));
    const size = chunks.reduce((n, b) => n + b.byteLength, 0);
    // Over the fetch quota: wait as told, then ask again; the lifetime's end ends the wait too,
    // and the stream then ends before these records (the control event resumes at them).
    for (let wait = this.#src.quota(size); wait > 0; wait = this.#src.quota(size)) {
      if (Date.now() + wait >= this.#deadline) {
        await within(new Promise<never>(() => {}), this.#deadline - Date.now());
        if (!this.#done) this.#end(controller, "lifetime");
        return;
      }
      await within(new Promise<never>(() => {}), wait);
      if (this.#done) return;
    }
    for (const bytes of chunks) controller.enqueue(bytes);
    this.#nextOffset = read.nextOffset;
    this.#highWatermark = Math.max(this.#highWatermark, read.highWatermark);
    this.#lastSent = Date.now();
  }

  async #pull(controller: Controller): Promise<void> {
    if (this.#done) return;
    const first = this.#first;
    this.#first = null;
    if (first) return this.#send(controller, first);
    const now = Date.now();
    if (now >= this.#deadline) return this.#end(controller, "lifetime");
    const failed = (e: unknown) => ({ ok: false, err: toKafkaError(e) }) as const;
    this.#pending ??= this.#src.next().catch(failed);
    const heartbeatAt = Math.min(this.#deadline, this.#lastSent + this.#src.heartbeatMs);
    const r = await within(this.#pending, heartbeatAt - now);
    if (this.#done) return;
    if (r === "timer") {
      if (Date.now() >= this.#deadline) return this.#end(controller, "lifetime");
      controller.enqueue(HEARTBEAT);
      this.#lastSent = Date.now();
      return;
    }
    this.#pending = null;
    if (!r.ok) return this.#end(controller, "error", r.err);
    return this.#send(controller, r.value);
  }
}
