/**
 * Measurement helpers for `npm run bench` (bench/run.ts): a bounded closed-loop load runner,
 * latency statistics, a seeded PRNG, the plain-text table printer and the progress log.
 *
 * Invariants: every run is bounded by a request count AND a wall-clock cap; latencies are
 * measured per request with `performance.now()` around the whole HTTP exchange (request sent,
 * body read and parsed). A failed request stops the run with its error: numbers over failing
 * requests would mean nothing. Node 24 type stripping: erasable TypeScript only.
 */

// One seeded PRNG for tests, benchmarks and chaos runs (the same offsets on every run).
import { Prng } from "../test/support/prng.ts";

export { Prng };

export interface LatencySummary {
  count: number;
  mean_ms: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** p99.9 (nearest rank: the maximum below 1000 samples). */
  p99_9_ms: number;
  max_ms: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

const round = (v: number, digits = 2): number => Number(v.toFixed(digits));

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const s = [...latenciesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    count: s.length,
    mean_ms: round(mean),
    p50_ms: round(percentile(s, 50)),
    p90_ms: round(percentile(s, 90)),
    p95_ms: round(percentile(s, 95)),
    p99_ms: round(percentile(s, 99)),
    p99_9_ms: round(percentile(s, 99.9)),
    max_ms: round(s.at(-1) ?? Number.NaN),
  };
}

/** What one request reports back to the runner. */
export interface OpOutcome {
  records: number;
  /** Payload bytes (record values) moved by the request. */
  payloadBytes: number;
  /** HTTP body bytes on the wire (request body for produce, response body for fetch). */
  wireBytes: number;
}

export interface LoadResult {
  requests: number;
  records: number;
  payloadBytes: number;
  wireBytes: number;
  elapsedMs: number;
  /** True when the wall-clock cap ended the run before the request count was reached. */
  cappedByTime: boolean;
  latencies: number[];
}

export interface LoadOptions {
  /** Requests to send (the run's fixed size). */
  requests: number;
  /** Parallel in-flight requests (closed loop: each worker sends its next request when the last answered). */
  concurrency: number;
  /** Wall-clock cap: no new request starts after it. */
  timeCapMs: number;
  /** Optional early end, checked before each request (e.g. a sequential read reached the end). */
  done?: () => boolean;
  op: (index: number) => Promise<OpOutcome>;
}

/** Closed-loop load: `concurrency` workers share a counter of `requests` requests. */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let records = 0;
  let payloadBytes = 0;
  let wireBytes = 0;
  let cappedByTime = false;
  const start = performance.now();
  const deadline = start + o.timeCapMs;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= o.requests || o.done?.()) return;
      if (performance.now() >= deadline) {
        cappedByTime = true;
        return;
      }
      const i = next++;
      const t0 = performance.now();
      const out = await o.op(i);
      latencies.push(performance.now() - t0);
      records += out.records;
      payloadBytes += out.payloadBytes;
      wireBytes += out.wireBytes;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  return { requests: latencies.length, records, payloadBytes, wireBytes, elapsedMs: performance.now() - start, cappedByTime, latencies };
}

/** Several runs of the same scenario as one (e.g. rounds interleaved with other scenarios). */
export function mergeLoads(runs: readonly LoadResult[]): LoadResult {
  return {
    requests: runs.reduce((n, r) => n + r.requests, 0),
    records: runs.reduce((n, r) => n + r.records, 0),
    payloadBytes: runs.reduce((n, r) => n + r.payloadBytes, 0),
    wireBytes: runs.reduce((n, r) => n + r.wireBytes, 0),
    elapsedMs: runs.reduce((n, r) => n + r.elapsedMs, 0),
    cappedByTime: runs.some((r) => r.cappedByTime),
    latencies: runs.flatMap((r) => r.latencies),
  };
}

/** The seed of `runInterleaved`'s round orders. */
const ROUND_ORDER_SEED = 1;

/**
 * Several load configurations measured in interleaved rounds: after `warmup` requests each, every
 * round runs each configuration once (`ceil(requests / rounds)` requests, or the configuration's
 * own `requests`, capped at `capMs / rounds`), in an order of its own drawn from a fixed seed
 * (the same orders on every run). A fixed rotation made every configuration follow the same one
 * in every round, and so always pay what that one left behind (the load generator's garbage, a
 * write-ahead log near its checkpoint): a bias no number of rounds averages out.
 * Slow drift of a shared machine (JIT, GC, the neighbours) is spread over all of them rather
 * than landing on one. Returns one merged result per configuration, in the given order.
 */
