/**
 * The live-tail fan-out workload (issue 18; `npm run bench -- --only sse` runs it alone):
 * N concurrent SSE tailers (`GET …/records?live=sse`) on one partition while an open-loop
 * producer writes a fixed rate of records, run with 1 tailer and with N (default 1,000) at the
 * rate (default 1,000 records/s), then N at a tenth of it (below what 2 cores can carry).
 *
 * - The producer: request i due at `start + i / rate` (absolute schedule), acks=1, its records'
 *   key is `i`; this process keeps i → send time (`performance.now()`), so no clocks are compared
 *   across processes. The first `sseWarmupMs` of sends are not measured.
 * - Each tailer reads its event stream and checks every record event's id is the next offset
 *   (a gap or a repeat fails the run); at the end of its lifetime (`live_ms`, seeded in
 *   [sseLifetimeMs / 2, sseLifetimeMs] so reconnections spread) it reconnects with Last-Event-ID,
 *   so resuming under load is part of the run. Latency per record and tailer = event parsed −
 *   its request's send time, into a 0.1 ms histogram.
 * - After the producer stops, every tailer must reach the last offset (capped), else the run fails.
 * - Cost: workerd's CPU seconds (the Worker isolate and every Durable Object: one process) over
 *   the producing window, per record produced; and the records the leader served
 *   (`flarelog_records_out_total` of the topic, exact): with the tail hub they stay near one read
 *   per record produced whatever the number of tailers (plus each connection's first read).
 *
 * The tailers run in this one Node process: at N = 1,000 it parses N × rate events a second,
 * so the load generator competes with workerd for the same cores (reported beside the figures).
 * BENCH_SSE_TAILERS=n overrides N. Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { Prng, table } from "./harness.ts";
import { call, createTopic, expectStatus, value, type Http } from "./http.ts";
import { processCpuSeconds } from "./proc.ts";

export interface SseTailConfig {
  /** Tailers of the second run (the first has 1). */
  sseTailers: number;
  sseDurationMs: number;
  sseWarmupMs: number;
  sseRequestsPerSecond: number;
  sseRecordsPerRequest: number;
  /** Longest live_ms a tailer asks for; each takes a seeded value from half of it. */
  sseLifetimeMs: number;
  sseDrainCapMs: number;
}

export interface SseTailRun {
  tailers: number;
  target_records_per_s: number;
  records: number;
  records_per_s: number;
  duration_s: number;
  /** Record events received over all tailers (each record × tailers). */
  events: number;
  reconnects: number;
  /** Send → event parsed by a tailer, over every tailer and record of the measured window. */
  latency: { count: number; p50_ms: number; p99_ms: number; p99_9_ms: number; max_ms: number };
  /** workerd CPU over the producing window and drain, per record produced (µs). */
  workerd_cpu_us_per_record: number | null;
  workerd_cpu_s: number | null;
  load_generator_cpu_s: number;
  /** Records the partition leader served (flarelog_records_out_total of the topic) per record produced. */
  leader_records_read_per_record: number;
  leader_records_read: number;
  /** Leader read calls for the tails: connections' first reads, shared long polls, catch-up reads. */
  leader_reads: { first: number; shared: number; catch_up: number };
  /** Produce requests sent more than 5 ms after their due time (the load generator fell behind). */
  producer_late_sends: number;
  /** Connections lost to a socket error and resumed with Last-Event-ID (each is also a reconnect). */
  connect_errors: number;
}

export interface SseTailResult {
  value_bytes: number;
  records_per_request: number;
  runs: SseTailRun[];
}

const VALUE_BYTES = 100;
const round = (v: number): number => Number(v.toFixed(2));
const BUCKET_MS = 0.1;

class Histogram {
  readonly #counts = new Uint32Array(1_000_001);
  count = 0;
  max = 0;
  add(ms: number): void {
    const i = Math.min(this.#counts.length - 1, Math.max(0, Math.round(ms / BUCKET_MS)));
    this.#counts[i]!++;
    this.count++;
    if (ms > this.max) this.max = ms;
  }
  percentile(p: number): number {
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return i * BUCKET_MS;
    }
    return Number.NaN;
  }
}

interface Shared {
  http: Http;
  topic: string;
  sendTimes: number[];
  measuredFrom: number;
  hist: Histogram;
  failure: Error | null;
  late: number;
}

/** One tailer: reads, checks order, reconnects at each lifetime end until `until()` is true. */
class Tailer {
  next = 0;
  events = 0;
  /** Resolves when the first connection answered (the producer starts after every tailer's). */
  readonly connected: Promise<void>;
  #onConnected: () => void = () => {};
  reconnects = 0;
  #lastId: number | null = null;
  readonly s: Shared;
  readonly liveMs: number;
  readonly stopped: () => boolean;

