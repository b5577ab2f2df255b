/**
 * The plain-text tables `npm run bench` prints to stdout after a run (`printTables`, called by
 * bench/run.ts with the run's results): the header with the machine, then one section per
 * scenario that ran, then CPU and memory per scenario block. The replication and consumer-group
 * sections are bench/tables-cluster.ts's, the e2e and profile ones their scenarios'.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { BulkResult } from "./bulk.ts";
import { ablationTables } from "./bulk-ablation.ts";
import { costTables } from "./cost.ts";
import { peerTables } from "./peer.ts";
import { e2eTable } from "./e2e.ts";
import type { FloorRatio, FloorResult } from "./floor.ts";
import { formatNumber, KAFKA_COLUMNS, kafkaCells, table } from "./harness.ts";
import { PRODUCE_BATCH, VALUE_BYTES } from "./http.ts";
import type { DialectsResult } from "./dialects.ts";
import type { KafkaBenchResult } from "./kafka.ts";
import type { IdempotenceResult } from "./idempotence.ts";
import type { IndexResult } from "./log-size.ts";
import type { MatrixResult } from "./matrix.ts";
import type { MemoryResult } from "./memory.ts";
import { profileTables } from "./profile.ts";
import type { Block, Results } from "./results.ts";
import { sseTailTable } from "./sse-tail.ts";
import { groupsTables, replicationTables } from "./tables-cluster.ts";

/** Each scenario's section, in the order they print: its key in the results → its lines. */
const SECTIONS: { [K in keyof Results]?: (x: NonNullable<Results[K]>) => string[] } = {
  baseline: baselineTable,
  produce: produceTable,
  fetch: fetchTable,
  fetch_vs_log_size: logSizeTables,
  replication: replicationTables,
  idempotence: idempotenceTable,
  dialects: dialectsTable,
  kafka: kafkaTable,
  groups: groupsTables,
  matrix: matrixTable,
  floor: floorTables,
  memory_scenario: memoryTables,
  profile: profileTables,
  bulk: bulkTables,
  e2e: e2eTable,
  sse_tail: sseTailTable,
  cost: costTables,
  peer: peerTables,
};

export function printTables(results: Results): void {
  const out = headerLines(results);
  for (const [key, lines] of Object.entries(SECTIONS) as [keyof Results, (x: unknown) => string[]][]) {
    const x = results[key];
    if (x) out.push(...lines(x));
  }
  out.push(...blockTable(results));
  process.stdout.write(`${out.join("\n")}\n`);
}

function baselineTable(b: NonNullable<Results["baseline"]>): string[] {
  const row = [b.name, b.requests, b.requests_per_s, b.latency.p50_ms, b.latency.p99_ms];
  return ["Baseline (sequential)", table(["request", "requests", "req/s", "p50 ms", "p99 ms"], [row]), ""];
}

function headerLines(results: Results): string[] {
  const m = results.machine;
  const commit = `commit ${m.commit?.slice(0, 12) ?? "?"}${m.dirty ? " (dirty tree)" : ""}`;
  const cpu = m.cpu_during_run;
  return [
    `Flarelog local benchmark — ${results.date} (${results.mode} run, ${results.duration_s} s)`,
    `${m.cpus} × ${m.cpu_model ?? "?"}, node ${m.node}, workerd ${m.workerd}, ${commit}`,
    "Load generator and workerd share the same cores; local SQLite on disk: not production numbers.",
    ...(cpu ? [`Machine CPU over the run: ${cpu.busy_pct}% busy, ${cpu.steal_pct}% stolen by the hypervisor.`] : []),
    "",
  ];
}

