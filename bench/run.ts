/**
 * `npm run bench` (`node bench/run.ts [--quick] [--report|--no-report] [--only baseline,produce,...,profile]`):
 * benchmarks of the local Flarelog server. Method and results: docs/benchmarks.md; a whole default
 * run (or `--report`) rewrites its generated section and docs/benchmarks-throughput.svg (bench/report.ts).
 *
 * Starts its own server with `startLocalCluster` (wrangler's production bundle on workerd via
 * Miniflare, no `wrangler dev` proxy) on a fresh temporary state directory with a random admin
 * token, runs bounded scenarios against 127.0.0.1 only, prints tables, writes
 * bench/results/latest.json, then stops the server and removes the state (also on Ctrl-C). The
 * last line of stdout is one JSON object with every headline figure (Kafka's perf-test fields per
 * workload, and the floor ratios when the floor ran), for scripts and CI.
 *
 * First a warm-up of mixed produce/fetch requests (unmeasured), then the scenarios (one
 * partition, replication factor 1, each on its own topic):
 *   baseline  GET /healthz (no auth, no Durable Object): the HTTP + workerd floor
 *   produce   batches of 100 records × 100-byte values, acks=1 and acks=all, concurrency 1 and 8
 *   fetch     sequential read of a 10^5-record partition from offset 0 with max_records 500 and 100
 *   index     random-offset fetches (max_records=100) in a 10^3 vs a 10^6-record log
 *   replication  RF 1 vs RF 3 produce (interleaved), leader fail-over and ISR shrink/expand
 *                times under a steady acks=all load (bench/replication.ts; its topics have RF 3)
 *   groups    consumer-group rebalance after a leave and a crash, and a group of 3 against one
 *             plain consumer reading a 6-partition topic (bench/groups.ts)
 *   floor     the platform floor: a bare SQLite Durable Object written with the produce bodies and
 *             read back like the fetch scenario, and the produce/fetch rows as ratios to it (bench/floor.ts)
 *   matrix    the produce matrix: 100 B / 1 KiB values × batches of 1, 100, 1000 × acks 0, 1, all ×
 *             RF 1, 3 × 1, 8 partitions, topic-level produce, a time cap per cell (bench/matrix.ts)
 *   memory    workerd's RSS for single produce requests of 1–8 MiB and fetches of max_bytes 1–8 MiB,
 *             and while a larger log fills (bench/memory.ts)
 *   profile   V8 CPU profiles of produce (RF 1 acks=1, RF 3 acks=all) and fetch, 1000 × 100 B per
 *             request, attributed to JSON parse, validation, encoding, SQLite, RPC, replication (bench/profile.ts)
 *   e2e       end-to-end latency: an open-loop producer at 1,000 records/s and one long-polling consumer,
 *             send → receive per record, RF 1 acks=1 and RF 3 acks=all (bench/e2e.ts)
 * Every scenario block also reports workerd's RSS at its start, its peak (sampled every 50 ms, and
 * the kernel's VmHWM) and its growth: one workerd process hosts the Worker and every Durable
 * Object, so that is their sum, not one DO's memory.
 * Every scenario has a fixed request count and a wall-clock cap; `--quick` (or BENCH_QUICK=1)
 * shrinks them to a smoke run under a minute. Node 24 type stripping: erasable TypeScript only.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PROJECT_ROOT, startLocalCluster, type LocalCluster } from "../scripts/local-cluster.ts";
import { FlarelogClient } from "../src/client/flarelog-client.ts";
import {
  formatNumber,
  headline,
  KAFKA_COLUMNS,
  kafkaCells,
  Prng,
  runInterleaved,
  runLoad,
  summarize,
  table,
  throughput,
  type Headline,
  type LatencySummary,
  type OpOutcome,
  type Throughput,
} from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, PRODUCE_BATCH, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";
import { e2eHeadlines, e2eScenario, e2eTable, type E2eConfig, type E2eResult } from "./e2e.ts";
import { floorScenario, type FloorConfig, type FloorResult } from "./floor.ts";
import { groupsScenario, type GroupsConfig, type GroupsResult } from "./groups.ts";
import { idempotenceScenario, type IdempotenceResult } from "./idempotence.ts";
import { matrixScenario, type MatrixConfig, type MatrixResult } from "./matrix.ts";
import { memoryScenario, withMemory, type MemoryConfig, type MemoryResult, type MemoryWindow } from "./memory.ts";
import { writeReport } from "./report.ts";
import { bulkScenario, type BulkConfig, type BulkResult } from "./bulk.ts";
import { childWorkerdPids, processCpuSeconds } from "./proc.ts";
import { decodeBatches, decodeFrames } from "../src/codec/record-batch.ts";
import { FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { profileScenario, profileTables, type ProfileConfig, type ProfileResult } from "./profile.ts";
import { replicationScenario, type ReplicationConfig, type ReplicationResult } from "./replication.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

interface Config extends BulkConfig, FloorConfig, ReplicationConfig, GroupsConfig, MatrixConfig, MemoryConfig, E2eConfig, ProfileConfig {
  mode: "default" | "quick";
  /** Mixed produce/fetch requests before any scenario, so the JIT has compiled the hot paths. */
  globalWarmup: number;
  baselineRequests: number;
  produceRequests: number;
  produceWarmup: number;
  /** The produce configurations alternate in this many rounds (produceRequests in total each). */
  produceRounds: number;
  /** Wall-clock cap per configuration, over all its rounds. */
  produceCapMs: number;
  fetchLogRecords: number;
  fetchCapMs: number;
  indexSmallRecords: number;
  indexLargeRecords: number;
  indexFillBatch: number;
  indexFillConcurrency: number;
  indexFillCapMs: number;
  indexFetches: number;
  indexWarmup: number;
}

const DEFAULT: Config = {
  mode: "default",
  globalWarmup: 400,
  baselineRequests: 500,
  produceRequests: 2000,
  produceWarmup: 50,
  produceRounds: 4,
  produceCapMs: 30_000,
  fetchLogRecords: 100_000,
  fetchCapMs: 30_000,
  indexSmallRecords: 1_000,
  indexLargeRecords: 1_000_000,
  indexFillBatch: 1000,
  indexFillConcurrency: 8,
  indexFillCapMs: 180_000,
  indexFetches: 200,
  indexWarmup: 20,
  replProduceRequests: 1000,
  replProduceWarmup: 50,
  replProduceRounds: 4,
  replProduceCapMs: 40_000,
  failoverRounds: 10,
  followerRounds: 5,
  steadyMs: 500,
  failoverCapMs: 15_000,
  isrWaitCapMs: 15_000,
  isrPollMs: 10,
  groupLeaveRounds: 10,
  groupCrashRounds: 6,
  groupCrashContinuousRounds: 4,
  groupConsumeRecords: 120_000,
  groupConsumeRounds: 3,
  groupConsumeCapMs: 60_000,
  // 72 cells: about 2.5 s each with warm-up and topic creation, ~3 minutes in all.
  matrixCellRequests: 2000,
  matrixCellCapMs: 1_800,
  matrixWarmupCapMs: 2_000,
  matrixDrainCapMs: 20_000,
  memoryStepRepeats: 3,
  memoryFillRecords: 1_000_000,
  memoryFillCapMs: 60_000,
  profileRequests: 300,
  floorBatchRequests: 300,
  bulkRequests: 800,
  bulkRounds: 8,
  bulkCapMs: 60_000,
  profileCapMs: 30_000,
  profileSamplingUs: 100,
  e2eDurationMs: 20_000,
  e2eWarmupMs: 1_000,
  e2eRequestsPerSecond: 100,
  e2eRecordsPerRequest: 10,
  e2eWaitMs: 5_000,
  e2eDrainCapMs: 10_000,
  e2eReplicated: true,
};

