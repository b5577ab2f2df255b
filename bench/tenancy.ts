/**
 * The tenancy scenario (`--only tenancy`): the cost of API-key auth on the produce path, and the
 * noisy neighbour.
 *
 * - Auth cost: the same sequential 1-record produces (acks=1, RF 1) with the root token and with
 *   an API key (its tenant's own topic), interleaved in rounds so drift hits both; the cost is
 *   the difference of the medians (the key's look-up is cached, so this is the steady state:
 *   a Map read, a SHA-256 and the ACL scan).
 * - Noisy neighbour: tenant B produces sequentially while tenant A is idle, and while A's client
 *   (its own process) runs `NOISY_CONCURRENCY` produce loops far over its produce_bytes_per_s
 *   quota (A mostly gets 429s), in interleaved rounds. B's p99 with A noisy ÷ B's p99 with A idle
 *   is the figure (target ≤ 1.5).
 *
 * Plain fetch against 127.0.0.1; the root token creates the tenants, quotas and keys.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Config } from "./config.ts";
import { summarize, type LatencySummary } from "./harness.ts";
import { type Http, call, expectStatus } from "./http.ts";

export interface TenancyResult {
  auth: { root: LatencySummary; api_key: LatencySummary; cost_p50_ms: number };
  noisy_neighbour: {
    b_idle: LatencySummary;
    b_with_a_noisy: LatencySummary;
    p99_ratio: number;
    a_requests: number;
    a_throttled: number;
  };
}

const NOISY_CONCURRENCY = 8;
const BODY = JSON.stringify({ records: [{ value: "x".repeat(100) }] });

async function produceMs(base: string, token: string, topic: string): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/topics/${topic}/partitions/0/records?acks=1`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: BODY,
    signal: AbortSignal.timeout(60_000),
  });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status };
}

async function sequential(base: string, token: string, topic: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await produceMs(base, token, topic);
    if (r.status !== 200) throw new Error(`tenancy: produce to ${topic} answered ${r.status}`);
    out.push(r.ms);
  }
  return out;
}

/** A tenant with an admin key and one RF 1 topic; `quotas` set first if given. */
async function tenantWithKey(http: Http, name: string, topic: string, quotas?: Record<string, number>): Promise<string> {
  expectStatus(`create tenant ${name}`, await call(http, "POST", "/v1/admin/tenants", JSON.stringify({ name })), 201);
  if (quotas) expectStatus("quotas", await call(http, "PUT", `/v1/admin/tenants/${name}/quotas`, JSON.stringify(quotas)), 200);
  const created = await call(http, "POST", "/v1/keys", JSON.stringify({ name: "bench", tenant: name, role: "admin" }));
  expectStatus("create key", created, 201);
  const key = (JSON.parse(created.text) as { key: string }).key;
  const res = await fetch(`${http.base}/v1/topics`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ name: topic, partitions: 1, replication_factor: 1 }),
  });
  if (res.status !== 201) throw new Error(`tenancy: create ${topic} in ${name}: ${res.status} ${await res.text()}`);
  return key;
}

async function authCost(http: Http, key: string, keyTopic: string, n: number): Promise<TenancyResult["auth"]> {
  const rootTopic = `bench-auth-root-${Date.now()}`;
  expectStatus("root topic", await call(http, "POST", "/v1/topics", JSON.stringify({ name: rootTopic, partitions: 1 })), 201);
  const root: number[] = [];
  const api: number[] = [];
  const rounds = 5;
  for (let r = 0; r < rounds; r++) {
    root.push(...(await sequential(http.base, http.token, rootTopic, Math.ceil(n / rounds))));
    api.push(...(await sequential(http.base, key, keyTopic, Math.ceil(n / rounds))));
  }
  const [rs, as] = [summarize(root), summarize(api)];
  return { root: rs, api_key: as, cost_p50_ms: Number((as.p50_ms - rs.p50_ms).toFixed(3)) };
}

/**
 * Tenant A's noisy client in its own process (as another tenant's client would be): it runs
 * `concurrency` produce loops against A's topic until its stdin closes, prints "ready" after its
 * first answer, then one JSON line of counts. In the bench's own process its loops would share
 * the event loop that times B, and B's tail would measure the load generator, not the server.
 */
