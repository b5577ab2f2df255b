/**
 * The platform's own Worker → DO → DO round trip (issue 22): the floor worker's `POST /hop`
 * (bench/floor/worker.ts: one SQLite row in a DO, then one in each of two other DOs over RPC,
 * the shape of an RF 3 acks=all append) with bench/e2e.ts's request body, in a second Miniflare
 * instance of the same run; its percentiles are the yardstick for the e2e p99 (bench/e2e.ts's
 * `e2eAblation` runs the whole e2e workload against the floor). Node 24 type stripping: erasable TypeScript only.
 */
import type { E2eConfig } from "./e2e.ts";
import { startFloor } from "./floor.ts";
import { summarize, type LatencySummary } from "./harness.ts";
import { REQUEST_TIMEOUT_MS, VALUE_BYTES } from "./http.ts";

/**
 * One request at a time (closed loop), as many as the e2e producer sends in its measured window,
 * after 50 unmeasured: the round trip itself, without a queue. (At the e2e rate in open loop the
 * floor queues on this shared machine: every hop is its own three commits, where Flarelog's
 * pushes coalesce; that would measure the queue, not the platform.)
 */
export async function platformHop(cfg: E2eConfig, persistDir: string, mode: "closed" | "open" = "closed"): Promise<LatencySummary> {
  if (mode === "open") return platformHopOpenLoop(cfg, persistDir);
  const floor = await startFloor(persistDir);
  try {
    const body = new Uint8Array(cfg.e2eRecordsPerRequest * VALUE_BYTES).fill(120);
    const measured = Math.round((cfg.e2eDurationMs / 1000) * cfg.e2eRequestsPerSecond);
    const latencies: number[] = [];
    for (let i = 0; i < 50 + measured; i++) {
      const t0 = performance.now();
      const res = await fetch(`${floor.url}/hop?p=e2e`, { method: "POST", body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`floor /hop: HTTP ${res.status}`);
      if (i >= 50) latencies.push(performance.now() - t0);
    }
    return summarize(latencies);
  } finally {
    await floor.stop();
  }
}

/**
 * The same round trip on the e2e producer's open-loop schedule (request i due at start + i / rate,
 * several in flight when one is slow): the platform under the offered load Flarelog gets, the
 * like-for-like yardstick of bench/e2e-tail.ts's ablation.
 */
export async function platformHopOpenLoop(cfg: E2eConfig, persistDir: string): Promise<LatencySummary> {
  const floor = await startFloor(persistDir);
  try {
    const body = new Uint8Array(cfg.e2eRecordsPerRequest * VALUE_BYTES).fill(120);
    const warm = Math.round((cfg.e2eWarmupMs / 1000) * cfg.e2eRequestsPerSecond);
    const total = warm + Math.round((cfg.e2eDurationMs / 1000) * cfg.e2eRequestsPerSecond);
    const intervalMs = 1000 / cfg.e2eRequestsPerSecond;
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    const start = performance.now() + 50;
    for (let i = 0; i < total; i++) {
      const wait = start + i * intervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      pending.push(
        (async () => {
          const res = await fetch(`${floor.url}/hop?p=e2e-open`, { method: "POST", body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`floor /hop: HTTP ${res.status}`);
          if (i >= warm) latencies.push(performance.now() - t0);
        })(),
      );
    }
    await Promise.all(pending);
    return summarize(latencies);
  } finally {
    await floor.stop();
  }
}