export async function runInterleaved(
  configs: readonly { op: (index: number) => Promise<OpOutcome>; concurrency: number; requests?: number | undefined }[],
  o: {
    warmup: number;
    requests: number;
    rounds: number;
    capMs: number;
    /** Optional wrapper around each measured run of configuration `index` (e.g. to sample CPU counters). */
    around?: (index: number, run: () => Promise<LoadResult>) => Promise<LoadResult>;
  },
): Promise<LoadResult[]> {
  const runsOf = configs.map(() => [] as LoadResult[]);
  for (const { op, concurrency } of configs) await runLoad({ requests: o.warmup, concurrency, timeCapMs: o.capMs, op });
  const capPerRound = o.capMs / o.rounds;
  const order = new Prng(ROUND_ORDER_SEED);
  const indices = configs.map((_, i) => i);
  for (let round = 0; round < o.rounds; round++) {
    for (const i of order.shuffle(indices)) {
      const { op, concurrency, requests } = configs[i]!;
      const perRound = Math.ceil((requests ?? o.requests) / o.rounds);
      const run = () => runLoad({ requests: perRound, concurrency, timeCapMs: capPerRound, op });
      runsOf[i]!.push(await (o.around ? o.around(i, run) : run()));
    }
  }
  return runsOf.map(mergeLoads);
}

export interface Throughput {
  requests: number;
  records: number;
  elapsed_s: number;
  records_per_s: number;
  requests_per_s: number;
  /** Record values only, 10^6 bytes. */
  payload_mb_per_s: number;
  /** HTTP bodies (JSON), 10^6 bytes. */
  wire_mb_per_s: number;
  capped_by_time: boolean;
  latency: LatencySummary;
}

export function throughput(r: LoadResult): Throughput {
  const s = r.elapsedMs / 1000;
  return {
    requests: r.requests,
    records: r.records,
    elapsed_s: round(s, 3),
    records_per_s: Math.round(r.records / s),
    requests_per_s: round(r.requests / s, 1),
    payload_mb_per_s: round(r.payloadBytes / 1e6 / s),
    wire_mb_per_s: round(r.wireBytes / 1e6 / s),
    capped_by_time: r.cappedByTime,
    latency: summarize(r.latencies),
  };
}

/**
 * The fields kafka-producer-perf-test and kafka-consumer-perf-test print, as table columns after
 * a row's own labels: records sent, records/s, MB/s (record values, 10^6 bytes), avg and max
 * latency, p50/p95/p99/p99.9. Every scenario table uses them, so all workloads read alike.
 */
export const KAFKA_COLUMNS = ["records", "records/s", "MB/s", "avg ms", "max ms", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms"];

export function kafkaCells(t: Throughput): number[] {
  const l = t.latency;
  return [t.records, t.records_per_s, t.payload_mb_per_s, l.mean_ms, l.max_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.p99_9_ms];
}

/** One workload's headline figures for the closing JSON line (`headlines` in bench/results.ts). */
export interface Headline {
  name: string;
  records: number;
  records_per_s: number;
  mb_per_s: number;
  avg_ms: number;
  max_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  p99_9_ms: number;
}

export function headline(name: string, t: Pick<Throughput, "records" | "records_per_s" | "payload_mb_per_s" | "latency">): Headline {
  const l = t.latency;
  return {
    name,
    records: t.records,
    records_per_s: t.records_per_s,
    mb_per_s: t.payload_mb_per_s,
    avg_ms: l.mean_ms,
    max_ms: l.max_ms,
    p50_ms: l.p50_ms,
    p95_ms: l.p95_ms,
    p99_ms: l.p99_ms,
    p99_9_ms: l.p99_9_ms,
  };
}

/** A fixed-width text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? formatNumber(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: (string | number)[], isHeader: boolean) =>
    r
      .map((c, i) => {
        const text = String(c ?? "");
        return !isHeader && typeof rows[0]?.[i] === "number" ? text.padStart(widths[i]!) : text.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return [line(cells[0]!, true), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map((r) => line(r, false))].join("\n");
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** A progress line to stderr (stdout carries the tables and the closing JSON line). */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
