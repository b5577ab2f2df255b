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

/** Each record's event text, per encoding: rendered once, shared by every tailer of the isolate. */
const rendered: Record<BytesEncoding, WeakMap<LogRecord, string>> = { utf8: new WeakMap(), base64: new WeakMap() };

function recordEvent(rec: LogRecord, encoding: BytesEncoding): string {
  let text = rendered[encoding].get(rec);
  if (text === undefined) {
    text = `id: ${rec.offset}\nevent: record\ndata: ${JSON.stringify(recordsJson([rec], encoding)[0])}\n\n`;
    rendered[encoding].set(rec, text);
  }
  return text;
}

/** The event bytes of each read the hub hands to every tailer as the same object: encoded once. */
const encoded: Record<BytesEncoding, WeakMap<TailRead<LogRecord>, Uint8Array>> = { utf8: new WeakMap(), base64: new WeakMap() };

/**
 * A read's events as bytes. A tailer that keeps up gets the hub's own read object, shared with
 * every other tailer, so its bytes are encoded once and the same (never written to) array is
 * enqueued on every stream; a read cut or merged for one tailer is encoded for it.
 */
function readEvents(read: TailRead<LogRecord>, encoding: BytesEncoding): Uint8Array {
  let bytes = encoded[encoding].get(read);
  if (bytes === undefined) {
    bytes = UTF8.encode(read.records.map((r) => recordEvent(r, encoding)).join(""));
    encoded[encoding].set(read, bytes);
  }
  return bytes;
}

function controlEvent(nextOffset: number, highWatermark: number, reason: "lifetime" | "error", err?: KafkaError): string {
  const id = nextOffset > 0 ? `id: ${nextOffset - 1}\n` : "";
  const data = { next_offset: nextOffset, high_watermark: highWatermark, reason, ...(err ? errorBody(err) : {}) };
  return `${id}event: control\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Where the tail starts: after `Last-Event-ID` when sent, else the `offset` parameter. */
export function tailStart(offsetParam: string | undefined, lastEventId: string | undefined): number | "earliest" | "latest" {
  if (lastEventId === undefined) return unwrap(parseOffsetParam(offsetParam ?? "earliest"));
  const last = unwrap(parseIntParam(lastEventId.trim(), { name: "Last-Event-ID", min: 0, max: Number.MAX_SAFE_INTEGER - 1 }));
  return last + 1;
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

/** The live tail's answer: the error answer before any stream, else the event stream. */
export async function liveTail(c: Context<AppEnv>, req: LiveTailRequest): Promise<Response> {
  const config = brokerConfig(c.env);
  const max = config.sseMaxLifetimeMs;
  const lifetimeMs = unwrap(parseIntParam(c.req.query("live_ms"), { name: "live_ms", min: 1, max, default: max }));
  if (c.req.query("wait_ms") !== undefined) raise("INVALID_REQUEST", "wait_ms does not apply to live=sse (it streams)");
  const offset = tailStart(c.req.query("offset"), c.req.header("last-event-id"));
  const { topic, partition, maxRecords, maxBytes } = req;
  const tail = unwrap(await openTail(serviceContext(c), { topic, partition, offset, maxRecords, maxBytes }));
  const stream = eventStream({
    first: tail.first,
    next: () => tail.subscription.next(),
    close: () => tail.subscription.close(),
    encoding: req.encoding,
    lifetimeMs,
    heartbeatMs: config.sseHeartbeatMs,
    quota: fetchQuota(c),
    keepAlive: (work) => c.executionCtx.waitUntil(work),
  });
  return new Response(stream, {
    headers: { "content-type": `${SSE_CONTENT_TYPE}; charset=utf-8`, "cache-control": "no-cache", "x-accel-buffering": "no" },
  });
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

const sleep = (ms: number) => new Promise<"timer">((resolve) => setTimeout(() => resolve("timer"), Math.max(0, ms)));

/** `p`, or "timer" when `ms` pass first; the timer is cleared either way. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timer"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<"timer">((resolve) => (timer = setTimeout(() => resolve("timer"), Math.max(0, ms))));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** The SSE byte stream of a tail: records, heartbeats, and the control event that ends it. */
export function eventStream(src: EventStreamSource): ReadableStream<Uint8Array> {
  const deadline = Date.now() + src.lifetimeMs;
  let nextOffset = src.first.nextOffset;
  let highWatermark = src.first.highWatermark;
  let pending: ReturnType<EventStreamSource["next"]> | null = null;
  let first: TailRead<LogRecord> | null = src.first.records.length > 0 ? src.first : null;
  let lastSent = Date.now();
  let done = false;
  const close = () => {
    done = true;
    src.close();
    if (pending) src.keepAlive(pending);
  };
  const end = (controller: ReadableStreamDefaultController<Uint8Array>, text: string) => {
    close();
    controller.enqueue(UTF8.encode(text));
    controller.close();
  };
  const send = async (controller: ReadableStreamDefaultController<Uint8Array>, read: TailRead<LogRecord>) => {
    const bytes = readEvents(read, src.encoding);
    const wait = src.quota(bytes.byteLength);
    if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()));
    controller.enqueue(bytes);
    nextOffset = read.nextOffset;
    highWatermark = Math.max(highWatermark, read.highWatermark);
    lastSent = Date.now();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) return;
      if (first) {
        const read = first;
        first = null;
        return send(controller, read);
      }
      const now = Date.now();
      if (now >= deadline) return end(controller, controlEvent(nextOffset, highWatermark, "lifetime"));
      pending ??= src.next().catch((e: unknown): Result<TailRead<LogRecord>> => ({ ok: false, err: toKafkaError(e) }));
      const r = await within(pending, Math.min(deadline, lastSent + src.heartbeatMs) - now);
      if (done) return;
      if (r === "timer") {
        if (Date.now() >= deadline) return end(controller, controlEvent(nextOffset, highWatermark, "lifetime"));
        controller.enqueue(UTF8.encode(": heartbeat\n\n"));
        lastSent = Date.now();
        return;
      }
      pending = null;
      if (!r.ok) return end(controller, controlEvent(nextOffset, highWatermark, "error", r.err));
      return send(controller, r.value);
    },
    cancel() {
      close();
    },
  });
}