const NOISY_CLIENT = String.raw`
const [base, key, topic, concurrency] = process.argv.slice(1);
const body = JSON.stringify({ records: [{ value: "x".repeat(100) }] });
let stop = false, requests = 0, throttled = 0, ready = false;
process.stdin.on("end", () => { stop = true; });
process.stdin.resume();
const loop = async () => {
  while (!stop) {
    const res = await fetch(base + "/v1/topics/" + topic + "/partitions/0/records?acks=1", {
      method: "POST", headers: { authorization: "Bearer " + key, "content-type": "application/json" }, body,
    });
    await res.arrayBuffer();
    requests++;
    if (res.status === 429) throttled++;
    if (!ready) { ready = true; console.log("ready"); }
  }
};
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
console.log(JSON.stringify({ requests, throttled }));
`;

interface NoisyClient {
  stop(): Promise<{ requests: number; throttled: number }>;
}

async function startNoisy(base: string, key: string, topic: string): Promise<NoisyClient> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", NOISY_CLIENT, base, key, topic, String(NOISY_CONCURRENCY)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("ready\n")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`tenancy: noisy client exited ${code} before its first answer`)));
  });
  return {
    async stop() {
      child.stdin.end();
      await once(child, "exit");
      return JSON.parse(out.split("\n").filter(Boolean).at(-1)!) as { requests: number; throttled: number };
    },
  };
}

/**
 * B's sequential produce latency with A idle and with A far over its produce quota, in
 * interleaved rounds (idle, noisy, idle, noisy, …) so drift of the shared machine hits both.
 */
async function noisyNeighbour(http: Http, n: number, log: (l: string) => void): Promise<TenancyResult["noisy_neighbour"]> {
  const stamp = Date.now().toString(36);
  const keyA = await tenantWithKey(http, `bench-a-${stamp}`, "noisy", { produce_bytes_per_s: 2_000 });
  const keyB = await tenantWithKey(http, `bench-b-${stamp}`, "calm");
  await sequential(http.base, keyB, "calm", 20);
  const rounds = 5;
  const idle: number[] = [];
  const noisy: number[] = [];
  let aRequests = 0;
  let aThrottled = 0;
  for (let r = 0; r < rounds; r++) {
    idle.push(...(await sequential(http.base, keyB, "calm", Math.ceil(n / rounds))));
    const a = await startNoisy(http.base, keyA, "noisy");
    noisy.push(...(await sequential(http.base, keyB, "calm", Math.ceil(n / rounds))));
    const counts = await a.stop();
    aRequests += counts.requests;
    aThrottled += counts.throttled;
  }
  const [b0, b1] = [summarize(idle), summarize(noisy)];
  log(`bench: noisy neighbour: A (own process, ${NOISY_CONCURRENCY} loops) sent ${aRequests} requests (${aThrottled} throttled 429)`);
  return { b_idle: b0, b_with_a_noisy: b1, p99_ratio: Number((b1.p99_ms / b0.p99_ms).toFixed(2)), a_requests: aRequests, a_throttled: aThrottled };
}

export async function tenancyScenario(http: Http, cfg: Config, log: (l: string) => void): Promise<TenancyResult> {
  const n = cfg.mode === "quick" ? 100 : 500;
  const stamp = Date.now().toString(36);
  const key = await tenantWithKey(http, `bench-auth-${stamp}`, "auth");
  await sequential(http.base, key, "auth", 20);
  const auth = await authCost(http, key, "auth", n);
  log(`bench: auth cost: produce p50 root ${auth.root.p50_ms} ms, API key ${auth.api_key.p50_ms} ms (cost ${auth.cost_p50_ms} ms/request); p99 ${auth.root.p99_ms} vs ${auth.api_key.p99_ms} ms`);
  const nn = await noisyNeighbour(http, n, log);
  log(`bench: noisy neighbour: B produce p99 ${nn.b_idle.p99_ms} ms with A idle, ${nn.b_with_a_noisy.p99_ms} ms with A over quota (${nn.p99_ratio}×, target ≤ 1.5×); p50 ${nn.b_idle.p50_ms} → ${nn.b_with_a_noisy.p50_ms} ms`);
  return { auth, noisy_neighbour: nn };
}
