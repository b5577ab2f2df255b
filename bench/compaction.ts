/**
 * Issue 21's figures for log compaction (`npm run bench -- --only compaction` runs it alone):
 *
 * - engine: the cleaner alone, in this Node process over node:sqlite (no server): a log of
 *   `compactionFillRecords` records on `compactionKeys` keys (batches of 1000, 100-byte values,
 *   1 MiB segments) compacted by `PartitionLog.compactStep` until idle; records/s compacted =
 *   records in the cleaned range ÷ time. CPU-bound and single-threaded.
 * - produce while the cleaner runs: the same log in a topic of the local server (RF 1, in a
 *   tenant of its own so its /metrics scrape is small). Produce 100 keyed records × 100 B per
 *   request, acks=1, concurrency 1, in 8 interleaved windows of `compactionProduceRequests / 8`
 *   requests: cleanup.policy=delete (the cleaner paused) and compact (the cleaner working through
 *   the filled log; its pass outlasts the compact windows together, so it works in each). The
 *   ratio of the two records/s is the produce slowdown (target ≥ 0.8).
 * - the cleaner in the server: another filled topic switched to compact with no load; its
 *   partition's stored bytes (the tenant's /metrics, every 100 ms) fall as the cleaner works;
 *   time = from the switch to the last fall; records/s = filled records ÷ time (pauses included).
 * Each round uses fresh topics; `compactionRounds` rounds. Node 24 type stripping: erasable
 * TypeScript only.
 */
import { DEFAULT_LOG_CONFIG } from "../src/protocol/config.ts";
import type { RecordInput } from "../src/protocol/types.ts";
import { PartitionLog } from "../src/log/partition-log.ts";
import { SqliteLogStore } from "../src/storage/sqlite-log-store.ts";
import { applyMigrations } from "../src/storage/migrations.ts";
import { partitionReplicaMigrations } from "../test/support/migrations.ts";
import { NodeSqlitePort } from "../test/support/node-sqlite-port.ts";
import { mergeLoads, Prng, runLoad, throughput, type LoadResult, type OpOutcome, type Throughput } from "./harness.ts";
import { call, expectStatus, value, type Http } from "./http.ts";

export interface CompactionConfig {
  compactionFillRecords: number;
  compactionKeys: number;
  compactionProduceRequests: number;
  compactionRounds: number;
  compactionCapMs: number;
}

export interface CompactionEngineResult {
  records: number;
  keys: number;
  records_kept: number;
  steps: number;
  elapsed_ms: number;
  records_per_s: number;
  bytes_before: number;
  bytes_after: number;
}

export interface CompactionRound {
  /** The cleaner alone in the server (no load): from the switch to compact to the last fall of stored bytes. */
  cleaner_ms: number | null;
  cleaner_records_per_s: number | null;
  bytes_before: number;
  bytes_after: number;
  /** Stored bytes of the produce windows' topic before and after them (the cleaner is still mid-pass). */
  produce_window_bytes: [number, number];
}

export interface CompactionResult {
  engine: CompactionEngineResult;
  rounds: CompactionRound[];
  produce_alone: Throughput;
  produce_during_cleaning: Throughput;
  /** produce records/s while the cleaner runs ÷ without it (target ≥ 0.8). */
  ratio: number;
}

const SEGMENT_BYTES = 1024 * 1024;
const FILL_BATCH = 1000;
const LOAD_BATCH = 100;

/** The cleaner alone over node:sqlite: fill, then compact until idle. */
export function engineCleaner(records: number, keys: number): CompactionEngineResult {
  const port = new NodeSqlitePort();
  try {
    applyMigrations(port, partitionReplicaMigrations());
    let now = 1_700_000_000_000;
    const clock = { now: () => now };
    const config = { ...DEFAULT_LOG_CONFIG, segmentBytes: SEGMENT_BYTES };
    const log = PartitionLog.open(new SqliteLogStore(port), clock, config);
    const prng = new Prng(21);
    const enc = new TextEncoder();
    const values = Array.from({ length: 64 }, () => enc.encode(value(prng)));
    for (let base = 0; base < records; base += FILL_BATCH) {
      const batch: RecordInput[] = [];
      for (let i = base; i < Math.min(records, base + FILL_BATCH); i++)
        batch.push({ key: enc.encode(`k${i % keys}`), value: values[i % values.length]!, headers: [] });
      const r = log.appendAsLeader(batch, 0);
      if (!r.ok) throw new Error(r.err.message);
      now += 1;
    }
    // Larger than what the active segment may still take: it rolls, and every fill segment is closed.
    const roll = log.appendAsLeader([{ key: enc.encode("roll"), value: new Uint8Array(900_000), headers: [] }], 0);
    if (!roll.ok) throw new Error(roll.err.message);
    log.maybeIncrementHighWatermark(log.logEndOffset);
    const bytesBefore = log.storedBytes();
    log.setConfig({ ...config, cleanupPolicy: "compact" });
    const t0 = performance.now();
    let steps = 0;
    while (log.compactStep().phase !== "idle") steps++;
    const elapsed = performance.now() - t0;
    let kept = 0;
    for (let offset = 0; offset < log.logEndOffset; ) {
      const r = log.read({ offset, maxRecords: 10_000, maxBytes: 8 << 20 });
      if (!r.ok) throw new Error(r.err.message);
      kept += r.value.records.length;
      offset = r.value.nextOffset;
    }
    return {
      records, keys, records_kept: kept, steps, elapsed_ms: Number(elapsed.toFixed(1)),
      records_per_s: Math.round(records / (elapsed / 1000)), bytes_before: bytesBefore, bytes_after: log.storedBytes(),
    };
  } finally {
    port.close();
  }
}

