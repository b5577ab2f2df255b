/**
 * Starts the produce edge ablation's cluster (bench/edge/worker.ts, bundled by wrangler from
 * bench/edge/wrangler.toml with the same bundler and runtime options as the product, through
 * `startLocalCluster`) in its own workerd on 127.0.0.1, with its own state and a random admin
 * token, and makes the one-partition RF 1 topic its produce rows write to. bench/bulk.ts
 * measures it in the same interleaved rounds as Flarelog and the floor, and stops it.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PROJECT_ROOT, startLocalCluster } from "../scripts/local-cluster.ts";
import { FlarelogClient } from "../src/client/flarelog-client.ts";
import { createTopic, type Http } from "./http.ts";
import { startedWorkerd } from "./proc.ts";

export interface EdgeCluster {
  http: Http;
  /** Its workerd process (CPU per request); null off Linux. */
  pid: number | null;
  stop: () => Promise<void>;
}

/** The ablations bench/edge/worker.ts knows (`?ablation=`); `whole` sends none: the real leader. */
export type EdgeAblation = "whole" | "floor" | "null" | "edge";

export const EDGE_TOPIC = "bench-edge";

/** The produce path of `topic`'s partition 0 in the edge cluster, its leader swapped per `ablation`. */
export function edgeProducePath(topic: string, ablation: EdgeAblation): string {
  const swap = ablation === "whole" ? "" : `&ablation=${ablation}`;
  return `/v1/topics/${topic}/partitions/0/records?acks=1${swap}`;
}

export async function startEdge(persistDir: string, log: (line: string) => void): Promise<EdgeCluster> {
  const token = randomBytes(24).toString("hex");
  const { value: cluster, pid } = await startedWorkerd(() =>
    startLocalCluster({
      port: 0,
      host: "127.0.0.1",
      persistDir,
      adminToken: token,
      configPath: join(PROJECT_ROOT, "bench", "edge", "wrangler.toml"),
      exitOnSignal: false,
      log,
    }),
  );
  try {
    await createTopic(new FlarelogClient({ baseUrl: cluster.url, token }), EDGE_TOPIC);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return { http: { base: cluster.url, token }, pid, stop: () => cluster.stop() };
}
