/**
 * The chaos workload's requests: one produce (`send`, plain or idempotent), one fetch (`poll`),
 * the consumers, the final drain and the outcome rules. Every client talks to the server over
 * HTTP (through the proxy), one request at a time, at a bounded rate, recording every request as
 * one history entry (invoke and completion times, outcome). The producers are chaos/producer.ts.
 *
 * Outcome rules (docs/chaos.md): 2xx → ok; a definite rejection before any write → fail (any 4xx
 * except 408/429 and 46, or Kafka codes 19, 3, 9, 5, 74, 75); anything else → info (unknown):
 * client timeout, connection reset or refused, other 5xx, 20, 7, 6 (6 can come after an append),
 * 408, 429, 46 (DUPLICATE_SEQUENCE_NUMBER: written, offsets not given), or a 2xx whose body is not
 * what the contract says.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { Outcome, PollOp, ProducerIdentity, SendOp } from "./history.ts";

/** Kafka codes that prove the request was refused before anything was written. */
export const DEFINITE_FAILURE_CODES: ReadonlySet<number> = new Set([19, 3, 9, 5, 74, 75]);

export interface ErrorInfo {
  code: number;
  name: string;
  status: number;
}

/** DUPLICATE_SEQUENCE_NUMBER: a 409 that says the batch is already in the log, not a refusal. */
const ALREADY_WRITTEN_CODE = 46;

export function classify(status: number, code: number): Outcome {
  if (status >= 200 && status < 300) return "ok";
  if (code === ALREADY_WRITTEN_CODE) return "info";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "fail";
  if (status !== 0 && DEFINITE_FAILURE_CODES.has(code)) return "fail";
  return "info";
}

export interface CallResult {
  status: number;
  json: unknown;
  /** Set when no usable HTTP answer came (status 0) or the error body names a Kafka error. */
  error?: ErrorInfo;
}

/** One HTTP request with a client-side timeout; never throws. Status 0: no answer. */
export async function call(url: string, token: string, method: string, timeoutMs: number, body?: unknown): Promise<CallResult> {
  try {
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === "" ? null : JSON.parse(text);
    } catch {
      json = text;
    }
    if (res.ok) return { status: res.status, json };
    const b = json as { error_code?: unknown; error?: unknown } | null;
    const code = typeof b?.error_code === "number" ? b.error_code : -1;
    const name = typeof b?.error === "string" ? b.error : `HTTP_${res.status}`;
    return { status: res.status, json, error: { code, name, status: res.status } };
  } catch (e) {
    return { status: 0, json: null, error: { code: -1, name: networkErrorName(e), status: 0 } };
  }
}

function networkErrorName(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return "CLIENT_TIMEOUT";
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof cause?.code === "string") return cause.code;
    if (typeof cause?.message === "string" && /other side closed/i.test(cause.message)) return "SOCKET_CLOSED";
    return e.name === "TypeError" ? "FETCH_FAILED" : e.name;
  }
  return "UNKNOWN";
}

export interface WorkloadConfig {
  /** Base URL the clients use (the proxy). */
  base: string;
  token: string;
  topic: string;
  partitions: number;
  acks: "all" | "1";
  seed: number;
  producers: number;
  consumers: number;
  /** Client-side timeout of every request. */
  requestTimeoutMs: number;
  /** The server's produce timeout (timeout_ms), below the client's. */
  produceTimeoutMs: number;
  /** Minimum time between two sends of one producer (≤ 1000/minSendIntervalMs sends/s). */
  minSendIntervalMs: number;
  maxRecordsPerSend: number;
  /** Producers send with a producer id, epoch and sequence (issue 5). */
  idempotent: boolean;
  /** Producers re-send the same values after an unknown outcome (issue 5). */
  retries: boolean;
  /** After the workload stops, how long a producer may still re-send to settle its last send. */
  settleMs: number;
  /** ms since the run started. */
  now: () => number;
  /** The HTTP call and the waits, replaceable in unit tests (default: `call`, real timers). */
  call?: typeof call;
  timer?: Timer;
}

/** Wall-clock time and waiting, injected so the producer's logic runs in tests without timers. */
export interface Timer {
  now(): number;
  pause(ms: number): Promise<void>;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  pause: (ms) => new Promise<void>((done) => setTimeout(done, ms)),
};

export interface Stopper {
  stopped: boolean;
}

const sleep = (ms: number) => realTimer.pause(ms);

/**
 * One produce of `values` to `partition`; with `producer`, the idempotent form (the body carries
 * its id, epoch and base sequence). Never throws; the op's outcome follows `classify`.
 */
