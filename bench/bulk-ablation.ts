/**
 * The produce edge ablation of the `bulk` scenario (issue 22): for each body with a produce
 * target (1000 × 100 B and one record, JSON and binary), rows that run Flarelog's own Worker with
 * its partition leader swapped for one that does less (bench/edge/worker.ts, its own workerd), and
 * the floor's own Worker with no Durable Object, all in the same interleaved rounds as the
 * Flarelog and floor rows they explain (bench/bulk.ts runs them). Then, per target, the
 * decomposition: what each layer costs per request against the budget the target allows,
 * `floor ms ÷ target` (one request in flight, so ms per request = 1000 ÷ requests/s and a
 * records/s ratio is floor ms ÷ Flarelog ms); for the two JSON targets also the JSON contract's
 * floor (the floor's `POST /json-write`: parse, one row, one offset per record answered), whose
 * ratio to the floor is the most any implementation of the JSON contract can reach on this
 * runtime. For the RF 3 `acks=all` target, 1000 × 100 B JSON and binary: Flarelog's Worker with a
 * leader doing the floor's replicated write (its row, then one row in each of two more objects)
 * and, as control, with the real RF 3 leader, both in the ablation's workerd (bench/bulk.ts
 * divides them into `replicated_ratios`). Node 24 type stripping: erasable TypeScript only.
 */
import { table, type OpOutcome, type Throughput } from "./harness.ts";
import { edgeProducePath, EDGE_TOPIC, EDGE_TOPIC_RF3, type EdgeAblation } from "./edge.ts";
import { floorPostOp } from "./floor.ts";
import { produceOp, type Http } from "./http.ts";

/**
 * What answers the request: Flarelog's Worker (edge workerd) with the real leader (`whole`), a
 * leader doing the floor's one INSERT (`floor`), a leader answering at once (`null`), or no
 * Durable Object (`edge`); or the floor's Worker with no Durable Object (`floor_worker`).
 */
export type AblationVariant = EdgeAblation | "floor_worker";

export interface BulkAblationRow extends Throughput {
  variant: AblationVariant;
  /**
   * 3: an RF 3 `acks=all` row (the RF 3 target's ablation): `whole` the real RF 3 leader in the
   * ablation's workerd, `floor` a leader doing the floor's replicated write. Absent: RF 1 `acks=1`.
   */
  replication_factor?: 3;
  format: "json" | "binary";
  records_per_request: number;
  body_bytes: number;
  /** CPU of the serving workerd process per request (edge's or the floor's); null off Linux. */
  workerd_cpu_ms_per_request: number | null;
}

/**
 * One produce target's cost per request, layer by layer, in the same rounds. `*_ms`: wall ms per
 * request = 1000 ÷ requests/s (one request in flight, so a records/s ratio is floor ms ÷ Flarelog
 * ms); `*_cpu_ms`: the serving workerd's CPU per request (steadier on a loaded machine). Null: a
 * row not measured (or CPU off Linux).
 */
export interface BulkDecomposition {
  target: string;
  target_ratio: number;
  /** The floor's whole request (one row of the same body). */
  floor_ms: number;
  /** floor_ms ÷ target_ratio: the most Flarelog's whole request may cost to meet the target. */
  budget_ms: number;
  flarelog_ms: number;
  /** floor_ms ÷ flarelog_ms: the target's own ratio (records/s, same body, same rounds). */
  flarelog_ratio: number;
  /**
   * The gzip ablation: both whole requests asking for their answer uncompressed (Miniflare gzips
   * every answer in workerd for a client that accepts it, node's fetch does; Flarelog's JSON
   * answer is 57 KB for 1000 records, the floor's 8 bytes; deployed, the edge compresses outside
   * the Worker), and the target's ratio so.
   */
  floor_uncompressed_ms: number | null;
  flarelog_uncompressed_ms: number | null;
  uncompressed_ratio: number | null;
  /** The floor's Worker reading the body and answering, no Durable Object. */
  floor_worker_ms: number | null;
  /** Flarelog's Worker alone: auth, routing, body, parse, validate, encode, answer; no Durable Object. */
  edge_ms: number | null;
  /** edge_ms ÷ budget_ms: the share of the target's budget the Worker alone spends. */
  edge_of_budget: number | null;
  /** Flarelog's Worker and the RPC to a leader that answers at once. */
  null_do_ms: number | null;
  /** Flarelog's Worker and a leader doing only the floor's INSERT. */
  floor_do_ms: number | null;
  /** floor_ms ÷ floor_do_ms: the best ratio Flarelog's Worker allows with the floor's storage. */
  floor_do_ratio: number | null;
  /** The whole produce in the ablation's own workerd (a control: near flarelog_ms). */
  whole_edge_ms: number | null;
  /**
   * The JSON targets only (absent for binary and in runs before it): the JSON contract's floor,
   * the floor's Worker parsing the body, storing it as the floor's one row and answering one
   * offset per record (`POST /json-write`), no validation, no re-encoding; and floor_ms ÷ it, the
   * ratio the contract's own minimum reaches against the floor; and both again with their answers
   * uncompressed (the gzip ablation; null in --quick runs).
   */
  json_floor_ms?: number | null;
  json_floor_ratio?: number | null;
  json_floor_cpu_ms?: number | null;
  json_floor_uncompressed_ms?: number | null;
  json_floor_uncompressed_ratio?: number | null;
  floor_cpu_ms: number | null;
  flarelog_cpu_ms: number | null;
  floor_worker_cpu_ms: number | null;
  edge_cpu_ms: number | null;
  null_do_cpu_ms: number | null;
  floor_do_cpu_ms: number | null;
  whole_edge_cpu_ms: number | null;
}

