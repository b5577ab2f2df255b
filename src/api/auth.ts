/**
 * Authentication and authorization for the HTTP API.
 *
 * `bearerAuth` (every /v1 path) reads `Authorization: Bearer <token>` and asks the auth service
 * who that is (src/services/auth.ts): it sets the principal and its tenant, so every service
 * call of the request acts inside that tenant's Durable Objects only.
 *
 * `guard(operationId)` runs before each route's handler (mounted by `mount`): the route's entry
 * of the route → ACL table (src/services/route-acls.ts) decides — public, root only, or an
 * operation on a resource named by a path parameter or the cluster; `listing` and `body` entries
 * are checked by the handler with `allowed`/`requireAcl`. Then the tenant's rate quotas
 * (src/services/quotas.ts): 429 with Retry-After and `throttle_time_ms`, counted per tenant and
 * quota in /metrics (`countThrottled`). The root token has every
 * right and no quota. The cost on the produce path is one Map look-up, one SHA-256 and a scan
 * of the key's entries (measured in docs/benchmarks.md, "auth cost").
 */
import type { Context, MiddlewareHandler } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { CLUSTER, authorize, isAllowed, type Operation, type ResourceType } from "../services/acl.ts";
import { authenticate, type Principal } from "../services/auth.ts";
import { countThrottled } from "../services/metrics.ts";
import { quotaValue, rateLimiter, type RateQuota, type Throttle } from "../services/quotas.ts";
import { routeAcl } from "../services/route-acls.ts";
import { errorBody } from "../protocol/errors.ts";
import type { AppEnv } from "./env.ts";
import { raise, unwrap } from "./errors.ts";

export const bearerAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  const principal = unwrap(await authenticate(c.env, brokerConfig(c.env).adminToken, m ? m[1]! : null));
  c.set("principal", principal);
  c.set("tenant", principal.tenant);
  c.set("isRoot", principal.isRoot);
  await next();
};

/** Whether the caller may do `operation` on the resource (the root token may do anything). */
export function allowed(c: Context<AppEnv>, type: ResourceType, name: string, operation: Operation): boolean {
  const acls = c.get("principal").acls;
  return acls === null || isAllowed(acls, type, name, operation);
}

/** Stops with Kafka's authorization error (29/30/31) unless the caller may do `operation`. */
export function requireAcl(c: Context<AppEnv>, type: ResourceType, name: string, operation: Operation): void {
  const acls = c.get("principal").acls;
  if (acls !== null) unwrap(authorize(acls, type, name, operation));
}

/**
 * The longest a throttled answer is held. Kafka (before KIP-219) delays a throttled response by
 * its throttle time, so a client that ignores it cannot send faster than the quota; we hold the
 * 429 the same way, capped so no connection is held long.
 */
export const MAX_THROTTLE_HOLD_MS = 1_000;

async function throttled(c: Context<AppEnv>, t: Throttle): Promise<Response> {
  await new Promise((r) => setTimeout(r, Math.min(t.throttleTimeMs, MAX_THROTTLE_HOLD_MS)));
  const res = c.json({ ...errorBody(t.err), throttle_time_ms: t.throttleTimeMs }, 429);
  res.headers.set("retry-after", String(Math.max(1, Math.ceil(t.throttleTimeMs / 1000))));
  return res;
}

const PRODUCE = new Set(["produce", "producePartition"]);
const FETCH = new Set(["fetch", "pollGroup"]);

/** A throttle and the rate quota that caused it. */
type QuotaThrottle = Throttle & { quota: RateQuota };

/**
 * The first rate quota the request finds exhausted, after charging it; null when within all.
 * A fetch takes nothing from its byte quota up front (its bytes are charged after the answer)
 * but waits while an earlier fetch left the bucket empty.
 */
function takeRates(c: Context<AppEnv>, p: Principal, operationId: string): QuotaThrottle | null {
  const defaults = brokerConfig(c.env).quotaDefaults;
  const take = (quota: RateQuota, cost: number): QuotaThrottle | null => {
    const rate = quotaValue(p.quotas, defaults, quota);
    const t = rate === null ? null : rateLimiter.take(bucketOf(p, quota), quota, rate, cost);
    return t && { ...t, quota };
  };
  const byRequest = take("requests_per_s", 1);
  if (byRequest) return byRequest;
  if (FETCH.has(operationId)) return take("fetch_bytes_per_s", 0);
  if (!PRODUCE.has(operationId)) return null;
  return take("produce_bytes_per_s", Number(c.req.header("content-length") ?? 0) || 0);
}

/** Whose bucket a rate quota draws from: the key's own where the key overrides it, else the tenant's. */
function bucketOf(p: Principal, quota: RateQuota): string {
  return p.keyQuotas[quota] !== undefined ? `${p.tenant}/key/${p.keyId}` : p.tenant;
}

/** Charges a fetch answer's bytes to the tenant's fetch quota (the next fetch waits if over). */
function chargeFetched(c: Context<AppEnv>, p: Principal): void {
  const rate = quotaValue(p.quotas, brokerConfig(c.env).quotaDefaults, "fetch_bytes_per_s");
  const bytes = Number(c.res.headers.get("content-length") ?? NaN);
  if (rate !== null && Number.isFinite(bytes)) rateLimiter.charge(bucketOf(p, "fetch_bytes_per_s"), "fetch_bytes_per_s", rate, bytes);
}

/** The route's authorization and quota check, run before its handler. */
export function guard(operationId: string): MiddlewareHandler<AppEnv> {
  const rule = routeAcl(operationId);
  if (!rule) throw new Error(`route ${operationId} has no entry in the route → ACL table (src/services/route-acls.ts)`);
  return async (c, next) => {
    if (rule.kind === "public") return next();
    const p = c.get("principal");
    if (rule.kind === "root") {
      if (!p.isRoot) raise("CLUSTER_AUTHORIZATION_FAILED", "this operation needs the root token");
      return next();
    }
    if (p.acls === null) return next();
    if (rule.name === "cluster") requireAcl(c, "cluster", CLUSTER, rule.operation);
    else if (typeof rule.name === "object") requireAcl(c, rule.resource, c.req.param(rule.name.param) ?? "", rule.operation);
    // Kafka: an idempotent produce also needs IdempotentWrite (the producer id is the key's tenant's own anyway).
    if (operationId === "producePartition" && c.req.query("producer_id") !== undefined) requireAcl(c, "producer", "", "idempotent_write");
    const t = takeRates(c, p, operationId);
    if (t) {
      countThrottled(p.tenant, t.quota, t.throttleTimeMs);
      return throttled(c, t);
    }
    await next();
    if (FETCH.has(operationId)) chargeFetched(c, p);
  };
}
