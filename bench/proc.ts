/**
 * Process figures from Linux's /proc for the benchmarks: which workerd processes this Node
 * process started, and how much CPU a process has used (and a free port for workerd's inspector). Every function answers null (or an empty
 * set) off Linux or when the process went away, so a benchmark still runs without them.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";

/** The workerd processes that are children of this process (each Miniflare instance starts one). */
export function childWorkerdPids(): Set<number> {
  const out = new Set<number>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (comm === "workerd" && ppid === process.pid) out.add(Number(entry));
      } catch {
        // gone between the listing and the read
      }
    }
  } catch {
    // not Linux
  }
  return out;
}

/** The child workerd that `start` adds (the one not there before), or null. */
export async function startedWorkerd<T>(start: () => Promise<T>): Promise<{ value: T; pid: number | null }> {
  const before = childWorkerdPids();
  const value = await start();
  return { value, pid: [...childWorkerdPids()].find((p) => !before.has(p)) ?? null };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null if unreadable. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the state field; USER_HZ is 100 on Linux.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** A TCP port free on 127.0.0.1 right now (for workerd's inspector). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
