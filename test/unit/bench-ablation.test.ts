/**
 * The ablations of `npm run bench` (issue 22): the produce edge ablation's decomposition
 * (bench/bulk-ablation.ts) is the arithmetic of its rows (ms per request = 1000 ÷ requests/s,
 * budget = floor ÷ target, the JSON targets' contract floor ratio), a row not measured leaves
 * nulls rather than NaN, the closing JSON line carries it only when measured; the bulk
 * scenario's same-rounds control (bench/bulk.ts) never feeds a target and divides each row by
 * its repeat; the catch-up
 * ablation's decoders (bench/catchup-split.ts) count what a consumer gets; and the edge build (bench/edge/wrangler.toml) keeps every binding and
 * migration of the production wrangler.toml, so its Worker is the product's with stand-ins added.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { decompose, type BulkAblationRow } from "../../bench/bulk-ablation.ts";
import { summarizeBulk, type BulkFloorRow, type BulkRow } from "../../bench/bulk.ts";
import { decodeFlarelogBinary, decodeFlarelogJson } from "../../bench/catchup-split.ts";
import type { Throughput } from "../../bench/harness.ts";
import { renderMarkdown } from "../../bench/report.ts";
import { headlines, type Results } from "../../bench/results.ts";
import { BatchBuilder, encodeFrames } from "../../src/codec/record-batch.ts";

const ROOT = join(import.meta.dirname, "..", "..");

/** A run's results with nothing measured, for the closing JSON line's tests. */
const base: Results = {
  schema: 1,
  date: "2026-12-05T00:00:00Z",
  mode: "quick",
  duration_s: 1,
  server_start_s: 1,
  machine: { commit: null, dirty: null } as unknown as Results["machine"],
  config: {} as Results["config"],
  cpu: {},
  memory: {},
};

/** A row of `requestsPerS` one-at-a-time requests of `records` records each. */
function measured(requestsPerS: number, records = 1000, cpu: number | null = 1): Throughput & { workerd_cpu_ms_per_request: number | null } {
  const latency = { count: 100, mean_ms: 1000 / requestsPerS, p50_ms: 1, p90_ms: 1, p95_ms: 1, p99_ms: 1, p99_9_ms: 1, max_ms: 1 };
  return {
    requests: 100,
    records: 100 * records,
    elapsed_s: 100 / requestsPerS,
    records_per_s: requestsPerS * records,
    requests_per_s: requestsPerS,
    payload_mb_per_s: 0,
    wire_mb_per_s: 0,
    capped_by_time: false,
    latency,
    workerd_cpu_ms_per_request: cpu,
  };
}

const ablation = (variant: BulkAblationRow["variant"], requestsPerS: number, cpu = 0.5): BulkAblationRow => ({
  variant,
  format: "json",
  records_per_request: 1000,
  body_bytes: 113_013,
  ...measured(requestsPerS, 1000, cpu),
});

