/**
 * workerd's memory in `npm run bench` (issue 7: "peak memory of the workerd process per
 * workload; the biggest batch and fetch that stay within a Durable Object's 128 MB").
 *
 * - `withMemory` samples the workerd process's resident set (VmRSS of /proc/<pid>/status) every
 *   `SAMPLE_MS` while a scenario block runs, and reads the kernel's own peak (VmHWM) at the end.
 *   VmHWM counts from process start unless it can be reset (writing 5 to /proc/<pid>/clear_refs,
 *   allowed for our own child process); `vm_hwm_reset` says which one a figure is. A reset peak
 *   catches spikes shorter than the sampling interval.
 * - The `memory` scenario (`--only memory`): single produce requests of growing size (1, 2, 4,
 *   8 MiB bodies of `LIMITS.maxRecordsPerRequest` records, up to `LIMITS.maxRequestBytes`, then one
 *   just over it, which must be refused), fetches of growing `max_bytes` (up to
 *   `LIMITS.maxFetchBytes`) over those records, and a fill of a larger log with RSS read once a
 *   second, to show whether memory grows with the log.
 * Caveat: locally one workerd process hosts the Worker and every Durable Object (and their
 * SQLite page caches), so these figures are the sum of all of them, an upper bound on one DO's.
 * Linux only: elsewhere every figure is null and the scenario is skipped.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { LIMITS } from "../src/protocol/config.ts";
import { Prng, runLoad, summarize, throughput, type LatencySummary, type Throughput } from "./harness.ts";
import { call, createTopic, expectStatus, produceBodies, produceOp, value, type Http } from "./http.ts";

const SAMPLE_MS = 50;
const MIB = 1024 * 1024;
const mib = (kb: number) => Number((kb / 1024).toFixed(1));

/**
 * Resident set now and its peak (VmHWM), in kB, from /proc/<pid>/status; null if unreadable.
 * `anon_kb` (RssAnon) is the heaps (V8, SQLite's page cache, buffers); the rest of the RSS is
 * file-backed or shared pages (the binary, mapped files such as SQLite's -shm), which the kernel
 * can drop.
 */
export function readMemory(pid: number): { rss_kb: number; hwm_kb: number; anon_kb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    const rss = field("VmRSS");
    const hwm = field("VmHWM");
    const anon = field("RssAnon");
    return Number.isFinite(rss) && Number.isFinite(hwm) ? { rss_kb: rss, hwm_kb: hwm, anon_kb: Number.isFinite(anon) ? anon : rss } : null;
  } catch {
    return null;
  }
}

/** Resets the kernel's peak RSS (VmHWM) of `pid` to its current RSS; false when not allowed. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export interface MemoryWindow {
  /** workerd's RSS when the block started, MiB. */
  rss_start_mib: number;
  /** Highest sampled RSS (every SAMPLE_MS, plus start and end), MiB. */
  rss_peak_mib: number;
  rss_end_mib: number;
  /** rss_peak − rss_start. */
  peak_growth_mib: number;
  /** rss_end − rss_start: what the block left resident. */
  growth_mib: number;
  /** Anonymous memory (RssAnon) at the start and the end, MiB: the part that is not file-backed. */
  anon_start_mib: number;
  anon_end_mib: number;
  /** The kernel's peak RSS (VmHWM) at the end, MiB: over this block if vm_hwm_reset, else since workerd started. */
  vm_hwm_mib: number;
  vm_hwm_reset: boolean;
  samples: number;
}

/**
 * Windows being measured, each with the highest VmHWM seen since it began. Windows nest (the
 * memory scenario's steps inside its block): a reset for an inner one would hide the outer
 * one's peak so far, so that peak is folded into every open window first.
 */
const openWindows = new Set<{ hwmKb: number }>();

function foldPeak(kb: number): void {
  for (const w of openWindows) w.hwmKb = Math.max(w.hwmKb, kb);
}

