/**
 * A replica's outbound calls: pushes to its followers and AlterPartition to the coordinator,
 * as typed RPC on Durable Object stubs. An interface so the replication driver does not know
 * about bindings, and so fault layers (tests) can wrap it.
 */
import type { AlterPartitionRequest } from "../protocol/types.ts";
import type { Result } from "../protocol/errors.ts";
import { names } from "../protocol/names.ts";
import { countedStub } from "../storage/platform-units.ts";
import { replicaStub } from "./replica-stub.ts";
import type { PartitionAssignment, PartitionState, ReplicateRequest, ReplicateResponse } from "../protocol/types.ts";

export interface ReplicaTransport {
  replicate(followerId: number, req: ReplicateRequest): Promise<Result<ReplicateResponse>>;
  alterPartition(req: AlterPartitionRequest): Promise<Result<PartitionState>>;
  /** The coordinator's current state of this partition (after an AlterPartition went unanswered). */
  partitionState(): Promise<Result<PartitionState>>;
}

const coordinator = (env: Env, tenant: string) =>
  countedStub("cluster_coordinator", env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator(tenant)));

export function stubTransport(env: Env, a: Pick<PartitionAssignment, "tenant" | "topicId" | "partition">): ReplicaTransport {
  return {
    replicate: (followerId, req) =>
      countedStub("partition_replica", replicaStub(env, a.tenant, a.topicId, a.partition, followerId)).replicate(req),
    alterPartition: (req) => coordinator(env, a.tenant).alterPartition(a.topicId, a.partition, req),
    partitionState: () => coordinator(env, a.tenant).partitionState(a.topicId, a.partition),
  };
}
