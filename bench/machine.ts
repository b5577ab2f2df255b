/**
 * Machine facts for `npm run bench` (bench/run.ts): cores, memory, platform, the runtime and
 * package versions, the commit and whether the tree was dirty (`machine()`, saved as `machine` in
 * the results), whole-machine CPU use over the run (`cpuTimes`, `cpuUse`), and the CPU split and
 * workerd memory around one scenario block (`withCpuSplit`).
 * Node 24 type stripping: erasable TypeScript only.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../scripts/local-cluster.ts";
import { withMemory, type MemoryWindow } from "./memory.ts";
import { processCpuSeconds } from "./proc.ts";

function git(...args: string[]): string | null {
  try {
    const stdio: ["ignore", "pipe", "ignore"] = ["ignore", "pipe", "ignore"];
    return execFileSync("git", args, { cwd: PROJECT_ROOT, encoding: "utf8", stdio }).trim();
  } catch {
    return null;
  }
}

/** The installed version of a package, found the way Node resolves it (the nearest node_modules up the tree). */
function packageVersion(name: string): string | null {
  for (let dir = PROJECT_ROOT; ; dir = dirname(dir)) {
    try {
      const file = join(dir, "node_modules", name, "package.json");
      return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    } catch {
      if (dirname(dir) === dir) return null;
    }
  }
}

export interface CpuSplit {
  wall_s: number;
  /** CPU seconds used by this Node process (the load generator) during the scenario. */
  load_generator_cpu_s: number;
  /** CPU seconds used by workerd (the server: Worker, Durable Objects, SQLite) during the scenario. */
  workerd_cpu_s: number | null;
}

/** Runs `fn` and reports where the CPU went meanwhile (the load generator vs workerd), and workerd's memory. */
export async function withCpuSplit<T>(
  workerd: number | null,
  fn: () => Promise<T>,
): Promise<{ value: T; cpu: CpuSplit; memory: MemoryWindow | null }> {
  const wall0 = performance.now();
  const self0 = process.cpuUsage();
  const w0 = workerd === null ? null : processCpuSeconds(workerd);
  const { value, memory } = await withMemory(workerd, fn);
  const self = process.cpuUsage(self0);
  const w1 = workerd === null ? null : processCpuSeconds(workerd);
  return {
    value,
    cpu: {
      wall_s: Number(((performance.now() - wall0) / 1000).toFixed(2)),
      load_generator_cpu_s: Number(((self.user + self.system) / 1e6).toFixed(2)),
      workerd_cpu_s: w0 === null || w1 === null ? null : Number((w1 - w0).toFixed(2)),
    },
    memory,
  };
}

export type CpuTimes = { total: number; idle: number; steal: number } | null;

/** Aggregate CPU jiffies from /proc/stat (Linux); null elsewhere. */
export function cpuTimes(): CpuTimes {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
  } catch {
    return null;
  }
}

/** Share of all cores busy, and stolen by the hypervisor, between two `cpuTimes()` readings. */
export function cpuUse(a: CpuTimes, b: CpuTimes): { busy_pct: number; steal_pct: number } | null {
  if (a === null || b === null || b.total <= a.total) return null;
  const total = b.total - a.total;
  const pct = (v: number) => Number(((100 * v) / total).toFixed(1));
  return { busy_pct: pct(total - (b.idle - a.idle)), steal_pct: pct(b.steal - a.steal) };
}

export type Machine = ReturnType<typeof machine>;

export function machine() {
  const cpuList = cpus();
  const status = git("status", "--porcelain");
  return {
    cpus: cpuList.length,
    cpu_model: cpuList[0]?.model ?? null,
    total_mem_gb: Number((totalmem() / 2 ** 30).toFixed(1)),
    platform: `${platform()} ${release()}`,
    node: process.version,
    workerd: packageVersion("workerd"),
    miniflare: packageVersion("miniflare"),
    wrangler: packageVersion("wrangler"),
    commit: git("rev-parse", "HEAD"),
    /** Uncommitted changes were present in the tree that was benchmarked. */
    dirty: status === null ? null : status.length > 0,
    load_average_at_start: loadavg().map((v) => Number(v.toFixed(2))),
    /** Whole-machine CPU use over the run (both processes and anything else), filled in at the end. */
    cpu_during_run: null as ReturnType<typeof cpuUse>,
    note: "load generator (this Node process) and workerd share the same cores",
  };
}
