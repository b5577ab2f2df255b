/**
 * The native door's request middleware: every answered request is counted (src/services/
 * metrics.ts), written as one JSON log line at `info` (tenant, route, status, ms, bytes, error
 * code; printed when `LOG_LEVEL` is info or debug), and, when the optional Analytics Engine
 * binding `FLARELOG_ANALYTICS` exists, sent there as one data point (docs/observability.md).
 *
 * The route is the contract's path (`/v1/topics/{topic}/records`), never the raw URL, so label
 * sets stay bounded. The error body is read (from a clone) only for an error answer that is
 * logged or sent to Analytics Engine. Runs around every route, so it does no I/O of its own.
 */
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { brokerConfig } from "../config/broker-config.ts";
import type { LogLevel } from "../config/log-level.ts";
import { logLine, logs } from "../config/log-level.ts";
import { countRequest, type RequestSample } from "../services/metrics.ts";
import type { AppEnv } from "./env.ts";

const spelled = new Map<string, string>();

/** The contract's spelling of the route that answered, or "unmatched" (memoised per path). */
function routeOf(c: Context<AppEnv>): string {
  const path = routePath(c, -1);
  let route = spelled.get(path);
  if (route === undefined) {
    route = path.includes("*") ? "unmatched" : path.replace(/:(\w+)/g, "{$1}");
    spelled.set(path, route);
  }
  return route;
}

/** A Content-Length header's value, or null when the length is not declared. */
const length = (h: string | null | undefined) => (h ? Number(h) || 0 : null);

async function errorName(res: Response): Promise<string | null> {
  if (res.status < 400) return null;
  try {
    const body = (await res.clone().json()) as { error?: unknown };
    return typeof body.error === "string" ? body.error : null;
  } catch {
    return null;
  }
}

/** A bad config has already answered 500 naming the var (app.ts onError): log nothing more. */
function logLevelOf(env: Env): LogLevel {
  try {
    return brokerConfig(env).logLevel;
  } catch {
    return "off";
  }
}

export const requestLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  const s: RequestSample = {
    tenant: c.get("tenant") ?? "-",
    door: "http",
    route: routeOf(c),
    method: c.req.method,
    status: c.res.status,
    ms: Date.now() - started,
    bytesIn: length(c.req.header("content-length")) ?? 0,
    bytesOut: length(c.res.headers.get("content-length")),
  };
  countRequest(s);
  const level = logLevelOf(c.env);
  const analytics = c.env.FLARELOG_ANALYTICS;
  if (!logs(level, "info") && analytics === undefined) return;
  const error = await errorName(c.res);
  logLine(level, "info", "request", { ...s, error });
  analytics?.writeDataPoint({
    indexes: [s.tenant],
    blobs: [s.door, s.route, s.method, error ?? ""],
    doubles: [s.status, s.ms, s.bytesIn, s.bytesOut ?? -1],
  });
};
