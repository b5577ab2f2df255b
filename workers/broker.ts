/**
 * The broker Worker: the front doors behind one fetch handler, and the Durable Object classes
 * the bindings in wrangler.toml name.
 *
 * The native HTTP API (src/api/app.ts) answers every path but the other doors' own: the console
 * at /console, the HTTP dialects under `/upstash` and `/kafka-rest` (API.md "Other front
 * doors"), Durable Streams under `/ds` (docs/durable-streams.md) and the Kafka wire protocol
 * over WebSocket at `/kafka` (docs/kafka-protocol.md). A door is chosen by path before any Hono
 * routing, so each door keeps its own routes, errors and 404/405 handling, and the API's app is
 * never changed after it is built.
 */
import { app } from "../src/api/app.ts";
import { CONSOLE_PATH, consoleResponse } from "../src/doors/console/console-door.ts";
import { KAFKA_PATH, kafkaDoor } from "../src/doors/kafka/kafka-door.ts";
import { durableStreams } from "../src/doors/durable-streams/app.ts";
import { restProxy } from "../src/doors/rest-proxy/app.ts";
import { upstash } from "../src/doors/upstash/app.ts";

export { PartitionReplicaDO } from "../src/partition/partition-replica-do.ts";
export { ClusterCoordinatorDO } from "../src/coordinator/cluster-coordinator-do.ts";
export { GroupCoordinatorDO } from "../src/groups/group-coordinator-do.ts";
export { TenantDirectoryDO } from "../src/coordinator/tenant-directory-do.ts";

export { FlarelogRpc } from "../src/doors/rpc/flarelog-rpc.ts";

/** Each dialect's app serves its whole prefix (its own 404 and error shapes); the rest is the native API's. */
const DOORS = [
  { prefix: "/upstash", door: upstash },
  { prefix: "/kafka-rest", door: restProxy },
  { prefix: "/ds", door: durableStreams },
] as const;

function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const path = pathOf(request.url);
    if (path === CONSOLE_PATH) return consoleResponse(request);
    if (path === KAFKA_PATH) return kafkaDoor(request, env, ctx);
    const found = DOORS.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
    return (found?.door ?? app).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
