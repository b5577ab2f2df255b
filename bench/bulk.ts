/**
 * The `bulk` scenario of `npm run bench` (issues 7 and 22): the produce rows that have a target
 * against the platform floor, all in the same interleaved rounds (so each ratio is measured under
 * the same machine conditions), one request in flight each:
 *   - 1000 records × 100 B per request to one partition: the contract's JSON body and the binary
 *     record batch (`application/vnd.flarelog.record-batch`, the stored format, which the leader
 *     keeps as it came), RF 1 acks=1 and RF 3 acks=all;
 *   - one record per request (JSON and binary), RF 1 acks=1;
 *   - the platform floor (bench/floor/worker.ts in its own Miniflare instance, storing each body
 *     as one row) written with the same 1000-record and single-record bodies;
 *   - topic-level produce (`POST /v1/topics/{t}/records`) of 100 keyed records × 100 B to a topic
 *     of 8 partitions (murmur2 spreads the keys) and the same bodies to a topic of 1 partition.
 * Ratios: each partition-endpoint row ÷ the floor with the same body; the 8-partition row ÷ the
 * 1-partition row, and beside it the floor's own fan-out of the same bodies (8 rows of 8 objects
 * in parallel ÷ 1 row of 1: what the platform itself pays for 8 objects per request); issue 22's five target ratios in `targets` (the closing JSON line's
 * `bulk_targets`). The same values in both formats (the JSON bodies' values, re-encoded).
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { BatchBuilder } from "../src/codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { formatNumber, runInterleaved, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { processCpuSeconds } from "./proc.ts";
import { startFloor, writeOp } from "./floor.ts";
import { call, expectStatus, produceBodies, produceOp, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";

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
  /** `partition`: POST /v1/topics/{t}/partitions/0/records; `topic`: POST /v1/topics/{t}/records (keyed records, murmur2). */
  endpoint: "partition" | "topic";
  partitions: number;
  /** CPU of the serving workerd process per request (Worker, DOs, SQLite), over the measured rounds; null off Linux. */
  workerd_cpu_ms_per_request: number | null;
}

export interface BulkFloorRow extends Throughput {
  format: "json" | "binary";
  records_per_request: number;
  /** The fan-out rows only: each body cut into this many rows of as many objects, written in parallel. */
  objects?: number;
  body_bytes: number;
  /** CPU of the floor's workerd process per request; null off Linux. */
  workerd_cpu_ms_per_request: number | null;
}

export interface BulkRatio {
  workload: string;
  flarelog_records_per_s: number;
  floor_records_per_s: number;
  throughput_ratio: number;
  p50_ratio: number;
  /** Flarelog's workerd CPU per request ÷ the floor's: where a throughput gap comes from. */
  cpu_per_request_ratio: number | null;
}

/** Issue 22's produce targets, each a ratio of this run's interleaved rounds (null: a row not measured). */
export interface BulkTargets {
  /** Binary 1000 × 100 B RF 1 acks=1 ÷ the floor with the same body; target ≥ 0.9. */
  binary_rf1: number | null;
  /** JSON 1000 × 100 B RF 1 acks=1 ÷ the floor with the same body; target ≥ 0.8. */
  json_rf1: number | null;
  /** One record per request (JSON, and binary) RF 1 acks=1 ÷ the floor's single-row writes of the same body; target ≥ 0.9. */
  single_record_json: number | null;
  single_record_binary: number | null;
  /** Topic-level produce of 100 keyed × 100 B records to 8 partitions ÷ the same bodies to a 1-partition topic; target ≥ 0.8. */
  partitions_8_vs_1: number | null;
}