function produceTable(rows: NonNullable<Results["produce"]>): string[] {
  return [
    `Produce: ${PRODUCE_BATCH} records × ${VALUE_BYTES} B values per request, partition endpoint, 1 partition, RF 1`,
    table(
      ["acks", "conc", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
      rows.map((p) => [p.acks, p.concurrency, p.requests, ...kafkaCells(p), p.wire_mb_per_s, p.requests_per_s]),
    ),
    "",
  ];
}

function fetchTable(rows: NonNullable<Results["fetch"]>): string[] {
  return [
    "Fetch: sequential read from offset 0 to the end of a " +
      `${formatNumber(rows[0]?.log_records ?? 0)}-record partition (stored in batches of ${PRODUCE_BATCH})`,
    table(
      ["max_records", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
      rows.map((f) => [f.max_records, f.requests, ...kafkaCells(f), f.wire_mb_per_s, f.requests_per_s]),
    ),
    "",
  ];
}

function logSizeTables(x: IndexResult): string[] {
  const f = x.fill_large;
  return [
    `Fetch vs log size: ${x.small.fetches} fetches each at random offsets (seed ${x.seed}), ` +
      `max_records=${x.max_records}, stored batches of ${x.records_per_batch}`,
    table(
      ["log records", "stored batches", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms"],
      [x.small, x.large].map((l) => {
        const t = l.latency;
        return [l.log_records, l.stored_batches, t.mean_ms, t.p50_ms, t.p90_ms, t.p99_ms, t.max_ms];
      }),
    ),
    `ratio large/small: p50 ${x.ratio_p50}×, p99 ${x.ratio_p99}×, mean ${x.ratio_mean}×`,
    `fill of the large log: ${formatNumber(f.records)} records in ${f.elapsed_s} s = ` +
      `${formatNumber(f.records_per_s)} records/s ` +
      `(${f.requests} requests × ${x.records_per_batch}, concurrency ${f.concurrency}, ` +
      `p50 ${f.latency.p50_ms} ms, p99 ${f.latency.p99_ms} ms)` +
      (f.capped_by_time ? " — stopped by the time cap" : ""),
    "",
    `Consumer catch-up: the ${formatNumber(x.large.log_records)}-record log read from offset 0 to the end, ` +
      "one request in flight (JSON, and binary frames decoded by the reader)",
    table(
      ["format", "max_records", "requests", ...KAFKA_COLUMNS, "MB/s wire", "req/s"],
      x.catchup.map((c) => [c.format, c.max_records, c.requests, ...kafkaCells(c), c.wire_mb_per_s, c.requests_per_s]),
    ),
    "",
  ];
}

function idempotenceTable(x: IdempotenceResult): string[] {
  const ratios = Object.entries(x.ratio).map(([k, v]) => `${k.replace("_", " ")} ${v}×`);
  return [
    `Idempotence: ${PRODUCE_BATCH} records × ${VALUE_BYTES} B per request, partition endpoint, acks=all, RF 1, ` +
      "same run, interleaved rounds",
    table(
      ["idempotent", "conc", "requests", "records/s", "req/s", "p50 ms", "p99 ms"],
      x.rows.map((r) => {
        const rates = [r.records_per_s, r.requests_per_s, r.latency.p50_ms, r.latency.p99_ms];
        return [r.idempotent ? "yes" : "no", r.concurrency, r.requests, ...rates];
      }),
    ),
    `idempotent ÷ plain records/s: ${ratios.join(", ")}`,
    "",
  ];
}

function dialectsTable(x: DialectsResult): string[] {
  const ratios = Object.entries(x.ratio).map(([k, v]) => `${k} ${v}×`);
  return [
    "HTTP dialects beside the native JSON path: produce 100 × 100 B per request (conc 1) and a group " +
      "member's catch-up read (500 per request), acks=all, RF 1, same run, interleaved rounds",
    table(
      ["workload", "door", "requests", "records/s", "req/s", "p50 ms", "p99 ms"],
      x.rows.map((r) => [r.workload, r.door, r.requests, r.records_per_s, r.requests_per_s, r.latency.p50_ms, r.latency.p99_ms]),
    ),
    `dialect ÷ native records/s: ${ratios.join(", ")}`,
    "",
  ];
}

function kafkaTable(x: KafkaBenchResult): string[] {
  const ratios = Object.entries(x.ratio).map(([k, v]) => `${k} ${v}×`);
  return [
    "Kafka protocol (kafkajs 2.2.4 over the /kafka WebSocket) beside the binary HTTP path: produce 100 B records " +
      "(conc 1, acks=1) and a consumer's catch-up from offset 0, RF 1, same run, interleaved rounds",
    table(
      ["workload", "batch", "door", "requests", "records/s", "p50 ms", "p99 ms", "server CPU ms/1k", "client CPU ms/1k"],
      x.rows.map((r) => [r.workload, r.batch, r.door, r.requests, r.records_per_s, r.latency.p50_ms, r.latency.p99_ms, r.server_cpu_ms_per_1k ?? "–", r.client_cpu_ms_per_1k ?? "–"]),
    ),
    `kafkajs ÷ binary HTTP records/s: ${ratios.join(", ")}`,
    `kafkajs without permessage-deflate ÷ binary HTTP records/s: ${Object.entries(x.ratio_no_deflate ?? {}).map(([k, v]) => `${k} ${v}×`).join(", ")}`,
    `kafkajs against a null server ÷ binary HTTP records/s (kafkajs's own ceiling): ${Object.entries(x.ceiling ?? {}).map(([k, v]) => `${k} ${v}×`).join(", ")}`,
    "",
  ];
}

/** A ratio cell: "1.23×". */
const times = (v: number): string => `${v.toFixed(2)}×`;

/** Flarelog ÷ floor: records/s of each, the throughput and p50 ratios and, for bulk, the CPU per request ratio. */
function ratioTable(ratios: (FloorRatio & { cpu_per_request_ratio?: number | null })[], withCpu: boolean): string {
  const headers = ["workload", "Flarelog records/s", "floor records/s", "throughput ratio", "p50 ratio"];
  return table(
    withCpu ? [...headers, "CPU/request ratio"] : headers,
    ratios.map((r) => {
      const rates = [r.flarelog_records_per_s, r.floor_records_per_s];
      const row = [r.workload, ...rates, times(r.throughput_ratio), times(r.p50_ratio)];
      if (!withCpu) return row;
      return [...row, r.cpu_per_request_ratio == null ? "?" : times(r.cpu_per_request_ratio)];
    }),
  );
}

function bulkTables(x: BulkResult): string[] {
  const rows = x.rows.map((r) => {
    const cpu = r.workerd_cpu_ms_per_request ?? "?";
    const endpoint = `${r.endpoint === "topic" ? `topic ${r.partitions}p` : r.answer_uncompressed ? "partition, answer uncompressed" : "partition"}${r.repeat ? ", again (control)" : ""}`;
    return [r.format, endpoint, r.replication_factor, r.acks, r.records_per_request, r.body_bytes, r.requests, ...kafkaCells(r), r.requests_per_s, cpu];
  });
  const floor = x.floor.map((f) => {
    const cpu = f.workerd_cpu_ms_per_request ?? "?";
    const kind = [f.json_contract && `JSON contract (/json-${f.replicated ? "hop" : "write"})`, f.replicated && "replicated (1 + 2 objects)", f.answer_uncompressed && "answer uncompressed", f.repeat && "again (control)"]
      .filter(Boolean)
      .join(", ");
    const shape = f.objects === undefined ? kind || "-" : `${f.objects} object(s)`;
    return [`floor (${f.format} body)`, shape, "-", "-", f.records_per_request, f.body_bytes, f.requests, ...kafkaCells(f), f.requests_per_s, cpu];
  });
  const t = x.targets;
  const show = (v: number | null, min: number) => (v === null ? "not measured" : `${times(v)} (target ≥ ${min}×${v >= min ? ", met" : ", not met"})`);
  return [
    `Bulk produce: ${VALUE_BYTES} B values, 1 partition unless named, one request in flight, interleaved rounds`,
    table(
      ["format", "endpoint", "RF", "acks", "records/req", "body B", "requests", ...KAFKA_COLUMNS, "req/s", "workerd CPU ms/req"],
      [...rows, ...floor],
    ),
    ratioTable([...x.ratios, ...(x.partition_ratio ? [x.partition_ratio] : []), ...(x.floor_fanout_ratio ? [x.floor_fanout_ratio] : []), ...(x.replicated_ratios ?? []), ...(x.repeat_ratios ?? [])], true),
    "(the 8p ÷ 1p row's reference is the same bodies' topic-level produce to 1 partition; the fan-out row is the floor against itself)",
    // A run before issue 22 (the committed fixtures) has no targets.
    ...(t
      ? [
          `Issue 22 targets: binary RF 1 ${show(t.binary_rf1, 0.9)}, JSON RF 1 ${show(t.json_rf1, 0.8)}, ` +
            `single record JSON ${show(t.single_record_json, 0.9)}, binary ${show(t.single_record_binary, 0.9)}, ` +
            `8 partitions ÷ 1 ${show(t.partitions_8_vs_1, 0.8)}`,
        ]
      : []),
    // Runs before the edge ablation (the committed fixtures) have neither.
    ...ablationTables(x.ablation ?? [], x.decomposition ?? []),
    "",
  ];
}

function matrixTable(x: MatrixResult): string[] {
  const drained = (c: MatrixResult["cells"][number]): string | number => {
    const d = c.acks0_drain;
    if (!d) return "-";
    if (d.landed_records < d.expected_records) return `${formatNumber(d.landed_records_per_s)} (not all landed)`;
    return d.landed_records_per_s;
  };
  return [
    `Produce matrix: ${x.endpoint}, concurrency ${x.concurrency}, one topic per cell; RF 3 with min.insync.replicas 2`,
    table(
      [
        ...["value B", "batch", "acks", "RF", "parts", "requests"],
        ...KAFKA_COLUMNS,
        ...["acks=0 drain ms", "acks=0 landed rec/s"],
      ],
      x.cells.map((c) => [
        c.value_bytes,
        c.records_per_request,
        c.acks,
        c.replication_factor,
        c.partitions,
        c.requests,
        ...kafkaCells(c),
        c.acks0_drain?.drain_ms ?? "-",
        drained(c),
      ]),
    ),
    "acks=0: the server answers 202 before the write; " +
      "records are counted as sent at the 202 and latency is time to the 202.",
    "drain: the wait after the cell until the high watermarks covered every record sent; " +
      "landed rec/s = records ÷ (cell time + drain).",
    "",
  ];
}

function floorTables(x: FloorResult): string[] {
  const write = x.write.map((w) => {
    const name = `write ${w.records_per_request} × ${w.value_bytes} B`;
    return [name, w.concurrency, w.requests, ...kafkaCells(w), w.requests_per_s];
  });
  const read = x.read.map((r) => {
    const rows = `${r.rows_per_request} row${r.rows_per_request === 1 ? "" : "s"} of ${r.records_per_row}`;
    const name = `read ${rows} (≙ max_records ${r.max_records}) of ${formatNumber(r.log_records)}`;
    return [name, 1, r.requests, ...kafkaCells(r), r.requests_per_s];
  });
  const out = [
    `Platform floor: a bare SQLite Durable Object, one row per request body — ${x.runtime}`,
    table(["floor", "conc", "requests", ...KAFKA_COLUMNS, "req/s"], [...write, ...read]),
    "",
  ];
  if (x.ratios.length > 0) out.push("Flarelog ÷ floor (same run)", ratioTable(x.ratios, false), "");
  return out;
}

function memoryTables(x: MemoryResult): string[] {
  const row = (kind: string, st: MemoryResult["produce"][number]) => {
    const m = st.memory;
    const request = [kind, st.target_bytes, st.body_bytes, st.records_per_request, st.value_bytes, st.requests];
    const rss = [m.rss_start_mib, m.rss_peak_mib, m.vm_hwm_mib, m.peak_growth_mib, m.growth_mib];
    return [...request, st.latency.p50_ms, ...rss];
  };
  const f = x.fill;
  const m = f.memory;
  const every = Math.max(1, Math.ceil(f.points.length / 8));
  const points = f.points.filter((_, i) => i % every === 0 || i === f.points.length - 1);
  return [
    "Memory — single requests of growing size (workerd RSS, MiB; the Worker and every DO together)",
    table(
      [
        "request", "target B", "body B", "records", "value B", "requests", "p50 ms",
        "RSS start", "RSS peak", "VmHWM", "peak − start", "end − start",
      ],
      [...x.produce.map((st) => row("produce", st)), ...x.fetch.map((st) => row("fetch max_bytes", st))],
    ),
    `over the request limit: ${formatNumber(x.over_limit.body_bytes)} B → HTTP ${x.over_limit.status}`,
    `larger log: ${formatNumber(f.log_records)} records × 100 B in ${f.elapsed_s} s; ` +
      `RSS ${m.rss_start_mib} → peak ${m.rss_peak_mib} (VmHWM ${m.vm_hwm_mib}) → end ${m.rss_end_mib} MiB; ` +
      `anonymous ${m.anon_start_mib} → ${m.anon_end_mib} MiB; RSS (anonymous) by records: ` +
      points.map((p) => `${formatNumber(p.records)}: ${p.rss_mib} (${p.anon_mib})`).join(", "),
    `largest produce body ${formatNumber(x.largest_produce_bytes)} B, largest fetch response ` +
      `${formatNumber(x.largest_fetch_bytes)} B; highest workerd RSS in this scenario ${x.peak_rss_mib} MiB ` +
      "(limit of one DO: 128 MB)",
    "",
  ];
}

/** CPU and workerd memory per scenario block (results.cpu, results.memory). */
function blockTable(results: Results): string[] {
  const cpuRows = Object.entries(results.cpu).map(([name, c]) => {
    const m = results.memory[name as Block];
    const hwm = m ? (m.vm_hwm_reset ? m.vm_hwm_mib : `${m.vm_hwm_mib} (since start)`) : "?";
    const anon = m ? `${m.anon_start_mib} → ${m.anon_end_mib}` : "?";
    const cpu = [name, c.wall_s, c.load_generator_cpu_s, c.workerd_cpu_s ?? "?"];
    const rss = [m?.rss_start_mib ?? "?", m?.rss_peak_mib ?? "?", hwm, m?.peak_growth_mib ?? "?", m?.growth_mib ?? "?"];
    return [...cpu, ...rss, anon];
  });
  if (cpuRows.length === 0) return [];
  return [
    "CPU (seconds) and workerd memory (MiB) per scenario block, fills and warm-ups included",
    table(
      [
        "block", "wall", "load generator CPU", "workerd CPU", "RSS start", "RSS peak", "VmHWM",
        "peak − start", "end − start", "anonymous start → end",
      ],
      cpuRows,
    ),
    "RSS sampled every 50 ms; VmHWM: the kernel's peak over the block. One workerd process hosts the Worker " +
      "and every Durable Object: the sum, not one DO.",
    "",
  ];
}
