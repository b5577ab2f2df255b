/**
 * `node bench/e2e-tail.ts [--quick] [--no-profile]`: what makes the end-to-end latency tail
 * (issue 22). Runs bench/e2e.ts's workload (open loop, 1,000 records/s, one long-polling
 * consumer) against a local cluster started with workerd's inspector, with ablations in the same
 * run:
 *   - RF 1 acks=1 and RF 3 acks=all, each once without and once with V8's sampling profiler;
 *   - RF 1 with the producer alone (no consumer long-polling);
 *   - the platform's Worker → DO → 2 DOs hop (bench/floor/worker.ts) one at a time (closed loop, the
 *     e2e scenario's yardstick) and on the e2e producer's open-loop schedule.
 * While profiling, every sample of workerd's isolate (it hosts the Worker and every Durable
 * Object) is placed on the same clock as the requests (V8's TimeTicks and Node's hrtime are both
 * CLOCK_MONOTONIC on Linux), so for each produce request the script sums what the isolate was doing
 * between send and answer: garbage collection, other JS/native work, or idle (then the request
 * waited outside the isolate: the OS scheduler on the shared cores, SQLite's file I/O, the load
 * generator). GC pauses are runs of consecutive `(garbage collector)` samples. The load
 * generator's own event-loop delay and GC pauses (perf_hooks) are reported beside them.
 * Prints tables and one JSON line (stdout's last). Node 24 type stripping: erasable TypeScript only.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { startLocalCluster } from "../scripts/local-cluster.ts";
import { FlarelogClient } from "../src/client/flarelog-client.ts";
import { DEFAULT, QUICK } from "./config.ts";
import { e2eRun, type E2eConfig, type E2eTrace } from "./e2e.ts";
import { percentile, summarize, table, type LatencySummary } from "./harness.ts";
import { platformHop } from "./platform-hop.ts";
import { freePort, processCpuSeconds, startedWorkerd } from "./proc.ts";
import { Inspector, type CpuProfile } from "./profile.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);
const r2 = (v: number) => Number(v.toFixed(2));
const SAMPLING_US = 200;

/** performance.now() ms → CLOCK_MONOTONIC µs (V8's profile clock). */
const monoOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const toMono = (ms: number) => ms * 1000 + monoOffsetUs;

