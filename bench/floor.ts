/**
 * The `floor` scenario of `npm run bench` (issue 7, first step): the platform floor measured in
 * the same run and with the same harness as Flarelog, and each Flarelog produce and fetch figure
 * of the run as a ratio to it.
 *
 * The floor worker (bench/floor/worker.ts: one bare SQLite-backed Durable Object per name, one
 * row per request body) runs in a second Miniflare instance, i.e. its own workerd process on the
 * same cores, started here on 127.0.0.1 with its own temporary state and stopped at the end, so
 * nothing of it ships and the product's process is untouched (idle while the floor runs).
 *
 *   write floor  the produce workload's exact bodies (PRODUCE_BATCH records × VALUE_BYTES B, the
 *                same seed), concurrency 1 and 8, interleaved rounds with the produce settings
 *   read floor   rows of those bodies filling as many records as the fetch workload's log, read
 *                from the first row to the end, `max` rows per request matching max_records
 *                500 and 100 (5 and 1 stored batches of PRODUCE_BATCH)
 *
 * Ratio = Flarelog records/s ÷ floor records/s (and p50 latency ÷ floor p50), for the rows the
 * produce and fetch scenarios measured earlier in the run. Node 24 type stripping: erasable
 * TypeScript only.
 */
import { readFile } from "node:fs/promises";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { PROJECT_ROOT } from "../scripts/local-cluster.ts";
import { runInterleaved, runLoad, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { PRODUCE_BATCH, produceBodies, REQUEST_TIMEOUT_MS, VALUE_BYTES } from "./http.ts";

export interface FloorConfig {
  produceRequests: number;
  produceWarmup: number;
  produceRounds: number;
  produceCapMs: number;
  fetchLogRecords: number;
  fetchCapMs: number;
}

export interface WriteFloorResult extends Throughput {
  concurrency: number;
  records_per_request: number;
  value_bytes: number;
}

export interface ReadFloorResult extends Throughput {
  /** The Flarelog max_records this row stands for: `rows_per_request` × records per row. */
  max_records: number;
  rows_per_request: number;
  log_records: number;
}

export interface FloorRatio {
  workload: string;
  flarelog_records_per_s: number;
  floor_records_per_s: number;
  /** Flarelog records/s ÷ floor records/s. */
  throughput_ratio: number;
  /** Flarelog p50 latency ÷ floor p50 latency. */
  p50_ratio: number;
}

export interface FloorResult {
  runtime: string;
  write: WriteFloorResult[];
  read: ReadFloorResult[];
  ratios: FloorRatio[];
}

/** The parts of the produce and fetch results the ratios need. */
export interface MeasuredRows {
  produce?: (Throughput & { acks: string; concurrency: number })[];
  fetch?: (Throughput & { max_records: number })[];
}

/** Miniflare's warnings and errors only, to stderr like the rest of the bench log. */
class StderrLog extends Log {
  constructor() {
    super(LogLevel.WARN);
  }

  protected override log(message: string): void {
    process.stderr.write(`${message}\n`);
  }
}

async function startFloor(persistDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const source = await readFile(join(PROJECT_ROOT, "bench", "floor", "worker.ts"), "utf8");
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new StderrLog(),
      cf: false,
      resourcePersistencePath: persistDir,
      name: "flarelog-floor",
      // The product's date and flags (wrangler.toml), so both run the same runtime behaviour.
      compatibilityDate: "2026-10-01",
      compatibilityFlags: ["nodejs_compat"],
      modules: [{ type: "ESModule", path: join(PROJECT_ROOT, "bench", "floor", "worker.js"), contents: stripTypeScriptTypes(source, { mode: "strip" }) }],
      durableObjects: { FLOOR: { className: "FloorDO", useSQLite: true } },
    }),
  );
  const ready = await mf.ready;
  return { url: ready.origin, stop: () => mf.dispose() };
}