/** Samples workerd's RSS while `fn` runs; memory is null when /proc cannot be read. */
export async function withMemory<T>(pid: number | null, fn: () => Promise<T>): Promise<{ value: T; memory: MemoryWindow | null }> {
  const start = pid === null ? null : readMemory(pid);
  if (pid === null || start === null) return { value: await fn(), memory: null };
  foldPeak(start.hwm_kb);
  const win = { hwmKb: start.rss_kb };
  openWindows.add(win);
  const reset = resetPeak(pid);
  let peak = start.rss_kb;
  let samples = 1;
  const timer = setInterval(() => {
    const m = readMemory(pid);
    if (m !== null) {
      peak = Math.max(peak, m.rss_kb);
      samples++;
    }
  }, SAMPLE_MS);
  let value: T;
  try {
    value = await fn();
  } finally {
    clearInterval(timer);
  }
  const end = readMemory(pid) ?? start;
  foldPeak(end.hwm_kb);
  openWindows.delete(win);
  peak = Math.max(peak, end.rss_kb);
  return {
    value,
    memory: {
      rss_start_mib: mib(start.rss_kb),
      rss_peak_mib: mib(peak),
      rss_end_mib: mib(end.rss_kb),
      peak_growth_mib: mib(peak - start.rss_kb),
      growth_mib: mib(end.rss_kb - start.rss_kb),
      anon_start_mib: mib(start.anon_kb),
      anon_end_mib: mib(end.anon_kb),
      vm_hwm_mib: mib(reset ? win.hwmKb : end.hwm_kb),
      vm_hwm_reset: reset,
      samples: samples + 1,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The memory scenario

export interface MemoryConfig {
  /** Requests per produce size and per fetch size (sequential). */
  memoryStepRepeats: number;
  /** Records of 100 B in the log-size fill, and its wall-clock cap. */
  memoryFillRecords: number;
  memoryFillCapMs: number;
}

export interface MemoryStep {
  /** Produce: the request body; fetch: the max_bytes asked for. */
  target_bytes: number;
  requests: number;
  status: number;
  records_per_request: number;
  value_bytes: number;
  /** Produce: request body bytes; fetch: the largest response body. */
  body_bytes: number;
  latency: LatencySummary;
  memory: MemoryWindow;
}

export interface MemoryResult {
  caveat: string;
  produce: MemoryStep[];
  /** One request just over LIMITS.maxRequestBytes: its status (413 expected) and body size. */
  over_limit: { body_bytes: number; status: number; error: string };
  fetch: MemoryStep[];
  fill: Throughput & {
    memory: MemoryWindow;
    log_records: number;
    /** RSS once a second during the fill: records acked so far and workerd's RSS. */
    points: { elapsed_s: number; records: number; rss_mib: number; anon_mib: number }[];
  };
  /** Largest produce body and fetch max_bytes that succeeded, and the highest RSS peak over the scenario. */
  largest_produce_bytes: number;
  largest_fetch_bytes: number;
  peak_rss_mib: number;
}

/** A produce body of `records` records whose JSON is at most `bytes` long (values as long as fits). */
function bodyOfSize(bytes: number, records: number, seed: number): { body: string; valueBytes: number } {
  // {"records":[ + records × {"value":"…"} + commas + ]} = 13 + records × (valueBytes + 13)
  const valueBytes = Math.floor((bytes - 13) / records) - 13;
  const v = value(new Prng(seed), valueBytes);
  const body = `{"records":[${Array.from({ length: records }, () => `{"value":"${v}"}`).join(",")}]}`;
  if (body.length > bytes) throw new Error(`body of ${body.length} B is over ${bytes}`);
  return { body, valueBytes };
}

export async function memoryScenario(
  http: Http,
  client: FlarelogClient,
  cfg: MemoryConfig,
  workerd: number | null,
  log: (line: string) => void,
): Promise<MemoryResult | null> {
  if (workerd === null || readMemory(workerd) === null) {
    log("  memory: workerd's /proc entry is unreadable (not Linux?); skipped");
    return null;
  }
  const topic = "bench-memory";
  await createTopic(client, topic);
  const records = LIMITS.maxRecordsPerRequest;
  const sizes = [1, 2, 4, 8].map((m) => Math.min(m * MIB, LIMITS.maxRequestBytes));
  const produce: MemoryStep[] = [];
  let fetchFrom = 0;
  for (const size of sizes) {
    const { body, valueBytes } = bodyOfSize(size, records, size);
    const latencies: number[] = [];
    let status = 0;
    const { memory } = await withMemory(workerd, async () => {
      for (let i = 0; i < cfg.memoryStepRepeats; i++) {
        const t0 = performance.now();
        const r = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, body);
        latencies.push(performance.now() - t0);
        expectStatus(`produce ${body.length} B`, r, 200);
        status = r.status;
        // The fetch steps read the largest records, so max_bytes, not max_records, ends each fetch.
        if (i === 0 && size === sizes.at(-1)) fetchFrom = (JSON.parse(r.text) as { offsets: { offset: number }[] }).offsets[0]!.offset;
      }
    });
    produce.push({ target_bytes: size, requests: latencies.length, status, records_per_request: records, value_bytes: valueBytes, body_bytes: body.length, latency: summarize(latencies), memory: memory! });
    log(`  memory: produce ${body.length} B (${records} × ${valueBytes} B): RSS ${memory!.rss_start_mib} → peak ${memory!.rss_peak_mib} MiB (VmHWM ${memory!.vm_hwm_mib})`);
  }

  // Just over the request limit (by 1,405 B): the edge must refuse it.
  const over = bodyOfSize(LIMITS.maxRequestBytes + 13 + records, records, 99).body;
  // The server may answer and close before the body is sent; then the client sees a reset, not the 413.
  const overR = await call(http, "POST", `/v1/topics/${topic}/partitions/0/records?acks=1`, over).catch((e: unknown) => ({ status: 0, text: `connection error: ${String(e)}` }));
  const over_limit = { body_bytes: over.length, status: overR.status, error: overR.text.slice(0, 200) };
  if (over.length <= LIMITS.maxRequestBytes || overR.status === 200) throw new Error(`over-limit produce of ${over.length} B answered ${overR.status}`);
  log(`  memory: produce ${over.length} B (over the limit): HTTP ${overR.status}`);

  const fetch: MemoryStep[] = [];
  for (const size of sizes.map((s) => Math.min(s, LIMITS.maxFetchBytes))) {
    const latencies: number[] = [];
    let got = { records: 0, bytes: 0, valueBytes: 0 };
    const { memory } = await withMemory(workerd, async () => {
      for (let i = 0; i < cfg.memoryStepRepeats; i++) {
        const t0 = performance.now();
        const r = await call(http, "GET", `/v1/topics/${topic}/partitions/0/records?offset=${fetchFrom}&max_records=${LIMITS.maxFetchRecords}&max_bytes=${size}`);
        latencies.push(performance.now() - t0);
        expectStatus(`fetch max_bytes=${size}`, r, 200);
        const recs = (JSON.parse(r.text) as { records: { value: string | null }[] }).records;
        got = { records: recs.length, bytes: Math.max(got.bytes, r.text.length), valueBytes: recs[0]?.value?.length ?? 0 };
      }
    });
    fetch.push({ target_bytes: size, requests: latencies.length, status: 200, records_per_request: got.records, value_bytes: got.valueBytes, body_bytes: got.bytes, latency: summarize(latencies), memory: memory! });
    log(`  memory: fetch max_bytes=${size}: ${got.records} records, ${got.bytes} B response: RSS ${memory!.rss_start_mib} → peak ${memory!.rss_peak_mib} MiB (VmHWM ${memory!.vm_hwm_mib})`);
  }

  // A larger log: 100 B records in batches of 1000, concurrency 8, RSS read once a second.
  const fillTopic = "bench-memory-fill";
  await createTopic(client, fillTopic);
  const batch = 1000;
  const op = produceOp(http, fillTopic, "1", produceBodies(batch, 11), batch);
  let acked = 0;
  const points: MemoryResult["fill"]["points"] = [];
  const t0 = performance.now();
  const point = () => {
    const m = readMemory(workerd);
    if (m !== null) points.push({ elapsed_s: Number(((performance.now() - t0) / 1000).toFixed(1)), records: acked, rss_mib: mib(m.rss_kb), anon_mib: mib(m.anon_kb) });
  };
  point();
  const ticker = setInterval(point, 1000);
  const filled = await withMemory(workerd, async () => {
    try {
      return await runLoad({
        requests: Math.ceil(cfg.memoryFillRecords / batch),
        concurrency: 8,
        timeCapMs: cfg.memoryFillCapMs,
        op: async (i) => {
          const out = await op(i);
          acked += out.records;
          return out;
        },
      });
    } finally {
      clearInterval(ticker);
    }
  });
  point();
  const fill = { ...throughput(filled.value), memory: filled.memory!, log_records: acked, points };
  log(`  memory: filled ${fillTopic} with ${acked} records in ${fill.elapsed_s} s: RSS ${fill.memory.rss_start_mib} → peak ${fill.memory.rss_peak_mib} → end ${fill.memory.rss_end_mib} MiB (anonymous ${fill.memory.anon_start_mib} → ${fill.memory.anon_end_mib})`);

  const all = [...produce, ...fetch].map((s) => s.memory).concat(fill.memory);
  return {
    caveat: "one workerd process hosts the Worker and every Durable Object locally: figures are their sum, not one DO's memory",
    produce,
    over_limit,
    fetch,
    fill,
    largest_produce_bytes: Math.max(...produce.filter((s) => s.status === 200).map((s) => s.body_bytes)),
    largest_fetch_bytes: Math.max(...fetch.map((s) => s.body_bytes)),
    peak_rss_mib: Math.max(...all.map((m) => Math.max(m.rss_peak_mib, m.vm_hwm_reset ? m.vm_hwm_mib : 0))),
  };
}
