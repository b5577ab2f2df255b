import { DurableObject } from "cloudflare:workers";
import init from "../migrations/partition-replica/0001_init.sql";
export class PartitionReplicaDO extends DurableObject<Env> {
  hello(): string { this.ctx.storage.sql.exec(init); return "hi " + this.ctx.storage.sql.exec("select count(*) c from t").one().c; }
}
export class ClusterCoordinatorDO extends DurableObject<Env> {}
export class GroupCoordinatorDO extends DurableObject<Env> {}
export default { async fetch(req: Request, env: Env) { const s = env.PARTITION_REPLICA.getByName("x"); return new Response(await s.hello()); } } satisfies ExportedHandler<Env>;
