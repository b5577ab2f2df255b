/**
 * `node bench/metrics-scrape.ts [--partitions 1000] [--rf 1] [--scrapes 5]`: how long a
 * `GET /metrics` of one tenant takes when it has that many partitions (issue 20 asks for a
 * bounded time at 1,000). Starts a local cluster (own temporary state), creates one topic with
 * `--partitions` partitions, writes one record to every partition, commits a group's offset on
 * every partition, scrapes once to wake every Durable Object, then times `--scrapes` scrapes
 * and prints min / median / max ms, the body's size and its line count, and one JSON line.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startLocalCluster } from "../scripts/local-cluster.ts";

const { values } = parseArgs({
  options: { partitions: { type: "string", default: "1000" }, rf: { type: "string", default: "1" }, scrapes: { type: "string", default: "5" } },
});
const partitions = Number(values.partitions);
const rf = Number(values.rf);
const scrapes = Number(values.scrapes);
const token = "scrape-bench-token";
const state = await mkdtemp(join(tmpdir(), "flarelog-scrape-"));
const cluster = await startLocalCluster({ port: 0, persistDir: state, adminToken: token });

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${cluster.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

try {
  await call("POST", "/v1/topics", { name: "wide", partitions, replication_factor: rf });
  const records = Array.from({ length: partitions }, (_, p) => ({ partition: p, value: `r${p}` }));
  for (let i = 0; i < partitions; i += 500) await call("POST", "/v1/topics/wide/records", { records: records.slice(i, i + 500) });
  const m = (await (await call("POST", "/v1/groups/wide-readers/members", { topics: ["wide"], session_timeout_ms: 60_000 })).json()) as { member_id: string; member_epoch: number };
  const offsets = Array.from({ length: partitions }, (_, p) => ({ topic: "wide", partition: p, offset: 0 }));
  await call("POST", "/v1/groups/wide-readers/offsets", { member_id: m.member_id, member_epoch: m.member_epoch, offsets });
  await (await call("GET", "/metrics")).text();
  const times: number[] = [];
  let body = "";
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    body = await (await call("GET", "/metrics")).text();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const lagLines = body.split("\n").filter((l) => l.startsWith("flarelog_group_lag{")).length;
  const result = {
    partitions, rf, scrapes,
    min_ms: Math.round(times[0]!), median_ms: Math.round(times[Math.floor(times.length / 2)]!), max_ms: Math.round(times.at(-1)!),
    body_bytes: body.length, lines: body.split("\n").length, group_lag_series: lagLines,
  };
  console.log(`scrape of ${partitions} partitions (RF ${rf}): min ${result.min_ms} ms, median ${result.median_ms} ms, max ${result.max_ms} ms; ${result.body_bytes} bytes, ${result.lines} lines`);
  console.log(JSON.stringify(result));
} finally {
  await cluster.stop();
  await rm(state, { recursive: true, force: true });
}
