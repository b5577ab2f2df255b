/**
 * Issue 17's figure: the HTTP dialects beside the native JSON path, in one run. Two workloads,
 * each through the native API, the Upstash dialect (/upstash) and the REST Proxy dialect
 * (/kafka-rest), one partition, RF 1, acks=all:
 *   produce   100 records × 100 B per request at concurrency 1, the three doors in interleaved
 *             rounds (`runInterleaved`): native `POST /v1/topics/{t}/partitions/0/records`,
 *             Upstash `POST /upstash/produce` (a list of 100 messages), REST Proxy
 *             `POST …/records:batch` (100 entries); every answer is checked (100 offsets).
 *   catch-up  a consumer group member reading a log of `min(fetchLogRecords, 20000)` records from
 *             the start, 500 per request, until it has them all: native join + polls, Upstash
 *             `consume` (its first call joins), REST Proxy v2 create + subscribe + `records`
 *             (binary). Each round each door uses a new group, the doors in a seeded order.
 * The ratio of each dialect's records/s to the native one's is the issue's target (≥ 0.8×).
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import type { CoreConfig } from "./config.ts";
import { mergeLoads, Prng, runInterleaved, runLoad, throughput, type LoadResult, type OpOutcome, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, PRODUCE_BATCH, REQUEST_TIMEOUT_MS, value, VALUE_BYTES, type Http } from "./http.ts";

export type DialectsConfig = Pick<CoreConfig, "produceRequests" | "produceWarmup" | "produceRounds" | "produceCapMs" | "fetchLogRecords" | "fetchCapMs">;

export const DOORS = ["native", "upstash", "rest-proxy"] as const;
export type Door = (typeof DOORS)[number];

export interface DialectRow extends Throughput {
  door: Door;
  workload: "produce" | "catch-up";
}

export interface DialectsResult {
  rows: DialectRow[];
  /** Dialect records/s ÷ native records/s, per workload and dialect. */
  ratio: Record<string, number>;
}

/** One HTTP call with a raw body and headers (the dialects' own auth and content types). */
async function raw(http: Http, method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(http.base + path, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, text: await res.text() };
}

const basic = (http: Http) => `Basic ${Buffer.from(`default:${http.token}`).toString("base64")}`;

function produceOps(http: Http, topics: Record<Door, string>): Record<Door, (i: number) => Promise<OpOutcome>> {
  const prng = new Prng(17);
  const values = Array.from({ length: 8 }, () => Array.from({ length: PRODUCE_BATCH }, () => value(prng)));
  const native = produceBodies(PRODUCE_BATCH, 17);
  const upstash = values.map((vs) => JSON.stringify(vs.map((v) => ({ topic: topics.upstash, value: v, partition: 0 }))));
  const rest = values.map((vs) => JSON.stringify({ entries: vs.map((v, i) => ({ id: String(i), partition_id: 0, value: { type: "STRING", data: v } })) }));
  const json = { "content-type": "application/json", authorization: basic(http) };
  const out = (body: string): OpOutcome => ({ records: PRODUCE_BATCH, payloadBytes: PRODUCE_BATCH * VALUE_BYTES, wireBytes: body.length });
  const count = (what: string, r: { status: number; text: string }, status: number, n: (b: unknown) => number) => {
    expectStatus(what, r, status);
    if (n(JSON.parse(r.text)) !== PRODUCE_BATCH) throw new Error(`${what}: expected ${PRODUCE_BATCH} offsets, got ${r.text.slice(0, 300)}`);
  };
  return {
    native: async (i) => {
      const body = native[i % native.length]!;
      const r = await call(http, "POST", `/v1/topics/${topics.native}/partitions/0/records?acks=all`, body);
      count("native produce", r, 200, (b) => (b as { offsets: unknown[] }).offsets.length);
      return out(body);
    },
    upstash: async (i) => {
      const body = upstash[i % upstash.length]!;
      count("upstash produce", await raw(http, "POST", "/upstash/produce", json, body), 200, (b) => (b as unknown[]).length);
      return out(body);
    },
    "rest-proxy": async (i) => {
      const body = rest[i % rest.length]!;
      const r = await raw(http, "POST", `/kafka-rest/v3/clusters/default/topics/${topics["rest-proxy"]}/records:batch`, json, body);
      count("rest-proxy produce", r, 207, (b) => (b as { successes: unknown[] }).successes.length);
      return out(body);
    },
  };
}