const QUICK: Config = {
  ...DEFAULT,
  mode: "quick",
  globalWarmup: 100,
  baselineRequests: 100,
  produceRequests: 150,
  produceWarmup: 10,
  produceRounds: 2,
  produceCapMs: 5_000,
  fetchLogRecords: 20_000,
  fetchCapMs: 8_000,
  indexLargeRecords: 100_000,
  indexFillCapMs: 15_000,
  indexFetches: 100,
  indexWarmup: 10,
  replProduceRequests: 100,
  replProduceWarmup: 10,
  replProduceRounds: 2,
  replProduceCapMs: 6_000,
  failoverRounds: 3,
  followerRounds: 2,
  steadyMs: 300,
  failoverCapMs: 10_000,
  isrWaitCapMs: 10_000,
  groupLeaveRounds: 3,
  groupCrashRounds: 1,
  groupCrashContinuousRounds: 1,
  groupConsumeRecords: 12_000,
  groupConsumeRounds: 2,
  groupConsumeCapMs: 20_000,
  matrixCellRequests: 200,
  matrixCellCapMs: 350,
  matrixWarmupCapMs: 1_000,
  matrixDrainCapMs: 5_000,
  memoryStepRepeats: 2,
  memoryFillRecords: 1_000_000,
  memoryFillCapMs: 20_000,
  profileRequests: 60,
  floorBatchRequests: 50,
  bulkRequests: 40,
  bulkRounds: 2,
  bulkCapMs: 10_000,
  e2eDurationMs: 4_000,
};

interface FetchBody {
  records: { offset: number; value: string | null }[];
  next_offset: number;
  high_watermark: number;
}

/** The largest fetch the API allows (LIMITS.maxFetchBytes): catch-up passes set it so that max_records binds. */
const MAX_FETCH_BYTES = 8 * 1024 * 1024;

async function fetchJsonAt(http: Http, topic: string, offset: number, maxRecords: number, maxBytes?: number): Promise<{ body: FetchBody; wireBytes: number }> {
  const bytes = maxBytes === undefined ? "" : `&max_bytes=${maxBytes}`;
  const r = await call(http, "GET", `/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=${maxRecords}${bytes}`);
  expectStatus(`fetch ${topic}@${offset}`, r, 200);
  const body = JSON.parse(r.text) as FetchBody;
  if (body.records[0]?.offset !== offset) throw new Error(`fetch ${topic}@${offset}: first record is ${JSON.stringify(body.records[0])?.slice(0, 200)}`);
  return { body, wireBytes: r.text.length };
}

const fetchOutcome = (f: { body: FetchBody; wireBytes: number }): OpOutcome => ({
  records: f.body.records.length,
  payloadBytes: f.body.records.reduce((n, rec) => n + (rec.value?.length ?? 0), 0),
  wireBytes: f.wireBytes,
});

async function highWatermark(client: FlarelogClient, topic: string): Promise<number> {
  const r = await client.describeTopic(topic);
  if (!r.ok) throw new Error(`describe ${topic}: HTTP ${r.status}`);
  return r.body.partitions[0]!.high_watermark ?? 0;
}