describe("the produce edge ablation's decomposition", () => {
  it("budget is the floor's ms ÷ the target, the Worker alone's share is edge ms ÷ budget, ratios are floor ms ÷ row ms", () => {
    // floor 4 ms, Flarelog 8 ms, edge 2.5 ms, null DO 4 ms, floor's INSERT 5 ms.
    const rows = [ablation("edge", 400), ablation("null", 250), ablation("floor", 200), ablation("floor_worker", 500), ablation("whole", 125)];
    const d = decompose("json_rf1", 0.8, measured(125, 1000, 3), measured(250, 1000, 1.5), rows, { flarelog: measured(160), floor: measured(400) });
    expect(d).toMatchObject({ floor_ms: 4, budget_ms: 5, flarelog_ms: 8, flarelog_ratio: 0.5, edge_ms: 2.5, edge_of_budget: 0.5 });
    expect(d).toMatchObject({ null_do_ms: 4, floor_do_ms: 5, floor_do_ratio: 0.8, floor_worker_ms: 2, whole_edge_ms: 8 });
    expect(d).toMatchObject({ floor_uncompressed_ms: 2.5, flarelog_uncompressed_ms: 6.25, uncompressed_ratio: 0.4 });
    expect(d).toMatchObject({ floor_cpu_ms: 1.5, flarelog_cpu_ms: 3, edge_cpu_ms: 0.5 });
  });

  it("the JSON contract's floor ratio is the floor's ms ÷ its ms, and a target without that row has no such fields", () => {
    // floor 4 ms, the JSON contract's floor 5 ms: the contract at its least reaches 0.8×;
    // both uncompressed: floor 2.5 ms, the contract's floor 3.125 ms, again 0.8×.
    const both = { flarelog: measured(160), floor: measured(400) };
    const d = decompose("json_rf1", 0.8, measured(125), measured(250, 1000, 1.5), [], both, { whole: measured(200, 1000, 2), uncompressed: measured(320) });
    expect(d).toMatchObject({ json_floor_ms: 5, json_floor_ratio: 0.8, json_floor_cpu_ms: 2 });
    expect(d).toMatchObject({ json_floor_uncompressed_ms: 3.125, json_floor_uncompressed_ratio: 0.8 });
    const quick = decompose("json_rf1", 0.8, measured(125), measured(250), [], undefined, { whole: measured(200) });
    expect([quick.json_floor_uncompressed_ms, quick.json_floor_uncompressed_ratio]).toEqual([null, null]);
    expect(decompose("binary_rf1", 0.9, measured(125), measured(250), [])).not.toHaveProperty("json_floor_ratio");
  });

  it("a row not measured leaves its fields null, never NaN or a throw", () => {
    const d = decompose("single_record_json", 0.9, measured(300, 1), measured(400, 1), []);
    expect(d.edge_ms).toBeNull();
    expect(d.edge_of_budget).toBeNull();
    expect(d.floor_do_ratio).toBeNull();
    expect(d.uncompressed_ratio).toBeNull();
    expect(Object.values(d).some((v) => typeof v === "number" && Number.isNaN(v))).toBe(false);
  });
});

describe("the closing JSON line", () => {
  const bulk = { rows: [], floor: [], ratios: [], partition_ratio: null, floor_fanout_ratio: null };

  it("has bulk_decomposition only for a run that measured the ablation", () => {
    expect(headlines({ ...base, bulk })).not.toHaveProperty("bulk_decomposition");
    const d = decompose("json_rf1", 0.8, measured(125), measured(250), []);
    expect(headlines({ ...base, bulk: { ...bulk, decomposition: [d] } })).toHaveProperty("bulk_decomposition", [d]);
  });

  it("has bulk_replicated_ratios (RF 3 against the floor's replicated write) only for a run that measured them", () => {
    expect(headlines({ ...base, bulk })).not.toHaveProperty("bulk_replicated_ratios");
    const r = { workload: "w", flarelog_records_per_s: 1, floor_records_per_s: 2, throughput_ratio: 0.5, p50_ratio: 2, cpu_per_request_ratio: null };
    expect(headlines({ ...base, bulk: { ...bulk, replicated_ratios: [r] } })).toHaveProperty("bulk_replicated_ratios", [r]);
  });
});

describe("the same-rounds control of the binary RF 1 target (bench/bulk.ts)", () => {
  const row = (requestsPerS: number, repeat = false): BulkRow => ({
    format: "binary", acks: "1", replication_factor: 1, records_per_request: 1000, value_bytes: 100, body_bytes: 106_000,
    endpoint: "partition", partitions: 1, ...measured(requestsPerS), ...(repeat ? { repeat: true } : {}),
  });
  const floor = (requestsPerS: number, repeat = false): BulkFloorRow => ({
    format: "binary", records_per_request: 1000, body_bytes: 106_000, ...measured(requestsPerS), ...(repeat ? { repeat: true } : {}),
  });

  it("the target takes the first rows, whatever the order; the control divides each by its repeat and gives the target from the repeats", () => {
    // The repeats listed first: a lookup that did not skip them would take them for the target.
    const x = summarizeBulk([row(300, true), row(400)], [floor(200, true), floor(500)], []);
    expect(x.targets?.binary_rf1).toBe(0.8);
    expect(x.ratios.map((r) => r.throughput_ratio)).toEqual([0.8]);
    expect(x.repeat_ratios?.map((r) => r.throughput_ratio)).toEqual([1.33, 2.5, 1.5]);
    expect(x.decomposition?.[0]).toMatchObject({ target: "binary_rf1", flarelog_ratio: 0.8 });
  });

  it("a run without the repeats has no control, and its closing line no bulk_repeat_ratios", () => {
    const x = summarizeBulk([row(400)], [floor(500)], []);
    expect(x).not.toHaveProperty("repeat_ratios");
    expect(headlines({ ...base, bulk: x })).not.toHaveProperty("bulk_repeat_ratios");
    const y = summarizeBulk([row(400), row(300, true)], [floor(500), floor(200, true)], []);
    expect(headlines({ ...base, bulk: y })).toHaveProperty("bulk_repeat_ratios", y.repeat_ratios);
  });
});

