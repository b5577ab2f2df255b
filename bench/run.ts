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
 *   dialects  the Upstash and REST Proxy dialects beside the native JSON path: produce 100 × 100 B
 *             and consume catch-up through each door, and their ratios to native (bench/dialects.ts)
 *   kafka     the Kafka wire protocol (kafkajs over the /kafka WebSocket) beside the binary HTTP path:
 *             produce 100 B records in batches of 100 and 1,000, and a consumer's catch-up; kafkajs with
 *             and without WebSocket deflate, and against a null server as its ceiling (bench/kafka.ts)
 *   groups    consumer-group rebalance after a leave and a crash, and a group of 3 against one
 *             plain consumer reading a 6-partition topic (bench/groups.ts)
 *   floor     the platform floor: a bare SQLite Durable Object written with the produce bodies and
 *             read back like the fetch scenario, and the produce/fetch rows as ratios to it (bench/floor.ts)
 *   matrix    the produce matrix: 100 B / 1 KiB values × batches of 1, 100, 1000 × acks 0, 1, all ×
 *             RF 1, 3 × 1, 8 partitions, topic-level produce, a time cap per cell (bench/matrix.ts)
 *   memory    workerd's RSS for single produce requests of 1–8 MiB and fetches of max_bytes 1–8 MiB,
 *             and while a larger log fills (bench/memory.ts)
 *   profile   V8 CPU profiles of produce (RF 1 acks=1, RF 3 acks=all) and fetch, 1000 × 100 B per
 *             request, attributed to JSON parse, validation, encoding, SQLite, RPC, replication
 *             (bench/profile.ts)
 *   rpc       produce through the Workers RPC binding (env.FLARELOG.produce) beside HTTP through the
 *             binding and over 127.0.0.1, sent by a second Worker in its own cluster, with the ratio (bench/rpc.ts)
 *   compaction  the log cleaner's records/s (alone over node:sqlite, and in the server) and produce
 *             records/s while it runs ÷ without it (bench/compaction.ts; `--only compaction` alone)
 *   tiered    tiered storage on R2: the replica's SQLite under local.retention.bytes while 500 MB
 *             (BENCH_TIERED_MB) are written, catch-up through R2 vs local, random remote reads (bench/tiered.ts)
 *   e2e       end-to-end latency: an open-loop producer at 1,000 records/s and one long-polling consumer,
 *             send → receive per record, RF 1 acks=1 and RF 3 acks=all (bench/e2e.ts); and the platform's own
 *             Worker → DO → 2 DOs round trip beside it (bench/platform-hop.ts); the ablation: RF 3 acks=all
 *             and the same workload against the floor's own produce → commit → long-poll pipeline, alternating
 *   sse       live tails over SSE: 1 vs 1,000 tailers of one partition at 1,000 records/s, every
 *             tailer checked to see every record in order, send → event p99, workerd CPU per record
 *             and leader reads per record (bench/sse-tail.ts; `--only sse` runs it alone)
 *   cost      the billed Cloudflare units (Worker and DO requests, SQLite rows, storage, CPU) per
 *             million records at RF 1 and 3, batches of 1, 100, 1000, in $ at list prices, and a
 *             group-commit probe with 1, 8, 64 producers (bench/cost.ts, bench/pricing.ts)
 *   peer      the Durable Streams Node reference server beside Flarelog: produce and a 10^5-record
 *             catch-up, JSON and binary (bench/peer.ts)
 * Every scenario block also reports workerd's RSS at its start, its peak (sampled every 50 ms, and
 * the kernel's VmHWM) and its growth: one workerd process hosts the Worker and every Durable
 * Object, so that is their sum, not one DO's memory.
 * Every scenario has a fixed request count and a wall-clock cap; `--quick` (or BENCH_QUICK=1)
 * shrinks them to a smoke run under a minute. Node 24 type stripping: erasable TypeScript only.
 *
 * This file is the orchestrator: arguments, the server's start and stop, the scenarios in order,
 * the results. The settings are bench/config.ts's; warm-up, baseline, produce and fetch are
 * bench/core.ts's, `index` bench/log-size.ts's, each other scenario its own module's; the
 * machine facts bench/machine.ts's; the results file and the closing JSON line bench/results.ts's;
 * the tables bench/tables.ts's.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT, startLocalCluster, type LocalCluster } from "../scripts/local-cluster.ts";