/** Fills partition 0 of `topic` with `records` records in batches of `batch` (not measured per request). */
async function fill(http: Http, topic: string, records: number, batch: number, concurrency: number, capMs: number, seed: number): Promise<Throughput> {
  const bodies = produceBodies(batch, seed);
  return throughput(
    await runLoad({ requests: Math.ceil(records / batch), concurrency, timeCapMs: capMs, op: produceOp(http, topic, "1", bodies, batch) }),
  );
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/** Warms the whole request path (HTTP, routing, Durable Object, SQLite) before anything is measured. */
async function globalWarmup(http: Http, client: FlarelogClient, cfg: Config): Promise<void> {
  const topic = "bench-warmup";
  await createTopic(client, topic);
  const produce = produceOp(http, topic, "1", produceBodies(PRODUCE_BATCH, 7, 2), PRODUCE_BATCH);
  let written = 0;
  await runLoad({
    requests: cfg.globalWarmup,
    concurrency: 1,
    timeCapMs: 60_000,
    op: async (i) => {
      if (i % 2 === 0 || written === 0) {
        const out = await produce(i);
        written += out.records;
        return out;
      }
      return fetchOutcome(await fetchJsonAt(http, topic, (i * 37) % (written - PRODUCE_BATCH + 1), PRODUCE_BATCH));
    },
  });
}

interface BaselineResult extends Throughput {
  name: string;
}

async function baseline(http: Http, cfg: Config): Promise<BaselineResult> {
  const op = async (): Promise<OpOutcome> => {
    const r = await call(http, "GET", "/healthz");
    expectStatus("healthz", r, 200);
    return { records: 0, payloadBytes: 0, wireBytes: r.text.length };
  };
  await runLoad({ requests: 50, concurrency: 1, timeCapMs: 5_000, op });
  return { name: "GET /healthz", ...throughput(await runLoad({ requests: cfg.baselineRequests, concurrency: 1, timeCapMs: 10_000, op })) };
}

interface ProduceResult extends Throughput {
  acks: string;
  concurrency: number;
  records_per_request: number;
  value_bytes: number;
  warmup_requests: number;
  rounds: number;
}

/**
 * The four produce configurations run in interleaved rounds (each round: every configuration
 * in turn, `produceRequests / produceRounds` requests each; `runInterleaved`), so slow drift of
 * the shared machine (JIT, GC, the neighbours) is spread over all of them rather than landing on one.
 */
async function produceScenarios(http: Http, client: FlarelogClient, cfg: Config): Promise<ProduceResult[]> {
  const bodies = produceBodies(PRODUCE_BATCH, 1);
  const configs = (["1", "all"] as const).flatMap((acks) => [1, 8].map((concurrency) => ({ acks, concurrency })));
  const ops: { op: (i: number) => Promise<OpOutcome>; concurrency: number }[] = [];
  for (const { acks, concurrency } of configs) {
    const topic = `bench-produce-acks${acks}-c${concurrency}`;
    await createTopic(client, topic);
    ops.push({ op: produceOp(http, topic, acks, bodies, PRODUCE_BATCH), concurrency });
  }
  const loads = await runInterleaved(ops, { warmup: cfg.produceWarmup, requests: cfg.produceRequests, rounds: cfg.produceRounds, capMs: cfg.produceCapMs });
  return configs.map(({ acks, concurrency }, i) => {
    const r = throughput(loads[i]!);
    log(`  produce acks=${acks} concurrency=${concurrency}: ${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`);
    return { acks, concurrency, records_per_request: PRODUCE_BATCH, value_bytes: VALUE_BYTES, warmup_requests: cfg.produceWarmup, rounds: cfg.produceRounds, ...r };
  });
}

interface FetchScenarioResult extends Throughput {
  max_records: number;
  log_records: number;
  stored_batch_records: number;
}

async function fetchScenarios(http: Http, client: FlarelogClient, cfg: Config): Promise<FetchScenarioResult[]> {
  const topic = "bench-fetch";
  await createTopic(client, topic);
  const filled = await fill(http, topic, cfg.fetchLogRecords, PRODUCE_BATCH, 8, cfg.fetchCapMs * 2, 2);
  const end = await highWatermark(client, topic);
  log(`  filled ${topic}: ${formatNumber(end)} records in ${filled.elapsed_s} s`);
  const out: FetchScenarioResult[] = [];
  for (const maxRecords of [500, 100]) {
    const r = await sequentialPass(http, topic, end, maxRecords, cfg.fetchCapMs);
    out.push({ max_records: maxRecords, log_records: end, stored_batch_records: PRODUCE_BATCH, ...r });
    log(`  fetch max_records=${maxRecords}: ${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`);
  }
  return out;
}

/** A binary fetch (Accept: the record-batch type): frames decoded into records, as a consumer would. */
async function fetchBinaryAt(http: Http, topic: string, offset: number, maxRecords: number, maxBytes = MAX_FETCH_BYTES): Promise<{ body: FetchBody; wireBytes: number }> {
  const res = await fetch(`${http.base}/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=${maxRecords}&max_bytes=${maxBytes}`, {
    headers: { authorization: `Bearer ${http.token}`, accept: RECORD_BATCH_CONTENT_TYPE },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`binary fetch ${topic}@${offset}: HTTP ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 300)}`);
  const records = decodeBatches(decodeFrames(bytes));
  if (records[0]?.offset !== offset) throw new Error(`binary fetch ${topic}@${offset}: first record is ${records[0]?.offset}`);
  const next = Number(res.headers.get(FETCH_HEADERS.nextOffset));
  const values = records.map((r) => ({ offset: r.offset, value: r.value === null ? null : "x".repeat(r.value.length) }));
  return { body: { records: values, next_offset: next, high_watermark: Number(res.headers.get(FETCH_HEADERS.highWatermark)) }, wireBytes: bytes.length };
}

/** A consumer's catch-up: a few warm-up reads spread over the log, then one measured pass from offset 0 to `end`. */
async function sequentialPass(http: Http, topic: string, end: number, maxRecords: number, capMs: number, format: "json" | "binary" = "json"): Promise<Throughput> {
  const fetchAt = format === "json" ? fetchJsonAt : fetchBinaryAt;
  const prng = new Prng(3);
  for (let i = 0; i < 10; i++) await fetchAt(http, topic, prng.int(0, Math.max(0, end - maxRecords)), maxRecords, MAX_FETCH_BYTES);
  let offset = 0;
  const r = throughput(
    await runLoad({
      // At most one request per record: `done` ends the pass at the end of the log.
      requests: end,
      concurrency: 1,
      timeCapMs: capMs,
      done: () => offset >= end,
      op: async () => {
        const f = await fetchAt(http, topic, offset, maxRecords, MAX_FETCH_BYTES);
        offset = f.body.next_offset;
        return fetchOutcome(f);
      },
    }),
  );
  if (offset < end && !r.capped_by_time) throw new Error(`fetch pass of ${topic} stopped at ${offset} of ${end}`);
  return r;
}

/** max_records of the catch-up passes over the large log: one stored batch of 1000, and ten. */
const CATCHUP_MAX_RECORDS = [1000, 10_000];

interface CatchupResult extends FetchScenarioResult {
  format: "json" | "binary";
}

interface IndexLogResult {
  topic: string;
  log_records: number;
  stored_batches: number;
  fetches: number;
  latency: LatencySummary;
}

interface IndexResult {
  records_per_batch: number;
  max_records: number;
  seed: number;
  fill_large: Throughput & { concurrency: number; target_records: number };
  small: IndexLogResult;
  large: IndexLogResult;
  ratio_p50: number;
  ratio_p99: number;
  ratio_mean: number;
  /** Consumer catch-up: the large log read from offset 0 to the end, one request in flight, JSON and binary. */
  catchup: CatchupResult[];
}

/** Largest batch the server accepts among the candidates (the brief: 1000 if it fits, else 100). */
async function acceptedBatch(http: Http, topic: string, candidates: number[]): Promise<{ batch: number; probe: string }> {
  for (const n of candidates) {
    const body = produceBodies(n, 9, 1)[0]!;
    const r = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, body);
    if (r.status === 200) return { batch: n, probe: `${n} records (${body.length} B body) accepted` };
  }
  throw new Error(`no batch size in ${candidates.join(", ")} was accepted by ${topic}`);
}

async function indexScenario(http: Http, client: FlarelogClient, cfg: Config): Promise<IndexResult> {
  const small = "bench-index-small";
  const large = "bench-index-large";
  const probeTopic = "bench-index-probe";
  await createTopic(client, small);
  await createTopic(client, large);
  await createTopic(client, probeTopic);
  const { batch, probe } = await acceptedBatch(http, probeTopic, [cfg.indexFillBatch, 100]);
  log(`  batch probe: ${probe}`);
  // Both logs are written in the same batch size, so a fetch decodes the same kind of stored batch in each.
  await fill(http, small, cfg.indexSmallRecords, Math.min(batch, cfg.indexSmallRecords), 1, 60_000, 4);
  const fillLarge = await fill(http, large, cfg.indexLargeRecords, batch, cfg.indexFillConcurrency, cfg.indexFillCapMs, 5);
  const sizes: Record<string, number> = { [small]: await highWatermark(client, small), [large]: await highWatermark(client, large) };
  log(`  filled ${large}: ${formatNumber(sizes[large]!)} records in ${fillLarge.elapsed_s} s (${formatNumber(fillLarge.records_per_s)} records/s)`);

  const maxRecords = 100;
  const seed = 42;
  const prng = new Prng(seed);
  const pick = (topic: string) => prng.int(0, sizes[topic]! - maxRecords);
  for (let i = 0; i < cfg.indexWarmup; i++) {
    await fetchJsonAt(http, small, pick(small), maxRecords);
    await fetchJsonAt(http, large, pick(large), maxRecords);
  }
  // Alternate the two logs so drift (GC, page cache, the other process) hits both alike.
  const lat: Record<string, number[]> = { [small]: [], [large]: [] };
  for (let i = 0; i < cfg.indexFetches; i++) {
    for (const topic of i % 2 === 0 ? [small, large] : [large, small]) {
      const offset = pick(topic);
      const t0 = performance.now();
      const f = await fetchJsonAt(http, topic, offset, maxRecords);
      lat[topic]!.push(performance.now() - t0);
      if (f.body.records.length !== maxRecords) throw new Error(`fetch ${topic}@${offset}: ${f.body.records.length} records`);
    }
  }
  const result = (topic: string): IndexLogResult => ({
    topic,
    log_records: sizes[topic]!,
    stored_batches: Math.ceil(sizes[topic]! / Math.min(batch, sizes[topic]!)),
    fetches: lat[topic]!.length,
    latency: summarize(lat[topic]!),
  });
  const s = result(small);
  const l = result(large);
  const catchup: CatchupResult[] = [];
  for (const format of ["json", "binary"] as const)
    for (const maxRecords of CATCHUP_MAX_RECORDS) {
      const r = await sequentialPass(http, large, sizes[large]!, maxRecords, cfg.indexFillCapMs, format);
      catchup.push({ format, max_records: maxRecords, log_records: sizes[large]!, stored_batch_records: batch, ...r });
      log(`  catch-up (${format}) of ${formatNumber(sizes[large]!)} records, max_records=${maxRecords}: ${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`);
    }
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  return {
    records_per_batch: batch,
    max_records: maxRecords,
    seed,
    fill_large: { concurrency: cfg.indexFillConcurrency, target_records: cfg.indexLargeRecords, ...fillLarge },
    small: s,
    large: l,
    ratio_p50: ratio(l.latency.p50_ms, s.latency.p50_ms),
    ratio_p99: ratio(l.latency.p99_ms, s.latency.p99_ms),
    ratio_mean: ratio(l.latency.mean_ms, s.latency.mean_ms),
    catchup,
  };
}

// ---------------------------------------------------------------------------------------------
// Machine facts, output

function git(...args: string[]): string | null {
  try {
    return execFileSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** The installed version of a package, found the way Node resolves it (the nearest node_modules up the tree). */
function packageVersion(name: string): string | null {
  for (let dir = PROJECT_ROOT; ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      if (dirname(dir) === dir) return null;
    }
  }
}

export interface CpuSplit {
  wall_s: number;
  /** CPU seconds used by this Node process (the load generator) during the scenario. */
  load_generator_cpu_s: number;
  /** CPU seconds used by workerd (the server: Worker, Durable Objects, SQLite) during the scenario. */
  workerd_cpu_s: number | null;
}

/** Runs `fn` and reports where the CPU went meanwhile (the load generator vs workerd), and workerd's memory. */
async function withCpuSplit<T>(workerd: number | null, fn: () => Promise<T>): Promise<{ value: T; cpu: CpuSplit; memory: MemoryWindow | null }> {
  const wall0 = performance.now();
  const self0 = process.cpuUsage();
  const w0 = workerd === null ? null : processCpuSeconds(workerd);
  const { value, memory } = await withMemory(workerd, fn);
  const self = process.cpuUsage(self0);
  const w1 = workerd === null ? null : processCpuSeconds(workerd);
  return {
    value,
    cpu: {
      wall_s: Number(((performance.now() - wall0) / 1000).toFixed(2)),
      load_generator_cpu_s: Number(((self.user + self.system) / 1e6).toFixed(2)),
      workerd_cpu_s: w0 === null || w1 === null ? null : Number((w1 - w0).toFixed(2)),
    },
    memory,
  };
}

/** Aggregate CPU jiffies from /proc/stat (Linux); null elsewhere. */
function cpuTimes(): { total: number; idle: number; steal: number } | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
  } catch {
    return null;
  }
}

