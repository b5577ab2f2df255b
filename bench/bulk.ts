/**
 * The `bulk` scenario of `npm run bench` (issue 7): the two produce formats side by side on the
 * targets' workload, 1000 records × 100 B per request to one partition, one request in flight:
 * the contract's JSON body and the binary record batch (`application/vnd.flarelog.record-batch`,
 * the stored format, which the leader keeps as it came), RF 1 acks=1 and RF 3 acks=all, and the
 * platform floor (bench/floor/worker.ts in its own Miniflare instance, storing each body as one
 * row) written with the same two bodies, all in the same interleaved rounds, so each row's
 * ratio to its floor is measured under the same machine conditions. The same values in both
 * formats (the JSON bodies' values, re-encoded).
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { BatchBuilder } from "../src/codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { formatNumber, runInterleaved, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { processCpuSeconds } from "./proc.ts";
import { startFloor, writeOp } from "./floor.ts";
import { createTopic, produceBodies, produceOp, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";

export interface BulkConfig {
  bulkRequests: number;
  bulkRounds: number;
  bulkCapMs: number;
}

export interface BulkRow extends Throughput {
  format: "json" | "binary";
  acks: string;
  replication_factor: number;
  records_per_request: number;
  value_bytes: number;
  body_bytes: number;
  /** CPU of the serving workerd process per request (Worker, DOs, SQLite), over the measured rounds; null off Linux. */
  workerd_cpu_ms_per_request: number | null;
}

export interface BulkFloorRow extends Throughput {
  format: "json" | "binary";
  body_bytes: number;
  /** CPU of the floor's workerd process per request; null off Linux. */
  workerd_cpu_ms_per_request: number | null;
}

export interface BulkResult {
  rows: BulkRow[];
  floor: BulkFloorRow[];
  /** Each row's records/s ÷ the floor's for the same body (and p50 ÷ the floor's p50). */
  ratios: {
    workload: string;
    flarelog_records_per_s: number;
    floor_records_per_s: number;
    throughput_ratio: number;
    p50_ratio: number;
    /** Flarelog's workerd CPU per request ÷ the floor's: where a throughput gap comes from. */
    cpu_per_request_ratio: number | null;
  }[];
}

export const BULK_BATCH = 1000;

/** The JSON bodies' values as binary record batches (CreateTime = now). */
export function binaryBodies(jsonBodies: string[]): Uint8Array[] {
  const utf8 = new TextEncoder();
  const now = Date.now();
  return jsonBodies.map((body) => {
    const b = new BatchBuilder();
    for (const r of (JSON.parse(body) as { records: { value: string }[] }).records) b.add({ key: null, value: utf8.encode(r.value), headers: [] }, now);
    return b.finish().blob;
  });
}

export function binaryProduceOp(http: Http, topic: string, acks: string, bodies: Uint8Array[], n: number): (i: number) => Promise<OpOutcome> {
  const url = `${http.base}/v1/topics/${topic}/partitions/0/records?acks=${acks}`;
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${http.token}`, "content-type": RECORD_BATCH_CONTENT_TYPE },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`binary produce to ${topic}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    const r = JSON.parse(text) as { record_count?: number; base_offset?: number };
    if (r.record_count !== n || typeof r.base_offset !== "number") throw new Error(`binary produce to ${topic}: ${text.slice(0, 300)}`);
    return { records: n, payloadBytes: n * VALUE_BYTES, wireBytes: body.length };
  };
}

/** `workerd`: the Flarelog workerd process (for CPU per request), null when unknown. */
export async function bulkScenario(http: Http, client: FlarelogClient, cfg: BulkConfig, floorDir: string, log: (line: string) => void, workerd: number | null): Promise<BulkResult> {
  const floor = await startFloor(floorDir);
  try {
    return await measure(http, client, cfg, { url: floor.url, pid: floor.pid, flarelogPid: workerd }, log);
  } finally {
    await floor.stop();
  }
}