import { FlarelogClient } from "../src/client/flarelog-client.ts";
import { bulkScenario } from "./bulk.ts";
import { compactionScenario } from "./compaction.ts";
import { costScenario } from "./cost.ts";
import { peerScenario } from "./peer.ts";
import { DEFAULT, QUICK, type Config } from "./config.ts";
import { baseline, fetchScenarios, globalWarmup, produceScenarios } from "./core.ts";
import { dialectsScenario } from "./dialects.ts";
import { e2eScenario } from "./e2e.ts";
import { floorScenario } from "./floor.ts";
import { groupsScenario } from "./groups.ts";
import { log } from "./harness.ts";
import type { Http } from "./http.ts";
import { idempotenceScenario } from "./idempotence.ts";
import { kafkaScenario } from "./kafka.ts";
import { indexScenario } from "./log-size.ts";
import { cpuTimes, cpuUse, machine, withCpuSplit } from "./machine.ts";
import { matrixScenario } from "./matrix.ts";
import { memoryScenario } from "./memory.ts";
import { childWorkerdPids, freePort, processCpuSeconds } from "./proc.ts";
import { profileScenario } from "./profile.ts";
import { replicationScenario } from "./replication.ts";
import { rpcScenario } from "./rpc.ts";
import { sseTailScenario } from "./sse-tail.ts";
import { writeReport } from "./report.ts";
import { headlines, writeResults, type Block, type Results } from "./results.ts";
import { printTables } from "./tables.ts";
import { tenancyScenario } from "./tenancy.ts";
import { tieredScenario } from "./tiered.ts";

/** The scenarios `--only` knows, in the order the usage line names them. */
const SCENARIOS = ["baseline", "produce", "fetch", "index", "replication", "idempotence", "groups", "floor"].concat(
  ["matrix", "memory", "e2e", "sse", "profile", "bulk", "tenancy", "rpc", "dialects", "kafka", "compaction", "tiered", "cost", "peer"],
);

interface Args {
  quick: boolean;
  only: Set<string> | null;
  report: boolean;
}

function parseArgs(argv: string[]): Args {
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
      const usage = `usage: node bench/run.ts [--quick] [--report|--no-report] [--only ${SCENARIOS.join(",")}]`;
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const s of only ?? [])
    if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${SCENARIOS.join(", ")})`);
  // A whole default run rewrites the generated section of docs/benchmarks.md and the chart; others only when asked.
  return { quick, only, report: report ?? (only === null && !quick) };
}

/** Stops the server and removes its state directory, once, at the end or on a signal (Ctrl-C). */
function cleanupOnExit(stateDir: string): { started: (c: LocalCluster) => void; cleanup: () => Promise<void> } {
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
  return { started: (c) => (cluster = c), cleanup };
}

/** What the scenarios run against. */
interface Server {
  cluster: LocalCluster;
  http: Http;
  client: FlarelogClient;
  stateDir: string;
  /** workerd's inspector port, when the profile scenario runs. */
  inspectorPort: number | undefined;
  /** Seconds from the start call until the server answered. */
  startS: number;
}

/** Starts the local cluster on 127.0.0.1 (`started` learns of it at once, so a failure after still stops it). */
async function startServer(
  stateDir: string,
  withInspector: boolean,
  started: (c: LocalCluster) => void,
): Promise<Server> {
  const token = randomBytes(24).toString("hex");
  const t0 = performance.now();
  const inspectorPort = withInspector ? await freePort() : undefined;
  const cluster = await startLocalCluster({
    port: 0,
    host: "127.0.0.1",
    persistDir: stateDir,
    adminToken: token,
    exitOnSignal: false,
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
  });
  started(cluster);
  const startS = (performance.now() - t0) / 1000;
  const url = new URL(cluster.url);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing to benchmark a non-local server: ${cluster.url}`);
  const client = new FlarelogClient({ baseUrl: cluster.url, token });
  log(`bench: server at ${cluster.url} after ${startS.toFixed(1)} s`);
  return { cluster, http: { base: cluster.url, token }, client, stateDir, inspectorPort, startS };
}