/** Share of all cores busy, and stolen by the hypervisor, between two `cpuTimes()` readings. */
function cpuUse(a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>) {
  if (a === null || b === null || b.total <= a.total) return null;
  const total = b.total - a.total;
  const pct = (v: number) => Number(((100 * v) / total).toFixed(1));
  return { busy_pct: pct(total - (b.idle - a.idle)), steal_pct: pct(b.steal - a.steal) };
}

function machine() {
  const cpuList = cpus();
  const status = git("status", "--porcelain");
  return {
    cpus: cpuList.length,
    cpu_model: cpuList[0]?.model ?? null,
    total_mem_gb: Number((totalmem() / 2 ** 30).toFixed(1)),
    platform: `${platform()} ${release()}`,
    node: process.version,
    workerd: packageVersion("workerd"),
    miniflare: packageVersion("miniflare"),
    wrangler: packageVersion("wrangler"),
    commit: git("rev-parse", "HEAD"),
    /** Uncommitted changes were present in the tree that was benchmarked. */
    dirty: status === null ? null : status.length > 0,
    load_average_at_start: loadavg().map((v) => Number(v.toFixed(2))),
    /** Whole-machine CPU use over the run (both processes and anything else), filled in at the end. */
    cpu_during_run: null as ReturnType<typeof cpuUse>,
    note: "load generator (this Node process) and workerd share the same cores",
  };
}

