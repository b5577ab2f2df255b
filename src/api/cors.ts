/**
 * CORS for browser clients (the web console, browser producers): off by default. Origins are
 * allowed per deployment (`CORS_ALLOWED_ORIGINS`, every tenant) and per tenant
 * (`PUT /v1/admin/tenants/{name}/cors`, src/services/tenant-cors.ts).
 *
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) carries no token, so it is
 * answered 204 with the allowed methods and headers (Authorization, Content-Type) and a 10-minute
 * Max-Age when the deployment or any tenant allows the origin; 403 when some origins are
 * configured but not this one. An actual answer carries Access-Control-Allow-Origin (and
 * Vary: Origin) when the deployment allows the origin, or the tenant of the request's key does:
 * tenant A's origin never reads tenant B's answers, and an answer without a key (401) carries it
 * only for deployment origins. A disallowed origin gets no CORS header, so the browser refuses;
 * non-browser clients are unaffected. No cookies are used, so credentials mode is never allowed.
 * Cost: nothing without an Origin header; with one, a per-isolate cache read (≤ 10 s old).
 */
import type { Context, MiddlewareHandler } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { readAllTenantOrigins, tenantOrigins } from "../services/tenant-cors.ts";
import type { AppEnv } from "./env.ts";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const HEADERS = "authorization, content-type, accept";
const EXPOSED = "retry-after, flarelog-high-watermark, flarelog-log-start-offset, flarelog-next-offset";

function preflight(origin: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": METHODS,
      "access-control-allow-headers": HEADERS,
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

/** Whether the answer to this request may be read by `origin`: the deployment's list, else the key's tenant's. */
async function answerAllowed(c: Context<AppEnv>, origin: string, deployment: boolean): Promise<boolean> {
  if (deployment) return true;
  const principal = c.get("principal") as AppEnv["Variables"]["principal"] | undefined;
  if (!principal || principal.isRoot) return false;
  return tenantOrigins.tenantAllows(principal.tenant, origin, () => readAllTenantOrigins(c.env));
}

export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header("origin");
  if (origin === undefined) return next();
  const allowed = brokerConfig(c.env).corsAllowedOrigins;
  const deployment = allowed.includes("*") || allowed.includes(origin);
  if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
    if (deployment || (await tenantOrigins.anyAllows(origin, () => readAllTenantOrigins(c.env)))) return preflight(origin);
    if (allowed.length > 0 || (await tenantOrigins.anyConfigured(() => readAllTenantOrigins(c.env))))
      return new Response(null, { status: 403, headers: { vary: "Origin" } });
    return next();
  }
  await next();
  if (!(await answerAllowed(c, origin, deployment))) return;
  c.res.headers.set("access-control-allow-origin", origin);
  c.res.headers.set("access-control-expose-headers", EXPOSED);
  c.res.headers.append("vary", "Origin");
};