/** The same client path as bench/http.ts `call`: global fetch, keep-alive, the same timeout. */
async function floorCall(url: string, init: RequestInit = {}): Promise<{ text: string; next: string | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`floor ${init.method ?? "GET"} ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return { text, next: res.headers.get("x-next") };
}

function writeOp(base: string, partition: string, bodies: string[]): (i: number) => Promise<OpOutcome> {
  const url = `${base}/write?p=${partition}`;
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await floorCall(url, { method: "POST", headers: { "content-type": "application/json" }, body });
    if (typeof (JSON.parse(r.text) as { id?: unknown }).id !== "number") throw new Error(`floor write: ${r.text.slice(0, 200)}`);
    return { records: PRODUCE_BATCH, payloadBytes: PRODUCE_BATCH * VALUE_BYTES, wireBytes: body.length };
  };
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

export async function floorScenario(cfg: FloorConfig, persistDir: string, measured: MeasuredRows, log: (line: string) => void): Promise<FloorResult> {
  const floor = await startFloor(persistDir);
  try {
    log(`  floor worker at ${floor.url} (second Miniflare instance)`);
    // Write floor: the produce scenario's bodies (same seed), its concurrencies and interleaving.
    const bodies = produceBodies(PRODUCE_BATCH, 1);
    const concurrencies = [1, 8];
    const loads = await runInterleaved(
      concurrencies.map((c) => ({ op: writeOp(floor.url, `produce-c${c}`, bodies), concurrency: c })),
      { warmup: cfg.produceWarmup, requests: cfg.produceRequests, rounds: cfg.produceRounds, capMs: cfg.produceCapMs },
    );
    const write = concurrencies.map((concurrency, i): WriteFloorResult => {
      const r = throughput(loads[i]!);
      log(`  write floor concurrency=${concurrency}: ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms`);
      return { concurrency, records_per_request: PRODUCE_BATCH, value_bytes: VALUE_BYTES, ...r };
    });

    // Read floor: as many records as the fetch scenario's log, one row per stored batch.
    const rows = Math.ceil(cfg.fetchLogRecords / PRODUCE_BATCH);
    await runLoad({ requests: rows, concurrency: 8, timeCapMs: cfg.fetchCapMs * 2, op: writeOp(floor.url, "fetch", produceBodies(PRODUCE_BATCH, 2)) });
    const read: ReadFloorResult[] = [];
    for (const maxRecords of [500, 100]) {
      const max = maxRecords / PRODUCE_BATCH;
      for (let i = 0; i < 10; i++) await floorCall(`${floor.url}/read?p=fetch&from=${1 + ((i * 7919) % rows)}&max=${max}`);
      let from = 1;
      const r = throughput(
        await runLoad({
          requests: Math.ceil(rows / max),
          concurrency: 1,
          timeCapMs: cfg.fetchCapMs,
          done: () => from > rows,
          op: async () => {
            const res = await floorCall(`${floor.url}/read?p=fetch&from=${from}&max=${max}`);
            const next = Number(res.next);
            const got = next - from;
            if (!(got > 0)) throw new Error(`floor read from ${from}: no rows`);
            from = next;
            return { records: got * PRODUCE_BATCH, payloadBytes: got * PRODUCE_BATCH * VALUE_BYTES, wireBytes: res.text.length };
          },
        }),
      );
      if (from <= rows && !r.capped_by_time) throw new Error(`floor read stopped at row ${from} of ${rows}`);
      log(`  read floor max_records=${maxRecords} (${max} row${max === 1 ? "" : "s"}): ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms`);
      read.push({ max_records: maxRecords, rows_per_request: max, log_records: rows * PRODUCE_BATCH, ...r });
    }

    const ratios: FloorRatio[] = [];
    for (const p of measured.produce ?? []) {
      const f = write.find((w) => w.concurrency === p.concurrency);
      if (f)
        ratios.push({
          workload: `produce acks=${p.acks} RF 1 conc ${p.concurrency}`,
          flarelog_records_per_s: p.records_per_s,
          floor_records_per_s: f.records_per_s,
          throughput_ratio: ratio(p.records_per_s, f.records_per_s),
          p50_ratio: ratio(p.latency.p50_ms, f.latency.p50_ms),
        });
    }
    for (const x of measured.fetch ?? []) {
      const f = read.find((r) => r.max_records === x.max_records);
      if (f)
        ratios.push({
          workload: `fetch catch-up max_records=${x.max_records}`,
          flarelog_records_per_s: x.records_per_s,
          floor_records_per_s: f.records_per_s,
          throughput_ratio: ratio(x.records_per_s, f.records_per_s),
          p50_ratio: ratio(x.latency.p50_ms, f.latency.p50_ms),
        });
    }
    return { runtime: "second Miniflare instance (own workerd process), same machine and load generator", write, read, ratios };
  } finally {
    await floor.stop();
  }
}
