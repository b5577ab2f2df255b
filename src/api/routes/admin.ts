/**
 * Operations routes (root token only): take a partition replica offline for maintenance or bring
 * it back, and move leadership back to the preferred replica (src/services/admin.ts). Each
 * answers the partition's description after the change.
 *
 * A replica id that is not a plain integer is INVALID_REQUEST (400); one the partition does not
 * have is INVALID_REPLICA_ASSIGNMENT (404); neither is retriable.
 */
import type { Context, Hono, Next } from "hono";
import { preferredLeaderRoute, replicaOfflineRoute, replicaOnlineRoute } from "../../contract/routes.ts";
import { electPreferredLeader, setReplicaOffline } from "../../services/admin.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { mount, serviceContext as svc, topicOf } from "../mount.ts";
import { parseIntParam, parsePartitionParam } from "../params.ts";
import { partitionJson } from "../render.ts";

/** Largest replica id a path may name: replication factors are 1..5, ids 0..RF-1. */
const MAX_REPLICA_ID = 1000;

export async function requireRoot(c: Context<AppEnv>, next: Next): Promise<void> {
  if (!c.get("isRoot")) raise("CLUSTER_AUTHORIZATION_FAILED", "operations need the root token");
  await next();
}

export function adminRoutes(app: Hono<AppEnv>): void {
  for (const [route, offline] of [[replicaOfflineRoute, true], [replicaOnlineRoute, false]] as const) {
    mount(app, route, async (c) => {
      const topic = topicOf(c);
      const partition = unwrap(parsePartitionParam(c.req.param("partition")));
      const replica = unwrap(parseIntParam(c.req.param("replica"), { name: "replica", min: 0, max: MAX_REPLICA_ID }));
      return c.json(partitionJson(unwrap(await setReplicaOffline(svc(c), { topic, partition, replica, offline }))));
    });
  }
  mount(app, preferredLeaderRoute, async (c) => {
    const topic = topicOf(c);
    const partition = unwrap(parsePartitionParam(c.req.param("partition")));
    return c.json(partitionJson(unwrap(await electPreferredLeader(svc(c), topic, partition))));
  });
}