export const ABLATIONS: readonly AblationVariant[] = ["whole", "floor", "null", "edge", "floor_worker"];

export const VARIANT_LABEL: Record<AblationVariant, string> = {
  whole: "Flarelog Worker → real leader (ablation's workerd)",
  floor: "Flarelog Worker → leader doing the floor's INSERT",
  null: "Flarelog Worker → leader answering at once (RPC only)",
  edge: "Flarelog Worker alone (leader stub in the isolate)",
  floor_worker: "floor Worker alone (body read, no DO)",
};

/** What the RF 3 rows' variants are (the same stand-ins, asked for `acks=all`). */
const RF3_VARIANT_LABEL: Partial<Record<AblationVariant, string>> = {
  whole: "Flarelog Worker → real RF 3 leader (ablation's workerd), acks=all",
  floor: "Flarelog Worker → leader doing the floor's replicated write, acks=all",
};

export const variantLabel = (r: { variant: AblationVariant; replication_factor?: 3 }): string =>
  (r.replication_factor === 3 ? RF3_VARIANT_LABEL[r.variant] : undefined) ?? VARIANT_LABEL[r.variant];

/**
 * The request one ablation row sends: the same bodies and client checks as the Flarelog rows;
 * `rf` 3 sends `acks=all` to the edge cluster's RF 3 topic.
 */
export function ablationOp(
  v: AblationVariant,
  servers: { edge: Http; floorUrl: string },
  body: { format: "json" | "binary"; records: number; json: string[]; binary: Uint8Array[] },
  binaryOp: (http: Http, topic: string, acks: "1" | "all", path: string, bodies: Uint8Array[], n: number) => (i: number) => Promise<OpOutcome>,
  rf: 1 | 3 = 1,
): (i: number) => Promise<OpOutcome> {
  if (v === "floor_worker") {
    const bodies = body.format === "json" ? body.json : body.binary;
    return floorPostOp(`${servers.floorUrl}/null`, bodies, body.records);
  }
  const [topic, acks] = rf === 3 ? [EDGE_TOPIC_RF3, "all" as const] : [EDGE_TOPIC, "1" as const];
  const path = edgeProducePath(topic, v, acks);
  if (body.format === "json") return produceOp(servers.edge, topic, acks, body.json, body.records, path);
  return binaryOp(servers.edge, topic, acks, path, body.binary, body.records);
}

const msOf = (t: Throughput | undefined): number | null => (t && t.requests_per_s > 0 ? Number((1000 / t.requests_per_s).toFixed(3)) : null);
const div = (a: number | null, b: number | null, digits = 2): number | null =>
  a === null || b === null || b === 0 ? null : Number((a / b).toFixed(digits));

type Measured = Throughput & { workerd_cpu_ms_per_request: number | null };

