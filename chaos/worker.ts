/**
 * The chaos build's Worker entry (chaos/wrangler.toml): the production broker plus the
 * replication fault layer of issue 16. `PartitionReplicaDO` here is the production class with
 * its transport wrapped by `faultyTransport` (base jitter REPLICA_PUSH_DELAY_MS on every push);
 * `POST /__chaos/push-faults` (bearer ADMIN_TOKEN, body a `PushFaultState` without the base)
 * replaces the isolate's fault table, which every replica of this workerd shares; its `skews`
 * shift the clocks of the replicas with that id (clock skew, issue 16). Its R2 (tiered storage)
 * is wrapped by `faultyRemoteStore`: latency and a seeded 5% of failing calls. Every other
 * request goes to the production app unchanged.
 *
 * Invariants: nothing here is reachable from workers/broker.ts (the production entry); an empty
 * table leaves only the base jitter; the control route answers 401 without the admin token.
 */
import type { ReplicaTransport } from "../src/partition/replica-transport.ts";
import type { Clock, PartitionAssignment } from "../src/protocol/types.ts";
import { brokerConfig } from "../src/config/broker-config.ts";
import { faultyTransport, parsePushFaultState, PushFaultTable } from "../src/partition/push-faults.ts";
import { PartitionReplicaDO as ProductionPartitionReplicaDO } from "../src/partition/partition-replica-do.ts";
import app from "../workers/broker.ts";
import type { RemoteObjectStore } from "../src/storage/remote-object-store.ts";
import { faultyRemoteStore, RemoteFaults } from "../src/storage/remote-faults.ts";

export { ClusterCoordinatorDO } from "../src/coordinator/cluster-coordinator-do.ts";
export { GroupCoordinatorDO } from "../src/groups/group-coordinator-do.ts";
export { TenantDirectoryDO } from "../src/coordinator/tenant-directory-do.ts";
export { FlarelogRpc } from "../src/doors/rpc/flarelog-rpc.ts";

const table = new PushFaultTable();
/**
 * Tiered storage's R2 in the chaos build (issue 21): every call waits 2 ms and a seeded 5% fail,
 * so uploads, listings, deletions and remote reads meet errors under the nemesis' faults. Only
 * topics with remote.storage.enable (`npm run chaos -- --tiered`) call R2 at all.
 */
const remoteFaults = new RemoteFaults(21);
remoteFaults.state = { delayMs: 2, failing: [], tornPuts: 0, failRate: 0.05 };
/** The names of the replicas whose clock this isolate built, and the skew each read last (GET shows them). */
const clocks = new Map<string, number>();
let baseSet = false;

function baseFrom(env: Env): void {
  if (baseSet) return;
  baseSet = true;
  table.set({ ...table.current, baseMaxMs: brokerConfig(env).replicaPushDelayMs });
}

export class PartitionReplicaDO extends ProductionPartitionReplicaDO {
  /** The replica's clock, skewed by the table's skew for its replica id (the last part of its name). */
  protected override replicaClock(): Clock {
    const name = this.ctx.id.name ?? "?";
    const replica = Number(name.split("/").at(-1));
    clocks.set(name, 0);
    return {
      now: () => {
        const skew = Number.isInteger(replica) ? table.skewMs(replica) : 0;
        clocks.set(name, skew);
        return Date.now() + skew;
      },
    };
  }

  protected override makeRemoteStore(): RemoteObjectStore | null {
    const inner = super.makeRemoteStore();
    return inner ? faultyRemoteStore(inner, remoteFaults) : null;
  }

  protected override makeTransport(a: PartitionAssignment): ReplicaTransport {
    baseFrom(this.env);
    return faultyTransport(super.makeTransport(a), table, a.partition, a.replicaId);
  }
}

async function control(request: Request, env: Env): Promise<Response> {
  const token = brokerConfig(env).adminToken;
  if (token === null || request.headers.get("authorization") !== `Bearer ${token}`) return new Response("unauthorized", { status: 401 });
  if (request.method === "GET") return Response.json({ ...table.current, clocks: Object.fromEntries(clocks) });
  baseFrom(env);
  const state = parsePushFaultState(await request.json().catch(() => null), table.current.baseMaxMs);
  if (state === null) return new Response("body must be {rules: PushDelayRule[], paused: {partition?, replica}[], skews?: {replica, ms}[]}", { status: 400 });
  table.set(state);
  return Response.json(table.current);
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    if (new URL(request.url).pathname === "/__chaos/push-faults") return control(request, env);
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