/** A reader of the whole log through one door: `start` joins, `poll` reads up to 500 records. */
function reader(http: Http, door: Door, topic: string, group: string): { start: () => Promise<number>; poll: () => Promise<{ n: number; bytes: number }> } {
  const json = { "content-type": "application/json", authorization: basic(http) };
  const count = (text: string) => ({ n: (JSON.parse(text) as unknown[]).length, bytes: text.length });
  if (door === "native") {
    let member = "";
    return {
      start: async () => {
        const r = await call(http, "POST", `/v1/groups/${group}/members`, JSON.stringify({ topics: [topic], auto_offset_reset: "earliest" }));
        expectStatus("native join", r, 200);
        member = (JSON.parse(r.text) as { member_id: string }).member_id;
        return 0;
      },
      poll: async () => {
        const r = await call(http, "GET", `/v1/groups/${group}/members/${member}/records?max_records=500`);
        expectStatus("native poll", r, 200);
        return { n: (JSON.parse(r.text) as { records: unknown[] }).records.length, bytes: r.text.length };
      },
    };
  }
  if (door === "upstash") {
    const headers = { ...json, "kafka-auto-offset-reset": "earliest", "kafka-enable-auto-commit": "false" };
    const body = JSON.stringify({ topic, timeout: 0 });
    const poll = async () => {
      const r = await raw(http, "POST", `/upstash/consume/${group}/bench`, headers, body);
      expectStatus("upstash consume", r, 200);
      return count(r.text);
    };
    return { start: async () => 0, poll };
  }
  const inst = `/kafka-rest/consumers/${group}/instances/bench`;
  const v2 = { ...json, "content-type": "application/vnd.kafka.v2+json" };
  return {
    start: async () => {
      const body = JSON.stringify({ name: "bench", format: "binary", "auto.offset.reset": "earliest", "auto.commit.enable": "false" });
      expectStatus("rest-proxy create", await raw(http, "POST", `/kafka-rest/consumers/${group}`, v2, body), 200);
      expectStatus("rest-proxy subscribe", await raw(http, "POST", `${inst}/subscription`, v2, JSON.stringify({ topics: [topic] })), 204);
      return 0;
    },
    poll: async () => {
      const r = await raw(http, "GET", `${inst}/records?timeout=0`, { ...json, accept: "application/vnd.kafka.binary.v2+json" });
      expectStatus("rest-proxy records", r, 200);
      return count(r.text);
    },
  };
}

/** Reads the whole log through `door` with a new group: joining is part of the measured time. */
async function catchUp(http: Http, door: Door, topic: string, group: string, records: number, capMs: number): Promise<LoadResult> {
  const r = reader(http, door, topic, group);
  let read = 0;
  const t0 = performance.now();
  await r.start();
  const load = await runLoad({
    requests: Number.MAX_SAFE_INTEGER,
    concurrency: 1,
    timeCapMs: capMs,
    done: () => read >= records,
    op: async () => {
      const { n, bytes } = await r.poll();
      read += n;
      return { records: n, payloadBytes: n * VALUE_BYTES, wireBytes: bytes };
    },
  });
  if (read !== records && !load.cappedByTime) throw new Error(`${door} catch-up read ${read} of ${records} records`);
  return { ...load, elapsedMs: performance.now() - t0 };
}

async function fill(http: Http, topic: string, records: number): Promise<void> {
  const bodies = produceBodies(1000, 1717, 2);
  for (let i = 0; i * 1000 < records; i++) expectStatus("fill", await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, bodies[i % 2]), 200);
}

const ratioOf = (rows: DialectRow[], workload: DialectRow["workload"], door: Door) => {
  const of = (d: Door) => rows.find((r) => r.workload === workload && r.door === d)!.records_per_s;
  return Number((of(door) / of("native")).toFixed(3));
};

export async function dialectsScenario(http: Http, client: FlarelogClient, cfg: DialectsConfig, log: (line: string) => void): Promise<DialectsResult> {
  const topics = { native: "bench-dialects-native", upstash: "bench-dialects-upstash", "rest-proxy": "bench-dialects-rest-proxy" };
  for (const t of Object.values(topics)) await createTopic(client, t);
  const ops = produceOps(http, topics);
  const loads = await runInterleaved(DOORS.map((d) => ({ op: ops[d], concurrency: 1 })), {
    warmup: cfg.produceWarmup,
    requests: cfg.produceRequests,
    rounds: cfg.produceRounds,
    capMs: cfg.produceCapMs,
  });
  const rows: DialectRow[] = DOORS.map((door, i) => ({ door, workload: "produce", ...throughput(loads[i]!) }));
  const records = Math.min(cfg.fetchLogRecords, 20_000);
  await createTopic(client, "bench-dialects-log");
  await fill(http, "bench-dialects-log", records);
  const runs = new Map<Door, LoadResult[]>(DOORS.map((d) => [d, []]));
  // Each round in its own seeded order (as runInterleaved's), so no door always reads first or after the same one.
  const shuffler = new Prng(29);
  for (let round = 0; round < cfg.produceRounds; round++)
    for (const door of shuffler.shuffle(DOORS))
      runs.get(door)!.push(await catchUp(http, door, "bench-dialects-log", `bench-dialects-${door}-${round}`, records, cfg.fetchCapMs));
  for (const door of DOORS) {
    const all = runs.get(door)!;
    const merged = mergeLoads(all);
    rows.push({ door, workload: "catch-up", ...throughput(merged) });
  }
  for (const r of rows) log(`  ${r.workload} ${r.door}: ${r.records_per_s} records/s, p50 ${r.latency.p50_ms} ms`);
  const ratio: Record<string, number> = {};
  for (const workload of ["produce", "catch-up"] as const)
    for (const door of ["upstash", "rest-proxy"] as const) ratio[`${workload} ${door}`] = ratioOf(rows, workload, door);
  return { rows, ratio };
}