export async function send(
  cfg: WorkloadConfig,
  process: string,
  partition: number,
  values: string[],
  attempt = 1,
  producer?: ProducerIdentity,
): Promise<SendOp> {
  const url = `${cfg.base}/v1/topics/${cfg.topic}/partitions/${partition}/records?acks=${cfg.acks}&timeout_ms=${cfg.produceTimeoutMs}`;
  const body: Record<string, unknown> = { records: values.map((value) => ({ value })) };
  if (producer !== undefined) {
    body.producer_id = producer.id;
    body.producer_epoch = producer.epoch;
    body.base_sequence = producer.baseSequence;
  }
  const invokeMs = cfg.now();
  const r = await (cfg.call ?? call)(url, cfg.token, "POST", cfg.requestTimeoutMs, body);
  const completeMs = cfg.now();
  const op: SendOp = { type: "send", process, partition, values, invokeMs, completeMs, outcome: "info", attempt };
  if (producer !== undefined) op.producer = producer;
  if (r.error !== undefined) {
    op.outcome = classify(r.status, r.error.code);
    op.error = r.error;
    return op;
  }
  const offsets = (r.json as { offsets?: { partition?: unknown; offset?: unknown; error_code?: unknown; error?: unknown }[] } | null)?.offsets;
  const good =
    Array.isArray(offsets) &&
    offsets.length === values.length &&
    offsets.every((o) => typeof o.offset === "number" && o.partition === partition);
  if (good) {
    op.outcome = "ok";
    op.offsets = offsets.map((o) => o.offset as number);
    return op;
  }
  // A 2xx that is not the contract's answer: record it as unknown, with what it said.
  const bad = Array.isArray(offsets) ? offsets.find((o) => typeof o.offset !== "number") : undefined;
  op.error = {
    code: typeof bad?.error_code === "number" ? bad.error_code : -1,
    name: typeof bad?.error === "string" ? bad.error : "MALFORMED_2XX",
    status: r.status,
  };
  return op;
}

export interface PollAnswer {
  op: PollOp;
  /** Set on ok. */
  nextOffset?: number;
  highWatermark?: number;
}

export async function poll(
  cfg: WorkloadConfig,
  process: string,
  partition: number,
  position: number | "earliest",
  waitMs: number,
): Promise<PollAnswer> {
  const url = `${cfg.base}/v1/topics/${cfg.topic}/partitions/${partition}/records?offset=${position}&max_records=200&wait_ms=${waitMs}`;
  const invokeMs = cfg.now();
  const r = await (cfg.call ?? call)(url, cfg.token, "GET", cfg.requestTimeoutMs);
  const completeMs = cfg.now();
  const fromOffset = position === "earliest" ? -1 : position;
  const op: PollOp = { type: "poll", process, partition, fromOffset, invokeMs, completeMs, outcome: "info" };
  if (r.error !== undefined) {
    op.outcome = classify(r.status, r.error.code);
    op.error = r.error;
    return { op };
  }
  const b = r.json as { records?: { offset?: unknown; value?: unknown }[]; next_offset?: unknown; high_watermark?: unknown } | null;
  const records = b?.records;
  if (
    !Array.isArray(records) ||
    typeof b?.next_offset !== "number" ||
    typeof b.high_watermark !== "number" ||
    !records.every((x) => typeof x.offset === "number" && (typeof x.value === "string" || x.value === null))
  ) {
    op.error = { code: -1, name: "MALFORMED_2XX", status: r.status };
    return { op };
  }
  op.outcome = "ok";
  op.records = records.map((x) => ({ offset: x.offset as number, value: (x.value as string | null) ?? "" }));
  op.nextOffset = b.next_offset;
  op.highWatermark = b.high_watermark;
  return { op, nextOffset: b.next_offset, highWatermark: b.high_watermark };
}

/** One consumer statically assigned `partition`: long-polls from its position, advancing on ok. */
export async function runConsumer(cfg: WorkloadConfig, index: number, partition: number, stop: Stopper, out: (op: PollOp) => void): Promise<void> {
  const process = `consumer-${index}`;
  let position: number | "earliest" = "earliest";
  for (let iteration = 0; !stop.stopped && iteration < 1_000_000; iteration++) {
    const started = Date.now();
    const a = await poll(cfg, process, partition, position, 500);
    out(a.op);
    if (a.nextOffset !== undefined) position = a.nextOffset;
    // Bounded rate: at most 20 polls/s when records flow, a pause after an error.
    const wait = (a.op.outcome === "ok" ? 50 : 200) - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
}

/**
 * The final read as process "drain": from earliest until the position reaches the high
 * watermark of the latest answer. Bounded in polls and time; returns whether it got there.
 */
export async function drain(cfg: WorkloadConfig, partition: number, deadlineMs: number, out: (op: PollOp) => void): Promise<boolean> {
  let position: number | "earliest" = "earliest";
  const until = Date.now() + deadlineMs;
  for (let i = 0; i < 100_000 && Date.now() < until; i++) {
    const a = await poll(cfg, "drain", partition, position, 0);
    out(a.op);
    if (a.nextOffset === undefined || a.highWatermark === undefined) {
      await sleep(200);
      continue;
    }
    position = a.nextOffset;
    if (position >= a.highWatermark) return true;
  }
  return false;
}
