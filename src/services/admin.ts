/**
 * Operations on partitions (the root's): take a replica offline for maintenance or bring it
 * back, and move leadership back to the preferred replica. Each answers the partition's
 * description after the change.
 *
 * A replica id the partition does not have is INVALID_REPLICA_ASSIGNMENT (not retriable),
 * checked before the coordinator is asked, so a bad id never reaches a Durable Object name.
 */
import type { Result } from "../protocol/errors.ts";
import type { PartitionState } from "../protocol/types.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { must, settle, stop } from "./result.ts";
import { describeMetadata, type PartitionDescription } from "./topics.ts";

async function afterChange(
  ctx: ServiceContext,
  topic: string,
  partition: number,
  change: (cluster: Cluster, state: PartitionState) => Promise<Result<PartitionState>>,
): Promise<Result<PartitionDescription>> {
  return settle(async () => {
    const cluster = Cluster.of(ctx);
    const state = must(Cluster.partition(must(await cluster.topic(topic, true)), partition));
    must(await change(cluster, state));
    const described = await describeMetadata(cluster, must(await cluster.topic(topic, true)));
    return described.partitions[partition]!;
  });
}

export function setReplicaOffline(
  ctx: ServiceContext,
  req: { topic: string; partition: number; replica: number; offline: boolean },
): Promise<Result<PartitionDescription>> {
  return afterChange(ctx, req.topic, req.partition, (cluster, state) => {
    if (!state.replicas.includes(req.replica))
      stop(
        "INVALID_REPLICA_ASSIGNMENT",
        `${req.topic}-${req.partition} has replicas ${state.replicas.join(", ")}; replica ${req.replica} does not exist`,
      );
    return call(() => cluster.coordinator().setReplicaOffline(req.topic, req.partition, req.replica, req.offline));
  });
}

export function electPreferredLeader(ctx: ServiceContext, topic: string, partition: number): Promise<Result<PartitionDescription>> {
  return afterChange(ctx, topic, partition, (cluster) => call(() => cluster.coordinator().electPreferredLeader(topic, partition)));
}