/** Per thread of `pid`: [cpu ns, runqueue wait ns] from /proc/<pid>/task/<tid>/schedstat. */
function schedstat(pid: number): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [cpu, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
        out.set(Number(tid), [cpu!, wait!]);
      } catch {
        // thread gone
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/**
 * Samples every 10 ms how long a process's busiest thread (workerd: the isolate's thread) and the
 * load generator's main thread have waited on the CPU run queue (cumulative ns), so a request's
 * share of that wait can be read off afterwards.
 */
class RunQueueSampler {
  readonly at: number[] = [];
  readonly samples: Map<number, [number, number]>[] = [];
  readonly mine: number[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly pid: number;
  constructor(pid: number) {
    this.pid = pid;
  }
  start(): void {
    const tick = () => {
      this.at.push(performance.now());
      this.samples.push(schedstat(this.pid));
      this.mine.push(schedstat(process.pid).get(process.pid)?.[1] ?? 0);
    };
    tick();
    this.#timer = setInterval(tick, 10);
  }
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.at.push(performance.now());
    this.samples.push(schedstat(this.pid));
    this.mine.push(schedstat(process.pid).get(process.pid)?.[1] ?? 0);
  }
  /** The thread of `pid` with the most CPU over the window. */
  busiest(): number | null {
    const first = this.samples[0]!;
    const last = this.samples.at(-1)!;
    let best: number | null = null;
    let cpu = -1;
    for (const [tid, [c]] of last) {
      const d = c - (first.get(tid)?.[0] ?? 0);
      if (d > cpu) [best, cpu] = [tid, d];
    }
    return best;
  }
  /** Runqueue wait (ms) of thread `tid` (or the load generator's, `tid` null) accrued over [t0, t1] (ms), linearly interpolated. */
  waitMs(tid: number | null, t0: number, t1: number): number {
    const value = (i: number) => (tid === null ? this.mine[i]! : (this.samples[i]!.get(tid)?.[1] ?? 0));
    const at = (t: number) => {
      let i = 0;
      while (i + 1 < this.at.length && this.at[i + 1]! < t) i++;
      if (i + 1 >= this.at.length) return value(this.at.length - 1);
      const span = this.at[i + 1]! - this.at[i]!;
      const f = span <= 0 ? 1 : Math.min(1, Math.max(0, (t - this.at[i]!) / span));
      return value(i) + f * (value(i + 1) - value(i));
    };
    return (at(t1) - at(t0)) / 1e6;
  }
}

type Kind = "gc" | "idle" | "busy";

/** The profile as a timeline: per sample, its start (µs, monotonic), duration and kind. */
function timeline(p: CpuProfile): { at: Float64Array; dur: Float64Array; kind: Kind[]; leaf: string[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const n = p.samples.length;
  const at = new Float64Array(n);
  const dur = new Float64Array(n);
  const kind: Kind[] = [];
  const leaf: string[] = [];
  let t = p.startTime;
  for (let i = 0; i < n; i++) {
    t += p.timeDeltas[i]!;
    at[i] = t;
  }
  for (let i = 0; i < n; i++) {
    dur[i] = (i + 1 < n ? at[i + 1]! : p.endTime) - at[i]!;
    const f = byId.get(p.samples[i]!)!;
    kind.push(f.functionName === "(garbage collector)" ? "gc" : f.functionName === "(idle)" ? "idle" : "busy");
    leaf.push(f.functionName || "(anonymous)");
  }
  return { at, dur, kind, leaf };
}

interface Pauses {
  count: number;
  total_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  over_5ms: number;
  over_10ms: number;
}

/** Runs of consecutive GC samples, as pauses. */
function gcPauses(tl: ReturnType<typeof timeline>): { pauses: Pauses; spans: [number, number][] } {
  const spans: [number, number][] = [];
  for (let i = 0; i < tl.kind.length; i++) {
    if (tl.kind[i] !== "gc") continue;
    const start = tl.at[i]!;
    let end = start + tl.dur[i]!;
    while (i + 1 < tl.kind.length && tl.kind[i + 1] === "gc") end = tl.at[++i]! + tl.dur[i]!;
    spans.push([start, end]);
  }
  const ms = spans.map(([a, b]) => (b - a) / 1000).sort((a, b) => a - b);
  return {
    spans,
    pauses: {
      count: ms.length,
      total_ms: r2(ms.reduce((s, v) => s + v, 0)),
      p50_ms: r2(percentile(ms, 50)),
      p99_ms: r2(percentile(ms, 99)),
      max_ms: r2(ms.at(-1) ?? 0),
      over_5ms: ms.filter((v) => v > 5).length,
      over_10ms: ms.filter((v) => v > 10).length,
    },
  };
}

/** What the isolate did during [t0, t1] (µs): ms per kind, the longest GC pause inside, top busy leaves. */
function during(tl: ReturnType<typeof timeline>, t0: number, t1: number): { gc: number; busy: number; idle: number; leaves: Map<string, number> } {
  let lo = 0;
  let hi = tl.at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tl.at[mid]! + tl.dur[mid]! <= t0) lo = mid + 1;
    else hi = mid;
  }
  const out = { gc: 0, busy: 0, idle: 0, leaves: new Map<string, number>() };
  for (let i = lo; i < tl.at.length && tl.at[i]! < t1; i++) {
    // A sample stands for at most two intervals; a longer gap is time outside the isolate.
    const a = Math.max(tl.at[i]!, t0);
    const b = Math.min(tl.at[i]! + Math.min(tl.dur[i]!, 2 * SAMPLING_US), t1);
    if (b <= a) continue;
    const ms = (b - a) / 1000;
    const k = tl.kind[i]!;
    out[k] += ms;
    if (k === "busy") out.leaves.set(tl.leaf[i]!, (out.leaves.get(tl.leaf[i]!) ?? 0) + ms);
  }
  return out;
}

