/**
 * Issue 21's figures for log compaction (`npm run bench -- --only compaction` runs it alone):
 *
 * - engine: the cleaner alone, in this Node process over node:sqlite (no server): a log of
 *   `compactionFillRecords` records on `compactionKeys` keys (batches of 1000, 100-byte values,
 *   1 MiB segments) compacted by `PartitionLog.compactStep` until idle; records/s compacted =
 *   records in the cleaned range ÷ time. CPU-bound and single-threaded.
 * - server: the same log in a topic of the local server (RF 1, its own tenant so its /metrics
 *   scrape is small). Produce 100 keyed records × 100 B per request, acks=1, concurrency 1,
 *   `compactionProduceRequests` requests, first with cleanup.policy=delete (no cleaner), then
 *   right after switching the topic to compact, while the replica's alarm runs the cleaner over
 *   the filled log; the ratio of the two records/s is the produce slowdown (target ≥ 0.8). The
 *   partition's stored bytes are scraped every 100 ms during both loads (same overhead): the
 *   cleaner's time is from the switch to the last fall of stored bytes, and the share of the
 *   loaded run it overlapped is reported, so a ratio measured after the cleaner finished shows.
 * Each round uses a fresh topic; `compactionRounds` rounds. Node 24 type stripping: erasable
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
  cleaner_ms: number | null;
  cleaner_records_per_s: number | null;
  bytes_before: number;
  bytes_after: number;
  /** Share of the loaded run during which the cleaner was still working (0..1). */
  cleaner_busy_share: number | null;
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

/** One round: fill a fresh topic, produce without the cleaner, switch to compact, produce while it cleans. */
async function serverRound(http: Http, cfg: CompactionConfig, round: number, log: (l: string) => void) {
  const topic = `bench-compaction-${round}-${Date.now().toString(36)}`;
  const body = { name: topic, partitions: 1, replication_factor: 1, configs: { "segment.bytes": String(SEGMENT_BYTES), "retention.ms": "-1" } };
  expectStatus(`create ${topic}`, await call(http, "POST", "/v1/topics", JSON.stringify(body)), 201);
  const fill = keyedBodies(cfg.compactionKeys, FILL_BATCH, 100 + round);
  await runLoad({ requests: Math.ceil(cfg.compactionFillRecords / FILL_BATCH), concurrency: 4, timeCapMs: cfg.compactionCapMs, op: produceOp(http, topic, fill, FILL_BATCH) });
  const bodies = keyedBodies(cfg.compactionKeys, LOAD_BATCH, 200 + round);
  const load = () => runLoad({ requests: cfg.compactionProduceRequests, concurrency: 1, timeCapMs: cfg.compactionCapMs, op: produceOp(http, topic, bodies, LOAD_BATCH) });
  const idle = sampleBytes(http, topic);
  const alone = await load();
  await idle.stop();
  const bytesBefore = await storedBytes(http, topic);
  const alter = await call(http, "PATCH", `/v1/topics/${topic}`, JSON.stringify({ configs: { "cleanup.policy": "compact", "segment.bytes": String(SEGMENT_BYTES), "retention.ms": "-1" } }));
  expectStatus("alter to compact", alter, 200);
  const t0 = performance.now();
  const busy = sampleBytes(http, topic);
  const during = await load();
  const loadEnd = performance.now();
  // Keep sampling until the bytes have not changed for 2 s (many cleaner pauses: it is done), within the cap.
  let seen = await storedBytes(http, topic);
  let changedAt = performance.now();
  while (performance.now() - t0 < cfg.compactionCapMs && performance.now() - changedAt < 2000) {
    await new Promise((done) => setTimeout(done, 250));
    const now = await storedBytes(http, topic);
    if (now !== seen) [seen, changedAt] = [now, performance.now()];
  }
  const samples = await busy.stop();
  let lastFall: number | null = null;
  for (let i = 1; i < samples.length; i++) if (samples[i]!.bytes < samples[i - 1]!.bytes) lastFall = samples[i]!.t;
  const cleanerMs = lastFall === null ? null : lastFall - t0;
  const bytesAfter = await storedBytes(http, topic);
  const r: CompactionRound = {
    cleaner_ms: cleanerMs === null ? null : Math.round(cleanerMs),
    cleaner_records_per_s: cleanerMs === null ? null : Math.round(cfg.compactionFillRecords / (cleanerMs / 1000)),
    bytes_before: bytesBefore,
    bytes_after: bytesAfter,
    cleaner_busy_share: cleanerMs === null ? null : Number(Math.min(1, cleanerMs / (loadEnd - t0)).toFixed(2)),
  };
  log(`  round ${round}: cleaner ${r.cleaner_ms} ms (${r.cleaner_records_per_s} records/s), bytes ${bytesBefore} → ${bytesAfter}, busy ${r.cleaner_busy_share} of the loaded run`);
  return { round: r, alone, during };
}

export async function compactionScenario(http: Http, cfg: CompactionConfig, log: (l: string) => void): Promise<CompactionResult> {
  const engine = engineCleaner(cfg.compactionFillRecords, cfg.compactionKeys);
  log(`  engine (node:sqlite): ${engine.records} records on ${engine.keys} keys compacted in ${engine.elapsed_ms} ms = ${engine.records_per_s} records/s (${engine.steps} steps, ${engine.bytes_before} → ${engine.bytes_after} bytes, ${engine.records_kept} records kept)`);
  const tenant = await ownTenant(http);
  const rounds: CompactionRound[] = [];
  const alone: LoadResult[] = [];
  const during: LoadResult[] = [];
  for (let i = 0; i < cfg.compactionRounds; i++) {
    const r = await serverRound(tenant, cfg, i, log);
    rounds.push(r.round);
    alone.push(r.alone);
    during.push(r.during);
  }
  const a = throughput(mergeLoads(alone));
  const d = throughput(mergeLoads(during));
  const ratio = Number((d.records_per_s / a.records_per_s).toFixed(3));
  log(`  produce alone ${a.records_per_s} records/s (p99 ${a.latency.p99_ms} ms), while cleaning ${d.records_per_s} records/s (p99 ${d.latency.p99_ms} ms): ratio ${ratio}`);
  return { engine, rounds, produce_alone: a, produce_during_cleaning: d, ratio };
}