export interface BulkResult {
  rows: BulkRow[];
  floor: BulkFloorRow[];
  /** Each 1-partition row's records/s ÷ the floor's for the same body (and p50 ÷ the floor's p50). */
  ratios: BulkRatio[];
  /** The 8-partition topic-level row ÷ the 1-partition one, same bodies, same rounds. */
  partition_ratio: BulkRatio | null;
  /** The ablation beside it: the floor's 8-object fan-out of the same bodies ÷ its 1-object write (the platform's own 8 ÷ 1). */
  floor_fanout_ratio: BulkRatio | null;
  /** Absent in runs before issue 22 (the committed fixtures). */
  targets?: BulkTargets;
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

/** Bodies of `n` keyed records (`key-<variant>-<i>`, values as produceBodies'), for the topic-level rows. */
export function keyedBodies(n: number, seed: number, variants: number): string[] {
  return produceBodies(n, seed, variants).map((body, v) =>
    JSON.stringify({ records: (JSON.parse(body) as { records: { value: string }[] }).records.map((r, i) => ({ key: `key-${v}-${i}`, value: r.value })) }),
  );
}

/** Topic-level produce (`POST /v1/topics/{t}/records`): the server partitions by key (murmur2). */
export function topicProduceOp(http: Http, topic: string, acks: string, bodies: string[], n: number): (i: number) => Promise<OpOutcome> {
  return produceOp(http, topic, acks, bodies, n, `/v1/topics/${topic}/records?acks=${acks}`);
}

/** Records per request of the single-record rows and of the topic-level (1 against 8 partitions) rows. */
const SINGLE = 1;
const SPREAD_BATCH = 100;
const SPREAD_PARTITIONS = 8;

interface RowSpec {
  format: "json" | "binary";
  acks: string;
  rf: number;
  records: number;
  endpoint: "partition" | "topic";
  partitions: number;
}

async function measure(
  http: Http,
  client: FlarelogClient,
  cfg: BulkConfig,
  servers: { url: string; pid: number | null; flarelogPid: number | null },
  log: (line: string) => void,
): Promise<BulkResult> {
  const bodies = new Map<number, { json: string[]; binary: Uint8Array[] }>();
  for (const [n, seed, variants] of [[BULK_BATCH, 31, 4], [SINGLE, 32, 8]] as const) {
    const json = produceBodies(n, seed, variants);
    bodies.set(n, { json, binary: binaryBodies(json) });
  }
  const keyed = keyedBodies(SPREAD_BATCH, 33, 8);
  const specs: RowSpec[] = [
    { format: "json", acks: "1", rf: 1, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
    { format: "binary", acks: "1", rf: 1, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
    { format: "json", acks: "all", rf: 3, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
    { format: "binary", acks: "all", rf: 3, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
    { format: "json", acks: "1", rf: 1, records: SINGLE, endpoint: "partition", partitions: 1 },
    { format: "binary", acks: "1", rf: 1, records: SINGLE, endpoint: "partition", partitions: 1 },
    { format: "json", acks: "1", rf: 1, records: SPREAD_BATCH, endpoint: "topic", partitions: 1 },
    { format: "json", acks: "1", rf: 1, records: SPREAD_BATCH, endpoint: "topic", partitions: SPREAD_PARTITIONS },
  ];
  const ops = [];
  for (const c of specs) {
    const topic = `bench-bulk-${c.format}-rf${c.rf}-b${c.records}-${c.endpoint}-p${c.partitions}`;
    const r = await client.createTopic(topic, {
      partitions: c.partitions,
      replication_factor: c.rf,
      ...(c.rf === 3 ? { configs: { "min.insync.replicas": "2" } } : {}),
    });
    if (!r.ok) throw new Error(`create topic ${topic}: HTTP ${r.status} ${JSON.stringify(r.error)}`);
    const b = bodies.get(c.records);
    const op =
      c.endpoint === "topic"
        ? topicProduceOp(http, topic, c.acks, keyed, c.records)
        : c.format === "json"
          ? produceOp(http, topic, c.acks, b!.json, c.records)
          : binaryProduceOp(http, topic, c.acks, b!.binary, c.records);
    ops.push({ op, concurrency: 1 });
  }
  const floors: { format: "json" | "binary"; records: number; bodies: (string | Uint8Array)[]; objects?: number }[] = [BULK_BATCH, SINGLE].flatMap((n) => {
    const b = bodies.get(n)!;
    return [
      { format: "json" as const, records: n, bodies: b.json },
      { format: "binary" as const, records: n, bodies: b.binary },
    ];
  });
  // The platform's own fan-out (the ablation for the 8-partition target): the keyed bodies as one
  // row of one object, and cut into 8 rows of 8 objects written in parallel, per request.
  floors.push({ format: "json", records: SPREAD_BATCH, bodies: keyed, objects: 1 }, { format: "json", records: SPREAD_BATCH, bodies: keyed, objects: SPREAD_PARTITIONS });
  for (const f of floors) {
    const name = `bulk-${f.format}-b${f.records}${f.objects ? `-fan${f.objects}` : ""}`;
    ops.push({ op: writeOp(servers.url, name, f.bodies, f.records, f.objects), concurrency: 1 });
  }
  // Each measured run's CPU goes to the process that served it: Flarelog's workerd or the floor's.
  const pidOf = (i: number) => (i < specs.length ? servers.flarelogPid : servers.pid);
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
    const t = throughput(loads[specs.length + i]!);
    const cpu = cpuPerRequest(specs.length + i, t);
    const fan = f.objects === undefined ? "" : ` to ${f.objects} object(s)`;
    log(`  floor, ${f.format} bodies of ${f.records}${fan}: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, workerd CPU ${cpu ?? "?"} ms/request`);
    return { format: f.format, records_per_request: f.records, body_bytes: f.bodies[0]!.length, ...(f.objects === undefined ? {} : { objects: f.objects }), ...t, workerd_cpu_ms_per_request: cpu };
  });
  const rows = specs.map((c, i): BulkRow => {
    const t = throughput(loads[i]!);
    const cpu = cpuPerRequest(i, t);
    log(
      `  bulk ${c.format} ${c.records} × ${VALUE_BYTES} B ${c.endpoint} ${c.partitions}p RF ${c.rf} acks=${c.acks}: ` +
        `${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, workerd CPU ${cpu ?? "?"} ms/request`,
    );
    const b = bodies.get(c.records);
    return {
      workerd_cpu_ms_per_request: cpu,
      format: c.format,
      acks: c.acks,
      replication_factor: c.rf,
      records_per_request: c.records,
      value_bytes: VALUE_BYTES,
      body_bytes: c.endpoint === "topic" ? keyed[0]!.length : c.format === "json" ? b!.json[0]!.length : b!.binary[0]!.length,
      endpoint: c.endpoint,
      partitions: c.partitions,
      ...t,
    };
  });
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const compare = (workload: string, r: BulkRow, f: Throughput & { workerd_cpu_ms_per_request: number | null }): BulkRatio => ({
    workload,
    flarelog_records_per_s: r.records_per_s,
    floor_records_per_s: f.records_per_s,
    throughput_ratio: ratio(r.records_per_s, f.records_per_s),
    p50_ratio: ratio(r.latency.p50_ms, f.latency.p50_ms),
    cpu_per_request_ratio: r.workerd_cpu_ms_per_request === null || !f.workerd_cpu_ms_per_request ? null : ratio(r.workerd_cpu_ms_per_request, f.workerd_cpu_ms_per_request),
  });
  const ratios = rows.flatMap((r) => {
    const f = floor.find((x) => x.format === r.format && x.records_per_request === r.records_per_request && x.objects === undefined);
    if (r.endpoint !== "partition" || !f) return [];
    return [compare(`produce ${r.records_per_request}x${r.value_bytes}B acks=${r.acks} RF${r.replication_factor} 1p, ${r.format} body`, r, f)];
  });
  const spread = (p: number) => rows.find((r) => r.endpoint === "topic" && r.partitions === p);
  const one = spread(1);
  const eight = spread(SPREAD_PARTITIONS);
  // Here "floor" is the same bodies' topic-level produce to a 1-partition topic.
  const partitionRatio = one && eight ? compare(`topic-level produce ${SPREAD_BATCH}x${VALUE_BYTES}B keyed acks=1 RF1, ${SPREAD_PARTITIONS}p ÷ 1p`, eight, one) : null;
  const fan = (n: number) => floor.find((x) => x.objects === n);
  const fan1 = fan(1);
  const fan8 = fan(SPREAD_PARTITIONS);
  const floorFanout: BulkRatio | null =
    fan1 && fan8
      ? {
          workload: `floor fan-out: the same bodies as ${SPREAD_PARTITIONS} rows of ${SPREAD_PARTITIONS} objects ÷ 1 row of 1`,
          flarelog_records_per_s: fan8.records_per_s,
          floor_records_per_s: fan1.records_per_s,
          throughput_ratio: ratio(fan8.records_per_s, fan1.records_per_s),
          p50_ratio: ratio(fan8.latency.p50_ms, fan1.latency.p50_ms),
          cpu_per_request_ratio: !fan8.workerd_cpu_ms_per_request || !fan1.workerd_cpu_ms_per_request ? null : ratio(fan8.workerd_cpu_ms_per_request, fan1.workerd_cpu_ms_per_request),
        }
      : null;
  const target = (format: string, records: number, rf: number) =>
    ratios.find((x) => x.workload === `produce ${records}x${VALUE_BYTES}B acks=${rf === 1 ? "1" : "all"} RF${rf} 1p, ${format} body`)?.throughput_ratio ?? null;
  const targets: BulkTargets = {
    binary_rf1: target("binary", BULK_BATCH, 1),
    json_rf1: target("json", BULK_BATCH, 1),
    single_record_json: target("json", SINGLE, 1),
    single_record_binary: target("binary", SINGLE, 1),
    partitions_8_vs_1: partitionRatio?.throughput_ratio ?? null,
  };
  return { rows, floor, ratios, partition_ratio: partitionRatio, floor_fanout_ratio: floorFanout, targets };
}
