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
import type { CoreConfig } from "./config.ts";
import { runInterleaved, runLoad, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { startedWorkerd } from "./proc.ts";
import { PRODUCE_BATCH, produceBodies, REQUEST_TIMEOUT_MS, VALUE_BYTES } from "./http.ts";

/**
 * The floor's settings: its own, and the produce and fetch scenarios' (bench/config.ts), which it
 * runs again on the bare Durable Object; its catch-up read log has the index scenario's large
 * log's `indexLargeRecords` records.
 */
export interface FloorConfig
  extends Pick<CoreConfig, "produceRequests" | "produceWarmup" | "produceRounds" | "produceCapMs">,
    Pick<CoreConfig, "fetchLogRecords" | "fetchCapMs" | "indexLargeRecords"> {
  /** Requests of the batch-1000 write floor (1000 × 100 B bodies, one in flight): the matrix's batch-1000 cells' floor. */
  floorBatchRequests: number;
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
  records_per_row: number;
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
  matrix?: { cells: (Throughput & { value_bytes: number; records_per_request: number; acks: string; replication_factor: number; partitions: number })[] };
  fetch_vs_log_size?: { catchup: (Throughput & { format: string; max_records: number; log_records: number })[] };
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

/** The floor worker in its own workerd (`pid`: that process, for CPU figures; null off Linux). */
export async function startFloor(persistDir: string): Promise<{ url: string; pid: number | null; stop: () => Promise<void> }> {
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
  const { value: ready, pid } = await startedWorkerd(() => mf.ready);
  return { url: ready.origin, pid, stop: () => mf.dispose() };
}

/**
 * The same client path as bench/http.ts `call`: global fetch, keep-alive, the same timeout. Reads
 * (GET) ask for their answer uncompressed, as Flarelog's fetches do (bench/reads.ts): Miniflare gzips
 * an answer for a client that accepts it, and node's fetch does by default, so a floor read
 * without it paid a gzip that Flarelog's reads do not (the catch-up floor was slower than
 * Flarelog in every run before this).
 */
async function floorCall(url: string, init: RequestInit = {}): Promise<{ bytes: Uint8Array; next: string | null }> {
  const identity: Record<string, string> = init.method === undefined || init.method === "GET" ? { "accept-encoding": "identity" } : {};
  const headers: Record<string, string> = { ...identity, ...(init.headers as Record<string, string> | undefined) };
  const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`floor ${init.method ?? "GET"} ${url}: HTTP ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 300)}`);
  return { bytes, next: res.headers.get("x-next") };
}

/** Records per request of the batch-1000 write floor and per row of the catch-up read floor. */
const BIG_BATCH = 1000;

/** Reads rows 1..`rows` of `partition` in order, `max` rows per request, one request in flight. */
async function readPass(base: string, partition: string, rows: number, perRow: number, max: number, capMs: number): Promise<Throughput> {
  for (let i = 0; i < 10; i++) await floorCall(`${base}/read?p=${partition}&from=${1 + ((i * 7919) % rows)}&max=${max}`);
  let from = 1;
  const r = throughput(
    await runLoad({
      requests: Math.ceil(rows / max),
      concurrency: 1,
      timeCapMs: capMs,
      done: () => from > rows,
      op: async () => {
        const res = await floorCall(`${base}/read?p=${partition}&from=${from}&max=${max}`);
        const got = Number(res.next) - from;
        if (!(got > 0)) throw new Error(`floor read ${partition} from ${from}: no rows`);
        from += got;
        return { records: got * perRow, payloadBytes: got * perRow * VALUE_BYTES, wireBytes: res.bytes.length };
      },
    }),
  );
  if (from <= rows && !r.capped_by_time) throw new Error(`floor read ${partition} stopped at row ${from} of ${rows}`);
  return r;
}

/** Floor writes of `bodies` to the object `partition`; with `fanout`, each body cut into that many rows of as many objects (`/fanout`). */
export function writeOp(base: string, partition: string, bodies: (string | Uint8Array)[], records = PRODUCE_BATCH, fanout?: number): (i: number) => Promise<OpOutcome> {
  const url = fanout === undefined ? `${base}/write?p=${partition}` : `${base}/fanout?p=${partition}&n=${fanout}`;
  return floorPostOp(url, bodies, records);
}

/** POSTs `bodies` round-robin to the floor worker's `url` (`/write`, `/fanout`, `/null`), checking its `{"id":n}` answer. */
export function floorPostOp(url: string, bodies: (string | Uint8Array)[], records: number, headers: Record<string, string> = {}): (i: number) => Promise<OpOutcome> {
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await floorCall(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const text = new TextDecoder().decode(r.bytes);
    if (typeof (JSON.parse(text) as { id?: unknown }).id !== "number") throw new Error(`floor write: ${text.slice(0, 200)}`);
    return { records, payloadBytes: records * VALUE_BYTES, wireBytes: body.length };
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

    // Batch-1000 write floor: the matrix's 1000 × 100 B cells, one request in flight.
    const bigOp = writeOp(floor.url, "produce-batch1000", produceBodies(BIG_BATCH, 12, 4), BIG_BATCH);
    await runLoad({ requests: Math.max(5, Math.round(cfg.floorBatchRequests / 10)), concurrency: 1, timeCapMs: cfg.produceCapMs, op: bigOp });
    const bigWrite = throughput(await runLoad({ requests: cfg.floorBatchRequests, concurrency: 1, timeCapMs: cfg.produceCapMs, op: bigOp }));
    log(`  write floor ${BIG_BATCH} × ${VALUE_BYTES} B concurrency=1: ${bigWrite.records_per_s} records/s, p50 ${bigWrite.latency.p50_ms} ms`);
    write.push({ concurrency: 1, records_per_request: BIG_BATCH, value_bytes: VALUE_BYTES, ...bigWrite });

    // Read floors: the fetch workload's log (rows of PRODUCE_BATCH) and the catch-up's (rows of 1000).
    const read: ReadFloorResult[] = [];
    const logs = [
      { name: "fetch", records: cfg.fetchLogRecords, perRow: PRODUCE_BATCH, maxRecords: [500, 100] },
      { name: "catchup", records: cfg.indexLargeRecords, perRow: BIG_BATCH, maxRecords: [1000, 10_000] },
    ];
    for (const l of logs) {
      const rows = Math.ceil(l.records / l.perRow);
      await runLoad({ requests: rows, concurrency: 8, timeCapMs: cfg.fetchCapMs * 6, op: writeOp(floor.url, l.name, produceBodies(l.perRow, 2, 4), l.perRow) });
      for (const maxRecords of l.maxRecords) {
        const max = maxRecords / l.perRow;
        const r = await readPass(floor.url, l.name, rows, l.perRow, max, cfg.fetchCapMs * 4);
        log(`  read floor ${l.name} max_records=${maxRecords} (${max} row${max === 1 ? "" : "s"} of ${l.perRow}): ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms`);
        read.push({ max_records: maxRecords, rows_per_request: max, records_per_row: l.perRow, log_records: rows * l.perRow, ...r });
      }
    }

    const ratios: FloorRatio[] = [];
    for (const p of measured.produce ?? []) {
      const f = write.find((w) => w.concurrency === p.concurrency && w.records_per_request === PRODUCE_BATCH);
      if (f)
        ratios.push({
          workload: `produce acks=${p.acks} RF 1 conc ${p.concurrency}`,
          flarelog_records_per_s: p.records_per_s,
          floor_records_per_s: f.records_per_s,
          throughput_ratio: ratio(p.records_per_s, f.records_per_s),
          p50_ratio: ratio(p.latency.p50_ms, f.latency.p50_ms),
        });
    }
    for (const c of measured.matrix?.cells ?? []) {
      const f = write.find((w) => w.records_per_request === c.records_per_request && w.value_bytes === c.value_bytes && w.concurrency === 1);
      if (f && c.partitions === 1)
        ratios.push({
          workload: `produce ${c.records_per_request}x${c.value_bytes}B acks=${c.acks} RF${c.replication_factor} 1p (matrix)`,
          flarelog_records_per_s: c.records_per_s,
          floor_records_per_s: f.records_per_s,
          throughput_ratio: ratio(c.records_per_s, f.records_per_s),
          p50_ratio: ratio(c.latency.p50_ms, f.latency.p50_ms),
        });
    }
    for (const x of measured.fetch_vs_log_size?.catchup ?? []) {
      const f = read.find((r) => r.records_per_row === BIG_BATCH && r.max_records === x.max_records);
      if (f)
        ratios.push({
          workload: `consumer catch-up ${x.format} ${x.log_records} records max_records=${x.max_records}`,
          flarelog_records_per_s: x.records_per_s,
          floor_records_per_s: f.records_per_s,
          throughput_ratio: ratio(x.records_per_s, f.records_per_s),
          p50_ratio: ratio(x.latency.p50_ms, f.latency.p50_ms),
        });
    }
    for (const x of measured.fetch ?? []) {
      const f = read.find((r) => r.records_per_row === PRODUCE_BATCH && r.max_records === x.max_records);
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
