/**
 * A second Worker bound to Flarelog's RPC entrypoint, for test/e2e/rpc-binding.test.ts and
 * bench/rpc.ts: `startLocalCluster({ workers: [callerWorker(dir)] })` runs it in the broker's
 * workerd with two service bindings, FLARELOG (entrypoint FlarelogRpc, Workers RPC) and
 * FLARELOG_HTTP (the broker's HTTP handler through the binding, no network).
 *
 * Its fetch handler, reached from Node with `cluster.worker("caller")`:
 *   POST /call    {method, args}  → `await env.FLARELOG[method](...args)`, the answer as JSON
 *                 (bytes as `{utf8: "…"}`); a thrown call → 500 with the message
 *   POST /example → what a user writes: `await env.FLARELOG.produce("orders", [...])`
 *   POST /bench   {mode: "rpc"|"http"|"binding-http", topic, requests, concurrency, records,
 *                 valueBytes, acks, url, token, capMs} → per-request latencies (ms) of produce requests
 *                 sent from inside this Worker: by RPC, by fetch to the broker's public URL, or
 *                 by fetch through the FLARELOG_HTTP binding.
 * Plain JavaScript: workerd runs it as written, with no bundling.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { V4WorkerOptions } from "miniflare";

export const CALLER_NAME = "caller";

const SOURCE = String.raw`
const decoder = new TextDecoder();
function plain(v) {
  if (v instanceof Uint8Array) return { utf8: decoder.decode(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

async function bench(env, o) {
  const value = "v".repeat(o.valueBytes);
  const records = Array.from({ length: o.records }, (_, i) => ({ key: null, value }));
  const body = JSON.stringify({ records });
  const path = "/v1/topics/" + o.topic + "/records?acks=" + o.acks;
  const init = () => ({ method: "POST", headers: { authorization: "Bearer " + o.token, "content-type": "application/json" }, body });
  const one = {
    rpc: async () => {
      const r = await env.FLARELOG.produce(o.topic, records, { acks: o.acks === "all" ? "all" : Number(o.acks) });
      if (!r.ok) throw new Error(r.err.error + ": " + r.err.message);
    },
    http: async () => {
      const res = await fetch(o.url + path, init());
      if (!res.ok) throw new Error("HTTP " + res.status + " " + (await res.text()));
      await res.arrayBuffer();
    },
    "binding-http": async () => {
      const res = await env.FLARELOG_HTTP.fetch("http://flarelog" + path, init());
      if (!res.ok) throw new Error("HTTP " + res.status + " " + (await res.text()));
      await res.arrayBuffer();
    },
  }[o.mode];
  const latencies = [];
  let next = 0;
  const started = Date.now();
  const lane = async () => {
    while (next < o.requests && Date.now() - started < o.capMs) {
      next++;
      const t0 = Date.now();
      await one();
      latencies.push(Date.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return { latencies, elapsedMs: Date.now() - started };
}

export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    try {
      if (path === "/call") {
        const { method, args } = await request.json();
        return Response.json(plain(await env.FLARELOG[method](...args)));
      }
      if (path === "/example") {
        const created = await env.FLARELOG.createTopic("orders", { partitions: 3 });
        const produced = await env.FLARELOG.produce("orders", [{ key: "customer-1", value: "hello" }]);
        const read = await env.FLARELOG.fetchRecords("orders", produced.value.records[0].partition, { offset: "earliest" });
        return Response.json(plain({ created: created.ok, produced, read }));
      }
      if (path === "/bench") return Response.json(await bench(env, await request.json()));
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(String(e && e.stack ? e.stack : e), { status: 500 });
    }
  },
};
`;

/** The caller Worker's options; its module is written into `dir` (a temporary directory). */
export function callerWorker(dir: string): V4WorkerOptions {
  const path = join(dir, "caller.js");
  writeFileSync(path, SOURCE);
  return {
    name: CALLER_NAME,
    modules: [{ type: "ESModule", path }],
    modulesRoot: dir,
    compatibilityDate: "2026-10-01",
    serviceBindings: {
      FLARELOG: { name: "flarelog", entrypoint: "FlarelogRpc" },
      FLARELOG_HTTP: "flarelog",
    },
  } as V4WorkerOptions;
}
