/**
 * The results of one `npm run bench` run (bench/run.ts fills them in): their shape, the atomic
 * write to bench/results/latest.json, and `headlines()`, every headline figure for the JSON line
 * that ends stdout (rendered into docs/benchmarks.md by bench/report.ts).
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { TieredResult } from "./tiered.ts";
import type { TenancyResult } from "./tenancy.ts";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BulkResult } from "./bulk.ts";
import type { CompactionResult } from "./compaction.ts";
import type { CostResult } from "./cost.ts";
import type { PeerResult } from "./peer.ts";
import type { Config } from "./config.ts";
import type { DialectsResult } from "./dialects.ts";
import type { KafkaBenchResult } from "./kafka.ts";
import type { BaselineResult, FetchScenarioResult, ProduceResult } from "./core.ts";
import { e2eHeadlines, type E2eResult } from "./e2e.ts";
import type { FloorResult } from "./floor.ts";
import type { GroupsResult } from "./groups.ts";
import { headline, type Headline } from "./harness.ts";
import { VALUE_BYTES } from "./http.ts";
import type { IdempotenceResult } from "./idempotence.ts";
import type { IndexResult } from "./log-size.ts";
import type { CpuSplit, Machine } from "./machine.ts";
import type { MatrixResult } from "./matrix.ts";
import type { MemoryResult, MemoryWindow } from "./memory.ts";
import type { ProfileResult } from "./profile.ts";
import type { ReplicationResult } from "./replication.ts";
import type { RpcResult } from "./rpc.ts";
import type { SseTailResult } from "./sse-tail.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export type Block =
  | "produce"
  | "fetch"
  | "fetch_vs_log_size"
  | "replication"
  | "idempotence"
  | "groups"
  | "matrix"
  | "memory"
  | "e2e"
  | "sse_tail"
  | "profile"
  | "bulk"
  | "dialects"
  | "kafka"
  | "compaction"
  | "cost"
  | "peer";

export interface Results {
  schema: 1;
  date: string;
  mode: Config["mode"];
  duration_s: number;
  server_start_s: number;
  machine: Machine;
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
  dialects?: DialectsResult;
  /** The Kafka wire protocol (kafkajs) beside the binary HTTP path (bench/kafka.ts). */
  kafka?: KafkaBenchResult;
  e2e?: E2eResult;
  /** Live tails over SSE: 1 vs N tailers of one partition (bench/sse-tail.ts). */
  sse_tail?: SseTailResult;
  /** Auth cost per produce and the noisy neighbour (bench/tenancy.ts). */
  tenancy?: TenancyResult;
  rpc?: RpcResult;
  /** Log compaction: cleaner throughput and produce while it runs (bench/compaction.ts). */
  compaction?: CompactionResult;
  /** Tiered storage on R2 (bench/tiered.ts). */
  tiered?: TieredResult;
  /** Billed platform units and $ per workload (bench/cost.ts). */
  cost?: CostResult;
  /** Flarelog beside the Durable Streams reference server (bench/peer.ts). */
  peer?: PeerResult;
  /** Per scenario block (fills and warm-ups included): wall time and CPU of each process. */
  cpu: Partial<Record<Block, CpuSplit>>;
  /** Per scenario block: workerd's RSS at the start, its peak and growth (the Worker and every DO together). */
  memory: Partial<Record<Block, MemoryWindow | null>>;
}

/** Writes bench/results/latest.json (through a temporary file and a rename) and answers its path. */
export async function writeResults(results: Results): Promise<string> {
  const outDir = resolve(HERE, "results");
  await mkdir(outDir, { recursive: true });
  const tmp = join(outDir, "latest.json.tmp");
  await writeFile(tmp, `${JSON.stringify(results, null, 2)}\n`);
  await rename(tmp, join(outDir, "latest.json"));
  return join(outDir, "latest.json");
}

/** Sequential random-offset fetches: records/s from the mean latency (one request in flight). */
function logSizeHeadlines(x: IndexResult): Headline[] {
  const out = [x.small, x.large].map((l) => {
    const perS = Math.round((x.max_records * 1000) / l.latency.mean_ms);
    return headline(`fetch random offset, log of ${l.log_records} records, max_records=${x.max_records}`, {
      latency: l.latency,
      records: l.fetches * x.max_records,
      records_per_s: perS,
      payload_mb_per_s: Number(((perS * VALUE_BYTES) / 1e6).toFixed(2)),
    });
  });
  for (const c of x.catchup)
    out.push(headline(`consumer catch-up ${c.format} ${c.log_records} records max_records=${c.max_records}`, c));
  return out;
}

