/**
 * Mounting a contract route (src/contract/routes.ts) on the Hono app: the route's own method and
 * path (OpenAPI `{param}` → Hono `:param`), so the path a handler serves is the one documented.
 * Also answers which methods a path allows, for 405 + Allow on a wrong method.
 */
import type { Context, Hono } from "hono";
import type { ContractRoute } from "../contract/routes.ts";
import { ROUTES } from "../contract/routes.ts";
import { contextOf, type ServiceContext } from "../services/context.ts";
import { validateTopicName } from "../protocol/config.ts";
import { guard } from "./auth.ts";
import type { AppEnv } from "./env.ts";
import { unwrap } from "./errors.ts";

export type Handler = (c: Context<AppEnv>) => Response | Promise<Response>;

const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

/** Serves `route` with `handler` at the route's method and path, behind its ACL and quota check. */
export function mount(app: Hono<AppEnv>, route: ContractRoute, handler: Handler): void {
  app.on(route.method.toUpperCase(), honoPath(route.path), guard(route.operationId), handler);
}

const PATTERNS = ROUTES.map((r) => ({
  method: r.method.toUpperCase(),
  regex: new RegExp(`^${r.path.replace(/\{\w+\}/g, "[^/]+")}$`),
}));

/** The methods the contract serves at `pathname` (empty when no route has that path). */
export function allowedMethods(pathname: string): string[] {
  const methods = PATTERNS.filter((p) => p.regex.test(pathname)).map((p) => p.method);
  return [...new Set(methods)].sort();
}

/** The service context of a request: its bindings, the caller's tenant, and waitUntil. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const caller = { tenant: c.get("tenant"), acls: c.get("principal")?.acls ?? null };
  return contextOf(c.env, caller, (work) => c.executionCtx.waitUntil(work));
}

/** The path's topic name, checked first (before other parameters) against Kafka's rule. */
export function topicOf(c: Context<AppEnv>): string {
  return unwrap(validateTopicName(c.req.param("topic") ?? ""));
}