describe("the RF 3 target's ablation in the same rounds (bench/bulk.ts)", () => {
  const row = (rf: 1 | 3, requestsPerS: number): BulkRow => ({
    format: "binary", acks: rf === 3 ? "all" : "1", replication_factor: rf, records_per_request: 1000, value_bytes: 100, body_bytes: 106_000,
    endpoint: "partition", partitions: 1, ...measured(requestsPerS),
  });
  const floor = (requestsPerS: number, replicated = false): BulkFloorRow => ({
    format: "binary", records_per_request: 1000, body_bytes: 106_000, ...measured(requestsPerS), ...(replicated ? { replicated: true } : {}),
  });
  const stand = (variant: BulkAblationRow["variant"], requestsPerS: number, rf3 = false): BulkAblationRow => ({
    ...ablation(variant, requestsPerS), format: "binary", body_bytes: 106_000, ...(rf3 ? { replication_factor: 3 as const } : {}),
  });

  it("divides the stand-in doing the floor's replicated write by the floor's own, and the real RF 3 leader by that stand-in; the RF 1 decomposition never takes an RF 3 row", () => {
    // The RF 3 rows listed first: a decomposition that did not skip them would take them for RF 1's layers.
    const x = summarizeBulk(
      [row(1, 400), row(3, 150)],
      [floor(500), floor(250, true)],
      [stand("floor", 200, true), stand("whole", 180, true), stand("floor", 450), stand("edge", 600)],
    );
    const byName = (part: string) => x.replicated_ratios?.find((r) => r.workload.includes(part))?.throughput_ratio;
    expect(x.replicated_ratios?.map((r) => r.throughput_ratio)).toEqual([0.6, 0.5, 0.8, 0.9]);
    expect(byName("÷ the floor's own")).toBe(0.8);
    expect(byName("the real RF 3 leader ÷")).toBe(0.9);
    expect(x.decomposition?.[0]).toMatchObject({ target: "binary_rf1", floor_do_ms: Number((1000 / 450).toFixed(3)), edge_ms: Number((1000 / 600).toFixed(3)), whole_edge_ms: null });
  });

  it("bounds the RF 3 JSON row by the JSON contract over the floor's replicated write; the plain replicated write and the RF 1 JSON contract floor each keep their own row", () => {
    const json = <T extends { format: string; body_bytes: number }>(x: T): T => ({ ...x, format: "json", body_bytes: 160_000 });
    const contractHop: BulkFloorRow = { ...json(floor(200, true)), json_contract: true };
    const contract: BulkFloorRow = { ...json(floor(300)), json_contract: true };
    // The contract rows listed first: a lookup that did not tell them apart would take one for another.
    const x = summarizeBulk(
      [json(row(1, 240)), json(row(3, 160))],
      [contractHop, contract, json(floor(400)), json(floor(250, true))],
      [],
    );
    const byName = (part: string) => x.replicated_ratios?.find((r) => r.workload.includes(part))?.throughput_ratio;
    expect(x.replicated_ratios?.map((r) => r.throughput_ratio)).toEqual([0.64, 0.63, 0.5, 0.8]);
    expect(byName("floor: the JSON contract over")).toBe(0.5);
    expect(byName("json body ÷ the JSON contract over")).toBe(0.8);
    expect(x.decomposition?.[0]).toMatchObject({ target: "json_rf1", json_floor_ratio: 0.75 });
  });

  it("a run without the RF 3 stand-ins keeps the two ratios it had", () => {
    const x = summarizeBulk([row(1, 400), row(3, 150)], [floor(500), floor(250, true)], [stand("floor", 450)]);
    expect(x.replicated_ratios?.map((r) => r.throughput_ratio)).toEqual([0.6, 0.5]);
  });
});