/** One headline per measured workload, in the order of the tables. */
function workloadHeadlines(r: Results): Headline[] {
  const w: Headline[] = [];
  if (r.baseline) w.push(headline(`baseline ${r.baseline.name}`, r.baseline));
  for (const p of r.produce ?? []) {
    const shape = `${p.records_per_request}x${p.value_bytes}B acks=${p.acks}`;
    w.push(headline(`produce ${shape} RF1 1p conc=${p.concurrency}`, p));
  }
  for (const f of r.fetch ?? [])
    w.push(headline(`fetch catch-up ${f.log_records} records max_records=${f.max_records}`, f));
  if (r.fetch_vs_log_size) w.push(...logSizeHeadlines(r.fetch_vs_log_size));
  for (const p of r.replication?.produce ?? []) {
    const shape = `${p.records_per_request}x${p.value_bytes}B acks=${p.acks} RF${p.replication_factor}`;
    w.push(headline(`replication produce ${shape} conc=${p.concurrency}`, p));
  }
  for (const x of r.idempotence?.rows ?? [])
    w.push(headline(`idempotence ${x.idempotent ? "idempotent" : "plain"} acks=${x.acks} conc=${x.concurrency}`, x));
  for (const d of r.dialects?.rows ?? []) w.push(headline(`dialect ${d.door} ${d.workload} 100x100B acks=all RF1 1p`, d));
  for (const k of r.kafka?.rows ?? []) w.push(headline(`kafka ${k.door} ${k.workload} ${k.batch}x100B acks=1 RF1 1p`, k));
  for (const b of r.bulk?.rows ?? []) {
    const shape = `${b.records_per_request}x${b.value_bytes}B acks=${b.acks} RF${b.replication_factor}`;
    const how = `${b.endpoint === "topic" ? " topic-level keyed" : ""} ${b.partitions}p${b.answer_uncompressed ? " answer uncompressed" : ""}${b.repeat ? " again (control)" : ""}`;
    w.push(headline(`bulk ${b.format} ${shape}${how}`, b));
  }
  for (const f of r.bulk?.floor ?? [])
    w.push(headline(`floor write ${f.format} body ${f.records_per_request}x100B${f.objects === undefined ? "" : ` to ${f.objects} object(s)`}${f.answer_uncompressed ? " answer uncompressed" : ""}${f.replicated ? " replicated to 3 objects" : ""}${f.json_contract ? " JSON contract" : ""}${f.repeat ? " again (control)" : ""} (bulk rounds)`, f));
  for (const c of r.matrix?.cells ?? []) {
    const shape = `${c.value_bytes}B batch=${c.records_per_request} acks=${c.acks} RF${c.replication_factor}`;
    w.push(headline(`matrix ${shape} ${c.partitions}p`, c));
  }
  for (const x of r.floor?.write ?? [])
    w.push(headline(`floor write ${x.records_per_request}x${x.value_bytes}B conc=${x.concurrency}`, x));
  for (const x of r.floor?.read ?? []) w.push(headline(`floor read max_records=${x.max_records}`, x));
  if (r.e2e) w.push(...e2eHeadlines(r.e2e));
  return w;
}

/** workerd's RSS per block (MiB): start, peak (max of samples and, when reset per block, VmHWM), growth. */
function memoryByBlock(r: Results) {
  return Object.fromEntries(
    Object.entries(r.memory).flatMap(([block, m]) => {
      if (!m) return [];
      const peak = Math.max(m.rss_peak_mib, m.vm_hwm_reset ? m.vm_hwm_mib : 0);
      return [[block, { rss_start: m.rss_start_mib, rss_peak: peak, growth: m.growth_mib, anon_end: m.anon_end_mib }]];
    }),
  );
}

function memoryScenarioSummary(x: MemoryResult) {
  const fill = x.fill.memory;
  return {
    largest_produce_bytes: x.largest_produce_bytes,
    largest_fetch_bytes: x.largest_fetch_bytes,
    peak_rss_mib: x.peak_rss_mib,
    produce_peak_rss_mib: x.produce.map((st) => [st.body_bytes, st.memory.rss_peak_mib]),
    fetch_peak_rss_mib: x.fetch.map((st) => [st.body_bytes, st.memory.rss_peak_mib]),
    fill: {
      records: x.fill.log_records,
      rss_start_mib: fill.rss_start_mib,
      rss_end_mib: fill.rss_end_mib,
      rss_peak_mib: fill.rss_peak_mib,
      anon_start_mib: fill.anon_start_mib,
      anon_end_mib: fill.anon_end_mib,
    },
  };
}

