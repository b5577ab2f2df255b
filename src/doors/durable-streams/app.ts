/**
 * The Durable Streams front door, `/ds/<tenant>/<stream path>` (docs/durable-streams.md): the
 * protocol's PUT / POST / GET / HEAD / DELETE on streams that are Flarelog topics of one
 * partition, replicated as any topic.
 *
 * Admission: `Authorization: Bearer <API key or root token>` (the key must belong to `<tenant>`;
 * the root token acts on `default`), its ACLs checked by every service; or, with no
 * Authorization header, the tenant's anonymous prefix (src/services/stream-access.ts, off by
 * default) when the stream path starts with it. Every answer carries the CORS and browser
 * security headers; errors are text/plain. Stateless apart from store.ts's per-isolate chain.
 * Called by workers/broker.ts for every path under /ds.
 */
import type { AclEntry } from "../../protocol/acl.ts";
import { contextOf, type ServiceContext } from "../../services/context.ts";
import { admitCaller } from "../../services/credentials.ts";
import { asKafkaError } from "../../services/result.ts";
import { anonymousPrefix } from "../../services/stream-access.ts";
import { throttledAnswer } from "../../services/throttle.ts";
import { appendAt } from "./append.ts";
import { COMMON_HEADERS } from "./headers.ts";
import { topicOf } from "./names.ts";
import { readAt } from "./reads.ts";
import { DsAnswer } from "./store.ts";
import { createStreamAt, deleteStreamAt, headAnswer, live } from "./writes.ts";

export const DS_PREFIX = "/ds";

const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });

/** `/ds/<tenant>/<path>` → the tenant and the stream path (with its leading `/`). */
function target(url: URL): { tenant: string; path: string } | null {
  const m = /^\/ds\/([^/]+)(\/.+)$/.exec(url.pathname);
  if (!m) return null;
  try {
    return { tenant: decodeURIComponent(m[1]!), path: decodeURIComponent(m[2]!) };
  } catch {
    return null;
  }
}

type Admitted = { ctx: ServiceContext } | { refused: Response };

async function admit(request: Request, env: Env, exec: ExecutionContext, tenant: string, path: string): Promise<Admitted> {
  const ctxOf = (acls: readonly AclEntry[] | null) => ({ ctx: contextOf(env, { tenant, acls }, (w) => exec.waitUntil(w)) });
  const authorization = request.headers.get("authorization");
  if (authorization === null) {
    const prefix = await anonymousPrefix(env, tenant, Date.now());
    const topic = prefix === null || !prefix.ok || prefix.value === null || !path.startsWith(prefix.value) ? null : topicOf(prefix.value);
    if (topic === null) return { refused: text(401, "credentials required (Authorization: Bearer <API key>)") };
    return ctxOf([{ resource_type: "topic", pattern_type: "prefixed", name: topic, operation: "all", permission: "allow" }]);
  }
  const produceBytes = request.method === "POST" ? Number(request.headers.get("content-length") ?? 0) || 0 : null;
  const r = await admitCaller(env, authorization, { bearer: true, produceBytes });
  if (!r.ok) return { refused: text(401, r.err.message) };
  const { principal, throttle } = r.value;
  if (principal.tenant !== tenant) return { refused: text(403, `the credentials belong to tenant "${principal.tenant}", not "${tenant}"`) };
  if (throttle) return { refused: await throttledAnswer(tenant, throttle, (err, status) => text(status, err.message)) };
  return ctxOf(principal.acls);
}

async function dispatch(ctx: ServiceContext, request: Request, path: string, url: URL): Promise<Response> {
  switch (request.method) {
    case "PUT":
      return createStreamAt(ctx, request, path, url.toString());
    case "POST":
      return appendAt(ctx, request, path);
    case "DELETE":
      return deleteStreamAt(ctx, path);
    case "GET":
      return readAt(ctx, request, path, url);
    case "HEAD": {
      const s = await live(ctx, path);
      if (s === null) return new Response(null, { status: 404, headers: { "content-type": "text/plain" } });
      if (s.meta.deleted) return new Response(null, { status: 410, headers: { "content-type": "text/plain" } });
      return headAnswer(s, path);
    }
    default:
      return text(405, "Method not allowed");
  }
}

async function serve(request: Request, env: Env, exec: ExecutionContext): Promise<Response> {
  if (request.method === "OPTIONS") return new Response(null, { status: 204 });
  const url = new URL(request.url);
  const t = target(url);
  if (t === null) return text(404, "no stream: the path is /ds/<tenant>/<stream path>");
  const admitted = await admit(request, env, exec, t.tenant, t.path);
  if ("refused" in admitted) return admitted.refused;
  try {
    return await dispatch(admitted.ctx, request, t.path, url);
  } catch (e) {
    if (e instanceof DsAnswer) return text(e.status, e.text, e.headers);
    const err = asKafkaError(e);
    if (err.error === "UNKNOWN_SERVER_ERROR") console.error("durable-streams door: unhandled error", e);
    const status = err.error === "TOPIC_AUTHORIZATION_FAILED" ? 403 : err.error === "INVALID_REQUEST" ? 400 : 503;
    return text(status, `${err.error}: ${err.message}`);
  }
}

export const durableStreams = {
  async fetch(request: Request, env: Env, exec: ExecutionContext): Promise<Response> {
    const res = await serve(request, env, exec);
    const headers = new Headers(res.headers);
    for (const [k, v] of Object.entries(COMMON_HEADERS)) headers.set(k, v);
    return new Response(request.method === "HEAD" ? null : res.body, { status: res.status, headers });
  },
};
