/**
 * `peer` scenario of `npm run bench` (issue 22): Flarelog beside the Node reference server of
 * Durable Streams (bench/peer-server.ts, started from its npm package in a child process) in the
 * same run: produce (100 records × 100 B per request, JSON and binary, interleaved rounds,
 * Flarelog RF 1 acks=1) and a consumer's catch-up of `peerCatchupRecords` records from the start
 * (Flarelog: sequential fetches as large as the API allows, max_records = LIMITS.maxFetchRecords
 * and max_bytes = LIMITS.maxFetchBytes, as a Kafka consumer sets fetch.max.bytes for a catch-up;
 * the peer: its protocol's one read of everything after an offset), JSON and binary, with the
 * ratio Flarelog ÷ peer per workload. Both consumers decode what they read: JSON.parse of the
 * body; Flarelog's binary frames into records (keys and values as views, as the client's
 * `fetchBatch`). A Durable Streams binary stream has no record framing: its "records" are
 * 100-byte appends concatenated, so its binary read hands back bytes, not records (it does less
 * work than a consumer of record batches).
 *
 * The catch-up ablation, in the same interleaved rounds (bench/catchup-split.ts): every pass
 * timed as bytes (until the answer is in Node) and decode; Flarelog's very answer bytes served
 * again from memory through a Worker (the floor worker's isolate), a Worker → DO RPC (a DO's
 * memory) and a plain node:http server (in the peer's process), decoded the same way: what this
 * runtime and Node's fetch cost to move those bytes, with no storage and no Flarelog code; and the
 * platform's floor (bench/floor/worker.ts in its own workerd): the peer's very bytes (its appends
 * as SQLite rows) read back in one request through Worker → DO RPC → HTTP, not decoded.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../scripts/local-cluster.ts";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { LIMITS } from "../src/protocol/config.ts";
import { binaryBodies, binaryProduceOp } from "./bulk.ts";
import { startFloor, writeOp } from "./floor.ts";
import { decodePass, flarelogPass, floorPass, memoryPass, peerPass, type Format, type PassSplit } from "./catchup-split.ts";
import { formatNumber, Prng, runInterleaved, runLoad, table, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { createTopic, produceBodies, produceOp, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";
import { fill } from "./reads.ts";

export interface PeerConfig {
  /** `quick`: the catch-up passes run `peerRounds` rounds, not twice as many (the quick run's time). */
  mode?: "default" | "quick";
  peerCatchupRecords: number;
  peerProduceRequests: number;
  peerRounds: number;
}

export interface PeerRow {
  workload: string;
  flarelog_records_per_s: number;
  peer_records_per_s: number;
  ratio: number;
  /** Produce: p50 ms per request; catch-up: ms per pass (the median pass). */
  flarelog_ms: number;
  peer_ms: number;
  /**
   * Catch-up rows: the floor worker's one read of the peer's bytes (records/s, ms per pass),
   * SQLite rows → DO RPC → HTTP, not decoded; uncompressed since the catch-up ablation (before,
   * Miniflare gzipped it and it was slower than Flarelog in every run).
   */
  floor_records_per_s?: number;
  floor_ms?: number;
  /**
   * The catch-up ablation (bench/catchup-split.ts), medians over the rounds, ms per pass: the
   * time until the answers' bytes are in Node and the time to decode them, for Flarelog and the
   * peer; Flarelog's very answer bytes served again from memory (the floor worker's isolate, a
   * DO's memory over RPC, a plain node:http server) and decoded the same way; and
   * `ceiling_ratio` = peer ms ÷ the Worker-memory pass: the best ratio those bytes allow on this
   * runtime with no server work at all. Absent in runs before it.
   */
  flarelog_bytes_ms?: number;
  flarelog_parse_ms?: number;
  flarelog_wire_bytes?: number;
  flarelog_requests?: number;
  peer_bytes_ms?: number;
  peer_parse_ms?: number;
  peer_wire_bytes?: number;
  memory_worker_ms?: number;
  memory_worker_bytes_ms?: number;
  memory_worker_parse_ms?: number;
  /** The consumer's decode of Flarelog's answers alone (kept bytes, no request). */
  decode_ms?: number;
  memory_do_ms?: number;
  memory_do_bytes_ms?: number;
  memory_do_parse_ms?: number;
  memory_node_ms?: number;
  memory_node_bytes_ms?: number;
  memory_node_parse_ms?: number;
  ceiling_ratio?: number;
}