/** A tenant of its own with an admin key, so its metrics scrape covers only this scenario's topics. */
async function ownTenant(http: Http): Promise<Http> {
  const name = `bench-compaction-${Date.now().toString(36)}`;
  expectStatus(`create tenant ${name}`, await call(http, "POST", "/v1/admin/tenants", JSON.stringify({ name })), 201);
  const created = await call(http, "POST", "/v1/keys", JSON.stringify({ name: "bench", tenant: name, role: "admin" }));
  expectStatus("create key", created, 201);
  return { base: http.base, token: (JSON.parse(created.text) as { key: string }).key };
}

/** The partition's stored bytes from the tenant's /metrics scrape. */
async function storedBytes(http: Http, topic: string): Promise<number> {
  const r = await call(http, "GET", "/metrics");
  expectStatus("metrics", r, 200);
  const line = r.text.split("\n").find((l) => l.startsWith("flarelog_partition_storage_bytes{") && l.includes(`topic="${topic}"`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : Number.NaN;
}

/** Samples stored bytes every 100 ms until `stop` is called; answers the samples. */
function sampleBytes(http: Http, topic: string): { stop: () => Promise<{ t: number; bytes: number }[]> } {
  const samples: { t: number; bytes: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push({ t: performance.now(), bytes: await storedBytes(http, topic) });
      await new Promise((done) => setTimeout(done, 100));
    }
  })();
  return { stop: async () => ((running = false), await loop, samples) };
}

function keyedBodies(keys: number, perRequest: number, seed: number): string[] {
  const prng = new Prng(seed);
  return Array.from({ length: 8 }, (_, v) =>
    JSON.stringify({ records: Array.from({ length: perRequest }, (_, i) => ({ key: `k${(v * perRequest + i) % keys}`, value: value(prng) })) }),
  );
}

function produceOp(http: Http, topic: string, bodies: string[], n: number): (i: number) => Promise<OpOutcome> {
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, body);
    expectStatus(`produce to ${topic}`, r, 200);
    return { records: n, payloadBytes: n * 100, wireBytes: body.length };
  };
}

const WINDOWS = 8;

async function setPolicy(http: Http, topic: string, policy: "delete" | "compact"): Promise<void> {
  const configs = { "cleanup.policy": policy, "segment.bytes": String(SEGMENT_BYTES), "retention.ms": "-1" };
  expectStatus(`alter ${topic} to ${policy}`, await call(http, "PATCH", `/v1/topics/${topic}`, JSON.stringify({ configs })), 200);
}

/** A fresh topic (cleanup.policy=delete) filled with `compactionFillRecords` keyed records. */
async function filledTopic(http: Http, cfg: CompactionConfig, name: string, seed: number): Promise<string> {
  const topic = `${name}-${Date.now().toString(36)}`;
  const body = { name: topic, partitions: 1, replication_factor: 1, configs: { "segment.bytes": String(SEGMENT_BYTES), "retention.ms": "-1" } };
  expectStatus(`create ${topic}`, await call(http, "POST", "/v1/topics", JSON.stringify(body)), 201);
  const fill = keyedBodies(cfg.compactionKeys, FILL_BATCH, seed);
  await runLoad({ requests: Math.ceil(cfg.compactionFillRecords / FILL_BATCH), concurrency: 4, timeCapMs: cfg.compactionCapMs, op: produceOp(http, topic, fill, FILL_BATCH) });
  return topic;
}

/**
 * Produce with and without the cleaner, interleaved: windows alternate cleanup.policy delete
 * (cleaner paused) and compact (cleaner working through the filled log; a pass outlasts all
 * the compact windows together, so it is busy in each), `compactionProduceRequests / WINDOWS`
 * requests per window.
 */