/** A TCP port free on 127.0.0.1 right now (for workerd's inspector). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function printTables(results: Results): void {
  const out: string[] = [];
  const m = results.machine;
  out.push(
    `Flarelog local benchmark — ${results.date} (${results.mode} run, ${results.duration_s} s)`,
    `${m.cpus} × ${m.cpu_model ?? "?"}, node ${m.node}, workerd ${m.workerd}, commit ${m.commit?.slice(0, 12) ?? "?"}${m.dirty ? " (dirty tree)" : ""}`,
    "Load generator and workerd share the same cores; local SQLite on disk: not production numbers.",
    ...(m.cpu_during_run ? [`Machine CPU over the run: ${m.cpu_during_run.busy_pct}% busy, ${m.cpu_during_run.steal_pct}% stolen by the hypervisor.`] : []),
    "",
  );
  if (results.baseline) {
    const b = results.baseline;
    out.push("Baseline (sequential)", table(["request", "requests", "req/s", "p50 ms", "p99 ms"], [[b.name, b.requests, b.requests_per_s, b.latency.p50_ms, b.latency.p99_ms]]), "");
  }
  if (results.produce) {
    out.push(
      `Produce: ${PRODUCE_BATCH} records × ${VALUE_BYTES} B values per request, partition endpoint, 1 partition, RF 1`,
      table(
        ["acks", "conc", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
        results.produce.map((p) => [p.acks, p.concurrency, p.requests, ...kafkaCells(p), p.wire_mb_per_s, p.requests_per_s]),
      ),
      "",
    );
  }
  if (results.fetch) {
    out.push(
      `Fetch: sequential read from offset 0 to the end of a ${formatNumber(results.fetch[0]?.log_records ?? 0)}-record partition (stored in batches of ${PRODUCE_BATCH})`,
      table(
        ["max_records", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
        results.fetch.map((f) => [f.max_records, f.requests, ...kafkaCells(f), f.wire_mb_per_s, f.requests_per_s]),
      ),
      "",
    );
  }
  if (results.fetch_vs_log_size) {
    const x = results.fetch_vs_log_size;
    const f = x.fill_large;
    out.push(
      `Fetch vs log size: ${x.small.fetches} fetches each at random offsets (seed ${x.seed}), max_records=${x.max_records}, stored batches of ${x.records_per_batch}`,
      table(
        ["log records", "stored batches", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms"],
        [x.small, x.large].map((l) => [l.log_records, l.stored_batches, l.latency.mean_ms, l.latency.p50_ms, l.latency.p90_ms, l.latency.p99_ms, l.latency.max_ms]),
      ),
      `ratio large/small: p50 ${x.ratio_p50}×, p99 ${x.ratio_p99}×, mean ${x.ratio_mean}×`,
      `fill of the large log: ${formatNumber(f.records)} records in ${f.elapsed_s} s = ${formatNumber(f.records_per_s)} records/s ` +
        `(${f.requests} requests × ${x.records_per_batch}, concurrency ${f.concurrency}, p50 ${f.latency.p50_ms} ms, p99 ${f.latency.p99_ms} ms)` +
        (f.capped_by_time ? " — stopped by the time cap" : ""),
      "",
      `Consumer catch-up: the ${formatNumber(x.large.log_records)}-record log read from offset 0 to the end, one request in flight (JSON, and binary frames decoded by the reader)`,
      table(
        ["format", "max_records", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
        x.catchup.map((c) => [c.format, c.max_records, c.requests, ...kafkaCells(c), c.wire_mb_per_s, c.requests_per_s]),
      ),
      "",
    );
  }
  if (results.replication) out.push(...replicationTables(results.replication));
  if (results.idempotence) {
    const x = results.idempotence;
    out.push(
      `Idempotence: ${PRODUCE_BATCH} records × ${VALUE_BYTES} B per request, partition endpoint, acks=all, RF 1, same run, interleaved rounds`,
      table(
        ["idempotent", "conc", "requests", "records/s", "req/s", "p50 ms", "p99 ms"],
        x.rows.map((r) => [r.idempotent ? "yes" : "no", r.concurrency, r.requests, r.records_per_s, r.requests_per_s, r.latency.p50_ms, r.latency.p99_ms]),
      ),
      `idempotent ÷ plain records/s: ${Object.entries(x.ratio).map(([k, v]) => `${k.replace("_", " ")} ${v}×`).join(", ")}`,
      "",
    );
  }
  if (results.groups) out.push(...groupsTables(results.groups));
  if (results.matrix) out.push(...matrixTable(results.matrix));
  if (results.floor) out.push(...floorTables(results.floor));
  if (results.memory_scenario) out.push(...memoryTables(results.memory_scenario));
  if (results.profile) out.push(...profileTables(results.profile));
  if (results.bulk)
    out.push(
      `Bulk produce: ${results.bulk.rows[0]?.records_per_request ?? 0} records × ${VALUE_BYTES} B per request, partition endpoint, 1 partition, one request in flight, interleaved rounds`,
      table(
        ["format", "RF", "acks", "body B", "requests", ...KAFKA_COLUMNS, "req/s", "workerd CPU ms/req"],
        [
          ...results.bulk.rows.map((r) => [r.format, r.replication_factor, r.acks, r.body_bytes, r.requests, ...kafkaCells(r), r.requests_per_s, r.workerd_cpu_ms_per_request ?? "?"]),
          ...results.bulk.floor.map((f) => [`floor (${f.format} body)`, "-", "-", f.body_bytes, f.requests, ...kafkaCells(f), f.requests_per_s, f.workerd_cpu_ms_per_request ?? "?"]),
        ],
      ),
      table(
        ["workload", "Flarelog records/s", "floor records/s", "throughput ratio", "p50 ratio", "CPU/request ratio"],
        results.bulk.ratios.map((r) => [
          r.workload,
          r.flarelog_records_per_s,
          r.floor_records_per_s,
          `${r.throughput_ratio.toFixed(2)}×`,
          `${r.p50_ratio.toFixed(2)}×`,
          r.cpu_per_request_ratio === null ? "?" : `${r.cpu_per_request_ratio.toFixed(2)}×`,
        ]),
      ),
      "",
    );
  if (results.e2e) out.push(...e2eTable(results.e2e));
  const cpuRows = Object.entries(results.cpu).map(([name, c]) => {
    const m = results.memory[name as Block];
    return [name, c.wall_s, c.load_generator_cpu_s, c.workerd_cpu_s ?? "?", m?.rss_start_mib ?? "?", m?.rss_peak_mib ?? "?", m ? (m.vm_hwm_reset ? m.vm_hwm_mib : `${m.vm_hwm_mib} (since start)`) : "?", m?.peak_growth_mib ?? "?", m?.growth_mib ?? "?", m ? `${m.anon_start_mib} → ${m.anon_end_mib}` : "?"];
  });
  if (cpuRows.length > 0)
    out.push(
      "CPU (seconds) and workerd memory (MiB) per scenario block, fills and warm-ups included",
      table(["block", "wall", "load generator CPU", "workerd CPU", "RSS start", "RSS peak", "VmHWM", "peak − start", "end − start", "anonymous start → end"], cpuRows),
      "RSS sampled every 50 ms; VmHWM: the kernel's peak over the block. One workerd process hosts the Worker and every Durable Object: the sum, not one DO.",
      "",
    );
  process.stdout.write(`${out.join("\n")}\n`);
}

function memoryTables(x: MemoryResult): string[] {
  const row = (kind: string, st: MemoryResult["produce"][number]) => [
    kind,
    st.target_bytes,
    st.body_bytes,
    st.records_per_request,
    st.value_bytes,
    st.requests,
    st.latency.p50_ms,
    st.memory.rss_start_mib,
    st.memory.rss_peak_mib,
    st.memory.vm_hwm_mib,
    st.memory.peak_growth_mib,
    st.memory.growth_mib,
  ];
  const f = x.fill;
  return [
    "Memory — single requests of growing size (workerd RSS, MiB; the Worker and every DO together)",
    table(
      ["request", "target B", "body B", "records", "value B", "requests", "p50 ms", "RSS start", "RSS peak", "VmHWM", "peak − start", "end − start"],
      [...x.produce.map((st) => row("produce", st)), ...x.fetch.map((st) => row("fetch max_bytes", st))],
    ),
    `over the request limit: ${formatNumber(x.over_limit.body_bytes)} B → HTTP ${x.over_limit.status}`,
    `larger log: ${formatNumber(f.log_records)} records × 100 B in ${f.elapsed_s} s; RSS ${f.memory.rss_start_mib} → peak ${f.memory.rss_peak_mib} (VmHWM ${f.memory.vm_hwm_mib}) → end ${f.memory.rss_end_mib} MiB; ` +
      `anonymous ${f.memory.anon_start_mib} → ${f.memory.anon_end_mib} MiB; RSS (anonymous) by records: ` +
      f.points.filter((_, i) => i % Math.max(1, Math.ceil(f.points.length / 8)) === 0 || i === f.points.length - 1).map((p) => `${formatNumber(p.records)}: ${p.rss_mib} (${p.anon_mib})`).join(", "),
    `largest produce body ${formatNumber(x.largest_produce_bytes)} B, largest fetch response ${formatNumber(x.largest_fetch_bytes)} B; highest workerd RSS in this scenario ${x.peak_rss_mib} MiB (limit of one DO: 128 MB)`,
    "",
  ];
}

function matrixTable(x: MatrixResult): string[] {
  return [
    `Produce matrix: ${x.endpoint}, concurrency ${x.concurrency}, one topic per cell; RF 3 with min.insync.replicas 2`,
    table(
      ["value B", "batch", "acks", "RF", "parts", "requests", ...KAFKA_COLUMNS, "acks=0 drain ms", "acks=0 landed rec/s"],
      x.cells.map((c) => [
        c.value_bytes,
        c.records_per_request,
        c.acks,
        c.replication_factor,
        c.partitions,
        c.requests,
        ...kafkaCells(c),
        c.acks0_drain?.drain_ms ?? "-",
        c.acks0_drain ? (c.acks0_drain.landed_records < c.acks0_drain.expected_records ? `${formatNumber(c.acks0_drain.landed_records_per_s)} (not all landed)` : c.acks0_drain.landed_records_per_s) : "-",
      ]),
    ),
    "acks=0: the server answers 202 before the write; records are counted as sent at the 202 and latency is time to the 202.",
    "drain: the wait after the cell until the high watermarks covered every record sent; landed rec/s = records ÷ (cell time + drain).",
    "",
  ];
}

/** Every headline figure of the run, for the JSON line that ends stdout. */
function headlines(r: Results) {
  const workloads: Headline[] = [];
  if (r.baseline) workloads.push(headline(`baseline ${r.baseline.name}`, r.baseline));
  for (const p of r.produce ?? []) workloads.push(headline(`produce ${p.records_per_request}x${p.value_bytes}B acks=${p.acks} RF1 1p conc=${p.concurrency}`, p));
  for (const f of r.fetch ?? []) workloads.push(headline(`fetch catch-up ${f.log_records} records max_records=${f.max_records}`, f));
  if (r.fetch_vs_log_size) {
    const x = r.fetch_vs_log_size;
    for (const l of [x.small, x.large]) {
      // Sequential random-offset fetches: records/s from the mean latency (one request in flight).
      const records = l.fetches * x.max_records;
      const perS = Math.round((x.max_records * 1000) / l.latency.mean_ms);
      workloads.push(
        headline(`fetch random offset, log of ${l.log_records} records, max_records=${x.max_records}`, {
          latency: l.latency,
          records,
          records_per_s: perS,
          payload_mb_per_s: Number(((perS * VALUE_BYTES) / 1e6).toFixed(2)),
        }),
      );
    }
    for (const c of x.catchup) workloads.push(headline(`consumer catch-up ${c.format} ${c.log_records} records max_records=${c.max_records}`, c));
  }
  for (const p of r.replication?.produce ?? [])
    workloads.push(headline(`replication produce ${p.records_per_request}x${p.value_bytes}B acks=${p.acks} RF${p.replication_factor} conc=${p.concurrency}`, p));
  for (const x of r.idempotence?.rows ?? [])
    workloads.push(headline(`idempotence ${x.idempotent ? "idempotent" : "plain"} acks=${x.acks} conc=${x.concurrency}`, x));
  for (const b of r.bulk?.rows ?? []) workloads.push(headline(`bulk ${b.format} ${b.records_per_request}x${b.value_bytes}B acks=${b.acks} RF${b.replication_factor} 1p`, b));
  for (const f of r.bulk?.floor ?? []) workloads.push(headline(`floor write ${f.format} body 1000x100B (bulk rounds)`, f));
  for (const c of r.matrix?.cells ?? [])
    workloads.push(headline(`matrix ${c.value_bytes}B batch=${c.records_per_request} acks=${c.acks} RF${c.replication_factor} ${c.partitions}p`, c));
  for (const w of r.floor?.write ?? []) workloads.push(headline(`floor write ${w.records_per_request}x${w.value_bytes}B conc=${w.concurrency}`, w));
  for (const x of r.floor?.read ?? []) workloads.push(headline(`floor read max_records=${x.max_records}`, x));
  for (const h of r.e2e ? e2eHeadlines(r.e2e) : []) workloads.push(h);
  return {
    bench: "flarelog",
    schema: 1,
    date: r.date,
    mode: r.mode,
    commit: r.machine.commit,
    dirty: r.machine.dirty,
    duration_s: r.duration_s,
    workloads,
    ...(r.fetch_vs_log_size
      ? { fetch_vs_log_size: { ratio_p50: r.fetch_vs_log_size.ratio_p50, ratio_p99: r.fetch_vs_log_size.ratio_p99, ratio_mean: r.fetch_vs_log_size.ratio_mean } }
      : {}),
    ...(r.floor || r.bulk ? { floor_ratios: [...(r.bulk?.ratios ?? []), ...(r.floor?.ratios ?? [])] } : {}),
    // workerd's RSS per block (MiB): start, peak (max of samples and, when reset per block, VmHWM), growth.
    memory_mib: Object.fromEntries(
      Object.entries(r.memory).flatMap(([block, m]) =>
        m ? [[block, { rss_start: m.rss_start_mib, rss_peak: Math.max(m.rss_peak_mib, m.vm_hwm_reset ? m.vm_hwm_mib : 0), growth: m.growth_mib, anon_end: m.anon_end_mib }]] : [],
      ),
    ),
    ...(r.memory_scenario
      ? {
          memory_scenario: {
            largest_produce_bytes: r.memory_scenario.largest_produce_bytes,
            largest_fetch_bytes: r.memory_scenario.largest_fetch_bytes,
            peak_rss_mib: r.memory_scenario.peak_rss_mib,
            produce_peak_rss_mib: r.memory_scenario.produce.map((st) => [st.body_bytes, st.memory.rss_peak_mib]),
            fetch_peak_rss_mib: r.memory_scenario.fetch.map((st) => [st.body_bytes, st.memory.rss_peak_mib]),
            fill: { records: r.memory_scenario.fill.log_records, rss_start_mib: r.memory_scenario.fill.memory.rss_start_mib, rss_end_mib: r.memory_scenario.fill.memory.rss_end_mib, rss_peak_mib: r.memory_scenario.fill.memory.rss_peak_mib, anon_start_mib: r.memory_scenario.fill.memory.anon_start_mib, anon_end_mib: r.memory_scenario.fill.memory.anon_end_mib },
          },
        }
      : {}),
  };
}