export interface PeerResult {
  peer: string;
  rows: PeerRow[];
}

const BATCH = 100;

/** The peer's process: its URL, and its `node:http` from-memory server's (bench/peer-server.ts). */
async function startPeer(dataDir: string): Promise<{ url: string; memUrl: string; child: ChildProcess }> {
  const node = join(PROJECT_ROOT, "node_modules", ".bin", "node");
  const child = spawn(node, [join(PROJECT_ROOT, "bench", "peer-server.ts"), dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const seen = new Map<string, string>();
  await new Promise<void>((done, fail) => {
    child.once("exit", (code) => fail(new Error(`peer server exited with ${code}`)));
    lines.on("line", (l) => {
      const [name, value] = l.split(" ");
      if (name && value) seen.set(name, value.trim());
      if (seen.has("PEER_URL") && seen.has("MEM_URL")) done();
    });
  });
  return { url: seen.get("PEER_URL")!, memUrl: seen.get("MEM_URL")!, child };
}

async function ds(url: string, method: string, body?: string | Uint8Array, contentType?: string): Promise<Response> {
  const res = await fetch(url, {
    method,
    ...(body !== undefined ? { body } : {}),
    headers: contentType ? { "content-type": contentType } : {},
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res;
}

/** The same records as Flarelog's JSON produce bodies, as Durable Streams messages (a JSON array appends each). */
function dsJsonBodies(json: string[]): string[] {
  return json.map((b) => JSON.stringify((JSON.parse(b) as { records: unknown[] }).records));
}

function dsBinaryBodies(json: string[]): Uint8Array[] {
  const enc = new TextEncoder();
  return json.map((b) => enc.encode((JSON.parse(b) as { records: { value: string }[] }).records.map((r) => r.value).join("")));
}

function dsAppendOp(url: string, bodies: (string | Uint8Array)[], contentType: string): (i: number) => Promise<OpOutcome> {
  return async (i) => {
    const body = bodies[i % bodies.length]!;
    await (await ds(url, "POST", body, contentType)).arrayBuffer();
    return { records: BATCH, payloadBytes: BATCH * VALUE_BYTES, wireBytes: body.length };
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratioOf = (a: number, b: number) => Number((a / b).toFixed(2));

/** Produce, interleaved: Flarelog JSON and binary beside the peer's JSON and binary appends. */
async function producePairs(http: Http, client: FlarelogClient, url: string, cfg: PeerConfig): Promise<PeerRow[]> {
  const json = produceBodies(BATCH, 31, 4);
  await createTopic(client, "bench-peer-produce-json");
  await createTopic(client, "bench-peer-produce-binary");
  await ds(`${url}/bench/produce-json`, "PUT", undefined, "application/json");
  await ds(`${url}/bench/produce-binary`, "PUT", undefined, "application/octet-stream");
  const ops = [
    produceOp(http, "bench-peer-produce-json", "1", json, BATCH),
    dsAppendOp(`${url}/bench/produce-json`, dsJsonBodies(json), "application/json"),
    binaryProduceOp(http, "bench-peer-produce-binary", "1", binaryBodies(json), BATCH),
    dsAppendOp(`${url}/bench/produce-binary`, dsBinaryBodies(json), "application/octet-stream"),
  ].map((op) => ({ op, concurrency: 1 }));
  const loads = await runInterleaved(ops, { warmup: 20, requests: cfg.peerProduceRequests, rounds: cfg.peerRounds, capMs: 120_000 });
  const t = loads.map(throughput);
  const row = (workload: string, f: Throughput, p: Throughput): PeerRow => ({
    workload,
    flarelog_records_per_s: f.records_per_s,
    peer_records_per_s: p.records_per_s,
    ratio: ratioOf(f.records_per_s, p.records_per_s),
    flarelog_ms: f.latency.p50_ms,
    peer_ms: p.latency.p50_ms,
  });
  return [row("produce JSON 100x100B (p50 ms per request)", t[0]!, t[1]!), row("produce binary 100x100B (p50 ms per request)", t[2]!, t[3]!)];
}

/** The sources of a catch-up pass (`decode`: the consumer's decode of Flarelog's kept answers, no request). */
const SOURCES = ["flarelog", "peer", "memory_worker", "memory_do", "memory_node", "floor", "decode"] as const;
type Source = (typeof SOURCES)[number];

interface Servers {
  url: string;
  memUrl: string;
  floorUrl: string;
}

/** Fills Flarelog's log, the peer's streams and the floor's rows with the same `records` values (unmeasured). */
async function fillAll(http: Http, client: FlarelogClient, s: Servers, topic: string, records: number): Promise<Record<Format, number>> {
  await createTopic(client, topic);
  await fill(http, topic, records, BATCH, 8, 300_000, 32);
  const json = produceBodies(BATCH, 32, 4);
  const rows = records / BATCH;
  const floorBytes = { json: 0, binary: 0 };
  for (const [format, type, bodies] of [
    ["json", "application/json", dsJsonBodies(json)],
    ["binary", "application/octet-stream", dsBinaryBodies(json)],
  ] as const) {
    const path = `catchup-${format}`;
    await ds(`${s.url}/bench/${path}`, "PUT", undefined, type);
    const load = { requests: rows, concurrency: 8, timeCapMs: 300_000 };
    await runLoad({ ...load, op: dsAppendOp(`${s.url}/bench/${path}`, bodies, type) });
    // The floor's rows: the same appends, round-robin as runLoad sends them.
    await runLoad({ ...load, op: writeOp(s.floorUrl, path, [...bodies], BATCH) });
    floorBytes[format] = Array.from({ length: rows }, (_, i) => bodies[i % bodies.length]!.length).reduce((a, b) => a + b, 0);
  }
  return floorBytes;
}

/** Keeps the answers of one Flarelog pass in the three from-memory servers; answers their URLs per server. */
async function holdAnswers(http: Http, s: Servers, topic: string, records: number, format: Format): Promise<{ kept: Uint8Array[]; urls: Record<"worker" | "do" | "node", string[]> }> {
  const kept: Uint8Array[] = [];
  await flarelogPass(http, topic, records, format, FETCH_LIMITS, kept);
  const urls = { worker: [] as string[], do: [] as string[], node: [] as string[] };
  for (const [i, bytes] of kept.entries()) {
    const key = `${format}-${i}`;
    urls.worker.push(`${s.floorUrl}/mem?k=${key}`);
    urls.do.push(`${s.floorUrl}/mem?k=${key}&via=do&p=mem`);
    urls.node.push(`${s.memUrl}/${key}`);
    for (const url of [urls.worker[i]!, urls.do[i]!, urls.node[i]!]) {
      const res = await fetch(url, { method: "PUT", body: bytes, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      if (res.status !== 200) throw new Error(`PUT ${url}: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
  }
  return { kept, urls };
}

const FETCH_LIMITS = { maxRecords: LIMITS.maxFetchRecords, maxBytes: LIMITS.maxFetchBytes };

/**
 * Fills every store with the same records, keeps Flarelog's answers in memory, then catch-up
 * passes of every source in interleaved rounds (after one warm-up pass each, each round starting
 * one source later); the median of each figure over the rounds, each on its own (so a row's
 * bytes and decode medians need not add up to its pass median).
 */
async function catchupPairs(http: Http, client: FlarelogClient, s: Servers, cfg: PeerConfig): Promise<PeerRow[]> {
  const records = cfg.peerCatchupRecords;
  const topic = "bench-peer-catchup";
  const floorBytes = await fillAll(http, client, s, topic, records);
  const out: PeerRow[] = [];
  const passes = {} as Record<Format, Record<Source, () => Promise<PassSplit>>>;
  for (const format of ["json", "binary"] as const) {
    const { kept, urls: mem } = await holdAnswers(http, s, topic, records, format);
    passes[format] = {
      decode: async () => decodePass(kept, format, records),
      flarelog: () => flarelogPass(http, topic, records, format, FETCH_LIMITS),
      peer: () => peerPass(`${s.url}/bench/catchup-${format}`, format, records),
      memory_worker: () => memoryPass(mem.worker, format, records),
      memory_do: () => memoryPass(mem.do, format, records),
      memory_node: () => memoryPass(mem.node, format, records),
      floor: () => floorPass(s.floorUrl, `catchup-${format}`, records / BATCH, records, floorBytes[format]),
    };
  }
  const runs = { json: new Map<Source, PassSplit[]>(), binary: new Map<Source, PassSplit[]>() };
  // Twice the produce rounds (default run): a pass is one request, and the split's medians need
  // more of them on a shared machine. Each round in its own seeded order: a source that always
  // followed the same one (a rotation) would always pay the same garbage left by it (the JSON
  // passes allocate 10^5 objects each).
  const order = new Prng(22);
  const rounds = cfg.mode === "quick" ? cfg.peerRounds : 2 * cfg.peerRounds;
  for (let round = -1; round < rounds; round++)
    for (const format of ["json", "binary"] as const)
      for (const source of order.shuffle(SOURCES)) {
        const pass = await passes[format][source]();
        // Round -1 is the warm-up.
        if (round >= 0) runs[format].set(source, [...(runs[format].get(source) ?? []), pass]);
      }
  for (const format of ["json", "binary"] as const) out.push(catchupRow(format, records, runs[format]));
  return out;
}

/** A catch-up row from each source's passes: medians of each figure. */
function catchupRow(format: Format, records: number, runs: Map<Source, PassSplit[]>): PeerRow {
  const med = (source: Source, k: keyof PassSplit) => median((runs.get(source) ?? []).map((p) => p[k]));
  const ms = (source: Source, k: keyof PassSplit = "ms") => Number(med(source, k).toFixed(1));
  const perS = (source: Source) => Math.round(records / (med(source, "ms") / 1000));
  const [f, p] = [perS("flarelog"), perS("peer")];
  return {
    workload: `consumer catch-up ${format === "json" ? "JSON" : "binary"} of ${records} records (ms per pass)`,
    flarelog_records_per_s: f,
    peer_records_per_s: p,
    ratio: ratioOf(f, p),
    flarelog_ms: ms("flarelog"),
    peer_ms: ms("peer"),
    floor_records_per_s: perS("floor"),
    floor_ms: ms("floor"),
    flarelog_bytes_ms: ms("flarelog", "bytes_ms"),
    flarelog_parse_ms: ms("flarelog", "parse_ms"),
    flarelog_wire_bytes: med("flarelog", "wire_bytes"),
    flarelog_requests: med("flarelog", "requests"),
    peer_bytes_ms: ms("peer", "bytes_ms"),
    peer_parse_ms: ms("peer", "parse_ms"),
    peer_wire_bytes: med("peer", "wire_bytes"),
    memory_worker_ms: ms("memory_worker"),
    memory_worker_bytes_ms: ms("memory_worker", "bytes_ms"),
    memory_worker_parse_ms: ms("memory_worker", "parse_ms"),
    decode_ms: ms("decode"),
    memory_do_ms: ms("memory_do"),
    memory_do_bytes_ms: ms("memory_do", "bytes_ms"),
    memory_do_parse_ms: ms("memory_do", "parse_ms"),
    memory_node_ms: ms("memory_node"),
    memory_node_bytes_ms: ms("memory_node", "bytes_ms"),
    memory_node_parse_ms: ms("memory_node", "parse_ms"),
    ceiling_ratio: ratioOf(med("peer", "ms"), med("memory_worker", "ms")),
  };
}

/** `dataDir`: the peer's file-backed store (durable, as Flarelog's SQLite is). */
export async function peerScenario(
  http: Http,
  client: FlarelogClient,
  cfg: PeerConfig,
  dataDir: string,
  log: (l: string) => void,
): Promise<PeerResult> {
  const { url, memUrl, child } = await startPeer(dataDir);
  const floor = await startFloor(join(dataDir, "floor"));
  try {
    log(`  peer: the Durable Streams reference server at ${url} (node:http from memory at ${memUrl}); floor worker at ${floor.url}`);
    const rows = [
      ...(await producePairs(http, client, url, cfg)),
      ...(await catchupPairs(http, client, { url, memUrl, floorUrl: floor.url }, cfg)),
    ];
    for (const r of rows) {
      const n = formatNumber;
      const atFloor = r.floor_records_per_s === undefined ? "" : `; floor ${n(r.floor_records_per_s)}`;
      const vs = `Flarelog ${n(r.flarelog_records_per_s)} vs ${n(r.peer_records_per_s)} records/s`;
      const split =
        r.flarelog_bytes_ms === undefined
          ? ""
          : `; bytes + parse ms: Flarelog ${r.flarelog_bytes_ms} + ${r.flarelog_parse_ms}, peer ${r.peer_bytes_ms} + ${r.peer_parse_ms}, ` +
            `Flarelog's bytes from Worker memory ${r.memory_worker_bytes_ms} + ${r.memory_worker_parse_ms} (ceiling ${r.ceiling_ratio}×)`;
      log(`  ${r.workload}: ${vs} (${r.ratio}×)${atFloor}${split}`);
    }
    return { peer: "@durable-streams/server 0.3.7 (Node reference server, file-backed, compression off)", rows };
  } finally {
    child.kill("SIGTERM");
    await floor.stop();
  }
}

/** The catch-up ablation's split, one line per source (rows of runs before it have none). */
function catchupSplitTable(rows: readonly PeerRow[]): string[] {
  const split = rows.filter((r) => r.flarelog_bytes_ms !== undefined);
  if (split.length === 0) return [];
  const body = split.flatMap((r) => {
    const what = r.workload.replace(" (ms per pass)", "");
    return [
      [what, "Flarelog (native fetch)", r.flarelog_ms, r.flarelog_bytes_ms ?? "", r.flarelog_parse_ms ?? "", r.flarelog_wire_bytes ?? "", r.flarelog_requests ?? ""],
      [what, "peer (one read)", r.peer_ms, r.peer_bytes_ms ?? "", r.peer_parse_ms ?? "", r.peer_wire_bytes ?? "", 1],
      [what, "Flarelog's bytes from Worker memory", r.memory_worker_ms ?? "", r.memory_worker_bytes_ms ?? "", r.memory_worker_parse_ms ?? "", r.flarelog_wire_bytes ?? "", r.flarelog_requests ?? ""],
      [what, "… from a DO's memory (Worker → RPC)", r.memory_do_ms ?? "", r.memory_do_bytes_ms ?? "", r.memory_do_parse_ms ?? "", r.flarelog_wire_bytes ?? "", r.flarelog_requests ?? ""],
      [what, "… from node:http memory", r.memory_node_ms ?? "", r.memory_node_bytes_ms ?? "", r.memory_node_parse_ms ?? "", r.flarelog_wire_bytes ?? "", r.flarelog_requests ?? ""],
      [what, "floor: the peer's bytes, SQLite → DO → HTTP", r.floor_ms ?? "", r.floor_ms ?? "", "-", "", 1],
      [what, "decode of Flarelog's answers alone (no request)", r.decode_ms ?? "", 0, r.decode_ms ?? "", r.flarelog_wire_bytes ?? "", 0],
    ];
  });
  return [
    "Catch-up ablation, same rounds (median ms per pass): time to the answer's bytes in Node, and to decode them (JSON.parse, or frames into records)",
    table(["workload", "source", "pass ms", "bytes ms", "decode ms", "wire bytes", "requests"], body),
    `Ceiling (peer pass ÷ Flarelog's bytes from Worker memory, decoded: the best ratio these bytes allow here): ${split
      .map((r) => `${r.workload.replace(" (ms per pass)", "")} ${r.ceiling_ratio}×`)
      .join(", ")}`,
    "",
  ];
}

export function peerTables(x: PeerResult): string[] {
  const rows = x.rows.map((r) => [
    r.workload,
    r.flarelog_records_per_s,
    r.peer_records_per_s,
    r.ratio,
    r.flarelog_ms,
    r.peer_ms,
    r.floor_ms ?? "",
  ]);
  const head = ["workload", "Flarelog rec/s", "peer rec/s", "ratio", "Flarelog ms", "peer ms", "floor ms"];
  return [
    `Flarelog beside ${x.peer}, same run (floor ms: the floor worker's one read of the peer's bytes)`,
    table(head, rows),
    "",
    ...catchupSplitTable(x.rows),
  ];
}