  constructor(s: Shared, liveMs: number, stopped: () => boolean) {
    this.s = s;
    this.liveMs = liveMs;
    this.stopped = stopped;
    this.connected = new Promise((resolve) => (this.#onConnected = resolve));
  }

  /** Connections lost without their control event (a socket error): reconnected from the last id. */
  connectErrors = 0;

  async run(): Promise<void> {
    while (!this.stopped() && this.s.failure === null) {
      try {
        await this.#connect();
      } catch (e) {
        // A network error (e.g. a keep-alive socket the server closed as it was reused) is what an
        // EventSource survives: reconnect with Last-Event-ID. Too many is a failure.
        if (!(e instanceof TypeError) || ++this.connectErrors > 20) throw e;
      }
      this.reconnects++;
    }
    this.reconnects--;
  }

  async #connect(): Promise<void> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.s.http.token}` };
    if (this.#lastId !== null) headers["last-event-id"] = String(this.#lastId);
    const path = `/v1/topics/${this.s.topic}/partitions/0/records?live=sse&offset=0&live_ms=${this.liveMs}`;
    const res = await fetch(this.s.http.base + path, { headers });
    if (res.status !== 200) throw new Error(`tail: HTTP ${res.status} ${await res.text()}`);
    this.#onConnected();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return;
      buf += decoder.decode(chunk, { stream: true });
      const now = performance.now();
      let end = buf.indexOf("\n\n");
      let start = 0;
      while (end >= 0) {
        if (this.#event(buf.slice(start, end), now)) {
          await reader.cancel();
          return;
        }
        start = end + 2;
        end = buf.indexOf("\n\n", start);
      }
      buf = buf.slice(start);
      if (this.stopped()) {
        await reader.cancel();
        return;
      }
    }
  }

  /** Handles one event (`block`, without its blank line); true when the stream ended (control event). */
  #event(block: string, now: number): boolean {
    if (block.charCodeAt(0) === 58) return false; // ":" a heartbeat comment
    let at = 0;
    if (block.startsWith("id: ")) {
      at = block.indexOf("\n") + 1;
      this.#lastId = Number(block.slice(4, at - 1));
    }
    if (block.startsWith("event: control", at)) {
      if (block.includes('"reason":"error"')) this.s.failure ??= new Error(`tail ended with an error: ${block}`);
      return true;
    }
    const offset = this.#lastId!;
    if (offset !== this.next) this.s.failure ??= new Error(`tailer expected offset ${this.next}, got ${offset}`);
    this.next = offset + 1;
    this.events++;
    const k = block.indexOf('"key":"', at) + 7;
    const sent = this.s.sendTimes[Number(block.slice(k, block.indexOf('"', k)))];
    if (sent !== undefined && sent >= this.s.measuredFrom) this.s.hist.add(now - sent);
    return false;
  }
}

/** The topic's leader reads so far: records served, and live-tail reads by kind (/metrics). */
async function leaderReads(http: Http, topic: string): Promise<{ records: number; first: number; shared: number; catch_up: number }> {
  const r = await call(http, "GET", "/metrics");
  expectStatus("metrics", r, 200);
  const out = { records: 0, first: 0, shared: 0, catch_up: 0 };
  for (const line of r.text.split("\n")) {
    if (!line.includes(`topic="${topic}"`)) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("flarelog_records_out_total{")) out.records += v;
    else if (line.startsWith("flarelog_live_tail_reads_total{")) {
      const kind = /kind="(\w+)"/.exec(line)?.[1] as "first" | "shared" | "catch_up" | undefined;
      if (kind) out[kind] += v;
    }
  }
  return out;
}

/** The open-loop producer: request i due at start + i / rate; resolves after the last answer. */
async function produce(s: Shared, cfg: SseTailConfig, requests: number, prng: Prng): Promise<number> {
  const body = (i: number) =>
    JSON.stringify({ records: Array.from({ length: cfg.sseRecordsPerRequest }, () => ({ key: String(i), value: value(prng, VALUE_BYTES) })) });
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < requests; i++) {
    const due = start + (i * 1000) / cfg.sseRequestsPerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -5) s.late++;
    const text = body(i);
    s.sendTimes[i] = performance.now();
    inFlight.push(call(s.http, "POST", `/v1/topics/${s.topic}/partitions/0/records?acks=1`, text).then((r) => expectStatus("produce", r, 200)));
  }
  await Promise.all(inFlight);
  return requests * cfg.sseRecordsPerRequest;
}