/** The warm-up, then every scenario asked for, in order; the floor last (it compares with the others). */
async function runScenarios(s: Server, cfg: Config, runs: (s: string) => boolean, results: Results): Promise<void> {
  log(`bench: warm-up (${cfg.globalWarmup} requests)`);
  await globalWarmup(s.http, s.client, cfg);
  const workerd = [...childWorkerdPids()][0] ?? null;
  if (runs("baseline")) {
    log("bench: baseline");
    results.baseline = await baseline(s.http, cfg);
  }
  await runBlocks(s, cfg, runs, results, workerd);
  if (runs("tenancy")) {
    log("bench: tenancy (auth cost, noisy neighbour)");
    results.tenancy = await tenancyScenario(s.http, cfg, log);
  }
  if (runs("rpc")) {
    log("bench: produce through the RPC binding vs HTTP (own cluster with a caller Worker)");
    results.rpc = await rpcScenario(cfg, join(s.stateDir, "rpc"), log);
  }
  if (runs("tiered")) {
    log("bench: tiered storage (local.retention.bytes 10 MB; BENCH_TIERED_MB, default 500)");
    results.tiered = await tieredScenario(s.http, s.client, cfg.mode, s.stateDir, log);
    log(`bench: tiered: ${JSON.stringify(results.tiered)}`);
  }
  if (runs("floor")) {
    log("bench: platform floor");
    results.floor = await floorScenario(cfg, join(s.stateDir, "floor"), results, log);
  }
}

/** The scenario blocks asked for, in order, each with workerd's (`workerd`: its pid) CPU and memory around it. */
async function runBlocks(
  s: Server,
  cfg: Config,
  runs: (s: string) => boolean,
  results: Results,
  workerd: number | null,
): Promise<void> {
  const { http, client } = s;
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
  // First, on the fresh cluster: its billed units are deltas of the cluster-wide counters, so
  // the background work of earlier scenarios' topics (compaction, tiered offload, retention
  // alarms) would be counted as its own.
  if (runs("cost")) results.cost = await measured("cost", "cost: billed units per workload", () => costScenario(http, client, cfg, workerd));
  const bulkFloorDir = join(s.stateDir, "bulk-floor");
  if (runs("bulk"))
    results.bulk = await measured("bulk", "bulk: JSON vs binary produce, 1000 × 100 B", () =>
      bulkScenario(http, client, cfg, bulkFloorDir, log, workerd),
    );
  if (runs("produce"))
    results.produce = await measured("produce", "produce", () => produceScenarios(http, client, cfg));
  if (runs("fetch")) results.fetch = await measured("fetch", "fetch", () => fetchScenarios(http, client, cfg));
  if (runs("index"))
    results.fetch_vs_log_size = await measured("fetch_vs_log_size", "fetch vs log size", () =>
      indexScenario(http, client, cfg),
    );
  if (runs("replication"))
    results.replication = await measured("replication", "replication", () =>
      replicationScenario(http, client, cfg, sampler),
    );
  if (runs("idempotence"))
    results.idempotence = await measured("idempotence", "idempotence", () =>
      idempotenceScenario(http, client, cfg, log),
    );
  if (runs("dialects"))
    results.dialects = await measured("dialects", "HTTP dialects beside the native API", () =>
      dialectsScenario(http, client, cfg, log),
    );
  if (runs("kafka"))
    results.kafka = await measured("kafka", "Kafka protocol (kafkajs) beside the binary HTTP path", () =>
      kafkaScenario(http, client, cfg, log, workerd),
    );
  if (runs("compaction"))
    results.compaction = await measured("compaction", "log compaction: cleaner throughput, produce while it runs", () =>
      compactionScenario(http, cfg, log),
    );
  if (runs("groups"))
    results.groups = await measured("groups", "consumer groups", () => groupsScenario(http, client, cfg, sampler, log));
  if (runs("matrix"))
    results.matrix = await measured("matrix", "produce matrix", () => matrixScenario(http, client, cfg, log));
  if (runs("memory"))
    results.memory_scenario = await measured("memory", "memory", () => memoryScenario(http, client, cfg, workerd, log));
  if (runs("peer")) results.peer = await measured("peer", "peer: the Durable Streams reference server", () => peerScenario(http, client, cfg, join(s.stateDir, "peer"), log));
  if (runs("e2e")) results.e2e = await measured("e2e", "end-to-end latency", () => e2eScenario(http, client, cfg, log, join(s.stateDir, "hop")));
  if (runs("sse"))
    results.sse_tail = await measured("sse_tail", `live tails over SSE: 1 vs ${cfg.sseTailers} tailers`, () =>
      sseTailScenario(http, client, cfg, workerd, log),
    );
  if (runs("profile") && s.inspectorPort !== undefined) {
    const workerdCpuMs = () => (workerd === null ? null : (processCpuSeconds(workerd) ?? Number.NaN) * 1000);
    const server = { inspectorPort: s.inspectorPort, bundle: s.cluster.bundle, workerdCpuMs };
    const label = "profile of the produce and fetch paths";
    results.profile = await measured("profile", label, () => profileScenario(http, client, cfg, server, log));
  }
}

