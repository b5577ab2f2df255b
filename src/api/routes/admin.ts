/**
 * Operations routes (root token only): take a partition replica offline for maintenance or bring
 * it back, and move leadership back to the preferred replica. Each answers the partition's
 * description after the change.
 */
import { Hono, type Context } from "hono";
import type { Result } from "../../protocol/errors.ts";
import type { PartitionState } from "../../protocol/types.ts";
import { Cluster } from "../cluster.ts";
import { describeTopic } from "../describe.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { parseIntParam, parsePartitionParam } from "../params.ts";
import { topicParam } from "./topics.ts";

export const adminRoutes = new Hono<AppEnv>();

adminRoutes.use("*", async (c, next) => {
  if (!c.get("isRoot")) raise("CLUSTER_AUTHORIZATION_FAILED", "operations need the root token");
  await next();
});

async function answer(c: Context<AppEnv>, topic: string, partition: number, change: (cluster: Cluster) => Promise<Result<PartitionState>>) {
  const cluster = new Cluster(c.env, c.get("tenant"));
  unwrap(await change(cluster));
  const meta = unwrap(await cluster.topic(topic, true));
  const described = await describeTopic(cluster, meta);
  return c.json(described.partitions[partition]);
}

for (const action of ["offline", "online"] as const) {
  adminRoutes.post(`/topics/:topic/partitions/:partition/replicas/:replica/${action}`, (c) => {
    const topic = topicParam(c.req.param("topic"));
    const partition = unwrap(parsePartitionParam(c.req.param("partition")));
    const replica = unwrap(parseIntParam(c.req.param("replica"), { name: "replica", min: 0, max: 1000, errorName: "REPLICA_NOT_AVAILABLE" }));
    return answer(c, topic, partition, (cluster) => cluster.coordinator().setReplicaOffline(topic, partition, replica, action === "offline"));
  });
}

adminRoutes.post("/topics/:topic/partitions/:partition/preferred-leader", (c) => {
  const topic = topicParam(c.req.param("topic"));
  const partition = unwrap(parsePartitionParam(c.req.param("partition")));
  return answer(c, topic, partition, (cluster) => cluster.coordinator().electPreferredLeader(topic, partition));
});
