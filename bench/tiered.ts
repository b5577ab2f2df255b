/**
 * The `tiered` scenario of `npm run bench` (issue 21, tiered storage on R2; run it alone with
 * `npm run bench -- --only tiered`): one partition, RF 1, `remote.storage.enable=true`,
 * `local.retention.bytes` = 10 MB, 1 MB segments; write `BENCH_TIERED_MB` (default 500, quick 20)
 * MB as binary record batches of 1000 × 1 KiB records, acks=1, one request in flight, sampling
 * the replica's SQLite file (the Durable Object's `.sqlite` plus its `-wal`, on disk in the state
 * directory) every 100 ms: its maximum against 2 × the local bound. Then catch-up reads from
 * offset 0 through the remote tier against catch-up over the local range (binary fetches of
 * 8 MiB), and random reads at remote offsets (100 records each) with p50/p99.
 * The server is Miniflare's local R2 store on disk: the remote figures are R2's API in workerd on
 * this machine, not R2's network latency. Node 24 type stripping: erasable TypeScript only.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { BatchBuilder } from "../src/codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { percentile, Prng } from "./harness.ts";
import { call, createTopic, expectStatus, REQUEST_TIMEOUT_MS, type Http } from "./http.ts";

const MB = 1024 * 1024;
const LOCAL_BOUND = 10 * MB;
const RECORD_BYTES = 1024;
const RECORDS_PER_REQUEST = 1000;

export interface TieredResult {
  written_mb: number;
  local_retention_bytes: number;
  segment_bytes: number;
  produce_mb_per_s: number;
  /** Largest on-disk size of the replica's SQLite (.sqlite + -wal) while writing, and its ratio to the bound. */
  max_sqlite_bytes: number;
  max_sqlite_ratio_to_bound: number;
  log_start_offset: number;
  local_start_offset: number;
  catch_up_remote_mb_per_s: number;
  catch_up_local_mb_per_s: number;
  catch_up_ratio: number;
  random_remote_reads: number;
  random_remote_p50_ms: number;
  random_remote_p99_ms: number;
}

/** Every `.sqlite` (+ `-wal`) file of the PartitionReplicaDO namespace under the state directory. */
async function replicaFiles(stateDir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (p.includes("PartitionReplicaDO") && /\.sqlite(-wal)?$/.test(p)) out.set(p, (await stat(p).catch(() => null))?.size ?? 0);
    }
  };
  await walk(stateDir);
  return out;
}

/** The size of the files new since `before` (the scenario's replica), .sqlite and -wal together. */
function newFilesSize(before: Map<string, number>, now: Map<string, number>): number {
  let sum = 0;
  for (const [p, size] of now) if (!before.has(p.replace(/-wal$/, ""))) sum += size;
  return sum;
}

function batchBodies(seed: number, variants = 4): Uint8Array[] {
  const prng = new Prng(seed);
  return Array.from({ length: variants }, () => {
    const b = new BatchBuilder();
    for (let i = 0; i < RECORDS_PER_REQUEST; i++) {
      const v = new Uint8Array(RECORD_BYTES);
      for (let k = 0; k < RECORD_BYTES; k++) v[k] = 65 + prng.int(0, 25);
      b.add({ key: null, value: v, headers: [] }, Date.now());
    }
    return b.finish().blob;
  });
}

