/**
 * The `profile` scenario of `npm run bench` (issue 7): where workerd's CPU goes on the produce
 * and fetch paths. It attaches to workerd's V8 inspector (Chrome DevTools protocol over a
 * WebSocket; the server is started with `inspectorPort`), runs one workload at a time with the
 * sampling profiler on, and attributes every sample to a category through the bundle's source
 * map: the leaf-most frame that belongs to a known module decides (JSON parse, validation,
 * record encoding, SQLite, replication, RPC glue, ...), native frames by their name.
 *
 * The Worker and every Durable Object share the worker's one isolate locally, so one profile
 * covers the whole request path: the API Worker, the leader and (RF 3) the followers. Time V8
 * cannot see into (workerd's C++: HTTP, RPC serialization, SQLite's own I/O) shows as
 * `(program)` or under the native call that entered it (e.g. `Response`); samples are wall
 * time on the isolate's thread, so the process CPU from /proc is reported beside them, and
 * before/after claims come from `npm run bench:ab`, not from these shares.
 * Workloads, one in flight: 1000 × 100 B per request JSON produce RF 1 acks=1, binary produce
 * RF 1 acks=1, JSON produce RF 3 acks=all; single-record JSON produce RF 1 acks=1; topic-level
 * produce of 100 keyed records to 8 partitions; a JSON fetch of 1000 records. The raw profiles go to
 * bench/results/profile-<workload>.cpuprofile (open them in Chrome DevTools); git ignores them.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { readFile, writeFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "../scripts/local-cluster.ts";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { formatNumber, runLoad, table, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { binaryBodies, binaryProduceOp, keyedBodies, topicProduceOp } from "./bulk.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, type Http } from "./http.ts";

export interface ProfileConfig {
  /** Measured requests per profiled workload (after a warm-up of a tenth of it). */
  profileRequests: number;
  profileCapMs: number;
  /** V8 sampling interval, µs. */
  profileSamplingUs: number;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileCategory {
  category: string;
  ms: number;
  /** Share of the non-idle sampled time. */
  pct: number;
  us_per_record: number;
}

export interface ProfileFunction {
  function: string;
  source: string;
  self_ms: number;
  pct: number;
}

export interface ProfiledWorkload extends Throughput {
  workload: string;
  records_per_request: number;
  /** Sampled non-idle time in the isolate over the measured requests. */
  sampled_busy_ms: number;
  /** workerd process CPU (all threads, /proc) over the same requests; null off Linux. */
  workerd_cpu_ms: number | null;
  cpu_us_per_record: number | null;
  categories: ProfileCategory[];
  top_functions: ProfileFunction[];
  profile_file: string;
}

export interface ProfileResult {
  sampling_us: number;
  method: string;
  workloads: ProfiledWorkload[];
}

