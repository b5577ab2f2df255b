/**
 * `cost` scenario of `npm run bench` (issue 22): the platform's billed units per workload, read
 * from the server's own counters (`GET /metrics`: `flarelog_do_requests_total`,
 * `flarelog_sqlite_rows_read_total` / `_written_total` — the DO SQL cursor's rowsRead and
 * rowsWritten —, `flarelog_requests_total`, `flarelog_partition_storage_bytes`) and workerd's
 * CPU time, around produce and consume workloads at RF 1 and RF 3, batches of 1, 100 and 1,000
 * records of 100 B; converted with Cloudflare's published prices (bench/pricing.ts) into $ per
 * million records and $ per GB written, read once and stored a month. Then the group-commit
 * probe: 1, 8 and 64 concurrent producers on one RF 3 partition, DO requests and rows per batch.
 *
 * Exactness: a scrape costs DO requests and rows itself, so each window is scraped twice before
 * (the second delta is one scrape's cost) and once after, and the scrape's cost is subtracted;
 * the counts are then exact for the window (requests, rows), CPU and wall time are not.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { log, runLoad, table, throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, VALUE_BYTES, type Http } from "./http.ts";
import { CLOUDFLARE, PEERS, PRICES_READ } from "./pricing.ts";
import { processCpuSeconds } from "./proc.ts";
import { fetchJsonAt } from "./reads.ts";

export interface CostConfig {
  /** Records per cell at batches of 100 and 1,000. */
  costRecords: number;
  /** Records per cell at batches of 1 (one request each). */
  costSingleRecords: number;
  /** Produce requests per concurrency level of the group-commit probe. */
  costConcurrencyRequests: number;
}

/** The counters a scrape shows (totals over the isolate). */
interface Snapshot {
  workerRequests: number;
  doRequests: number;
  replicaRequests: number;
  rowsRead: number;
  rowsWritten: number;
  alarmsSet: number;
  alarmRuns: number;
  storage: Map<string, number>;
}

/** Units of one measured window. */
export interface Units {
  worker_requests: number;
  do_requests: number;
  replica_do_requests: number;
  rows_read: number;
  rows_written: number;
  /** Included in do_requests and rows_written (billed as a request and a row written each). */
  alarm_runs: number;
  alarms_set: number;
  cpu_ms: number | null;
  wall_s: number;
}

function sumFamily(lines: string[], family: string, filter = ""): number {
  let sum = 0;
  for (const l of lines) if (l.startsWith(`${family}{`) && l.includes(filter)) sum += Number(l.slice(l.lastIndexOf(" ") + 1));
  return sum;
}

async function scrape(http: Http): Promise<Snapshot> {
  const r = await call(http, "GET", "/metrics");
  expectStatus("scrape /metrics", r, 200);
  const lines = r.text.split("\n");
  const storage = new Map<string, number>();
  for (const l of lines) {
    const m = /^flarelog_partition_storage_bytes\{tenant="[^"]*",topic="([^"]*)",partition="0",replica="\d+"\} (\d+)/.exec(l);
    if (m) storage.set(m[1]!, Number(m[2]));
  }
  return {
    workerRequests: sumFamily(lines, "flarelog_requests_total"),
    doRequests: sumFamily(lines, "flarelog_do_requests_total"),
    replicaRequests: sumFamily(lines, "flarelog_do_requests_total", 'class="partition_replica"'),
    rowsRead: sumFamily(lines, "flarelog_sqlite_rows_read_total"),
    rowsWritten: sumFamily(lines, "flarelog_sqlite_rows_written_total"),
    alarmsSet: sumFamily(lines, "flarelog_do_alarms_set_total"),
    alarmRuns: sumFamily(lines, "flarelog_do_alarm_runs_total"),
    storage,
  };
}

const delta = (a: Snapshot, b: Snapshot, k: keyof Omit<Snapshot, "storage">) => b[k] - a[k];

/** Runs `work` between scrapes; answers its units with one scrape's own cost taken out, and the last scrape. */
async function window(http: Http, workerd: number | null, work: () => Promise<void>): Promise<{ units: Units; after: Snapshot }> {
  const s0 = await scrape(http);
  const s1 = await scrape(http);
  const cpu0 = workerd === null ? null : processCpuSeconds(workerd);
  const t0 = performance.now();
  await work();
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = workerd === null ? null : processCpuSeconds(workerd);
  // Trailing pushes (a follower learning the HW) belong to the window: let them land.
  await new Promise((done) => setTimeout(done, 300));
  const s2 = await scrape(http);
  const net = (k: keyof Omit<Snapshot, "storage">) => delta(s1, s2, k) - delta(s0, s1, k);
  const units: Units = {
    worker_requests: net("workerRequests"),
    do_requests: net("doRequests") + net("alarmRuns"),
    replica_do_requests: net("replicaRequests"),
    rows_read: net("rowsRead"),
    rows_written: net("rowsWritten") + net("alarmsSet"),
    alarm_runs: net("alarmRuns"),
    alarms_set: net("alarmsSet"),
    cpu_ms: cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 1000),
    wall_s: Number(wall.toFixed(2)),
  };
  return { units, after: s2 };
}