/** The cost figures, flat rows (the report renders lists of flat objects as tables). */
function costHeadlines(x: CostResult) {
  return {
    cost_units_per_m_records: x.rows.map((r) => ({
      rf: r.rf, batch: r.batch, phase: r.phase, records: r.records,
      worker_req: r.per_m.worker_requests, do_req: r.per_m.do_requests, rows_read: r.per_m.rows_read,
      rows_written: r.per_m.rows_written, cpu_ms: r.per_m.cpu_ms, usd: r.usd_per_m, usd_duration: r.usd_duration_per_m,
    })),
    cost_usd: x.summary,
    cost_group_commit: x.group_commit,
    cost_prices_read: x.prices_read,
  };
}

/** Every headline figure of the run, for the JSON line that ends stdout. */
export function headlines(r: Results) {
  const x = r.fetch_vs_log_size;
  return {
    bench: "flarelog",
    schema: 1,
    date: r.date,
    mode: r.mode,
    commit: r.machine.commit,
    dirty: r.machine.dirty,
    duration_s: r.duration_s,
    workloads: workloadHeadlines(r),
    ...(x ? { fetch_vs_log_size: { ratio_p50: x.ratio_p50, ratio_p99: x.ratio_p99, ratio_mean: x.ratio_mean } } : {}),
    ...(r.floor || r.bulk ? { floor_ratios: [...(r.bulk?.ratios ?? []), ...(r.floor?.ratios ?? [])] } : {}),
    // Runs before issue 22 (the committed fixtures) have no targets: their closing line stays as it was.
    ...(r.bulk?.targets ? { bulk_targets: r.bulk.targets } : {}),
    ...(r.bulk?.partition_ratio ? { bulk_partition_ratio: r.bulk.partition_ratio } : {}),
    ...(r.bulk?.floor_fanout_ratio ? { bulk_floor_fanout_ratio: r.bulk.floor_fanout_ratio } : {}),
    ...(r.bulk?.replicated_ratios?.length ? { bulk_replicated_ratios: r.bulk.replicated_ratios } : {}),
    ...(r.bulk?.repeat_ratios?.length ? { bulk_repeat_ratios: r.bulk.repeat_ratios } : {}),
    // The produce edge ablation (bench/bulk-ablation.ts): absent in runs before it.
    ...(r.bulk?.decomposition ? { bulk_decomposition: r.bulk.decomposition } : {}),
    memory_mib: memoryByBlock(r),
    ...(r.rpc ? { rpc_ratio: r.rpc.ratio } : {}),
    ...(r.tenancy
      ? {
          tenancy: {
            auth_cost_p50_ms: r.tenancy.auth.cost_p50_ms,
            noisy_neighbour_p99_ratio: r.tenancy.noisy_neighbour.p99_ratio,
            b_p99_idle_ms: r.tenancy.noisy_neighbour.b_idle.p99_ms,
            b_p99_with_a_noisy_ms: r.tenancy.noisy_neighbour.b_with_a_noisy.p99_ms,
          },
        }
      : {}),
    ...(r.memory_scenario ? { memory_scenario: memoryScenarioSummary(r.memory_scenario) } : {}),
    ...(r.compaction
      ? {
          compaction: {
            engine_records_per_s: r.compaction.engine.records_per_s,
            server_cleaner_records_per_s: r.compaction.rounds.map((x) => x.cleaner_records_per_s),
            produce_ratio_while_cleaning: r.compaction.ratio,
          },
        }
      : {}),
    ...(r.cost ? costHeadlines(r.cost) : {}),
    ...(r.peer ? { peer: r.peer.rows, peer_server: r.peer.peer } : {}),
    ...(r.e2e?.platform_hop
      ? {
          e2e_platform_hop: {
            p50_ms: r.e2e.platform_hop.p50_ms,
            p99_ms: r.e2e.platform_hop.p99_ms,
            rf3_e2e_p99_ratio: r.e2e.rf3_p99_ratio ?? null,
            open_loop_p99_ms: r.e2e.platform_hop_open?.p99_ms ?? null,
            rf3_e2e_p99_ratio_open_loop: r.e2e.rf3_p99_ratio_open ?? null,
            ablation_flarelog_rf3_p99_ms: r.e2e.ablation?.flarelog_rf3.p99_ms ?? null,
            ablation_floor_pipeline_p99_ms: r.e2e.ablation?.floor_pipeline.p99_ms ?? null,
            ablation_floor_over_hop_p99: r.e2e.ablation?.floor_over_hop_p99 ?? null,
            ablation_flarelog_over_floor_p99: r.e2e.ablation?.flarelog_over_floor_p99 ?? null,
          },
        }
      : {}),
  };
}
