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
import { BatchBuilder } from "../src/log/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { formatNumber, runInterleaved, throughput, type OpOutcome, type Throughput } from "./harness.ts";
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
}

export interface BulkFloorRow extends Throughput {
  format: "json" | "binary";
  body_bytes: number;
}

export interface BulkResult {
  rows: BulkRow[];
  floor: BulkFloorRow[];
  /** Each row's records/s ÷ the floor's for the same body (and p50 ÷ the floor's p50). */
  ratios: { workload: string; flarelog_records_per_s: number; floor_records_per_s: number; throughput_ratio: number; p50_ratio: number }[];
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

export async function bulkScenario(http: Http, client: FlarelogClient, cfg: BulkConfig, floorDir: string, log: (line: string) => void): Promise<BulkResult> {
  const floor = await startFloor(floorDir);
  try {
    return await measure(http, client, cfg, floor.url, log);
  } finally {
    await floor.stop();
  }
}

async function measure(http: Http, client: FlarelogClient, cfg: BulkConfig, floorUrl: string, log: (line: string) => void): Promise<BulkResult> {
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
  for (const f of floors) ops.push({ op: writeOp(floorUrl, `bulk-${f.format}`, f.bodies, BULK_BATCH), concurrency: 1 });
  const loads = await runInterleaved(ops, { warmup: Math.max(5, Math.round(cfg.bulkRequests / 10)), requests: cfg.bulkRequests, rounds: cfg.bulkRounds, capMs: cfg.bulkCapMs });
  const floor = floors.map((f, i): BulkFloorRow => {
    const t = throughput(loads[configs.length + i]!);
    log(`  floor, ${f.format} bodies: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms`);
    return { format: f.format, body_bytes: f.bodies[0]!.length, ...t };
  });
  const rows = configs.map((c, i): BulkRow => {
    const t = throughput(loads[i]!);
    log(`  bulk ${c.format} RF ${c.rf} acks=${c.acks}: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms`);
    return {
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
    };
  });
  return { rows, floor, ratios };
}