function floorTables(x: FloorResult): string[] {
  const out = [
    `Platform floor: a bare SQLite Durable Object, one row per request body — ${x.runtime}`,
    table(
      ["floor", "conc", "requests", ...KAFKA_COLUMNS, "req/s"],
      [
        ...x.write.map((w) => [`write ${w.records_per_request} × ${w.value_bytes} B`, w.concurrency, w.requests, ...kafkaCells(w), w.requests_per_s]),
        ...x.read.map((r) => [`read ${r.rows_per_request} row${r.rows_per_request === 1 ? "" : "s"} of ${r.records_per_row} (≙ max_records ${r.max_records}) of ${formatNumber(r.log_records)}`, 1, r.requests, ...kafkaCells(r), r.requests_per_s]),
      ],
    ),
    "",
  ];
  if (x.ratios.length > 0)
    out.push(
      "Flarelog ÷ floor (same run)",
      table(
        ["workload", "Flarelog records/s", "floor records/s", "throughput ratio", "p50 ratio"],
        x.ratios.map((r) => [r.workload, r.flarelog_records_per_s, r.floor_records_per_s, `${r.throughput_ratio.toFixed(2)}×`, `${r.p50_ratio.toFixed(2)}×`]),
      ),
      "",
    );
  return out;
}

function groupsTables(x: GroupsResult): string[] {
  const out: string[] = [];
  // Whole milliseconds from 100 ms up, so a column does not mix "2218" and "2,952".
  const ms = (v: number) => (v >= 100 ? Math.round(v) : v);
  const leave = (v: GroupsResult["leave"]["interval"], label: string) => [
    label,
    v.rounds.length,
    ms(v.rebalance_ms.p50_ms),
    ms(v.rebalance_ms.max_ms),
    v.delete_ms.p50_ms,
    v.rounds.map((r) => formatNumber(ms(r.rebalance_ms))).join(", "),
  ];
  out.push(
    `Consumer groups — rebalance after a leave: ${x.members} members, ${x.partitions} partitions, ${x.assignor} assignor, ` +
      `session ${x.leave.session_timeout_ms} ms (server default), heartbeat_interval_ms ${x.leave.heartbeat_interval_ms}`,
    table(
      ["survivors heartbeat", "rounds", "p50 ms", "max ms", "DELETE p50 ms", "all rounds, ms"],
      [leave(x.leave.interval, `every ${x.leave.heartbeat_interval_ms} ms, random phase`), leave(x.leave.continuous, "back to back")],
    ),
    "rebalance: DELETE sent → the two survivors' heartbeat answers own all partitions",
    "",
  );
  const crash = (v: GroupsResult["crash"]["interval"], label: string) => [
    label,
    v.rounds.length,
    ms(v.total_ms.p50_ms),
    ms(v.total_ms.max_ms),
    ms(v.beyond_session_ms.p50_ms),
    ms(v.beyond_session_ms.max_ms),
    v.rounds.map((r) => formatNumber(ms(r.total_ms))).join(", "),
  ];
  out.push(
    `Consumer groups — rebalance after a crash (member stops heartbeating): session_timeout_ms ${x.crash.session_timeout_ms}, heartbeat_interval_ms ${x.crash.heartbeat_interval_ms}`,
    table(
      ["survivors heartbeat", "rounds", "total p50 ms", "total max ms", "beyond session p50 ms", "beyond max ms", "all rounds, ms"],
      [crash(x.crash.interval, `every ${x.crash.heartbeat_interval_ms} ms, random phase`), crash(x.crash.continuous, "back to back")],
    ),
    "total: the victim's last heartbeat answer → the survivors' answers own all partitions; beyond = total − session timeout",
    "",
  );
  const c = x.consume;
  out.push(
    `Consumer groups — consume: ${formatNumber(c.records)} records × ${c.value_bytes} B on ${c.partitions} partitions (RF 1), max_records=${c.max_records}; ` +
      `plain = one consumer, partition fetch endpoint, round-robin, 1 request in flight; group = ${x.members} members polling in parallel, commit after each poll`,
    table(
      ["round", "mode", "records/s", "requests", "empty", "p50 ms", "p99 ms", "commit p50 ms", "missing", "duplicates", "wrong values", "workerd CPU ms/1000 rec"],
      c.runs.map((r) => [
        r.round + 1,
        r.mode,
        r.records_per_s,
        r.requests,
        r.empty_requests,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.commit_latency?.p50_ms ?? "-",
        r.missing,
        r.duplicates,
        r.wrong_values,
        r.workerd_cpu_ms_per_1000_records ?? "?",
      ]),
    ),
    `plain ${formatNumber(c.plain_records_per_s)} records/s, group ${formatNumber(c.group_records_per_s)} records/s: group ÷ plain ${c.ratio}×; ` +
      `fill ${c.fill.elapsed_s} s = ${formatNumber(c.fill.records_per_s)} records/s (${c.fill.records_per_request} per request, concurrency ${c.fill.concurrency})`,
    "",
  );
  return out;
}

