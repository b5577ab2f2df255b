/**
 * CORS for browser clients (the web console, browser producers): off by default. With
 * `CORS_ALLOWED_ORIGINS` set, a preflight (OPTIONS with Origin and Access-Control-Request-Method)
 * from an allowed origin is answered 204 with the allowed methods and headers (Authorization,
 * Content-Type) and a 10-minute Max-Age, and every answer to an allowed origin carries
 * Access-Control-Allow-Origin (and Vary: Origin). A disallowed origin gets no CORS header, so the
 * browser refuses; non-browser clients are unaffected. No cookies are used, so credentials mode
 * is never allowed. The var is per deployment, so per tenant in the one-deployment-per-tenant
 * model; per-tenant origins inside a shared deployment are planned (issue 14 follow-up).
 */
import type { MiddlewareHandler } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import type { AppEnv } from "./env.ts";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
const HEADERS = "authorization, content-type, accept";
const EXPOSED = "retry-after, flarelog-high-watermark, flarelog-log-start-offset, flarelog-next-offset";

export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header("origin");
  if (origin === undefined) return next();
  const allowed = brokerConfig(c.env).corsAllowedOrigins;
  if (allowed.length === 0) return next();
  const ok = allowed.includes("*") || allowed.includes(origin);
  if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
    if (!ok) return new Response(null, { status: 403, headers: { vary: "Origin" } });
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
  await next();
  if (!ok) return;
  c.res.headers.set("access-control-allow-origin", origin);
  c.res.headers.set("access-control-expose-headers", EXPOSED);
  c.res.headers.append("vary", "Origin");
};
