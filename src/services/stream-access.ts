/**
 * Anonymous access to a tenant's Durable Streams (src/doors/durable-streams): an explicit,
 * off-by-default per-tenant setting, set by the root token (`PUT /v1/admin/tenants/{name}/
 * durable-streams` `{"anonymous_prefix": "public/"}`, null turns it off). A request without
 * credentials to `/ds/<tenant>/<path>` is admitted only when the tenant has a prefix and
 * `<path>` starts with it; it then acts with ACL entries on exactly the topics of the streams
 * under the prefix (the door's prefix-preserving topic names), nothing else.
 *
 * Bound: a tenant's prefix is cached per isolate for at most ACCESS_CACHE_TTL_MS (10 s, as key
 * look-ups); a change is seen at once in the isolate that made it. Concurrency: none assumed.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import { call } from "./cluster.ts";
import { directory } from "./keys.ts";
import { must, settle } from "./result.ts";
import { validateTenantName } from "./tenants.ts";

export const ACCESS_CACHE_TTL_MS = 10_000;
const MAX_PREFIX = 200;

const cache = new Map<string, { at: number; prefix: string | null }>();

export interface StreamAccess {
  anonymous_prefix: string | null;
}

export function validatePrefix(prefix: string | null): Result<string | null> {
  if (prefix === null) return ok(null);
  if (prefix.length === 0 || prefix.length > MAX_PREFIX || !prefix.startsWith("/"))
    return fail("INVALID_REQUEST", `anonymous_prefix is a stream path prefix starting with "/" (1 to ${MAX_PREFIX} characters), or null`);
  return ok(prefix);
}

export function streamAccess(env: Env, name: string): Promise<Result<StreamAccess>> {
  return settle(async () => ({ anonymous_prefix: must(await call(() => directory(env).dsAnonymousPrefix(must(validateTenantName(name))))) }));
}

export function setStreamAccess(env: Env, name: string, prefix: string | null): Promise<Result<StreamAccess>> {
  return settle(async () => {
    const valid = must(validatePrefix(prefix));
    const set = must(await call(() => directory(env).setDsAnonymousPrefix(must(validateTenantName(name)), valid)));
    cache.delete(name);
    return { anonymous_prefix: set };
  });
}

/** The tenant's anonymous prefix (null: none, or no such tenant), cached ≤ ACCESS_CACHE_TTL_MS. */
export async function anonymousPrefix(env: Env, tenant: string, now: number): Promise<Result<string | null>> {
  const hit = cache.get(tenant);
  if (hit && now - hit.at < ACCESS_CACHE_TTL_MS) return ok(hit.prefix);
  if (!validateTenantName(tenant).ok) return ok(null);
  const r = await call(() => directory(env).dsAnonymousPrefix(tenant));
  const prefix = r.ok ? r.value : r.err.error === "RESOURCE_NOT_FOUND" ? null : undefined;
  if (prefix === undefined) return r as Result<never>;
  cache.set(tenant, { at: now, prefix });
  return ok(prefix);
}
