/**
 * workerd's resident memory over a chaos run (issue 16's long run): every few seconds, the summed
 * VmRSS of the `workerd` processes in the server's process group, read from /proc (Linux only;
 * elsewhere no samples). A kill starts a new workerd, so samples carry the server start they
 * belong to and the summary is per start.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";

export interface RssSample {
  tMs: number;
  start: number;
  kb: number;
}

/** Summed VmRSS (kB) of the processes named `workerd` in process group `pgid`; null if none. */
export function workerdRssKb(pgid: number): number | null {
  if (!existsSync("/proc/self/stat")) return null;
  let total = 0;
  let found = false;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const pgrp = Number(stat.slice(close + 2).split(" ")[2]);
      if (pgrp !== pgid || !comm.startsWith("workerd")) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) {
        total += Number(m[1]);
        found = true;
      }
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found ? total : null;
}

/** Samples until `stop()`; `summary()` gives first / peak / last per server start, in MB. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #server: () => { pid: number | undefined; start: number };
  readonly #now: () => number;
  readonly #everyMs: number;

  constructor(server: () => { pid: number | undefined; start: number }, now: () => number, everyMs = 5_000) {
    this.#server = server;
    this.#now = now;
    this.#everyMs = everyMs;
  }

  start(): void {
    const take = () => {
      const s = this.#server();
      if (s.pid === undefined) return;
      const kb = workerdRssKb(s.pid);
      if (kb !== null) this.samples.push({ tMs: Math.round(this.#now()), start: s.start, kb });
    };
    take();
    this.#timer = setInterval(take, this.#everyMs);
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  summary(): string {
    if (this.samples.length === 0) return "workerd RSS: no samples";
    const mb = (kb: number) => (kb / 1024).toFixed(0);
    const all = this.samples;
    const peak = all.reduce((a, b) => (b.kb > a.kb ? b : a));
    const longest = [...new Set(all.map((s) => s.start))]
      .map((start) => all.filter((s) => s.start === start))
      .reduce((a, b) => (b.length > a.length ? b : a));
    const lp = longest.reduce((a, b) => (b.kb > a.kb ? b : a));
    return (
      `workerd RSS (MB): run start ${mb(all[0]!.kb)}, peak ${mb(peak.kb)} at ${(peak.tMs / 1000).toFixed(0)} s, end ${mb(all.at(-1)!.kb)}; ` +
      `${new Set(all.map((s) => s.start)).size} server starts; the longest-lived (start #${longest[0]!.start}, ${((longest.at(-1)!.tMs - longest[0]!.tMs) / 1000).toFixed(0)} s): ` +
      `${mb(longest[0]!.kb)} → peak ${mb(lp.kb)} → ${mb(longest.at(-1)!.kb)}; ${all.length} samples`
    );
  }
}