describe("the generated section (bench/report.ts)", () => {
  const summary = { date: "2026-12-05", mode: "default", commit: null, dirty: false, duration_s: 1, workloads: [] };

  it("shows bulk_decomposition as its own table, one row per target with ms and CPU, not under Other figures", () => {
    const d = decompose("json_rf1", 0.8, measured(125, 1000, 3), measured(250, 1000, 1.5), [ablation("edge", 400)]);
    const md = renderMarkdown({ ...summary, bulk_decomposition: [d] });
    const row = md.split("\n").find((l) => l.startsWith("| json_rf1 ≥ 0.8×"));
    expect(row?.split(" | ").slice(1, 9)).toEqual(["4 (1.5)", "5", "8 (3)", "0.50×", "–", "–", "2.5 (0.5)", "0.50×"]);
    expect(md).not.toContain("Other figures");
    expect(renderMarkdown(summary)).not.toContain("layer by layer");
  });

  it("shows the JSON contract's floor and its ratio in the JSON targets' rows, a dash where a run has none", () => {
    const both = { flarelog: measured(160), floor: measured(400) };
    const json = decompose("json_rf1", 0.8, measured(125), measured(250, 1000, 1.5), [], both, { whole: measured(200, 1000, 2), uncompressed: measured(320) });
    const binary = decompose("binary_rf1", 0.9, measured(125), measured(250), []);
    const md = renderMarkdown({ ...summary, bulk_decomposition: [json, binary] });
    const header = md.split("\n").find((l) => l.startsWith("| target |"));
    expect(header?.split(" | ").slice(-3)).toEqual(["JSON contract's floor", "ratio", "both uncompressed: ratio |"]);
    const cells = (prefix: string) => md.split("\n").find((l) => l.startsWith(prefix))?.split(" | ").slice(-3);
    expect(cells("| json_rf1 ≥ 0.8×")).toEqual(["5 (2)", "0.80×", "0.80× |"]);
    expect(cells("| binary_rf1 ≥ 0.9×")).toEqual(["–", "–", "– |"]);
  });
});

describe("the catch-up ablation's decoders", () => {
  it("a binary answer decodes to its records, from its first offset to the one after its last", () => {
    const batch = (n: number) => {
      const b = new BatchBuilder();
      for (let i = 0; i < n; i++) b.add({ key: null, value: new Uint8Array([i]), headers: [] }, 1);
      return b.finish().blob;
    };
    const body = encodeFrames([
      { baseOffset: 40, records: batch(3) },
      { baseOffset: 43, records: batch(2) },
    ]);
    expect(decodeFlarelogBinary(body)).toEqual({ records: 5, first: 40, next: 45 });
  });

  it("a JSON answer's next offset is the answer's own next_offset", () => {
    const body = new TextEncoder().encode(JSON.stringify({ records: [{ offset: 7 }, { offset: 8 }], next_offset: 9, high_watermark: 20 }));
    expect(decodeFlarelogJson(body)).toEqual({ records: 2, first: 7, next: 9 });
  });
});

describe("the edge build (bench/edge/wrangler.toml)", () => {
  it("keeps every Durable Object binding and migration of wrangler.toml, adding only the stand-ins", () => {
    const read = (path: string) => unstable_readConfig({ config: join(ROOT, path) });
    const prod = read("wrangler.toml");
    const edge = read("bench/edge/wrangler.toml");
    const bindings = (c: typeof prod) => c.durable_objects.bindings.map((b: { name: string; class_name: string }) => `${b.name}=${b.class_name}`);
    expect(bindings(edge).slice(0, bindings(prod).length)).toEqual(bindings(prod));
    expect(bindings(edge).slice(bindings(prod).length)).toEqual(["NULL_REPLICA=NullReplicaDO", "FLOOR_REPLICA=FloorReplicaDO"]);
    expect(edge.migrations.slice(0, prod.migrations.length)).toEqual(prod.migrations);
    expect(edge.r2_buckets).toEqual(prod.r2_buckets);
    expect([edge.compatibility_date, edge.compatibility_flags]).toEqual([prod.compatibility_date, prod.compatibility_flags]);
  });
});