async function oneRun(http: Http, client: FlarelogClient, cfg: SseTailConfig, tailers: number, workerd: number | null, log: (m: string) => void): Promise<SseTailRun> {
  const topic = `bench-sse-${tailers}-${Date.now()}`;
  await createTopic(client, topic);
  const prng = new Prng(18_000 + tailers);
  const s: Shared = { http, topic, sendTimes: [], measuredFrom: Number.POSITIVE_INFINITY, hist: new Histogram(), failure: null, late: 0 };
  let stop = false;
  const tails = Array.from({ length: tailers }, () => new Tailer(s, prng.int(cfg.sseLifetimeMs / 2, cfg.sseLifetimeMs), () => stop));
  const running = tails.map((t) => t.run().catch((e: unknown) => void (s.failure ??= e instanceof Error ? e : new Error(String(e)))));
  await Promise.race([Promise.all(tails.map((t) => t.connected)), Promise.all(running)]);
  if (s.failure) throw s.failure;
  const out0 = await leaderReads(http, topic);
  const cpu0 = workerd === null ? null : processCpuSeconds(workerd);
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  s.measuredFrom = t0 + cfg.sseWarmupMs;
  const requests = Math.round(((cfg.sseWarmupMs + cfg.sseDurationMs) / 1000) * cfg.sseRequestsPerSecond);
  const records = await produce(s, cfg, requests, prng);
  const produced = performance.now();
  while (s.failure === null && tails.some((t) => t.next < records) && performance.now() - produced < cfg.sseDrainCapMs)
    await new Promise((r) => setTimeout(r, 20));
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = workerd === null ? null : processCpuSeconds(workerd);
  const self = process.cpuUsage(self0);
  stop = true;
  await Promise.all(running);
  if (s.failure) throw s.failure;
  const behind = tails.filter((t) => t.next !== records);
  if (behind.length > 0) throw new Error(`${behind.length} tailers did not see all ${records} records (e.g. at ${behind[0]!.next})`);
  const out1 = await leaderReads(http, topic);
  const read = out1.records - out0.records;
  const workerdCpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const run: SseTailRun = {
    tailers,
    target_records_per_s: cfg.sseRequestsPerSecond * cfg.sseRecordsPerRequest,
    records,
    records_per_s: round(records / wall),
    duration_s: round(wall),
    events: tails.reduce((n, t) => n + t.events, 0),
    reconnects: tails.reduce((n, t) => n + t.reconnects, 0),
    latency: { count: s.hist.count, p50_ms: round(s.hist.percentile(50)), p99_ms: round(s.hist.percentile(99)), p99_9_ms: round(s.hist.percentile(99.9)), max_ms: round(s.hist.max) },
    workerd_cpu_us_per_record: workerdCpu === null ? null : round((workerdCpu * 1e6) / records),
    workerd_cpu_s: workerdCpu === null ? null : round(workerdCpu),
    load_generator_cpu_s: round((self.user + self.system) / 1e6),
    leader_records_read_per_record: round(read / records),
    leader_records_read: read,
    leader_reads: { first: out1.first - out0.first, shared: out1.shared - out0.shared, catch_up: out1.catch_up - out0.catch_up },
    producer_late_sends: s.late,
    connect_errors: tails.reduce((n, t) => n + t.connectErrors, 0),
  };
  log(`bench: sse ${tailers} tailers: ${run.events} events, p99 ${run.latency.p99_ms} ms, workerd ${run.workerd_cpu_us_per_record} µs/record, leader read ${read} for ${records}`);
  return run;
}

export async function sseTailScenario(http: Http, client: FlarelogClient, cfg: SseTailConfig, workerd: number | null, log: (m: string) => void): Promise<SseTailResult> {
  const runs: SseTailRun[] = [];
  const tailers = Number(process.env.BENCH_SSE_TAILERS ?? cfg.sseTailers);
  for (const n of [1, tailers]) runs.push(await oneRun(http, client, cfg, n, workerd, log));
  // The same tailers at a tenth of the rate: below what this machine's cores can carry.
  const slow = { ...cfg, sseRequestsPerSecond: cfg.sseRequestsPerSecond / 10 };
  runs.push(await oneRun(http, client, slow, tailers, workerd, log));
  return { value_bytes: VALUE_BYTES, records_per_request: cfg.sseRecordsPerRequest, runs };
}

export function sseTailTable(x: SseTailResult): string[] {
  if (x.runs.length === 0) return [];
  return [
    `Live tail over SSE: open-loop producer (${x.records_per_request} × ${x.value_bytes} B a request, acks=1, RF 1), 1 partition, N tailers`,
    table(
      ["tailers", "target rec/s", "records", "rec/s", "late", "events", "reconnects", "socket errors", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "workerd µs/rec", "workerd s", "loadgen s", "leader rec/rec", "shared", "catch-up", "first"],
      x.runs.map((r) => [
        r.tailers, r.target_records_per_s, r.records, r.records_per_s, r.producer_late_sends, r.events, r.reconnects, r.connect_errors, r.latency.p50_ms, r.latency.p99_ms, r.latency.p99_9_ms, r.latency.max_ms,
        r.workerd_cpu_us_per_record ?? "n/a", r.workerd_cpu_s ?? "n/a", r.load_generator_cpu_s, r.leader_records_read_per_record,
        r.leader_reads.shared, r.leader_reads.catch_up, r.leader_reads.first,
      ]),
    ),
    "latency: record sent → its event parsed by a tailer (every tailer, every record after the warm-up); late: produce requests sent > 5 ms after their due time; " +
      "leader rec/rec: records the leader served per record produced; shared / catch-up / first: leader read calls for the tails (one shared long poll serves every tailer)",
    "",
  ];
}