async function measure(
  http: Http,
  client: FlarelogClient,
  cfg: BulkConfig,
  servers: { url: string; pid: number | null; flarelogPid: number | null },
  log: (line: string) => void,
): Promise<BulkResult> {
  const json = produceBodies(BULK_BATCH, 31, 4);
  const binary = binaryBodies(json);
  const configs = [
    { format: "json" as const, acks: "1", rf: 1 },
    { format: "binary" as const, acks: "1", rf: 1 },
    { format: "json" as const, acks: "all", rf: 3 },
    { format: "binary" as const, acks: "all", rf: 3 },
  ];
  const ops = [];
  for (const c of configs) {
    const topic = `bench-bulk-${c.format}-rf${c.rf}`;
    await createTopic(client, topic, c.rf === 3 ? { replication_factor: 3, configs: { "min.insync.replicas": "2" } } : {});
    ops.push({
      op: c.format === "json" ? produceOp(http, topic, c.acks, json, BULK_BATCH) : binaryProduceOp(http, topic, c.acks, binary, BULK_BATCH),
      concurrency: 1,
    });
  }
  const floors = [
    { format: "json" as const, bodies: json },
    { format: "binary" as const, bodies: binary },
  ];
  for (const f of floors) ops.push({ op: writeOp(servers.url, `bulk-${f.format}`, f.bodies, BULK_BATCH), concurrency: 1 });
  // Each measured run's CPU goes to the process that served it: Flarelog's workerd or the floor's.
  const pidOf = (i: number) => (i < configs.length ? servers.flarelogPid : servers.pid);
  const cpuSeconds = ops.map((): number | null => 0);
  const loads = await runInterleaved(ops, {
    warmup: Math.max(5, Math.round(cfg.bulkRequests / 10)),
    requests: cfg.bulkRequests,
    rounds: cfg.bulkRounds,
    capMs: cfg.bulkCapMs,
    around: async (i, run) => {
      const pid = pidOf(i);
      const a = pid === null ? null : processCpuSeconds(pid);
      const r = await run();
      const b = pid === null ? null : processCpuSeconds(pid);
      const sum = cpuSeconds[i]!;
      cpuSeconds[i] = sum === null || a === null || b === null ? null : sum + b - a;
      return r;
    },
  });
  const cpuPerRequest = (i: number, t: Throughput) => {
    const s = cpuSeconds[i];
    return s === null || s === undefined || t.requests === 0 ? null : Number(((1000 * s) / t.requests).toFixed(2));
  };
  const floor = floors.map((f, i): BulkFloorRow => {
    const t = throughput(loads[configs.length + i]!);
    const cpu = cpuPerRequest(configs.length + i, t);
    log(`  floor, ${f.format} bodies: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, workerd CPU ${cpu ?? "?"} ms/request`);
    return { format: f.format, body_bytes: f.bodies[0]!.length, ...t, workerd_cpu_ms_per_request: cpu };
  });
  const rows = configs.map((c, i): BulkRow => {
    const t = throughput(loads[i]!);
    const cpu = cpuPerRequest(i, t);
    log(`  bulk ${c.format} RF ${c.rf} acks=${c.acks}: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, workerd CPU ${cpu ?? "?"} ms/request`);
    return {
      workerd_cpu_ms_per_request: cpu,
      format: c.format,
      acks: c.acks,
      replication_factor: c.rf,
      records_per_request: BULK_BATCH,
      value_bytes: VALUE_BYTES,
      body_bytes: c.format === "json" ? json[0]!.length : binary[0]!.length,
      ...t,
    };
  });
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const ratios = rows.map((r) => {
    const f = floor.find((x) => x.format === r.format)!;
    return {
      workload: `produce ${r.records_per_request}x${r.value_bytes}B acks=${r.acks} RF${r.replication_factor} 1p, ${r.format} body`,
      flarelog_records_per_s: r.records_per_s,
      floor_records_per_s: f.records_per_s,
      throughput_ratio: ratio(r.records_per_s, f.records_per_s),
      p50_ratio: ratio(r.latency.p50_ms, f.latency.p50_ms),
      cpu_per_request_ratio: r.workerd_cpu_ms_per_request === null || !f.workerd_cpu_ms_per_request ? null : ratio(r.workerd_cpu_ms_per_request, f.workerd_cpu_ms_per_request),
    };
  });
  return { rows, floor, ratios };
}
