/**
 * The broker Worker: the Hono API as the default export, and the Durable Object classes the
 * bindings in wrangler.toml name.
 */
import { app } from "../src/api/app.ts";

export { PartitionReplicaDO } from "../src/partition/partition-replica-do.ts";
export { ClusterCoordinatorDO } from "../src/coordinator/cluster-coordinator-do.ts";
export { GroupCoordinatorDO } from "../src/groups/group-coordinator-do.ts";

export { FlarelogRpc } from "../src/doors/rpc/flarelog-rpc.ts";

export default app;