function replicationTables(x: ReplicationResult): string[] {
  const out: string[] = [];
  const p0 = x.produce[0];
  if (p0)
    out.push(
      `Replication — produce: ${p0.records_per_request} records × ${p0.value_bytes} B per request, 1 partition, RF 3 with min.insync.replicas 2, ` +
        `${p0.rounds} interleaved rounds`,
      table(
        ["RF", "acks", "conc", "requests", "records/s", "vs RF 1", "MB/s values", "req/s", "p50 ms", "p90 ms", "p99 ms", "workerd CPU ms/req"],
        x.produce.map((p) => [
          p.replication_factor,
          p.acks,
          p.concurrency,
          p.requests,
          p.records_per_s,
          `${p.relative_to_rf1_acks1.toFixed(2)}×`,
          p.payload_mb_per_s,
          p.requests_per_s,
          p.latency.p50_ms,
          p.latency.p90_ms,
          p.latency.p99_ms,
          p.workerd_cpu_ms_per_request ?? "?",
        ]),
      ),
      "",
    );
  const f = x.failover;
  const errs = (e: Record<string, number>) => Object.entries(e).map(([k, n]) => `${n}× ${k}`).join(", ") || "-";
  if (f.rounds.length > 0)
    out.push(
      `Replication — leader offline under a steady acks=all load (sequential producer, ${PRODUCE_BATCH} × ${VALUE_BYTES} B): ${f.rounds.length} rounds`,
      table(
        ["round", "leader", "epoch", "offline call ms", "fail-over ms", "failed before success", "in-flight request", "online call ms", "behind", "ISR expand ms", "polls"],
        f.rounds.map((r) => [
          r.round + 1,
          `${r.old_leader} → ${r.new_leader}`,
          `${r.old_epoch} → ${r.new_epoch}`,
          r.offline_call_ms,
          r.failover_ms ?? "none",
          errs(r.errors_before_success),
          r.in_flight === null ? "-" : r.in_flight.ok ? `ok ${formatNumber(r.in_flight.ms)} ms` : `${r.in_flight.error} ${formatNumber(r.in_flight.ms)} ms`,
          r.online_call_ms,
          r.records_behind ?? "?",
          r.isr_expand_ms ?? "never",
          r.isr_polls,
        ]),
      ),
      `fail-over p50 ${f.failover_ms.p50_ms} ms, max ${f.failover_ms.max_ms} ms; offline call p50 ${f.offline_call_ms.p50_ms} ms, max ${f.offline_call_ms.max_ms} ms; ` +
        `ISR expand after online p50 ${f.isr_expand_ms.p50_ms} ms, max ${f.isr_expand_ms.max_ms} ms (online call p50 ${f.online_call_ms.p50_ms} ms)`,
      "behind: records the partition took while the replica was offline; polls: describes until the ISR showed 3 members (1: the first already did)",
      "",
    );
  const fo = x.follower_offline;
  if (fo.rounds.length > 0)
    out.push(
      `Replication — follower offline (admin) under the same load: ${fo.rounds.length} rounds`,
      table(
        ["round", "leader", "follower", "offline call ms", "ISR in answer", "ISR described after", "producer errors", "online call ms", "behind", "ISR expand ms", "polls"],
        fo.rounds.map((r) => [
          r.round + 1,
          r.leader,
          r.follower,
          r.offline_call_ms,
          `[${r.isr_in_answer.join(",")}]`,
          `[${r.isr_described_after.join(",")}]`,
          errs(r.producer_errors),
          r.online_call_ms,
          r.records_behind ?? "?",
          r.isr_expand_ms ?? "never",
          r.isr_polls,
        ]),
      ),
      `ISR shrink (offline call) p50 ${fo.offline_call_ms.p50_ms} ms, max ${fo.offline_call_ms.max_ms} ms; ` +
        `ISR expand after online p50 ${fo.isr_expand_ms.p50_ms} ms, max ${fo.isr_expand_ms.max_ms} ms (online call p50 ${fo.online_call_ms.p50_ms} ms)`,
      "",
    );
  const s = x.steady_producer;
  const g = x.integrity;
  out.push(
    `Steady producer: ${formatNumber(s.requests)} requests, ${formatNumber(s.succeeded)} acked (p50 ${s.latency_ok.p50_ms} ms, p99 ${s.latency_ok.p99_ms} ms), errors: ${errs(s.errors)}`,
    `Read back ${formatNumber(g.records_read)} records (HW ${formatNumber(g.high_watermark)}): ${g.acked_records_lost} acked records lost, ` +
      `${g.values_written_twice} values written twice, failed requests written anyway: ${errs(g.failed_but_written)}`,
    ...g.examples.map((e) => `  written twice: ${e}`),
    "",
  );
  return out;
}

type Block = "produce" | "fetch" | "fetch_vs_log_size" | "replication" | "idempotence" | "groups" | "matrix" | "memory" | "e2e" | "profile" | "bulk";

interface Results {
  schema: 1;
  date: string;
  mode: Config["mode"];
  duration_s: number;
  server_start_s: number;
  machine: ReturnType<typeof machine>;
  config: Config;
  baseline?: BaselineResult;
  produce?: ProduceResult[];
  fetch?: FetchScenarioResult[];
  fetch_vs_log_size?: IndexResult;
  replication?: ReplicationResult;
  idempotence?: IdempotenceResult;
  groups?: GroupsResult;
  floor?: FloorResult;
  matrix?: MatrixResult;
  memory_scenario?: MemoryResult | null;
  profile?: ProfileResult;
  bulk?: BulkResult;
  e2e?: E2eResult;
  /** Per scenario block (fills and warm-ups included): wall time and CPU of each process. */
  cpu: Partial<Record<Block, CpuSplit>>;
  /** Per scenario block: workerd's RSS at the start, its peak and growth (the Worker and every DO together). */
  memory: Partial<Record<Block, MemoryWindow | null>>;
}

