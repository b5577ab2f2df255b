/**
 * The `rpc` scenario of `npm run bench` (issue 15): produce through the Workers RPC binding
 * (`env.FLARELOG.produce`, src/doors/rpc) beside produce over HTTP, in the same run, from the
 * same caller.
 *
 * A second Worker (test/support/rpc-caller.ts) runs in the broker's workerd (its own cluster,
 * started here on 127.0.0.1 with its own state, stopped at the end) and sends the produce
 * workload's requests (PRODUCE_BATCH records × VALUE_BYTES B, acks=1, RF 1, one partition, a
 * topic per row) itself, three ways:
 *   rpc           `await env.FLARELOG.produce(topic, records, {acks: 1})`: Workers RPC, no HTTP, no JSON
 *   binding-http  `env.FLARELOG_HTTP.fetch(...)`: the HTTP API through a service binding (no network)
 *   http          `fetch(<broker's URL>)`: the HTTP API over 127.0.0.1, as a Worker without a binding would
 * at concurrency 1 and 8, in interleaved rounds (warm-up first, unmeasured). Latency is measured
 * inside the caller with `Date.now()` (workerd advances it at I/O, 1 ms resolution); throughput is
 * records over the caller's elapsed time per round. Ratio = rpc records/s ÷ http records/s (and
 * ÷ binding-http), per concurrency. Node 24 type stripping: erasable TypeScript only.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { startLocalCluster, type LocalCluster } from "../scripts/local-cluster.ts";
import { CALLER_NAME, callerWorker } from "../test/support/rpc-caller.ts";
import type { CoreConfig } from "./config.ts";
import { KAFKA_COLUMNS, kafkaCells, summarize, table, type Throughput } from "./harness.ts";
import { PRODUCE_BATCH, VALUE_BYTES } from "./http.ts";

export type RpcConfig = Pick<CoreConfig, "produceRequests" | "produceWarmup" | "produceRounds" | "produceCapMs">;

const MODES = ["rpc", "binding-http", "http"] as const;
type Mode = (typeof MODES)[number];

export interface RpcRow extends Throughput {
  mode: Mode;
  concurrency: number;
  acks: string;
  records_per_request: number;
  value_bytes: number;
}

export interface RpcResult {
  rows: RpcRow[];
  /** rpc records/s ÷ http (and ÷ binding-http) records/s, per concurrency. */
  ratio: Record<string, number>;
}

interface Round {
  latencies: number[];
  elapsedMs: number;
}

async function benchRound(cluster: LocalCluster, token: string, mode: Mode, concurrency: number, requests: number, capMs: number): Promise<Round> {
  const worker = await cluster.worker(CALLER_NAME);
  const topic = `bench-rpc-${mode}-c${concurrency}`;
  const body = { mode, topic, requests, concurrency, records: PRODUCE_BATCH, valueBytes: VALUE_BYTES, acks: "1", url: cluster.url, token, capMs };
  const res = await worker.fetch("http://caller/bench", { method: "POST", body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`rpc bench (${mode}, concurrency ${concurrency}): caller answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Round;
}

function rowOf(mode: Mode, concurrency: number, rounds: Round[], capped: boolean): RpcRow {
  const latencies = rounds.flatMap((r) => r.latencies);
  const s = rounds.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
  const records = latencies.length * PRODUCE_BATCH;
  const round2 = (v: number) => Number(v.toFixed(2));
  return {
    mode,
    concurrency,
    acks: "1",
    records_per_request: PRODUCE_BATCH,
    value_bytes: VALUE_BYTES,
    requests: latencies.length,
    records,
    elapsed_s: Number(s.toFixed(3)),
    records_per_s: Math.round(records / s),
    requests_per_s: round2(latencies.length / s),
    payload_mb_per_s: round2((records * VALUE_BYTES) / 1e6 / s),
    // RPC carries no HTTP body; the record values are the comparable payload.
    wire_mb_per_s: round2((records * VALUE_BYTES) / 1e6 / s),
    capped_by_time: capped,
    latency: summarize(latencies),
  };
}

export async function rpcScenario(cfg: RpcConfig, stateDir: string, log: (line: string) => void): Promise<RpcResult> {
  await mkdir(stateDir, { recursive: true });
  const token = randomBytes(16).toString("hex");
  const cluster = await startLocalCluster({ port: 0, persistDir: stateDir, adminToken: token, workers: [callerWorker(stateDir)], exitOnSignal: false });
  try {
    const rows: RpcRow[] = [];
    const configs = [1, 8].flatMap((concurrency) => MODES.map((mode) => ({ mode, concurrency })));
    const rounds = configs.map((): Round[] => []);
    const capPerRound = Math.ceil(cfg.produceCapMs / cfg.produceRounds);
    const perRound = Math.ceil(cfg.produceRequests / cfg.produceRounds);
    let capped = false;
    for (const { mode, concurrency } of configs) {
      const created = await (await cluster.worker(CALLER_NAME)).fetch("http://caller/call", {
        method: "POST",
        body: JSON.stringify({ method: "createTopic", args: [`bench-rpc-${mode}-c${concurrency}`] }),
      });
      if (!((await created.json()) as { ok: boolean }).ok) throw new Error(`rpc bench: cannot create the ${mode} c${concurrency} topic`);
      await benchRound(cluster, token, mode, concurrency, cfg.produceWarmup, capPerRound);
    }
    for (let r = 0; r < cfg.produceRounds; r++)
      for (const [i, { mode, concurrency }] of configs.entries()) {
        const round = await benchRound(cluster, token, mode, concurrency, perRound, capPerRound);
        capped ||= round.latencies.length < perRound;
        rounds[i]!.push(round);
      }
    for (const [i, { mode, concurrency }] of configs.entries()) {
      const row = rowOf(mode, concurrency, rounds[i]!, capped);
      log(`  produce via ${mode} concurrency=${concurrency}: ${row.records_per_s} records/s, p50 ${row.latency.p50_ms} ms`);
      rows.push(row);
    }
    const ratio: Record<string, number> = {};
    for (const c of [1, 8]) {
      const of = (mode: Mode) => rows.find((r) => r.mode === mode && r.concurrency === c)!.records_per_s;
      ratio[`rpc_vs_http_c${c}`] = Number((of("rpc") / of("http")).toFixed(3));
      ratio[`rpc_vs_binding_http_c${c}`] = Number((of("rpc") / of("binding-http")).toFixed(3));
    }
    console.log(`\nproduce through the RPC binding vs HTTP (${PRODUCE_BATCH} records × ${VALUE_BYTES} B, acks=1, RF 1; sent by a Worker in the same workerd)`);
    console.log(table(["via", "concurrency", ...KAFKA_COLUMNS], rows.map((r) => [r.mode, r.concurrency, ...kafkaCells(r)])));
    console.log(`ratio rpc/http: ${Object.entries(ratio).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
    return { rows, ratio };
  } finally {
    await cluster.stop();
  }
}
