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
 * quota in /metrics; and for a produce under a `storage_bytes` quota, the tenant's storage usage
 * (src/services/storage-quota.ts): 400 POLICY_VIOLATION when the produce would exceed it. The root token has every
 * right and no quota. The cost on the produce path is one Map look-up, one SHA-256 and a scan
 * of the key's entries (measured in docs/benchmarks.md, "auth cost").
 */
import type { Context, MiddlewareHandler } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { CLUSTER, authorize, isAllowed, type Operation, type ResourceType } from "../services/acl.ts";
import { authenticate, type Principal } from "../services/auth.ts";
import { bucketOf, quotaValue, rateLimiter, takeRates } from "../services/quotas.ts";
import { throttledAnswer } from "../services/throttle.ts";
import { routeAcl } from "../services/route-acls.ts";
import { errorBody, ok, type Result } from "../protocol/errors.ts";
import { measureStorage, produceStorageCost, storageUsage } from "../services/storage-quota.ts";
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

const PRODUCE = new Set(["produce", "producePartition"]);
const FETCH = new Set(["fetch", "pollGroup"]);

/** A produce within the tenant's storage_bytes quota (src/services/storage-quota.ts); POLICY_VIOLATION otherwise. */
async function admitStorage(c: Context<AppEnv>, p: Principal): Promise<Result<void>> {
  const limit = quotaValue(p.quotas, brokerConfig(c.env).quotaDefaults, "storage_bytes");
  if (limit === null) return ok(undefined);
  const bodyBytes = Number(c.req.header("content-length") ?? 0) || 0;
  const cost = await produceStorageCost(c.env, p.tenant, c.req.param("topic") ?? "", bodyBytes);
  return storageUsage.admit(p.tenant, cost, limit, () => measureStorage(c.env, p.tenant));
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
    const produceBytes = PRODUCE.has(operationId) ? Number(c.req.header("content-length") ?? 0) || 0 : null;
    const t = takeRates(p, brokerConfig(c.env).quotaDefaults, { produceBytes, fetch: FETCH.has(operationId) });
    if (t) return throttledAnswer(p.tenant, t, (err, status) => c.json(errorBody(err), status as 429));
    if (PRODUCE.has(operationId)) unwrap(await admitStorage(c, p));
    await next();
    if (FETCH.has(operationId)) chargeFetched(c, p);
  };
}