// ---------------------------------------------------------------------------------------------
// Main

function parseArgs(argv: string[]): { quick: boolean; only: Set<string> | null; report: boolean } {
  let quick = process.env.BENCH_QUICK === "1";
  let report: boolean | null = null;
  let only: Set<string> | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--report") report = true;
    else if (a === "--no-report") report = false;
    else if (a === "--only" || a.startsWith("--only=")) {
      const v = a === "--only" ? argv[++i] : a.slice("--only=".length);
      only = new Set((v ?? "").split(",").filter(Boolean));
    } else if (a === "--help" || a === "-h") {
      process.stdout.write("usage: node bench/run.ts [--quick] [--report|--no-report] [--only baseline,produce,fetch,index,replication,idempotence,groups,floor,matrix,memory,e2e,profile,bulk]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  const known = new Set(["baseline", "produce", "fetch", "index", "replication", "idempotence", "groups", "floor", "matrix", "memory", "e2e", "profile", "bulk"]);
  for (const s of only ?? []) if (!known.has(s)) throw new Error(`unknown scenario ${s} (known: ${[...known].join(", ")})`);
  // A whole default run rewrites the generated section of docs/benchmarks.md and the chart; others only when asked.
  return { quick, only, report: report ?? (only === null && !quick) };
}

async function main(): Promise<void> {
  let summaryLine = "";
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : DEFAULT;
  const runs = (s: string) => args.only === null || args.only.has(s);
  const started = performance.now();
  const cpuAtStart = cpuTimes();
  const stateDir = await mkdtemp(join(tmpdir(), "flarelog-bench-"));
  const token = randomBytes(24).toString("hex");
  let cluster: LocalCluster | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await cluster?.stop().catch((e: unknown) => log(`stop failed: ${String(e)}`));
      await rm(stateDir, { recursive: true, force: true });
    })());
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
    process.on(signal, () => {
      log(`bench: ${signal}, stopping the server and removing ${stateDir}`);
      void cleanup().finally(() => process.exit(130));
    });

  try {
    log(`bench: ${cfg.mode} run; starting the local cluster (state in ${stateDir})`);
    const t0 = performance.now();
    const inspectorPort = runs("profile") ? await freePort() : undefined;
    cluster = await startLocalCluster({ port: 0, host: "127.0.0.1", persistDir: stateDir, adminToken: token, exitOnSignal: false, ...(inspectorPort !== undefined ? { inspectorPort } : {}) });
    const serverStart = (performance.now() - t0) / 1000;
    const url = new URL(cluster.url);
    if (url.hostname !== "127.0.0.1") throw new Error(`refusing to benchmark a non-local server: ${cluster.url}`);
    const http: Http = { base: cluster.url, token };
    const client = new FlarelogClient({ baseUrl: cluster.url, token });
    log(`bench: server at ${cluster.url} after ${serverStart.toFixed(1)} s`);

    const results: Results = {
      schema: 1,
      date: new Date().toISOString(),
      mode: cfg.mode,
      duration_s: 0,
      server_start_s: Number(serverStart.toFixed(2)),
      machine: machine(),
      config: cfg,
      cpu: {},
      memory: {},
    };
    log(`bench: warm-up (${cfg.globalWarmup} requests)`);
    await globalWarmup(http, client, cfg);
    const workerd = [...childWorkerdPids()][0] ?? null;
    if (runs("baseline")) {
      log("bench: baseline");
      results.baseline = await baseline(http, cfg);
    }
    const sampler = () => {
      const u = process.cpuUsage();
      return { workerd: workerd === null ? null : processCpuSeconds(workerd), loadGenerator: (u.user + u.system) / 1e6 };
    };
    /** Runs one scenario block with workerd's CPU and memory measured around it (results.cpu / .memory). */
    const measured = async <T,>(block: Block, label: string, run: () => Promise<T>): Promise<T> => {
      log(`bench: ${label}`);
      const r = await withCpuSplit(workerd, run);
      results.cpu[block] = r.cpu;
      results.memory[block] = r.memory;
      return r.value;
    };
    if (runs("bulk")) results.bulk = await measured("bulk", "bulk: JSON vs binary produce, 1000 × 100 B", () => bulkScenario(http, client, cfg, join(stateDir, "bulk-floor"), log, workerd));
    if (runs("produce")) results.produce = await measured("produce", "produce", () => produceScenarios(http, client, cfg));
    if (runs("fetch")) results.fetch = await measured("fetch", "fetch", () => fetchScenarios(http, client, cfg));
    if (runs("index")) results.fetch_vs_log_size = await measured("fetch_vs_log_size", "fetch vs log size", () => indexScenario(http, client, cfg));
    if (runs("replication")) results.replication = await measured("replication", "replication", () => replicationScenario(http, client, cfg, sampler));
    if (runs("idempotence")) results.idempotence = await measured("idempotence", "idempotence", () => idempotenceScenario(http, client, cfg, log));
    if (runs("groups")) results.groups = await measured("groups", "consumer groups", () => groupsScenario(http, client, cfg, sampler, log));
    if (runs("matrix")) results.matrix = await measured("matrix", "produce matrix", () => matrixScenario(http, client, cfg, log));
    if (runs("memory")) results.memory_scenario = await measured("memory", "memory", () => memoryScenario(http, client, cfg, workerd, log));
    if (runs("e2e")) results.e2e = await measured("e2e", "end-to-end latency", () => e2eScenario(http, client, cfg, log));
    if (runs("profile") && inspectorPort !== undefined) {
      const server = { inspectorPort, bundle: cluster.bundle, workerdCpuMs: () => (workerd === null ? null : (processCpuSeconds(workerd) ?? Number.NaN) * 1000) };
      results.profile = await measured("profile", "profile of the produce and fetch paths", () => profileScenario(http, client, cfg, server, log));
    }
    if (runs("floor")) {
      log("bench: platform floor");
      results.floor = await floorScenario(cfg, join(stateDir, "floor"), results, log);
    }
    results.duration_s = Number(((performance.now() - started) / 1000).toFixed(1));
    results.machine.cpu_during_run = cpuUse(cpuAtStart, cpuTimes());

    const outDir = resolve(HERE, "results");
    await mkdir(outDir, { recursive: true });
    const tmp = join(outDir, "latest.json.tmp");
    await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
    await rename(tmp, join(outDir, "latest.json"));
    printTables(results);
    log(`bench: wrote ${join(outDir, "latest.json")}`);
    const summary = headlines(results);
    summaryLine = JSON.stringify(summary);
    if (args.report) {
      const paths = { markdownPath: join(PROJECT_ROOT, "docs", "benchmarks.md"), svgPath: join(PROJECT_ROOT, "docs", "benchmarks-throughput.svg") };
      await writeReport(summary, paths).then(
        () => log(`bench: wrote the generated section of ${paths.markdownPath} and ${paths.svgPath}`),
        (e: unknown) => log(`bench: could not write the report: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
  } finally {
    await cleanup();
  }
  // After the server stopped, so nothing it prints can follow: stdout's last line.
  process.stdout.write(`${summaryLine}\n`);
}

await main();