/** A minimal Chrome DevTools protocol client over Node's global WebSocket. */
export class Inspector {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, { done: (v: unknown) => void; failed: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.addEventListener("message", (ev: MessageEvent) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.failed(new Error(`inspector: ${msg.error.message}`));
      else p?.done(msg.result);
    });
  }

  static async connect(port: number, target: string): Promise<Inspector> {
    const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
    const t = list.find((x) => x.id === target);
    if (!t) throw new Error(`inspector: no target ${target} (have ${list.map((x) => x.id).join(", ")})`);
    const ws = new WebSocket(t.webSocketDebuggerUrl);
    await new Promise<void>((done, failed) => {
      ws.addEventListener("open", () => done(), { once: true });
      ws.addEventListener("error", () => failed(new Error(`inspector: cannot connect to ${t.webSocketDebuggerUrl}`)), { once: true });
    });
    return new Inspector(ws);
  }

  send<T>(method: string, params: object = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((done, failed) => {
      this.#pending.set(id, { done: done as (v: unknown) => void, failed });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.#ws.close();
  }
}

/**
 * Category of a frame by "<source path relative to the project> <function name>" (the bundle's
 * source map gives the path), or null for code of no known module. First match wins.
 */
const SOURCE_CATEGORIES: [RegExp, string][] = [
  [/src\/api\/body\.ts:\d+ parseText$/, "JSON.parse"],
  [/src\/api\/body\.ts:\d+ exceedsDepth$/, "JSON depth pre-scan"],
  [/src\/api\/body\.ts/, "request body read"],
  [/src\/api\/errors\.ts:\d+ jsonResponse$/, "JSON answer (stringify, UTF-8)"],
  [/node_modules\/(zod|@hono\/zod-openapi|@asteasolutions)/, "request validation (zod)"],
  [/src\/api\/(schemas|request)\.ts/, "request validation (zod)"],
  [/node_modules\/hono/, "HTTP routing (hono)"],
  [/src\/api\/(app|auth|openapi|errors)\.ts/, "HTTP routing (hono)"],
  [/src\/api\/(params|routes\/produce|routes\/fetch)\.ts/, "API produce/fetch (decode, plan, answer)"],
  [/src\/(log\/record-batch|log\/batch-planner|protocol\/murmur2|protocol\/partitioner)\.ts/, "record encoding"],
  [/src\/(log\/sqlite-log-store|log\/sql-port|partition\/do-sql-port)\.ts/, "SQLite (log store JS)"],
  [/src\/(partition\/replication|partition\/replica-transport|log\/follower-append|log\/election)\.ts/, "replication"],
  [/src\/(log\/partition-log|log\/leader-state|log\/local-log|log\/high-watermark|log\/leader-epoch-cache|log\/producer-state|log\/retention)\.ts/, "log (leader logic)"],
  [/src\/(partition\/partition-replica-do|partition\/partition-replica|partition\/replica-stub|partition\/fetch-waiters|partition\/assignment-store|api\/cluster|api\/metadata-cache|api\/describe)\.ts/, "RPC and DO glue"],
  [/src\/coordinator\//, "coordinator"],
  [/^src\//, "other Flarelog code"],
  [/node_modules\//, "other libraries"],
];

/** Native frames (no source) by name: V8 builtins and workerd's bindings. */
function nativeCategory(name: string): string | null {
  if (name === "(idle)") return "(idle)";
  if (name === "(garbage collector)") return "garbage collection";
  if (name === "(program)") return "(program): workerd native, not in JS";
  if (name === "(root)") return "(program): workerd native, not in JS";
  if (name === "parse") return "JSON.parse";
  if (name === "stringify") return "JSON.stringify";
  if (name === "Response") return "Response construction";
  if (name === "exec" || name === "toArray" || name === "one" || name === "next" || name === "raw") return "SQLite (native exec)";
  if (name === "encode" || name === "decode" || name === "encodeInto") return "TextEncoder/Decoder";
  return null;
}

interface Mapper {
  source(frame: CallFrame): string;
}

async function loadMapper(bundle: string): Promise<Mapper> {
  const map = new SourceMap(JSON.parse(await readFile(`${bundle}.map`, "utf8")) as ConstructorParameters<typeof SourceMap>[0]);
  const bundleDir = join(bundle, "..");
  return {
    source(frame) {
      if (frame.url === "" || frame.lineNumber < 0) return "";
      const e = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
      if (!e.originalSource) return frame.url;
      const abs = e.originalSource.startsWith("file://") ? new URL(e.originalSource).pathname : join(bundleDir, e.originalSource);
      return `${relative(PROJECT_ROOT, abs)}:${(e.originalLine ?? 0) + 1}`;
    },
  };
}

/** Self time per node, and each sample's category (leaf-most frame with a known category). */
export function attribute(profile: CpuProfile, mapper: Mapper, records: number, samplingUs: number): { busyMs: number; categories: ProfileCategory[]; top: ProfileFunction[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const sourceOf = new Map<number, string>();
  const ownCategory = (id: number): string | null => {
    const f = byId.get(id)!.callFrame;
    if (f.url === "") return nativeCategory(f.functionName);
    let s = sourceOf.get(id);
    if (s === undefined) sourceOf.set(id, (s = mapper.source(f)));
    const named = `${s} ${f.functionName}`;
    for (const [re, cat] of SOURCE_CATEGORIES) if (re.test(named)) return cat;
    return null;
  };
  const categoryOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    let cat: string | null = null;
    for (let at: number | undefined = id; at !== undefined && cat === null; at = parent.get(at)) cat = ownCategory(at);
    const out = cat ?? "unattributed";
    categoryOf.set(id, out);
    return out;
  };
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    // timeDeltas[i] is the gap before sample i; the sample stands for the time until the next
    // one, but at most two intervals: a longer gap is time the thread spent outside JS (waiting
    // for the next request, or blocked in workerd), which V8 would otherwise pin on the last
    // frame it saw (e.g. the `Response` that ended a request).
    const dt = Math.min(profile.timeDeltas[i + 1] ?? 0, 2 * samplingUs);
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const perCategory = new Map<string, number>();
  const perFunction = new Map<string, { fn: string; source: string; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const cat = resolve(id);
    if (cat === "(idle)") continue;
    busyUs += us;
    perCategory.set(cat, (perCategory.get(cat) ?? 0) + us);
    const f = byId.get(id)!.callFrame;
    const source = f.url === "" ? "(native)" : (sourceOf.get(id) ?? mapper.source(f));
    const key = `${f.functionName}@${source.replace(/:\d+$/, "")}`;
    const entry = perFunction.get(key) ?? { fn: f.functionName || "(anonymous)", source: source.replace(/:\d+$/, ""), us: 0 };
    entry.us += us;
    perFunction.set(key, entry);
  }
  const pct = (us: number) => Number(((100 * us) / Math.max(1, busyUs)).toFixed(1));
  const categories = [...perCategory]
    .sort((a, b) => b[1] - a[1])
    .map(([category, us]) => ({ category, ms: Number((us / 1000).toFixed(1)), pct: pct(us), us_per_record: Number((us / Math.max(1, records)).toFixed(3)) }));
  const top = [...perFunction.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, 15)
    .map((e) => ({ function: e.fn, source: e.source, self_ms: Number((e.us / 1000).toFixed(1)), pct: pct(e.us) }));
  return { busyMs: busyUs / 1000, categories, top };
}

interface Workload {
  name: string;
  recordsPerRequest: number;
  /** Requests per profiled run, × `profileRequests` (more for the small requests, so they get as many samples). */
  requestsFactor?: number;
  setup: () => Promise<(i: number) => Promise<OpOutcome>>;
}

export async function profileScenario(
  http: Http,
  client: FlarelogClient,
  cfg: ProfileConfig,
  server: { inspectorPort: number; bundle: string; workerdCpuMs: () => number | null },
  log: (line: string) => void,
): Promise<ProfileResult> {
  const mapper = await loadMapper(server.bundle);
  const inspector = await Inspector.connect(server.inspectorPort, "core:user:flarelog");
  const batch = 1000;
  const bodies = produceBodies(batch, 11, 4);
  const workloads: Workload[] = [
    {
      name: `produce ${batch}x100B acks=1 RF1`,
      recordsPerRequest: batch,
      setup: async () => {
        await createTopic(client, "bench-profile-rf1");
        return produceOp(http, "bench-profile-rf1", "1", bodies, batch);
      },
    },
    {
      name: `produce binary ${batch}x100B acks=1 RF1`,
      recordsPerRequest: batch,
      setup: async () => {
        await createTopic(client, "bench-profile-binary");
        return binaryProduceOp(http, "bench-profile-binary", "1", binaryBodies(bodies), batch);
      },
    },
    {
      name: `produce ${batch}x100B acks=all RF3`,
      recordsPerRequest: batch,
      setup: async () => {
        await createTopic(client, "bench-profile-rf3", { replication_factor: 3, configs: { "min.insync.replicas": "2" } });
        return produceOp(http, "bench-profile-rf3", "all", bodies, batch);
      },
    },
    {
      name: "produce 1x100B acks=1 RF1",
      recordsPerRequest: 1,
      requestsFactor: 4,
      setup: async () => {
        await createTopic(client, "bench-profile-single");
        return produceOp(http, "bench-profile-single", "1", produceBodies(1, 13, 8), 1);
      },
    },
    {
      name: "produce topic-level 100x100B keyed acks=1 RF1 8p",
      recordsPerRequest: 100,
      requestsFactor: 2,
      setup: async () => {
        const created = await client.createTopic("bench-profile-8p", { partitions: 8, replication_factor: 1 });
        if (!created.ok) throw new Error(`create topic bench-profile-8p: HTTP ${created.status}`);
        return topicProduceOp(http, "bench-profile-8p", "1", keyedBodies(100, 14, 8), 100);
      },
    },
    {
      name: `fetch max_records=${batch}`,
      recordsPerRequest: batch,
      setup: async () => {
        // Reads the RF 1 log the first workload wrote, from offset 0 around and around.
        let offset = 0;
        const end = cfg.profileRequests * batch;
        return async () => {
          const r = await call(http, "GET", `/v1/topics/bench-profile-rf1/partitions/0/records?offset=${offset}&max_records=${batch}`);
          expectStatus("profile fetch", r, 200);
          const body = JSON.parse(r.text) as { records: unknown[]; next_offset: number };
          offset = body.next_offset >= end ? 0 : body.next_offset;
          return { records: body.records.length, payloadBytes: body.records.length * 100, wireBytes: r.text.length };
        };
      },
    },
  ];
  const out: ProfiledWorkload[] = [];
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: cfg.profileSamplingUs });
    for (const w of workloads) {
      const op = await w.setup();
      const requests = cfg.profileRequests * (w.requestsFactor ?? 1);
      await runLoad({ requests: Math.max(5, Math.round(requests / 10)), concurrency: 1, timeCapMs: cfg.profileCapMs, op });
      await inspector.send("Profiler.start");
      const cpu0 = server.workerdCpuMs();
      const load = throughput(await runLoad({ requests, concurrency: 1, timeCapMs: cfg.profileCapMs, op }));
      const cpu1 = server.workerdCpuMs();
      const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
      const file = join(PROJECT_ROOT, "bench", "results", `profile-${w.name.replace(/[^a-zA-Z0-9=]+/g, "-")}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      const a = attribute(profile, mapper, load.records, cfg.profileSamplingUs);
      const workerdCpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
      out.push({
        workload: w.name,
        records_per_request: w.recordsPerRequest,
        ...load,
        sampled_busy_ms: Number(a.busyMs.toFixed(1)),
        workerd_cpu_ms: workerdCpu,
        cpu_us_per_record: workerdCpu === null ? null : Number(((1000 * workerdCpu) / Math.max(1, load.records)).toFixed(2)),
        categories: a.categories,
        top_functions: a.top,
        profile_file: relative(PROJECT_ROOT, file),
      });
      log(`  profiled ${w.name}: ${formatNumber(load.records_per_s)} records/s, isolate busy ${a.busyMs.toFixed(0)} ms, workerd CPU ${workerdCpu ?? "?"} ms`);
    }
  } finally {
    await inspector.send("Profiler.disable").catch(() => undefined);
    inspector.close();
  }
  return {
    sampling_us: cfg.profileSamplingUs,
    method:
      "V8 sampling profiler in workerd's isolate via the inspector; each sample goes to the leaf-most frame of a known module (bundle source map), native frames by name; concurrency 1",
    workloads: out,
  };
}

export function profileTables(x: ProfileResult): string[] {
  const out: string[] = [];
  for (const w of x.workloads) {
    out.push(
      `Profile — ${w.workload}: ${formatNumber(w.requests)} requests, ${formatNumber(w.records_per_s)} records/s, p50 ${w.latency.p50_ms} ms; ` +
        `isolate busy ${formatNumber(w.sampled_busy_ms)} ms, workerd CPU ${w.workerd_cpu_ms ?? "?"} ms (${w.cpu_us_per_record ?? "?"} µs/record)`,
      table(
        ["category", "ms", "% of busy", "µs/record"],
        w.categories.map((c) => [c.category, c.ms, c.pct, c.us_per_record]),
      ),
      table(
        ["top function (self)", "source", "ms", "%"],
        w.top_functions.map((f) => [f.function, f.source, f.self_ms, f.pct]),
      ),
      "",
    );
  }
  return out;
}
