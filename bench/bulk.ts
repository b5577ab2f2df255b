/**
 * The `bulk` scenario of `npm run bench` (issues 7 and 22): the produce rows that have a target
 * against the platform floor, all in the same interleaved rounds (so each ratio is measured under
 * the same machine conditions), one request in flight each:
 *   - 1000 records × 100 B per request to one partition: the contract's JSON body and the binary
 *     record batch (`application/vnd.flarelog.record-batch`, the stored format, which the leader
 *     keeps as it came), RF 1 acks=1 and RF 3 acks=all;
 *   - one record per request (JSON and binary), RF 1 acks=1 (these rows, their floor rows and
 *     their ablation rows take SINGLE_SAMPLES times the requests of the others);
 *   - the platform floor (bench/floor/worker.ts in its own Miniflare instance, storing each body
 *     as one row) written with the same 1000-record and single-record bodies;
 *   - the JSON contract's floor (the floor's `POST /json-write`) with the same JSON bodies: the body
 *     parsed, its records counted, stored as that one row, and answered with one offset per record
 *     (the least any Worker must do to serve the JSON produce contract; the client checks the
 *     answer as it checks Flarelog's);
 *   - topic-level produce (`POST /v1/topics/{t}/records`) of 100 keyed records × 100 B to a topic
 *     of 8 partitions (murmur2 spreads the keys) and the same bodies to a topic of 1 partition.
 * Ratios: each partition-endpoint row ÷ the floor with the same body; the 8-partition row ÷ the
 * 1-partition row, and beside it the floor's own fan-out of the same bodies (8 rows of 8 objects
 * in parallel ÷ 1 row of 1: what the platform itself pays for 8 objects per request); each
 * RF 3 row ÷ the floor's replicated write of the same body (one object stores it, then two more,
 * awaited: the platform's own shape of an RF 3 acks=all append) and that write ÷ the floor's
 * single write (`replicated_ratios`, the closing JSON line's `bulk_replicated_ratios`, with the
 * RF 3 target's ablation: Flarelog's Worker with a leader doing that same replicated write ÷ the
 * floor's own, and the real RF 3 leader behind the same Worker ÷ that stand-in; for JSON, the
 * JSON contract over that replicated write, the floor's `POST /json-hop`, ÷ the single write, and
 * the RF 3 JSON row ÷ it: the RF 3 JSON target's bound); issue 22's
 * five target ratios in `targets` (the closing JSON line's `bulk_targets`). The same values in
 * both formats (the JSON bodies' values, re-encoded).
 * The ablation of the four single-partition RF 1 targets, in the same rounds: the JSON rows again
 * asking for an uncompressed answer (gzip), and bench/bulk-ablation.ts's rows (Flarelog's Worker
 * in its own workerd, bench/edge/worker.ts, with its partition leader swapped for one doing the
 * floor's INSERT, one answering at once, or none; the floor's Worker with no DO), summed up per
 * target in `decomposition` (the closing JSON line's `bulk_decomposition`), the two JSON targets
 * with their JSON contract's floor beside them (`json_floor_ratio` = floor ÷ that row: the most
 * the contract itself allows against the floor on this runtime; with both answers uncompressed
 * too, outside --quick).
 * The control (`repeat_ratios`, the closing JSON line's `bulk_repeat_ratios`): the binary RF 1
 * target row and its floor row each measured a second time, on a topic and an object of their
 * own, in the same rounds: first ÷ second for each, and the target's ratio from the two second
 * rows. Two identical workloads should give 1.0×; what they give is this run's own spread, set
 * beside every target it measures.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { join } from "node:path";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { BatchBuilder } from "../src/codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { formatNumber, runInterleaved, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { processCpuSeconds } from "./proc.ts";
import { ablationOp, ABLATIONS, decompose, variantLabel, type AblationVariant, type BulkAblationRow, type BulkDecomposition } from "./bulk-ablation.ts";
import { EDGE_TOPIC, startEdge, type EdgeCluster } from "./edge.ts";
import { floorPostOp, startFloor, writeOp } from "./floor.ts";
import { call, expectStatus, produceBodies, produceOp, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";

export interface BulkConfig {
  /** `quick` leaves out the ablation's controls (the gzip rows, the real leader in the edge workerd): the quick run's time budget. */
  mode?: "default" | "quick";
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
  /** The gzip ablation's rows: the request asked for the answer uncompressed (`accept-encoding: identity`). */
  answer_uncompressed?: boolean;
  /** The same-rounds control: this row's twin measured again (`repeat_ratios`). */
  repeat?: boolean;
}