interface Attribution {
  group: string;
  requests: number;
  latency_mean_ms: number;
  /** The isolate's thread waiting for a CPU (runqueue) during the request, ms each. */
  workerd_runqueue_ms: number;
  /** The load generator's main thread waiting for a CPU during the request, ms each. */
  loadgen_runqueue_ms: number;
  /** From the profile (null when not profiled): GC, other JS/native work of the isolate, ms each. */
  isolate_gc_ms: number | null;
  isolate_busy_ms: number | null;
  /** Requests that overlapped a GC pause over 5 ms. */
  with_gc_over_5ms: number | null;
  top_busy: string;
}

function attribute(
  prof: { tl: ReturnType<typeof timeline>; spans: [number, number][] } | null,
  rq: RunQueueSampler,
  tid: number | null,
  reqs: { t0: number; t1: number }[],
  group: string,
): Attribution {
  let gc = 0, busy = 0, lat = 0, bigGc = 0, wq = 0, lq = 0;
  const leaves = new Map<string, number>();
  for (const r of reqs) {
    lat += r.t1 - r.t0;
    if (tid !== null) wq += rq.waitMs(tid, r.t0, r.t1);
    lq += rq.waitMs(null, r.t0, r.t1);
    if (!prof) continue;
    const a = toMono(r.t0), b = toMono(r.t1);
    const d = during(prof.tl, a, b);
    gc += d.gc;
    busy += d.busy + d.idle;
    for (const [k, v] of d.leaves) leaves.set(k, (leaves.get(k) ?? 0) + v);
    if (prof.spans.some(([s, e]) => s < b && e > a && e - s > 5000)) bigGc++;
  }
  const n = Math.max(1, reqs.length);
  const top = [...leaves].sort((x, y) => y[1] - x[1]).slice(0, 3).map(([k, v]) => `${k} ${r2(v / n)}`).join(", ");
  return {
    group,
    requests: reqs.length,
    latency_mean_ms: r2(lat / n),
    workerd_runqueue_ms: r2(wq / n),
    loadgen_runqueue_ms: r2(lq / n),
    isolate_gc_ms: prof ? r2(gc / n) : null,
    isolate_busy_ms: prof ? r2(busy / n) : null,
    with_gc_over_5ms: prof ? bigGc : null,
    top_busy: top,
  };
}

