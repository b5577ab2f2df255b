/**
 * The produce edge ablation (issue 22), bundled by wrangler from bench/edge/wrangler.toml and
 * started by bench/edge.ts in its own workerd: Flarelog's production Worker (workers/broker.ts,
 * every route, middleware and service unchanged) whose partition leader can be swapped, per
 * request, for one that does less. `?ablation=` on the request picks the leader the Worker's
 * produce path reaches (through `env.PARTITION_REPLICA`, as `replicaStub` builds every stub):
 *
 *   (absent)  the real PartitionReplicaDO: the whole produce
 *   floor     FloorReplicaDO, a Durable Object doing only what the platform floor does
 *             (bench/floor/worker.ts): one SQLite row holding the batch's bytes, then the answer;
 *             for `acks=all`, the floor's replicated write: that row, then one row in each of
 *             two more such objects (RPC, awaited), as the floor's `/hop`
 *   null      NullReplicaDO, a Durable Object that answers at once (the RPC, no storage)
 *   edge      no Durable Object: a stub in the Worker's own isolate answers at once (the Worker
 *             alone: auth, routing, body read, parse, validate, encode, the answer)
 *
 * Each stand-in answers what a leader answers (`Result<ProduceResult>`, offsets counted per
 * object name), so the service and the route render the same answer as for a real append.
 * Only the Worker's `env` changes; the coordinator and the real replicas keep theirs (a topic is
 * created by the real coordinator, with real replicas that the stand-ins' rows never touch).
 * Nothing here is reachable from workers/broker.ts or wrangler.toml.
 */
import { DurableObject } from "cloudflare:workers";
import broker from "../../workers/broker.ts";
import type { Result } from "../../src/protocol/errors.ts";
import type { ProduceRequest, ProduceResult } from "../../src/protocol/types.ts";

export { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";
export { ClusterCoordinatorDO } from "../../src/coordinator/cluster-coordinator-do.ts";
export { GroupCoordinatorDO } from "../../src/groups/group-coordinator-do.ts";
export { TenantDirectoryDO } from "../../src/coordinator/tenant-directory-do.ts";
export { FlarelogRpc } from "../../src/doors/rpc/flarelog-rpc.ts";

interface EdgeEnv extends Env {
  NULL_REPLICA: DurableObjectNamespace<NullReplicaDO>;
  FLOOR_REPLICA: DurableObjectNamespace<FloorReplicaDO>;
}

const recordCount = (req: ProduceRequest): number => ("blob" in req.records ? req.records.recordCount : req.records.length);

/** A leader's answer for `count` records appended at `base` (no LogAppendTime, HW after them). */
function appended(base: number, count: number): Result<ProduceResult> {
  return { ok: true, value: { baseOffset: base, lastOffset: base + count - 1, logAppendTime: null, highWatermark: base + count } };
}

/** Answers at once: the produce RPC and nothing else. */
export class NullReplicaDO extends DurableObject<EdgeEnv> {
  private next = 0;

  produce(req: ProduceRequest): Result<ProduceResult> {
    const base = this.next;
    this.next += recordCount(req);
    return appended(base, recordCount(req));
  }
}

/**
 * The floor's work per request (bench/floor/worker.ts), then the answer: one row holding the
 * bytes; with `acks=all`, the floor's replicated write (`/hop`): that row, then one row in each
 * of two other objects of this class, by RPC, awaited.
 */
export class FloorReplicaDO extends DurableObject<EdgeEnv> {
  private next = 0;

  constructor(ctx: DurableObjectState, env: EdgeEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  }

  /** The floor's one row; as a follower of the replicated write, all it does. */
  write(bytes: ArrayBuffer): number {
    return this.ctx.storage.sql.exec<{ id: number }>("INSERT INTO rows(body) VALUES (?) RETURNING id", bytes).one().id;
  }

  async produce(req: ProduceRequest): Promise<Result<ProduceResult>> {
    if (!("blob" in req.records)) throw new Error("FloorReplicaDO stores encoded batches only (the HTTP API's)");
    const b = req.records.blob;
    const bytes = (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer) as ArrayBuffer;
    this.write(bytes);
    if (req.acks === -1) {
      const self = this.ctx.id.toString();
      await Promise.all(["f1", "f2"].map((f) => this.env.FLOOR_REPLICA.getByName(`${self}-${f}`).write(bytes)));
    }
    const base = this.next;
    this.next += recordCount(req);
    return appended(base, recordCount(req));
  }
}

/** The `edge` leader: a stub in this isolate, one offset counter per object name. */
function inIsolateReplicas(): Env["PARTITION_REPLICA"] {
  const next = new Map<string, number>();
  const stub = (name: string) => ({
    produce: async (req: ProduceRequest): Promise<Result<ProduceResult>> => {
      const base = next.get(name) ?? 0;
      next.set(name, base + recordCount(req));
      return appended(base, recordCount(req));
    },
  });
  return { getByName: stub } as unknown as Env["PARTITION_REPLICA"];
}

const edgeReplicas = inIsolateReplicas();

/** One substituted env per (env, ablation), kept: the broker parses its config once per env object. */
const substituted = new WeakMap<object, Map<string, Env>>();

function envFor(env: EdgeEnv, ablation: string): Env {
  let byName = substituted.get(env);
  if (!byName) substituted.set(env, (byName = new Map()));
  let e = byName.get(ablation);
  if (!e) {
    const replicas = { null: env.NULL_REPLICA, floor: env.FLOOR_REPLICA, edge: edgeReplicas }[ablation];
    if (replicas === undefined) throw new Error(`ablation must be edge, null or floor, got ${ablation}`);
    e = { ...env, PARTITION_REPLICA: replicas as unknown as Env["PARTITION_REPLICA"] };
    byName.set(ablation, e);
  }
  return e;
}

export default {
  fetch(request: Request, env: EdgeEnv, ctx: ExecutionContext): Response | Promise<Response> {
    const ablation = request.url.includes("ablation=") ? new URL(request.url).searchParams.get("ablation") : null;
    return broker.fetch(request, ablation === null ? env : envFor(env, ablation), ctx);
  },
} satisfies ExportedHandler<EdgeEnv>;