export interface BulkFloorRow extends Throughput {
  format: "json" | "binary";
  records_per_request: number;
  /** The fan-out rows only: each body cut into this many rows of as many objects, written in parallel. */
  objects?: number;
  /** The gzip ablation's rows: the request asked for the answer uncompressed. */
  answer_uncompressed?: boolean;
  /**
   * The RF 3 rows' platform shape: the body stored by one object that then has two others store
   * it too, awaited (the floor's `POST /hop`: Worker → DO → 2 DOs, one row each).
   */
  replicated?: boolean;
  /**
   * The JSON contract's floor (`POST /json-write`): the body parsed, its records counted, stored as
   * one row, answered with one offset per record; no validation, no re-encoding. With `replicated`,
   * the same over the replicated write (`POST /json-hop`): the RF 3 JSON target's floor.
   */
  json_contract?: boolean;
  /** The same-rounds control: this row's twin measured again (`repeat_ratios`). */
  repeat?: boolean;
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
  /**
   * The ablation beside the RF 3 target: each RF 3 `acks=all` row ÷ the floor's replicated write
   * of the same body, and the floor's replicated write ÷ its single write (the platform's own
   * RF 3 ÷ RF 1 for one row per object); with the RF 3 target's ablation rows, the stand-in ÷ the
   * floor's own and the real leader ÷ the stand-in; for JSON, the JSON contract over the
   * replicated write ÷ the single write, and the RF 3 row ÷ that contract floor.
   */
  replicated_ratios?: BulkRatio[];
  /**
   * The control of the binary RF 1 target: Flarelog's row ÷ the same row measured again on its
   * own topic, the floor's row ÷ itself again, and the target's ratio from the two repeats: what
   * these rounds measure of two identical workloads, the spread within one run. Absent before it.
   */
  repeat_ratios?: BulkRatio[];
  /** Absent in runs before issue 22 (the committed fixtures). */
  targets?: BulkTargets;
  /** The produce edge ablation's rows (bench/bulk-ablation.ts); absent in runs before it. */
  ablation?: BulkAblationRow[];
  /** Each produce target's cost per request layer by layer, from the rows above; absent in runs before it. */
  decomposition?: BulkDecomposition[];
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

export function binaryProduceOp(
  http: Http,
  topic: string,
  acks: string,
  bodies: Uint8Array[],
  n: number,
  path = `/v1/topics/${topic}/partitions/0/records?acks=${acks}`,
  headers: Record<string, string> = {},
): (i: number) => Promise<OpOutcome> {
  const url = `${http.base}${path}`;
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const res = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${http.token}`, "content-type": RECORD_BATCH_CONTENT_TYPE, ...headers },
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

/**
 * Asks for the answer uncompressed: node's fetch accepts gzip, and Miniflare then gzips every
 * answer in workerd (Flarelog's JSON offsets answer is 57 KB for 1000 records; the floor's is 8
 * bytes), as Cloudflare's edge would outside the Worker. The gzip ablation's rows send it.
 */
const IDENTITY = { "accept-encoding": "identity" };

/** A JSON produce as bench/http.ts `produceOp` (same body, same answer check), answer uncompressed. */
function identityProduceOp(http: Http, path: string, bodies: string[], n: number): (i: number) => Promise<OpOutcome> {
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    const r = await call(http, "POST", path, body, IDENTITY);
    expectStatus(`produce ${path}`, r, 200);
    const { offsets } = JSON.parse(r.text) as { offsets: { offset?: number }[] };
    if (offsets.length !== n || offsets.some((o) => o.offset === undefined)) throw new Error(`produce ${path}: expected ${n} offsets, got ${r.text.slice(0, 300)}`);
    return { records: n, payloadBytes: n * VALUE_BYTES, wireBytes: body.length };
  };
}

/**
 * `workerd`: the Flarelog workerd process (for CPU per request), null when unknown. `stateDir`:
 * where the floor's and the edge ablation's state go (each its own workerd).
 */
export async function bulkScenario(http: Http, client: FlarelogClient, cfg: BulkConfig, stateDir: string, log: (line: string) => void, workerd: number | null): Promise<BulkResult> {
  // One after the other: each finds its own workerd's pid as the one child process that is new.
  const floor = await startFloor(join(stateDir, "floor"));
  const edge = await startEdge(join(stateDir, "edge"), log).catch(async (e: unknown) => {
    await floor.stop();
    throw e;
  });
  try {
    log(`  floor worker at ${floor.url}; edge ablation (Flarelog's Worker, leader swapped) at ${edge.http.base}`);
    return await measure(http, client, cfg, { url: floor.url, pid: floor.pid, flarelogPid: workerd, edge }, log);
  } finally {
    await Promise.all([floor.stop(), edge.stop()]);
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
  /** Asks for the answer uncompressed (the gzip ablation of the JSON rows). */
  identity?: true;
  /** The same-rounds control: a second row exactly like its twin, on a topic of its own. */
  repeat?: true;
}

const SPECS: RowSpec[] = [
  { format: "json", acks: "1", rf: 1, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
  { format: "binary", acks: "1", rf: 1, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
  { format: "json", acks: "all", rf: 3, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
  { format: "binary", acks: "all", rf: 3, records: BULK_BATCH, endpoint: "partition", partitions: 1 },
  { format: "json", acks: "1", rf: 1, records: SINGLE, endpoint: "partition", partitions: 1 },
  { format: "binary", acks: "1", rf: 1, records: SINGLE, endpoint: "partition", partitions: 1 },
  { format: "json", acks: "1", rf: 1, records: SPREAD_BATCH, endpoint: "topic", partitions: 1 },
  { format: "json", acks: "1", rf: 1, records: SPREAD_BATCH, endpoint: "topic", partitions: SPREAD_PARTITIONS },
  // The gzip ablation: the rows of the targets, answer uncompressed (as the floor's rows of it).
  ...[BULK_BATCH, SINGLE].flatMap((records) =>
    (["json", "binary"] as const).map((format): RowSpec => ({ format, acks: "1", rf: 1, records, endpoint: "partition", partitions: 1, identity: true })),
  ),
  // The control: the binary RF 1 target row once more (with the floor's row once more: `repeat_ratios`).
  { format: "binary", acks: "1", rf: 1, records: BULK_BATCH, endpoint: "partition", partitions: 1, repeat: true },
];

/** The bodies of the target rows (the edge ablation sends the same). */
interface TargetBody {
  format: "json" | "binary";
  records: number;
  json: string[];
  binary: Uint8Array[];
}

/** One measured configuration: its request and the workerd process that serves it (CPU per request). */
interface Measured {
  op: (i: number) => Promise<OpOutcome>;
  concurrency: number;
  pid: number | null;
  /** Requests over the rounds, when not `bulkRequests` (the single-record rows: see SINGLE_SAMPLES). */
  requests?: number | undefined;
}

/**
 * The single-record rows take this many times `bulkRequests`: at ~1.5 ms a request, 800 of them
 * are 1.2 s a row, 0.15 s a round, where one 30 ms pause (GC, a neighbour) moves a ratio by a
 * fifth; the 1,000-record rows take 2–5 ms a request and keep `bulkRequests`.
 */
const SINGLE_SAMPLES = 4;

interface Servers {
  url: string;
  pid: number | null;
  flarelogPid: number | null;
  edge: EdgeCluster;
}

const specTopic = (c: RowSpec) =>
  `bench-bulk-${c.format}-rf${c.rf}-b${c.records}-${c.endpoint}-p${c.partitions}${c.identity ? "-identity" : ""}${c.repeat ? "-repeat" : ""}`;

async function flarelogOps(http: Http, client: FlarelogClient, specs: RowSpec[], bodies: Map<number, { json: string[]; binary: Uint8Array[] }>, keyed: string[]) {
  const ops = [];
  for (const c of specs) {
    const topic = specTopic(c);
    const r = await client.createTopic(topic, {
      partitions: c.partitions,
      replication_factor: c.rf,
      ...(c.rf === 3 ? { configs: { "min.insync.replicas": "2" } } : {}),
    });
    if (!r.ok) throw new Error(`create topic ${topic}: HTTP ${r.status} ${JSON.stringify(r.error)}`);
    const b = bodies.get(c.records);
    const path = `/v1/topics/${topic}/partitions/0/records?acks=${c.acks}`;
    const op =
      c.endpoint === "topic"
        ? topicProduceOp(http, topic, c.acks, keyed, c.records)
        : c.format === "json"
          ? c.identity
            ? identityProduceOp(http, path, b!.json, c.records)
            : produceOp(http, topic, c.acks, b!.json, c.records)
          : binaryProduceOp(http, topic, c.acks, b!.binary, c.records, path, c.identity ? IDENTITY : {});
    ops.push(op);
  }
  return ops;
}

interface FloorSpec {
  format: "json" | "binary";
  records: number;
  bodies: (string | Uint8Array)[];
  objects?: number;
  identity?: true;
  replicated?: true;
  jsonContract?: true;
  repeat?: true;
}

function floorSpecs(bodies: Map<number, { json: string[]; binary: Uint8Array[] }>, keyed: string[], controls: boolean): FloorSpec[] {
  const floors: FloorSpec[] = [BULK_BATCH, SINGLE].flatMap((n) => {
    const b = bodies.get(n)!;
    return [
      { format: "json" as const, records: n, bodies: b.json },
      { format: "binary" as const, records: n, bodies: b.binary },
    ];
  });
  // The platform's own fan-out (the ablation for the 8-partition target): the keyed bodies as one
  // row of one object, and cut into 8 rows of 8 objects written in parallel, per request.
  floors.push({ format: "json", records: SPREAD_BATCH, bodies: keyed, objects: 1 }, { format: "json", records: SPREAD_BATCH, bodies: keyed, objects: SPREAD_PARTITIONS });
  // The platform's own replicated write (the ablation for the RF 3 target): the 1000-record
  // bodies stored by one object and, awaited, by two more.
  const replicated = floors.slice(0, 2).map((f): FloorSpec => ({ ...f, replicated: true }));
  // The JSON contract's floor (the bound of the two JSON targets): the JSON target bodies parsed,
  // stored as one row, answered with their offsets.
  const contract = floors.slice(0, 4).flatMap((f): FloorSpec[] => (f.format === "json" ? [{ ...f, jsonContract: true }] : []));
  // The gzip ablation: the target bodies again, and the JSON contract's floor, answer uncompressed.
  const uncompressed = controls ? [...floors.slice(0, 4), ...contract].map((f): FloorSpec => ({ ...f, identity: true })) : [];
  // The RF 3 JSON target's floor: the JSON contract over the platform's replicated write.
  const contractReplicated = replicated.flatMap((f): FloorSpec[] => (f.format === "json" ? [{ ...f, jsonContract: true }] : []));
  // The control's floor twin: the 1000-record binary write once more.
  const repeat = floors.filter((f) => f.format === "binary" && f.records === BULK_BATCH).map((f): FloorSpec => ({ ...f, repeat: true }));
  return [...floors, ...replicated, ...contract, ...uncompressed, ...contractReplicated, ...repeat];
}

/** Runs `ops` in interleaved rounds, summing each run's CPU of the process that served it. */
async function interleaved(ops: Measured[], cfg: BulkConfig): Promise<{ t: Throughput; cpu: number | null }[]> {
  const cpuSeconds = ops.map((): number | null => 0);
  const loads = await runInterleaved(ops, {
    warmup: Math.max(5, Math.round(cfg.bulkRequests / 10)),
    requests: cfg.bulkRequests,
    rounds: cfg.bulkRounds,
    capMs: cfg.bulkCapMs,
    around: async (i, run) => {
      const pid = ops[i]!.pid;
      const a = pid === null ? null : processCpuSeconds(pid);
      const r = await run();
      const b = pid === null ? null : processCpuSeconds(pid);
      const sum = cpuSeconds[i]!;
      cpuSeconds[i] = sum === null || a === null || b === null ? null : sum + b - a;
      return r;
    },
  });
  return loads.map((load, i) => {
    const t = throughput(load);
    const s = cpuSeconds[i];
    const cpu = s === null || s === undefined || t.requests === 0 ? null : Number(((1000 * s) / t.requests).toFixed(2));
    return { t, cpu };
  });
}

function floorRow(f: FloorSpec, { t, cpu }: { t: Throughput; cpu: number | null }, log: (line: string) => void): BulkFloorRow {
  const contract = f.jsonContract ? ", JSON contract (parsed, one row, offsets answered)" : "";
  const fan = `${f.objects === undefined ? "" : ` to ${f.objects} object(s)`}${f.identity ? ", answer uncompressed" : ""}${f.replicated ? ", replicated (one object, then two more)" : ""}${contract}${f.repeat ? ", again (control)" : ""}`;
  log(`  floor, ${f.format} bodies of ${f.records}${fan}: ${formatNumber(t.records_per_s)} records/s, p50 ${t.latency.p50_ms} ms, workerd CPU ${cpu ?? "?"} ms/request`);
  const shape = {
    ...(f.objects === undefined ? {} : { objects: f.objects }),
    ...(f.identity ? { answer_uncompressed: true } : {}),
    ...(f.replicated ? { replicated: true } : {}),
    ...(f.jsonContract ? { json_contract: true } : {}),
    ...(f.repeat ? { repeat: true } : {}),
  };
  return { format: f.format, records_per_request: f.records, body_bytes: f.bodies[0]!.length, ...shape, ...t, workerd_cpu_ms_per_request: cpu };
}

function flarelogRow(
  c: RowSpec,
  { t, cpu }: { t: Throughput; cpu: number | null },
  bodies: Map<number, { json: string[]; binary: Uint8Array[] }>,
  keyed: string[],
  log: (line: string) => void,
): BulkRow {
  const enc = `${c.identity ? ", answer uncompressed" : ""}${c.repeat ? ", again (control)" : ""}`;
  log(
    `  bulk ${c.format} ${c.records} × ${VALUE_BYTES} B ${c.endpoint} ${c.partitions}p RF ${c.rf} acks=${c.acks}${enc}: ` +
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
    ...(c.identity ? { answer_uncompressed: true } : {}),
    ...(c.repeat ? { repeat: true } : {}),
    ...t,
  };
}

async function measure(http: Http, client: FlarelogClient, cfg: BulkConfig, servers: Servers, log: (line: string) => void): Promise<BulkResult> {
  const bodies = new Map<number, { json: string[]; binary: Uint8Array[] }>();
  for (const [n, seed, variants] of [[BULK_BATCH, 31, 4], [SINGLE, 32, 8]] as const) {
    const json = produceBodies(n, seed, variants);
    bodies.set(n, { json, binary: binaryBodies(json) });
  }
  const keyed = keyedBodies(SPREAD_BATCH, 33, 8);
  const controls = cfg.mode !== "quick";
  const specs = controls ? SPECS : SPECS.filter((c) => !c.identity);
  const floors = floorSpecs(bodies, keyed, controls);
  const targetBodies: TargetBody[] = [BULK_BATCH, SINGLE].flatMap((n) => (["json", "binary"] as const).map((format) => ({ format, records: n, ...bodies.get(n)! })));
  const variants = controls ? ABLATIONS : ABLATIONS.filter((v) => v !== "whole");
  // The RF 3 target's: Flarelog's Worker with a leader doing the floor's replicated write, and the real RF 3 leader (control).
  const rf3Variants: AblationVariant[] = controls ? ["floor", "whole"] : ["floor"];
  const ablations = [
    ...targetBodies.flatMap((body) => variants.map((variant) => ({ variant, body, rf: 1 as const }))),
    ...targetBodies.filter((b) => b.records === BULK_BATCH).flatMap((body) => rf3Variants.map((variant) => ({ variant, body, rf: 3 as const }))),
  ];
  const requestsFor = (records: number) => (records === SINGLE ? SINGLE_SAMPLES * cfg.bulkRequests : undefined);
  const ops: Measured[] = [
    ...(await flarelogOps(http, client, specs, bodies, keyed)).map((op, i) => ({ op, concurrency: 1, pid: servers.flarelogPid, requests: requestsFor(specs[i]!.records) })),
    ...floors.map((f) => {
      const name = `bulk-${f.format}-b${f.records}${f.objects ? `-fan${f.objects}` : ""}${f.identity ? "-identity" : ""}${f.replicated ? "-hop" : ""}${f.jsonContract ? "-json" : ""}${f.repeat ? "-repeat" : ""}`;
      // The JSON contract's rows send Flarelog's JSON rows' own request and answer check (n offsets).
      const floorHttp = { base: servers.url, token: "" };
      const contractPath = `/json-${f.replicated ? "hop" : "write"}?p=${name}`;
      const op = f.jsonContract
        ? f.identity
          ? identityProduceOp(floorHttp, contractPath, f.bodies as string[], f.records)
          : produceOp(floorHttp, name, "1", f.bodies as string[], f.records, contractPath)
        : f.identity
          ? floorPostOp(`${servers.url}/write?p=${name}`, f.bodies, f.records, IDENTITY)
          : f.replicated
            ? floorPostOp(`${servers.url}/hop?p=${name}`, f.bodies, f.records)
            : writeOp(servers.url, name, f.bodies, f.records, f.objects);
      return { op, concurrency: 1, pid: servers.pid, requests: requestsFor(f.records) };
    }),
    ...ablations.map(({ variant, body, rf }) => ({
      op: ablationOp(variant, { edge: servers.edge.http, floorUrl: servers.url }, body, (h, topic, acks, path, b, n) => binaryProduceOp(h, topic, acks, b, n, path), rf),
      concurrency: 1,
      pid: variant === "floor_worker" ? servers.pid : servers.edge.pid,
      requests: requestsFor(body.records),
    })),
  ];
  const measured = await interleaved(ops, cfg);
  const floorAt = specs.length;
  const ablationAt = floorAt + floors.length;
  const rows = specs.map((c, i) => flarelogRow(c, measured[i]!, bodies, keyed, log));
  const floor = floors.map((f, i) => floorRow(f, measured[floorAt + i]!, log));
  const ablation = ablations.map(({ variant, body, rf }, i): BulkAblationRow => {
    const { t, cpu } = measured[ablationAt + i]!;
    const replicated = rf === 3 ? { replication_factor: 3 as const } : {};
    log(`  ablation ${variantLabel({ variant, ...replicated })}, ${body.format} ${body.records}: ${formatNumber(t.records_per_s)} records/s, ${(1000 / t.requests_per_s).toFixed(2)} ms/request, workerd CPU ${cpu ?? "?"} ms/request`);
    const sent = body.format === "json" ? body.json : body.binary;
    return { variant, ...replicated, format: body.format, records_per_request: body.records, body_bytes: sent[0]!.length, ...t, workerd_cpu_ms_per_request: cpu };
  });
  return summarizeBulk(rows, floor, ablation);
}

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));

function compare(workload: string, r: Throughput & { workerd_cpu_ms_per_request: number | null }, f: Throughput & { workerd_cpu_ms_per_request: number | null }): BulkRatio {
  return {
    workload,
    flarelog_records_per_s: r.records_per_s,
    floor_records_per_s: f.records_per_s,
    throughput_ratio: ratio(r.records_per_s, f.records_per_s),
    p50_ratio: ratio(r.latency.p50_ms, f.latency.p50_ms),
    cpu_per_request_ratio: r.workerd_cpu_ms_per_request === null || !f.workerd_cpu_ms_per_request ? null : ratio(r.workerd_cpu_ms_per_request, f.workerd_cpu_ms_per_request),
  };
}

/** The target rows' names, their bodies and their target ratios (issue 22). */
const TARGETS = [
  { key: "binary_rf1", format: "binary", records: BULK_BATCH, min: 0.9 },
  { key: "json_rf1", format: "json", records: BULK_BATCH, min: 0.8 },
  { key: "single_record_json", format: "json", records: SINGLE, min: 0.9 },
  { key: "single_record_binary", format: "binary", records: SINGLE, min: 0.9 },
] as const;

/** The ratios, targets and decomposition of measured rows (exported for its test). */
export function summarizeBulk(rows: BulkRow[], floor: BulkFloorRow[], ablation: BulkAblationRow[]): BulkResult {
  const floorOf = (format: string, records: number, uncompressed = false) =>
    floor.find(
      (x) => x.format === format && x.records_per_request === records && x.objects === undefined && !x.replicated && !x.json_contract && !x.repeat && !x.answer_uncompressed === !uncompressed,
    );
  // Each row against the floor with the same body and the same answer encoding.
  const ratios = rows.flatMap((r) => {
    const f = floorOf(r.format, r.records_per_request, r.answer_uncompressed);
    if (r.endpoint !== "partition" || r.repeat || !f) return [];
    const enc = r.answer_uncompressed ? ", answer uncompressed" : "";
    return [compare(`produce ${r.records_per_request}x${r.value_bytes}B acks=${r.acks} RF${r.replication_factor} 1p, ${r.format} body${enc}`, r, f)];
  });
  const spread = (p: number) => rows.find((r) => r.endpoint === "topic" && r.partitions === p);
  const one = spread(1);
  const eight = spread(SPREAD_PARTITIONS);
  // Here "floor" is the same bodies' topic-level produce to a 1-partition topic.
  const partitionRatio = one && eight ? compare(`topic-level produce ${SPREAD_BATCH}x${VALUE_BYTES}B keyed acks=1 RF1, ${SPREAD_PARTITIONS}p ÷ 1p`, eight, one) : null;
  const fan = (n: number) => floor.find((x) => x.objects === n);
  const fan1 = fan(1);
  const fan8 = fan(SPREAD_PARTITIONS);
  const floorFanout = fan1 && fan8 ? compare(`floor fan-out: the same bodies as ${SPREAD_PARTITIONS} rows of ${SPREAD_PARTITIONS} objects ÷ 1 row of 1`, fan8, fan1) : null;
  const replicatedRatios = (["binary", "json"] as const).flatMap((format) => {
    const hop = floor.find((x) => x.replicated && !x.json_contract && x.format === format && x.records_per_request === BULK_BATCH);
    // The JSON target's: the JSON contract (parse, one offset per record answered) over that same write.
    const contractHop = floor.find((x) => x.replicated && x.json_contract && x.format === format && x.records_per_request === BULK_BATCH);
    const single = floorOf(format, BULK_BATCH);
    const rf3 = rows.find((r) => r.endpoint === "partition" && r.replication_factor === 3 && r.format === format && r.records_per_request === BULK_BATCH);
    if (!hop || !single || !rf3) return [];
    const shape = "the floor's replicated write (one object, then two more, one row each)";
    // The ablation: Flarelog's Worker with a leader doing that write, and with the real RF 3 leader, in one workerd.
    const stand = (variant: AblationVariant) =>
      ablation.find((a) => a.replication_factor === 3 && a.variant === variant && a.format === format && a.records_per_request === BULK_BATCH);
    const edgeHop = stand("floor");
    const edgeWhole = stand("whole");
    const viaWorker = "Flarelog's Worker → a leader doing the floor's replicated write";
    return [
      compare(`produce ${BULK_BATCH}x${VALUE_BYTES}B acks=all RF3 1p, ${format} body ÷ ${shape}`, rf3, hop),
      compare(`floor: ${shape} ÷ its single write, ${format} body`, hop, single),
      ...(edgeHop ? [compare(`ablation: ${viaWorker} ÷ the floor's own, ${format} body`, edgeHop, hop)] : []),
      ...(edgeHop && edgeWhole ? [compare(`ablation: Flarelog's Worker → the real RF 3 leader ÷ ${viaWorker} (one workerd), ${format} body`, edgeWhole, edgeHop)] : []),
      ...(contractHop
        ? [
            compare(`floor: the JSON contract over ${shape} ÷ the floor's single write, ${format} body`, contractHop, single),
            compare(`produce ${BULK_BATCH}x${VALUE_BYTES}B acks=all RF3 1p, ${format} body ÷ the JSON contract over ${shape}`, rf3, contractHop),
          ]
        : []),
    ];
  });
  // The control: two identical workloads each, in the same rounds.
  const binaryRf1 = rows.find((r) => r.endpoint === "partition" && r.replication_factor === 1 && r.format === "binary" && r.records_per_request === BULK_BATCH && !r.answer_uncompressed && !r.repeat);
  const binaryRf1Again = rows.find((r) => r.repeat);
  const floorBinary = floorOf("binary", BULK_BATCH);
  const floorBinaryAgain = floor.find((x) => x.repeat);
  const repeatRatios =
    binaryRf1 && binaryRf1Again && floorBinary && floorBinaryAgain
      ? [
          compare(`control: produce ${BULK_BATCH}x${VALUE_BYTES}B acks=1 RF1 1p, binary body, measured twice (first ÷ second)`, binaryRf1, binaryRf1Again),
          compare(`control: floor write, binary body of ${BULK_BATCH}, measured twice (first ÷ second)`, floorBinary, floorBinaryAgain),
          compare(`control: the binary RF 1 target from the two second rows`, binaryRf1Again, floorBinaryAgain),
        ]
      : [];
  const target = (format: string, records: number, rf: number) =>
    ratios.find((x) => x.workload === `produce ${records}x${VALUE_BYTES}B acks=${rf === 1 ? "1" : "all"} RF${rf} 1p, ${format} body`)?.throughput_ratio ?? null;
  const targets: BulkTargets = {
    binary_rf1: target("binary", BULK_BATCH, 1),
    json_rf1: target("json", BULK_BATCH, 1),
    single_record_json: target("json", SINGLE, 1),
    single_record_binary: target("binary", SINGLE, 1),
    partitions_8_vs_1: partitionRatio?.throughput_ratio ?? null,
  };
  const decomposition = TARGETS.flatMap((x) => {
    const r = rows.find((b) => b.endpoint === "partition" && b.replication_factor === 1 && !b.answer_uncompressed && !b.repeat && b.format === x.format && b.records_per_request === x.records);
    const f = floorOf(x.format, x.records);
    if (!r || !f) return [];
    const flarelogUncompressed = rows.find((b) => b.answer_uncompressed && b.format === x.format && b.records_per_request === x.records);
    const floorUncompressed = floorOf(x.format, x.records, true);
    const parts = ablation.filter((a) => a.replication_factor === undefined && a.format === x.format && a.records_per_request === x.records);
    const uncompressed = flarelogUncompressed && floorUncompressed ? { flarelog: flarelogUncompressed, floor: floorUncompressed } : undefined;
    const contractOf = (answerUncompressed: boolean) =>
      floor.find((c) => c.json_contract && !c.replicated && c.format === x.format && c.records_per_request === x.records && !c.answer_uncompressed === !answerUncompressed);
    const contract = contractOf(false);
    return [decompose(x.key, x.min, r, f, parts, uncompressed, contract && { whole: contract, uncompressed: contractOf(true) })];
  });
  return {
    rows,
    floor,
    ratios,
    partition_ratio: partitionRatio,
    floor_fanout_ratio: floorFanout,
    replicated_ratios: replicatedRatios,
    ...(repeatRatios.length > 0 ? { repeat_ratios: repeatRatios } : {}),
    targets,
    ablation,
    decomposition,
  };
}
