/**
 * The broker Worker: the Hono API as the default export, and the Durable Object classes the
 * bindings in wrangler.toml name. The HTTP dialects are mounted beside the native API under
 * their own prefixes (`/upstash`, `/kafka-rest`, API.md "Other front doors"), before it, so the
 * native API's 404/405 handling never sees their paths.
 */
import { app } from "../src/api/app.ts";
import { restProxy } from "../src/doors/rest-proxy/app.ts";
import { upstash } from "../src/doors/upstash/app.ts";

export { PartitionReplicaDO } from "../src/partition/partition-replica-do.ts";
export { ClusterCoordinatorDO } from "../src/coordinator/cluster-coordinator-do.ts";
export { GroupCoordinatorDO } from "../src/groups/group-coordinator-do.ts";

/** Each dialect's app serves its whole prefix (its own 404 and error shapes); the rest is the native API's. */
const DOORS = [
  { prefix: "/upstash", door: upstash },
  { prefix: "/kafka-rest", door: restProxy },
] as const;

export default {
  fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    const found = DOORS.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
    return (found?.door ?? app).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