/** The decomposition of one target from its rows (null fields: a row not measured). */
export function decompose(
  target: string,
  targetRatio: number,
  flarelog: Measured,
  floor: Measured,
  rows: readonly BulkAblationRow[],
  uncompressed?: { flarelog: Measured; floor: Measured },
  jsonFloor?: { whole: Measured; uncompressed?: Measured | undefined },
): BulkDecomposition {
  const row = (v: AblationVariant) => rows.find((r) => r.variant === v);
  const cpu = (v: AblationVariant) => row(v)?.workerd_cpu_ms_per_request ?? null;
  const floorMs = msOf(floor)!;
  const budget = Number((floorMs / targetRatio).toFixed(3));
  const edge = msOf(row("edge"));
  const floorDo = msOf(row("floor"));
  const floorUncompressed = msOf(uncompressed?.floor);
  const flarelogUncompressed = msOf(uncompressed?.flarelog);
  const contract = jsonFloor ? jsonContractFloor(floorMs, floorUncompressed, jsonFloor) : {};
  return {
    target,
    target_ratio: targetRatio,
    floor_ms: floorMs,
    budget_ms: budget,
    flarelog_ms: msOf(flarelog)!,
    flarelog_ratio: div(floorMs, msOf(flarelog))!,
    floor_uncompressed_ms: floorUncompressed,
    flarelog_uncompressed_ms: flarelogUncompressed,
    uncompressed_ratio: div(floorUncompressed, flarelogUncompressed),
    floor_worker_ms: msOf(row("floor_worker")),
    edge_ms: edge,
    edge_of_budget: div(edge, budget),
    null_do_ms: msOf(row("null")),
    floor_do_ms: floorDo,
    floor_do_ratio: div(floorMs, floorDo),
    whole_edge_ms: msOf(row("whole")),
    ...contract,
    floor_cpu_ms: floor.workerd_cpu_ms_per_request,
    flarelog_cpu_ms: flarelog.workerd_cpu_ms_per_request,
    floor_worker_cpu_ms: cpu("floor_worker"),
    edge_cpu_ms: cpu("edge"),
    null_do_cpu_ms: cpu("null"),
    floor_do_cpu_ms: cpu("floor"),
    whole_edge_cpu_ms: cpu("whole"),
  };
}

/** The JSON targets' contract floor fields of the decomposition. */
function jsonContractFloor(floorMs: number, floorUncompressedMs: number | null, jsonFloor: { whole: Measured; uncompressed?: Measured | undefined }) {
  const whole = msOf(jsonFloor.whole);
  const uncompressed = msOf(jsonFloor.uncompressed);
  return {
    json_floor_ms: whole,
    json_floor_ratio: div(floorMs, whole),
    json_floor_cpu_ms: jsonFloor.whole.workerd_cpu_ms_per_request,
    json_floor_uncompressed_ms: uncompressed,
    json_floor_uncompressed_ratio: div(floorUncompressedMs, uncompressed),
  };
}

const ms = (v: number | null) => (v === null ? "?" : v.toFixed(2));
const x = (v: number | null) => (v === null ? "?" : `${v.toFixed(2)}×`);

/** "wall (CPU)" of one layer. */
const layer = (wall: number | null, cpu: number | null) => `${ms(wall)} (${ms(cpu)})`;

/** The ablation rows and the per-target decomposition, for bench/tables.ts. */
export function ablationTables(rows: readonly BulkAblationRow[], parts: readonly BulkDecomposition[]): string[] {
  if (rows.length === 0) return [];
  return [
    "Produce edge ablation, same rounds: Flarelog's Worker (bench/edge/worker.ts, its own workerd) with its leader swapped, and the floor's Worker with no DO",
    table(
      ["variant", "format", "records/req", "body B", "requests", "records/s", "ms/req", "p50 ms", "p99 ms", "workerd CPU ms/req"],
      rows.map((r) => [
        variantLabel(r),
        r.format,
        r.records_per_request,
        r.body_bytes,
        r.requests,
        r.records_per_s,
        ms(msOf(r)),
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.workerd_cpu_ms_per_request ?? "?",
      ]),
    ),
    "Decomposition per target: ms per request = 1000 ÷ req/s (one in flight), workerd CPU ms/request in brackets; budget = floor ÷ target",
    table(
      ["target", "floor", "budget", "Flarelog", "ratio", "both uncompressed: floor / Flarelog", "ratio", "floor Worker alone", "Flarelog Worker alone", "÷ budget", "+ RPC (null DO)", "+ floor's INSERT", "ratio", "whole (ablation workerd)", "JSON contract's floor", "ratio", "both uncompressed: ratio"],
      parts.map((p) => [
        `${p.target} ≥ ${p.target_ratio}×`,
        layer(p.floor_ms, p.floor_cpu_ms),
        ms(p.budget_ms),
        layer(p.flarelog_ms, p.flarelog_cpu_ms),
        x(p.flarelog_ratio),
        `${ms(p.floor_uncompressed_ms)} / ${ms(p.flarelog_uncompressed_ms)}`,
        x(p.uncompressed_ratio),
        layer(p.floor_worker_ms, p.floor_worker_cpu_ms),
        layer(p.edge_ms, p.edge_cpu_ms),
        x(p.edge_of_budget),
        layer(p.null_do_ms, p.null_do_cpu_ms),
        layer(p.floor_do_ms, p.floor_do_cpu_ms),
        x(p.floor_do_ratio),
        layer(p.whole_edge_ms, p.whole_edge_cpu_ms),
        p.json_floor_ms === undefined ? "-" : layer(p.json_floor_ms, p.json_floor_cpu_ms ?? null),
        p.json_floor_ratio === undefined ? "-" : x(p.json_floor_ratio),
        p.json_floor_uncompressed_ratio === undefined ? "-" : x(p.json_floor_uncompressed_ratio),
      ]),
    ),
  ];
}