async function produceWindows(http: Http, cfg: CompactionConfig, round: number) {
  const topic = await filledTopic(http, cfg, `bench-compaction-produce-${round}`, 100 + round);
  const bodies = keyedBodies(cfg.compactionKeys, LOAD_BATCH, 200 + round);
  const requests = Math.max(1, Math.floor(cfg.compactionProduceRequests / WINDOWS));
  const alone: LoadResult[] = [];
  const during: LoadResult[] = [];
  const bytesBefore = await storedBytes(http, topic);
  for (let w = 0; w < WINDOWS; w++) {
    const compact = w % 2 === 1;
    await setPolicy(http, topic, compact ? "compact" : "delete");
    const load = await runLoad({ requests, concurrency: 1, timeCapMs: cfg.compactionCapMs, op: produceOp(http, topic, bodies, LOAD_BATCH) });
    (compact ? during : alone).push(load);
  }
  const bytesAfter = await storedBytes(http, topic);
  return { alone, during, bytesBefore, bytesAfter };
}

/** The cleaner in the server with no load: switch a filled topic to compact, sample its bytes until they settle. */
async function serverCleaner(http: Http, cfg: CompactionConfig, round: number): Promise<Omit<CompactionRound, "produce_window_bytes">> {
  const topic = await filledTopic(http, cfg, `bench-compaction-cleaner-${round}`, 300 + round);
  const bytesBefore = await storedBytes(http, topic);
  const sampler = sampleBytes(http, topic);
  const t0 = performance.now();
  await setPolicy(http, topic, "compact");
  // Until the bytes have fallen (the map phase changes none) and then not changed for 2 s (many
  // cleaner pauses: it is done), within the cap.
  let seen = bytesBefore;
  let changedAt = performance.now();
  const settled = () => seen !== bytesBefore && performance.now() - changedAt >= 2000;
  while (performance.now() - t0 < cfg.compactionCapMs && !settled()) {
    await new Promise((done) => setTimeout(done, 250));
    const now = await storedBytes(http, topic);
    if (now !== seen) [seen, changedAt] = [now, performance.now()];
  }
  const samples = await sampler.stop();
  let lastFall: number | null = null;
  for (let i = 1; i < samples.length; i++) if (samples[i]!.bytes < samples[i - 1]!.bytes) lastFall = samples[i]!.t;
  const cleanerMs = lastFall === null ? null : lastFall - t0;
  return {
    cleaner_ms: cleanerMs === null ? null : Math.round(cleanerMs),
    cleaner_records_per_s: cleanerMs === null ? null : Math.round(cfg.compactionFillRecords / (cleanerMs / 1000)),
    bytes_before: bytesBefore,
    bytes_after: await storedBytes(http, topic),
  };
}

export async function compactionScenario(http: Http, cfg: CompactionConfig, log: (l: string) => void): Promise<CompactionResult> {
  const engine = engineCleaner(cfg.compactionFillRecords, cfg.compactionKeys);
  log(`  engine (node:sqlite): ${engine.records} records on ${engine.keys} keys compacted in ${engine.elapsed_ms} ms = ${engine.records_per_s} records/s (${engine.steps} steps, ${engine.bytes_before} → ${engine.bytes_after} bytes, ${engine.records_kept} records kept)`);
  const tenant = await ownTenant(http);
  const rounds: CompactionRound[] = [];
  const alone: LoadResult[] = [];
  const during: LoadResult[] = [];
  for (let i = 0; i < cfg.compactionRounds; i++) {
    const windows = await produceWindows(tenant, cfg, i);
    alone.push(...windows.alone);
    during.push(...windows.during);
    const cleaner = await serverCleaner(tenant, cfg, i);
    const r: CompactionRound = { ...cleaner, produce_window_bytes: [windows.bytesBefore, windows.bytesAfter] };
    rounds.push(r);
    const ratio = throughput(mergeLoads(windows.during)).records_per_s / throughput(mergeLoads(windows.alone)).records_per_s;
    log(`  round ${i}: produce ratio ${ratio.toFixed(3)}; cleaner alone in the server ${r.cleaner_ms} ms = ${r.cleaner_records_per_s} records/s, bytes ${r.bytes_before} → ${r.bytes_after}`);
  }
  const a = throughput(mergeLoads(alone));
  const d = throughput(mergeLoads(during));
  const ratio = Number((d.records_per_s / a.records_per_s).toFixed(3));
  log(`  produce alone ${a.records_per_s} records/s (p99 ${a.latency.p99_ms} ms), while cleaning ${d.records_per_s} records/s (p99 ${d.latency.p99_ms} ms): ratio ${ratio}`);
  return { engine, rounds, produce_alone: a, produce_during_cleaning: d, ratio };
}
