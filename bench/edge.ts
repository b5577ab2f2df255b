/**
 * Starts the produce edge ablation's cluster (bench/edge/worker.ts, bundled by wrangler from
 * bench/edge/wrangler.toml with the same bundler and runtime options as the product, through
 * `startLocalCluster`) in its own workerd on 127.0.0.1, with its own state and a random admin
 * token, and makes the one-partition topics its produce rows write to (RF 1, and RF 3 for the
 * `acks=all` rows). bench/bulk.ts measures it in the same interleaved rounds as Flarelog and
 * the floor, and stops it.
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
/** The RF 3 topic (min.insync.replicas 2, as the bulk scenario's RF 3 rows) of the `acks=all` rows. */
export const EDGE_TOPIC_RF3 = "bench-edge-rf3";

/** The produce path of `topic`'s partition 0 in the edge cluster, its leader swapped per `ablation`. */
export function edgeProducePath(topic: string, ablation: EdgeAblation, acks: "1" | "all" = "1"): string {
  const swap = ablation === "whole" ? "" : `&ablation=${ablation}`;
  return `/v1/topics/${topic}/partitions/0/records?acks=${acks}${swap}`;
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
    const client = new FlarelogClient({ baseUrl: cluster.url, token });
    await createTopic(client, EDGE_TOPIC);
    await createTopic(client, EDGE_TOPIC_RF3, { replication_factor: 3, configs: { "min.insync.replicas": "2" } });
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return { http: { base: cluster.url, token }, pid, stop: () => cluster.stop() };
}