export interface CostRow {
  rf: number;
  batch: number;
  phase: "produce" | "consume";
  records: number;
  units: Units;
  /** Per million records. */
  per_m: { worker_requests: number; do_requests: number; rows_read: number; rows_written: number; cpu_ms: number | null };
  /** $ per million records: requests, rows and CPU (exact units at list price). */
  usd_per_m: number;
  /** $ per million records of DO duration: active objects × wall time × 128 MB (this machine's speed). */
  usd_duration_per_m: number;
}

export interface CostSummaryRow {
  rf: number;
  batch: number;
  stored_bytes_per_record: number;
  usd_per_m_produced_and_consumed: number;
  usd_per_gb_in_read_month: number;
}

export interface GroupCommitRow {
  rf: number;
  concurrency: number;
  produce_requests: number;
  do_requests_per_batch: number;
  replica_do_requests_per_batch: number;
  rows_written_per_batch: number;
  rows_read_per_batch: number;
  alarms_set_per_batch: number;
  alarm_runs_per_batch: number;
  /** Throughput and per-request latency of the window (loaded machine: compare within one run). */
  records_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

export interface CostResult {
  prices_read: string;
  value_bytes: number;
  rows: CostRow[];
  summary: CostSummaryRow[];
  group_commit: GroupCommitRow[];
}

const round = (v: number, d = 2) => Number(v.toFixed(d));

function priced(rf: number, batch: number, phase: CostRow["phase"], records: number, units: Units): CostRow {
  const perM = (x: number) => round((x / records) * 1e6, 0);
  const p = CLOUDFLARE;
  const cpu = units.cpu_ms === null ? null : perM(units.cpu_ms);
  const per_m = {
    worker_requests: perM(units.worker_requests),
    do_requests: perM(units.do_requests),
    rows_read: perM(units.rows_read),
    rows_written: perM(units.rows_written),
    cpu_ms: cpu,
  };
  const usd =
    (per_m.worker_requests * p.workerRequestPerM +
      (cpu ?? 0) * p.workerCpuMsPerM +
      per_m.do_requests * p.doRequestPerM +
      per_m.rows_read * p.rowsReadPerM +
      per_m.rows_written * p.rowsWrittenPerM) /
    1e6;
  const activeObjects = phase === "produce" ? rf : 1;
  const gbS = (units.wall_s * activeObjects * p.doGb * 1e6) / records;
  return { rf, batch, phase, records, units, per_m, usd_per_m: round(usd, 4), usd_duration_per_m: round((gbS * p.doGbSecondPerM) / 1e6, 4) };
}

/** Produces `records` in batches of `batch` (one request at a time), then reads them back in fetches of `batch`. */
async function cell(
  http: Http,
  client: FlarelogClient,
  workerd: number | null,
  rf: number,
  batch: number,
  records: number,
): Promise<{ rows: CostRow[]; summary: CostSummaryRow }> {
  const topic = `bench-cost-rf${rf}-b${batch}`;
  await createTopic(client, topic, { replication_factor: rf });
  const requests = Math.ceil(records / batch);
  const n = requests * batch;
  const op = produceOp(http, topic, rf === 1 ? "1" : "all", produceBodies(batch, 22, 4), batch);
  const produced = await window(http, workerd, async () => {
    await runLoad({ requests, concurrency: 1, timeCapMs: 600_000, op });
  });
  const consumed = await window(http, workerd, async () => {
    for (let offset = 0; offset < n; ) offset = (await fetchJsonAt(http, topic, offset, batch)).body.next_offset;
  });
  const rows = [priced(rf, batch, "produce", n, produced.units), priced(rf, batch, "consume", n, consumed.units)];
  const storedPerRecord = (produced.after.storage.get(topic) ?? 0) / n;
  const perM = rows[0]!.usd_per_m + rows[1]!.usd_per_m + rows[0]!.usd_duration_per_m + rows[1]!.usd_duration_per_m;
  // 1 GB of 100-byte values is 10^7 records; each replica stores its copy for the month.
  const recordsPerGb = 1e9 / VALUE_BYTES;
  const storedGb = (storedPerRecord * recordsPerGb * rf) / 1e9;
  const summary = {
    rf,
    batch,
    stored_bytes_per_record: round(storedPerRecord, 1),
    usd_per_m_produced_and_consumed: round(perM, 4),
    usd_per_gb_in_read_month: round((perM * recordsPerGb) / 1e6 + storedGb * CLOUDFLARE.storedGbMonth, 4),
  };
  log(`  cost RF ${rf} batch ${batch}: $${summary.usd_per_m_produced_and_consumed}/M records, $${summary.usd_per_gb_in_read_month}/GB`);
  return { rows, summary };
}

/** 1, 8 and 64 producers at once on one RF 3 partition (batches of 100, acks=all): units per batch. */
async function groupCommitProbe(http: Http, client: FlarelogClient, workerd: number | null, requests: number): Promise<GroupCommitRow[]> {
  const out: GroupCommitRow[] = [];
  for (const concurrency of [1, 8, 64]) {
    const topic = `bench-cost-group-commit-c${concurrency}`;
    await createTopic(client, topic, { replication_factor: 3 });
    const op = produceOp(http, topic, "all", produceBodies(100, 23, 4), 100);
    let load: ReturnType<typeof throughput> | null = null;
    const { units } = await window(http, workerd, async () => {
      load = throughput(await runLoad({ requests, concurrency, timeCapMs: 600_000, op }));
    });
    const t = load as ReturnType<typeof throughput> | null;
    out.push({
      rf: 3,
      concurrency,
      produce_requests: requests,
      do_requests_per_batch: round(units.do_requests / requests),
      replica_do_requests_per_batch: round(units.replica_do_requests / requests),
      rows_written_per_batch: round(units.rows_written / requests),
      rows_read_per_batch: round(units.rows_read / requests),
      alarms_set_per_batch: round(units.alarms_set / requests),
      alarm_runs_per_batch: round(units.alarm_runs / requests),
      records_per_s: t?.records_per_s ?? 0,
      p50_ms: t?.latency.p50_ms ?? 0,
      p99_ms: t?.latency.p99_ms ?? 0,
    });
  }
  return out;
}

export async function costScenario(http: Http, client: FlarelogClient, cfg: CostConfig, workerd: number | null): Promise<CostResult> {
  const rows: CostRow[] = [];
  const summary: CostSummaryRow[] = [];
  for (const rf of [1, 3])
    for (const batch of [1, 100, 1000]) {
      const r = await cell(http, client, workerd, rf, batch, batch === 1 ? cfg.costSingleRecords : cfg.costRecords);
      rows.push(...r.rows);
      summary.push(r.summary);
    }
  const group_commit = await groupCommitProbe(http, client, workerd, cfg.costConcurrencyRequests);
  return { prices_read: PRICES_READ, value_bytes: VALUE_BYTES, rows, summary, group_commit };
}

/** The cost section of the printed tables. */
export function costTables(x: CostResult): string[] {
  const units = table(
    ["RF", "batch", "phase", "records", "Worker req/M", "DO req/M", "rows read/M", "rows written/M", "CPU ms/M", "$/M", "duration $/M"],
    x.rows.map((r) => [r.rf, r.batch, r.phase, r.records, r.per_m.worker_requests, r.per_m.do_requests, r.per_m.rows_read,
      r.per_m.rows_written, r.per_m.cpu_ms ?? "-", r.usd_per_m, r.usd_duration_per_m]),
  );
  const summary = table(
    ["RF", "batch", "stored B/record", "$/M produced+consumed", "$/GB in+read+month"],
    x.summary.map((s) => [s.rf, s.batch, s.stored_bytes_per_record, s.usd_per_m_produced_and_consumed, s.usd_per_gb_in_read_month]),
  );
  const gc = table(
    ["RF", "producers", "batches", "DO req/batch", "replica calls/batch", "rows written/batch", "rows read/batch", "alarms set/batch", "alarm runs/batch", "records/s", "p50 ms", "p99 ms"],
    x.group_commit.map((g) => [g.rf, g.concurrency, g.produce_requests, g.do_requests_per_batch, g.replica_do_requests_per_batch,
      g.rows_written_per_batch, g.rows_read_per_batch, g.alarms_set_per_batch, g.alarm_runs_per_batch, g.records_per_s, g.p50_ms, g.p99_ms]),
  );
  const peers = table(
    ["service", "$/M messages", "$/GB in+read+month", "note"],
    PEERS.map((p) => [p.service, p.usd_per_m_messages ?? "not found", p.usd_per_gb_in_read_month ?? "not found", p.note]),
  );
  return [
    `Billed units per million records (100 B values; Cloudflare list prices read ${x.prices_read}; CPU is workerd's, Worker + DOs)`,
    units, "", "Cost per million records and per GB", summary, "",
    "Group commit probe: RF 3 acks=all, batches of 100, concurrent producers on one partition", gc, "",
    "Published prices of the alternatives", peers, "",
  ];
}