interface RunOut {
  name: string;
  profiled: boolean;
  e2e: LatencySummary;
  produce: LatencySummary;
  late_sends: number;
  workerd_cpu_s: number | null;
  loadgen_cpu_s: number;
  loadgen_loop_delay_p99_ms: number;
  loadgen_loop_delay_max_ms: number;
  loadgen_gc_ms: number;
  loadgen_gc_max_ms: number;
  /** The isolate thread's runqueue wait over the whole run, ms per second of wall time. */
  workerd_runqueue_ms_per_s: number | null;
  loadgen_runqueue_ms_per_s: number;
  gc?: Pauses;
  /** workerd isolate's V8 heap (Runtime.getHeapUsage) before and after the run, MiB. */
  heap_used_mib: [number, number] | null;
  attribution: Attribution[];
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const profile = !process.argv.includes("--no-profile");
  const cfg: E2eConfig = { ...(quick ? QUICK : DEFAULT) };
  const stateDir = await mkdtemp(join(tmpdir(), "flarelog-e2e-tail-"));
  const token = randomBytes(24).toString("hex");
  const inspectorPort = await freePort();
  const { value: cluster, pid } = await startedWorkerd(() =>
    startLocalCluster({ port: 0, host: "127.0.0.1", persistDir: join(stateDir, "server"), adminToken: token, exitOnSignal: false, inspectorPort }),
  );
  const runs: RunOut[] = [];
  const hops: { name: string; latency: LatencySummary }[] = [];
  try {
    const http = { base: cluster.url, token };
    const client = new FlarelogClient({ baseUrl: cluster.url, token });
    const inspector = await Inspector.connect(inspectorPort, "core:user:flarelog");
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: SAMPLING_US });
    type Variant = { name: string; rf: number; acks: string; minIsr: number | null; profiled: boolean; noConsumer?: boolean };
    const variants: Variant[] = [
      { name: "RF 1 acks=1", rf: 1, acks: "1", minIsr: null, profiled: false },
      { name: "RF 3 acks=all", rf: 3, acks: "all", minIsr: 2, profiled: false },
      ...(profile
        ? [
            { name: "RF 1 acks=1", rf: 1, acks: "1", minIsr: null, profiled: true },
            { name: "RF 3 acks=all", rf: 3, acks: "all", minIsr: 2, profiled: true },
          ]
        : []),
    ];
    let n = 0;
    for (const v of variants) {
      const trace: E2eTrace = { produce: [], fetches: [] };
      const loop = monitorEventLoopDelay({ resolution: 1 });
      const gcs: number[] = [];
      const obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) gcs.push(e.duration);
      });
      obs.observe({ entryTypes: ["gc"] });
      loop.enable();
      const rq = new RunQueueSampler(pid ?? process.pid);
      rq.start();
      const cpu0 = pid === null ? null : processCpuSeconds(pid);
      const me0 = process.cpuUsage();
      const heap = () =>
        inspector
          .send<{ usedSize: number }>("Runtime.getHeapUsage")
          .then((h) => r2(h.usedSize / 2 ** 20))
          .catch(() => null);
      const heap0 = await heap();
      if (v.profiled) await inspector.send("Profiler.start");
      const run = await e2eRun(http, client, cfg, { ...v, topic: `tail-${n++}-rf${v.rf}` }, log, trace);
      const prof = v.profiled ? (await inspector.send<{ profile: CpuProfile }>("Profiler.stop")).profile : null;
      const me1 = process.cpuUsage(me0);
      const heap1 = await heap();
      const cpu1 = pid === null ? null : processCpuSeconds(pid);
      loop.disable();
      obs.disconnect();
      rq.stop();
      const tid = pid === null ? null : rq.busiest();
      const wall = rq.at.at(-1)! - rq.at[0]!;
      const out: RunOut = {
        name: v.name,
        profiled: v.profiled,
        e2e: run.latency,
        produce: run.produce_latency,
        late_sends: run.late_sends,
        workerd_cpu_s: cpu0 === null || cpu1 === null ? null : r2(cpu1 - cpu0),
        loadgen_cpu_s: r2((me1.user + me1.system) / 1e6),
        loadgen_loop_delay_p99_ms: r2(loop.percentile(99) / 1e6),
        loadgen_loop_delay_max_ms: r2(loop.max / 1e6),
        loadgen_gc_ms: r2(gcs.reduce((s, x) => s + x, 0)),
        loadgen_gc_max_ms: r2(Math.max(0, ...gcs)),
        workerd_runqueue_ms_per_s: tid === null ? null : r2((rq.waitMs(tid, rq.at[0]!, rq.at.at(-1)!) * 1000) / wall),
        loadgen_runqueue_ms_per_s: r2((rq.waitMs(null, rq.at[0]!, rq.at.at(-1)!) * 1000) / wall),
        heap_used_mib: heap0 === null || heap1 === null ? null : [heap0, heap1],
        attribution: [],
      };
      let profiled: { tl: ReturnType<typeof timeline>; spans: [number, number][] } | null = null;
      if (prof) {
        const tl = timeline(prof);
        const { pauses, spans } = gcPauses(tl);
        out.gc = pauses;
        profiled = { tl, spans };
      }
      const sorted = [...trace.produce].sort((a, b) => a.t1 - a.t0 - (b.t1 - b.t0));
      const p99ms = sorted[Math.floor(sorted.length * 0.99)]!.t1 - sorted[Math.floor(sorted.length * 0.99)]!.t0;
      const mid = sorted.slice(Math.floor(sorted.length * 0.4), Math.floor(sorted.length * 0.6));
      // The consumer side: fetches whose oldest record waited longest (send → answer), top 1%.
      const f = [...trace.fetches].sort((a, b) => a.t1 - a.oldestSend - (b.t1 - b.oldestSend));
      out.attribution = [
        attribute(profiled, rq, tid, mid, "produce p40–p60"),
        attribute(profiled, rq, tid, sorted.filter((r) => r.t1 - r.t0 >= p99ms), `produce ≥ p99 (${r2(p99ms)} ms)`),
        attribute(profiled, rq, tid, f.slice(Math.floor(f.length * 0.99)).map((x) => ({ t0: x.oldestSend, t1: x.t1 })), "e2e top 1% (send → fetch answer)"),
      ];
      runs.push(out);
      log(`  ${v.name}${v.profiled ? " (profiled)" : ""}: e2e p50 ${out.e2e.p50_ms} p99 ${out.e2e.p99_ms} p99.9 ${out.e2e.p99_9_ms}; produce p99 ${out.produce.p99_ms}${out.gc ? `; GC pauses ${out.gc.count}, max ${out.gc.max_ms} ms, > 5 ms: ${out.gc.over_5ms}` : ""}`);
    }
    inspector.close();
    hops.push({ name: "hop, one at a time", latency: await platformHop(cfg, join(stateDir, "hop1")) });
    hops.push({ name: "hop, e2e open-loop schedule", latency: await platformHop(cfg, join(stateDir, "hop2"), "open") });
  } finally {
    await cluster.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  const lat = (l: LatencySummary) => [l.p50_ms, l.p95_ms, l.p99_ms, l.p99_9_ms, l.max_ms];
  console.log(
    table(
      ["run", "profiled", "e2e p50", "p95", "p99", "p99.9", "max", "produce p50", "produce p99", "late", "workerd CPU s", "loadgen CPU s", "runqueue ms/s isolate, loadgen", "loadgen loop delay p99/max ms", "loadgen GC ms (max)"],
      runs.map((r) => [r.name, r.profiled ? "yes" : "no", ...lat(r.e2e), r.produce.p50_ms, r.produce.p99_ms, r.late_sends, r.workerd_cpu_s ?? "-", r.loadgen_cpu_s, `${r.workerd_runqueue_ms_per_s ?? "-"}, ${r.loadgen_runqueue_ms_per_s}`, `${r.loadgen_loop_delay_p99_ms} / ${r.loadgen_loop_delay_max_ms}`, `${r.loadgen_gc_ms} (${r.loadgen_gc_max_ms})`]),
    ),
  );
  console.log(table(["platform hop", "p50", "p95", "p99", "p99.9", "max"], hops.map((h) => [h.name, ...lat(h.latency)])));
  for (const r of runs) {
    const g = r.gc;
    console.log(
      `\n${r.name}${r.profiled ? " (profiled)" : ""}` +
        (g ? `: workerd isolate GC pauses ${g.count} (total ${g.total_ms} ms), p50 ${g.p50_ms} p99 ${g.p99_ms} max ${g.max_ms} ms, > 5 ms: ${g.over_5ms}, > 10 ms: ${g.over_10ms}` : "") +
        (r.heap_used_mib ? `; isolate heap used ${r.heap_used_mib[0]} → ${r.heap_used_mib[1]} MiB` : ""),
    );
    console.log(
      table(
        ["requests", "n", "mean ms", "isolate runqueue ms", "loadgen runqueue ms", "isolate GC ms", "isolate in JS/native ms", "with a GC > 5 ms", "top in isolate (ms each)"],
        r.attribution.map((a) => [a.group, a.requests, a.latency_mean_ms, a.workerd_runqueue_ms, a.loadgen_runqueue_ms, a.isolate_gc_ms ?? "-", a.isolate_busy_ms ?? "-", a.with_gc_over_5ms ?? "-", a.top_busy]),
      ),
    );
  }
  console.log(JSON.stringify({ bench: "flarelog-e2e-tail", date: new Date().toISOString(), quick, runs, hops }));
}

await main();