async function produceBinary(http: Http, topic: string, body: Uint8Array): Promise<void> {
  const res = await fetch(`${http.base}/v1/topics/${topic}/partitions/0/records?acks=1`, {
    method: "POST",
    headers: { authorization: `Bearer ${http.token}`, "content-type": RECORD_BATCH_CONTENT_TYPE },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status !== 200) throw new Error(`produce to ${topic}: HTTP ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/** One binary fetch: bytes of the answer and the next offset (from its header). */
async function fetchBinary(http: Http, topic: string, offset: number, maxBytes: number, maxRecords = 10_000): Promise<{ bytes: number; next: number }> {
  const url = `${http.base}/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_bytes=${maxBytes}&max_records=${maxRecords}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${http.token}`, accept: RECORD_BATCH_CONTENT_TYPE }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`fetch ${topic}@${offset}: HTTP ${res.status} ${new TextDecoder().decode(body).slice(0, 300)}`);
  return { bytes: body.byteLength, next: Number(res.headers.get("flarelog-next-offset")) };
}

/** Reads [from, to) with 8 MiB fetches; answers MB/s of answer bytes. */
async function catchUp(http: Http, topic: string, from: number, to: number): Promise<number> {
  let offset = from;
  let bytes = 0;
  const t0 = performance.now();
  while (offset < to) {
    const r = await fetchBinary(http, topic, offset, 8 * MB);
    if (!(r.next > offset)) throw new Error(`catch-up stuck at ${offset} (next ${r.next})`);
    bytes += r.bytes;
    offset = r.next;
  }
  return bytes / MB / ((performance.now() - t0) / 1000);
}

async function offsets(http: Http, topic: string): Promise<{ logStart: number; hw: number }> {
  const e = await call(http, "GET", `/v1/topics/${topic}/partitions/0/offsets?timestamp=earliest`);
  const l = await call(http, "GET", `/v1/topics/${topic}/partitions/0/offsets?timestamp=latest`);
  expectStatus("list offsets", e, 200);
  expectStatus("list offsets", l, 200);
  return { logStart: (JSON.parse(e.text) as { offset: number }).offset, hw: (JSON.parse(l.text) as { offset: number }).offset };
}

export async function tieredScenario(
  http: Http,
  client: FlarelogClient,
  mode: "default" | "quick",
  stateDir: string,
  log: (line: string) => void,
): Promise<TieredResult> {
  const targetMb = Number(process.env.BENCH_TIERED_MB ?? (mode === "quick" ? 20 : 500));
  const topic = `bench-tiered-${Date.now()}`;
  const before = await replicaFiles(stateDir);
  await createTopic(client, topic, {
    configs: { "remote.storage.enable": "true", "local.retention.bytes": String(LOCAL_BOUND), "segment.bytes": String(MB), "retention.ms": "-1" },
  });
  const bodies = batchBodies(21);
  const requests = Math.ceil((targetMb * MB) / bodies[0]!.length);
  let maxSqlite = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxSqlite = Math.max(maxSqlite, newFilesSize(before, await replicaFiles(stateDir)));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) {
    await produceBinary(http, topic, bodies[i % bodies.length]!);
    if (i % 50 === 0) {
      log(`bench: tiered: ${i}/${requests} requests, SQLite max ${(maxSqlite / MB).toFixed(1)} MB`);
    }
  }
  const writeS = (performance.now() - t0) / 1000;
  sampling = false;
  await sampler;
  const { logStart, hw } = await offsets(http, topic);
  // The local start: the first offset a plain (non-remote) read serves, found from the replica's describe.
  const d = await client.describeTopic(topic);
  const localStart = d.ok ? ((d.body.partitions[0] as { log_start_offset?: number }).log_start_offset ?? 0) : 0;
  log(`bench: tiered: wrote ${targetMb} MB in ${writeS.toFixed(1)} s; log start ${logStart}, local start ${localStart}, HW ${hw}`);
  const remoteEnd = Math.max(localStart, 1);
  const remoteRate = await catchUp(http, topic, 0, Math.min(remoteEnd, 200 * RECORDS_PER_REQUEST));
  const localRate = await catchUp(http, topic, localStart, hw);
  const prng = new Prng(2121);
  const lat: number[] = [];
  const reads = mode === "quick" ? 50 : 300;
  for (let i = 0; i < reads && remoteEnd > 1; i++) {
    const at = prng.int(0, remoteEnd - 1);
    const s = performance.now();
    await fetchBinary(http, topic, at, MB, 100);
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const round = (v: number, d = 2) => Number(v.toFixed(d));
  return {
    written_mb: targetMb,
    local_retention_bytes: LOCAL_BOUND,
    segment_bytes: MB,
    produce_mb_per_s: round(targetMb / writeS),
    max_sqlite_bytes: maxSqlite,
    max_sqlite_ratio_to_bound: round(maxSqlite / LOCAL_BOUND),
    log_start_offset: logStart,
    local_start_offset: localStart,
    catch_up_remote_mb_per_s: round(remoteRate),
    catch_up_local_mb_per_s: round(localRate),
    catch_up_ratio: round(remoteRate / localRate),
    random_remote_reads: lat.length,
    random_remote_p50_ms: round(percentile(lat, 50)),
    random_remote_p99_ms: round(percentile(lat, 99)),
  };
}
