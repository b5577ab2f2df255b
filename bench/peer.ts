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
 * `fetchBatch`). Beside them the platform's floor for the catch-up (bench/floor/worker.ts in its
 * own workerd): the peer's very bytes (its 1,000 appends as 1,000 SQLite rows) read back in one
 * request through Worker → DO RPC → HTTP, not parsed: what this runtime costs to move them.
 * A Durable Streams binary stream has no record framing: its "records" are 100-byte appends
 * concatenated, so its binary read hands back bytes, not records (it does less work than a
 * consumer of record batches). Node 24 type stripping: erasable TypeScript only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PROJECT_ROOT } from "../scripts/local-cluster.ts";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { LIMITS } from "../src/protocol/config.ts";
import { binaryBodies, binaryProduceOp } from "./bulk.ts";
import { startFloor, writeOp } from "./floor.ts";
import { formatNumber, runInterleaved, runLoad, table, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { createTopic, produceBodies, produceOp, REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";
import { fill, sequentialPass } from "./reads.ts";

export interface PeerConfig {
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
  /** Catch-up rows: the floor worker's one read of the peer's bytes (records/s, ms per pass). */
  floor_records_per_s?: number;
  floor_ms?: number;
}

export interface PeerResult {
  peer: string;
  rows: PeerRow[];
}

const BATCH = 100;
/** Flarelog's largest fetch (bench/reads.ts sets max_bytes to LIMITS.maxFetchBytes). */
const FLARELOG_MAX_RECORDS = LIMITS.maxFetchRecords;

async function startPeer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const node = join(PROJECT_ROOT, "node_modules", ".bin", "node");
  const child = spawn(node, [join(PROJECT_ROOT, "bench", "peer-server.ts"), dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((done, fail) => {
    child.once("exit", (code) => fail(new Error(`peer server exited with ${code}`)));
    lines.on("line", (l) => {
      if (l.startsWith("PEER_URL ")) done(l.slice("PEER_URL ".length).trim());
    });
  });
  return { url, child };
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

/** One read of everything in the peer's stream; answers records/s. */
async function dsCatchup(url: string, records: number, format: "json" | "binary"): Promise<number> {
  const t0 = performance.now();
  const res = await ds(`${url}?offset=-1`, "GET");
  if (format === "json") {
    const got = (JSON.parse(await res.text()) as unknown[]).length;
    if (got !== records) throw new Error(`peer JSON catch-up: ${got} of ${records} messages`);
  } else {
    const got = (await res.arrayBuffer()).byteLength;
    if (got !== records * VALUE_BYTES) throw new Error(`peer binary catch-up: ${got} of ${records * VALUE_BYTES} bytes`);
  }
  return records / ((performance.now() - t0) / 1000);
}

/** The floor worker's one read of rows 1..`rows` (unparsed, its size checked); answers records/s. */
async function floorCatchup(
  base: string,
  name: string,
  rows: number,
  records: number,
  bytes: number,
): Promise<number> {
  const t0 = performance.now();
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const res = await fetch(`${base}/read?p=${name}&from=1&max=${rows}`, { signal });
  const got = (await res.arrayBuffer()).byteLength;
  if (res.status !== 200 || got !== bytes)
    throw new Error(`floor catch-up ${name}: HTTP ${res.status}, ${got} of ${bytes} bytes`);
  return records / ((performance.now() - t0) / 1000);
}

/** Fills both logs with `records`, then catch-up passes in interleaved rounds; the median pass of each. */
async function catchupPairs(
  http: Http,
  client: FlarelogClient,
  url: string,
  floorUrl: string,
  cfg: PeerConfig,
): Promise<PeerRow[]> {
  const records = cfg.peerCatchupRecords;
  const topic = "bench-peer-catchup";
  await createTopic(client, topic);
  await fill(http, topic, records, BATCH, 8, 300_000, 32);
  const json = produceBodies(BATCH, 32, 4);
  const rows = records / BATCH;
  const floorBytes: Record<string, number> = {};
  for (const [path, type, bodies] of [
    ["catchup-json", "application/json", dsJsonBodies(json)],
    ["catchup-binary", "application/octet-stream", dsBinaryBodies(json)],
  ] as const) {
    await ds(`${url}/bench/${path}`, "PUT", undefined, type);
    const load = { requests: rows, concurrency: 8, timeCapMs: 300_000 };
    await runLoad({ ...load, op: dsAppendOp(`${url}/bench/${path}`, bodies, type) });
    // The floor's rows: the same appends, round-robin as runLoad sends them.
    await runLoad({ ...load, op: writeOp(floorUrl, path, [...bodies], BATCH) });
    floorBytes[path] = Array.from({ length: rows }, (_, i) => bodies[i % bodies.length]!.length)
      .reduce((a, b) => a + b, 0);
  }
  const runs: Record<string, number[]> = { fj: [], pj: [], nj: [], fb: [], pb: [], nb: [] };
  for (let round = 0; round < cfg.peerRounds; round++) {
    runs.fj!.push((await sequentialPass(http, topic, records, FLARELOG_MAX_RECORDS, 120_000, "json")).records_per_s);
    runs.pj!.push(await dsCatchup(`${url}/bench/catchup-json`, records, "json"));
    runs.nj!.push(await floorCatchup(floorUrl, "catchup-json", rows, records, floorBytes["catchup-json"]!));
    runs.fb!.push((await sequentialPass(http, topic, records, FLARELOG_MAX_RECORDS, 120_000, "binary")).records_per_s);
    runs.pb!.push(await dsCatchup(`${url}/bench/catchup-binary`, records, "binary"));
    runs.nb!.push(await floorCatchup(floorUrl, "catchup-binary", rows, records, floorBytes["catchup-binary"]!));
  }
  const row = (format: string, f: number[], p: number[], n: number[]): PeerRow => {
    const [fr, pr, nr] = [f, p, n].map((xs) => Math.round(median(xs))) as [number, number, number];
    const what = `consumer catch-up ${format} of ${records} records (ms per pass)`;
    const msOf = (perS: number) => Math.round((records / perS) * 1000);
    return {
      workload: what,
      flarelog_records_per_s: fr,
      peer_records_per_s: pr,
      ratio: ratioOf(fr, pr),
      flarelog_ms: msOf(fr),
      peer_ms: msOf(pr),
      floor_records_per_s: nr,
      floor_ms: msOf(nr),
    };
  };
  return [row("JSON", runs.fj!, runs.pj!, runs.nj!), row("binary", runs.fb!, runs.pb!, runs.nb!)];
}

/** `dataDir`: the peer's file-backed store (durable, as Flarelog's SQLite is). */
export async function peerScenario(
  http: Http,
  client: FlarelogClient,
  cfg: PeerConfig,
  dataDir: string,
  log: (l: string) => void,
): Promise<PeerResult> {
  const { url, child } = await startPeer(dataDir);
  const floor = await startFloor(join(dataDir, "floor"));
  try {
    log(`  peer: the Durable Streams reference server at ${url}; floor worker at ${floor.url}`);
    const rows = [
      ...(await producePairs(http, client, url, cfg)),
      ...(await catchupPairs(http, client, url, floor.url, cfg)),
    ];
    for (const r of rows) {
      const n = formatNumber;
      const atFloor = r.floor_records_per_s === undefined ? "" : `; floor ${n(r.floor_records_per_s)}`;
      const vs = `Flarelog ${n(r.flarelog_records_per_s)} vs ${n(r.peer_records_per_s)} records/s`;
      log(`  ${r.workload}: ${vs} (${r.ratio}×)${atFloor}`);
    }
    return { peer: "@durable-streams/server 0.3.7 (Node reference server, file-backed, compression off)", rows };
  } finally {
    child.kill("SIGTERM");
    await floor.stop();
  }
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
  ];
}
