/**
 * The `index` scenario of `npm run bench` (bench/run.ts): random-offset fetches (max_records=100)
 * in a 10^3 against a 10^6-record log, alternating the two, then a consumer's catch-up of the
 * large log from offset 0 to the end, JSON and binary. Results: `fetch_vs_log_size`.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import type { Config } from "./config.ts";
import type { FetchScenarioResult } from "./core.ts";
import { formatNumber, log, Prng, summarize, type LatencySummary, type Throughput } from "./harness.ts";
import { call, createTopic, produceBodies, type Http } from "./http.ts";
import { fetchJsonAt, fill, highWatermark, sequentialPass } from "./reads.ts";

/** max_records of the catch-up passes over the large log: one stored batch of 1000, and ten. */
const CATCHUP_MAX_RECORDS = [1000, 10_000];
const SMALL = "bench-index-small";
const LARGE = "bench-index-large";
/** max_records of the random-offset fetches, and their seed. */
const MAX_RECORDS = 100;
const SEED = 42;

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

export interface IndexResult {
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
async function acceptedBatch(
  http: Http,
  topic: string,
  candidates: number[],
): Promise<{ batch: number; probe: string }> {
  for (const n of candidates) {
    const body = produceBodies(n, 9, 1)[0]!;
    const r = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, body);
    if (r.status === 200) return { batch: n, probe: `${n} records (${body.length} B body) accepted` };
  }
  throw new Error(`no batch size in ${candidates.join(", ")} was accepted by ${topic}`);
}

/** Both logs filled in the same batch size, so a fetch decodes the same kind of stored batch in each. */
async function fillLogs(http: Http, client: FlarelogClient, cfg: Config) {
  const probeTopic = "bench-index-probe";
  await createTopic(client, SMALL);
  await createTopic(client, LARGE);
  await createTopic(client, probeTopic);
  const { batch, probe } = await acceptedBatch(http, probeTopic, [cfg.indexFillBatch, 100]);
  log(`  batch probe: ${probe}`);
  await fill(http, SMALL, cfg.indexSmallRecords, Math.min(batch, cfg.indexSmallRecords), 1, 60_000, 4);
  const concurrency = cfg.indexFillConcurrency;
  const fillLarge = await fill(http, LARGE, cfg.indexLargeRecords, batch, concurrency, cfg.indexFillCapMs, 5);
  const sizes: Record<string, number> = {
    [SMALL]: await highWatermark(client, SMALL),
    [LARGE]: await highWatermark(client, LARGE),
  };
  log(
    `  filled ${LARGE}: ${formatNumber(sizes[LARGE]!)} records in ${fillLarge.elapsed_s} s ` +
      `(${formatNumber(fillLarge.records_per_s)} records/s)`,
  );
  return { batch, fillLarge, sizes };
}

/**
 * Seeded random-offset fetches, the latencies per log; the two logs alternate so drift (GC, page
 * cache, the other process) hits both alike.
 */
async function randomFetches(
  http: Http,
  cfg: Config,
  sizes: Record<string, number>,
): Promise<Record<string, number[]>> {
  const prng = new Prng(SEED);
  const pick = (topic: string) => prng.int(0, sizes[topic]! - MAX_RECORDS);
  for (let i = 0; i < cfg.indexWarmup; i++) {
    await fetchJsonAt(http, SMALL, pick(SMALL), MAX_RECORDS);
    await fetchJsonAt(http, LARGE, pick(LARGE), MAX_RECORDS);
  }
  const lat: Record<string, number[]> = { [SMALL]: [], [LARGE]: [] };
  for (let i = 0; i < cfg.indexFetches; i++) {
    for (const topic of i % 2 === 0 ? [SMALL, LARGE] : [LARGE, SMALL]) {
      const offset = pick(topic);
      const t0 = performance.now();
      const f = await fetchJsonAt(http, topic, offset, MAX_RECORDS);
      lat[topic]!.push(performance.now() - t0);
      if (f.body.records.length !== MAX_RECORDS)
        throw new Error(`fetch ${topic}@${offset}: ${f.body.records.length} records`);
    }
  }
  return lat;
}

/** The large log read from offset 0 to the end, JSON then binary, each at every CATCHUP_MAX_RECORDS. */
async function catchupPasses(http: Http, cfg: Config, logRecords: number, batch: number): Promise<CatchupResult[]> {
  const catchup: CatchupResult[] = [];
  for (const format of ["json", "binary"] as const)
    for (const maxRecords of CATCHUP_MAX_RECORDS) {
      const r = await sequentialPass(http, LARGE, logRecords, maxRecords, cfg.indexFillCapMs, format);
      catchup.push({ format, max_records: maxRecords, log_records: logRecords, stored_batch_records: batch, ...r });
      log(
        `  catch-up (${format}) of ${formatNumber(logRecords)} records, max_records=${maxRecords}: ` +
          `${formatNumber(r.records_per_s)} records/s, p50 ${r.latency.p50_ms} ms`,
      );
    }
  return catchup;
}

export async function indexScenario(http: Http, client: FlarelogClient, cfg: Config): Promise<IndexResult> {
  const { batch, fillLarge, sizes } = await fillLogs(http, client, cfg);
  const lat = await randomFetches(http, cfg, sizes);
  const result = (topic: string): IndexLogResult => ({
    topic,
    log_records: sizes[topic]!,
    stored_batches: Math.ceil(sizes[topic]! / Math.min(batch, sizes[topic]!)),
    fetches: lat[topic]!.length,
    latency: summarize(lat[topic]!),
  });
  const s = result(SMALL);
  const l = result(LARGE);
  const catchup = await catchupPasses(http, cfg, sizes[LARGE]!, batch);
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  return {
    records_per_batch: batch,
    max_records: MAX_RECORDS,
    seed: SEED,
    fill_large: { concurrency: cfg.indexFillConcurrency, target_records: cfg.indexLargeRecords, ...fillLarge },
    small: s,
    large: l,
    ratio_p50: ratio(l.latency.p50_ms, s.latency.p50_ms),
    ratio_p99: ratio(l.latency.p99_ms, s.latency.p99_ms),
    ratio_mean: ratio(l.latency.mean_ms, s.latency.mean_ms),
    catchup,
  };
}