/** Writes the results file, prints the tables and (when asked) the report; answers the closing JSON line. */
async function finish(results: Results, report: boolean): Promise<string> {
  const file = await writeResults(results);
  printTables(results);
  log(`bench: wrote ${file}`);
  const summary = headlines(results);
  if (report) {
    const paths = {
      markdownPath: join(PROJECT_ROOT, "docs", "benchmarks.md"),
      svgPath: join(PROJECT_ROOT, "docs", "benchmarks-throughput.svg"),
    };
    await writeReport(summary, paths).then(
      () => log(`bench: wrote the generated section of ${paths.markdownPath} and ${paths.svgPath}`),
      (e: unknown) => log(`bench: could not write the report: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
  return JSON.stringify(summary);
}

async function main(): Promise<void> {
  let summaryLine = "";
  const args = parseArgs(process.argv.slice(2));
  const cfg = args.quick ? QUICK : DEFAULT;
  const runs = (s: string) => args.only === null || args.only.has(s);
  const started = performance.now();
  const cpuAtStart = cpuTimes();
  const stateDir = await mkdtemp(join(tmpdir(), "flarelog-bench-"));
  const exit = cleanupOnExit(stateDir);
  try {
    log(`bench: ${cfg.mode} run; starting the local cluster (state in ${stateDir})`);
    const server = await startServer(stateDir, runs("profile"), exit.started);
    const results: Results = {
      schema: 1,
      date: new Date().toISOString(),
      mode: cfg.mode,
      duration_s: 0,
      server_start_s: Number(server.startS.toFixed(2)),
      machine: machine(),
      config: cfg,
      cpu: {},
      memory: {},
    };
    await runScenarios(server, cfg, runs, results);
    results.duration_s = Number(((performance.now() - started) / 1000).toFixed(1));
    results.machine.cpu_during_run = cpuUse(cpuAtStart, cpuTimes());
    summaryLine = await finish(results, args.report);
  } finally {
    await exit.cleanup();
  }
  // After the server stopped, so nothing it prints can follow: stdout's last line.
  process.stdout.write(`${summaryLine}\n`);
}

await main();
