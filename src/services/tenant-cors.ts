/**
 * Per-tenant CORS origins: which browser origins may read a tenant's answers (the web console,
 * browser producers), set by the root token (`PUT /v1/admin/tenants/{name}/cors`), none by
 * default. The deployment-wide CORS_ALLOWED_ORIGINS applies on top (src/api/cors.ts).
 *
 * A preflight carries no Authorization header, so its tenant is unknown: a preflight is answered
 * for the union of every tenant's origins. The actual request's answer carries
 * Access-Control-Allow-Origin only when the origin is allowed for the tenant of the key that
 * made it, so tenant A's origin can send to B's keys but its page can never read B's answers.
 *
 * Bound: the origins of every tenant are read from the directory in one call and kept per
 * isolate for at most CORS_CACHE_TTL_MS (10 s, as key look-ups); a change is seen at once in the
 * isolate that made it. The directory is read only for requests that carry an Origin header.
 * Concurrency: one read at a time per isolate (callers share it).
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import { systemClock, type Clock } from "../protocol/types.ts";
import { call } from "./cluster.ts";
import { directory } from "./keys.ts";
import { must, settle } from "./result.ts";
import { validateTenantName } from "./tenants.ts";

export const CORS_CACHE_TTL_MS = 10_000;
export const MAX_TENANT_ORIGINS = 20;

/** An origin as a browser sends it: scheme://host[:port], nothing else (no path, no `*`). */
export function validateOrigins(origins: string[]): Result<string[]> {
  if (origins.length > MAX_TENANT_ORIGINS) return fail("INVALID_REQUEST", `at most ${MAX_TENANT_ORIGINS} allowed_origins`);
  for (const o of origins) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(o);
    } catch {
      parsed = null;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== o)
      return fail("INVALID_REQUEST", `allowed_origins holds origins such as https://console.example.com (scheme, host, port; no path, no "*"); ${JSON.stringify(o).slice(0, 80)} is not one`);
  }
  return ok([...new Set(origins)]);
}

/** Every tenant's origins, read at most once per TTL per isolate. */
export class TenantOriginsCache {
  #entry: { at: number; byTenant: Record<string, string[]>; union: Set<string> } | null = null;
  #reading: Promise<Record<string, string[]>> | null = null;

  constructor(private readonly clock: Clock) {}

  async #current(read: () => Promise<Record<string, string[]>>) {
    if (this.#entry && this.clock.now() - this.#entry.at < CORS_CACHE_TTL_MS) return this.#entry;
    const at = this.clock.now();
    this.#reading ??= read().finally(() => (this.#reading = null));
    const byTenant = await this.#reading;
    this.#entry = { at, byTenant, union: new Set(Object.values(byTenant).flat()) };
    return this.#entry;
  }

  /** Whether any tenant allows `origin` (a preflight's question). */
  async anyAllows(origin: string, read: () => Promise<Record<string, string[]>>): Promise<boolean> {
    return (await this.#current(read)).union.has(origin);
  }

  /** Whether any tenant allows any origin. */
  async anyConfigured(read: () => Promise<Record<string, string[]>>): Promise<boolean> {
    return (await this.#current(read)).union.size > 0;
  }

  /** Whether `tenant` allows `origin` (an answer's question). */
  async tenantAllows(tenant: string, origin: string, read: () => Promise<Record<string, string[]>>): Promise<boolean> {
    return (await this.#current(read)).byTenant[tenant]?.includes(origin) ?? false;
  }

  forget(): void {
    this.#entry = null;
  }
}

export const tenantOrigins = new TenantOriginsCache(systemClock);

/** Every tenant's origins, from the directory. */
export async function readAllTenantOrigins(env: Env): Promise<Record<string, string[]>> {
  return directory(env).allCorsOrigins();
}

export function tenantCors(env: Env, name: string): Promise<Result<{ allowed_origins: string[] }>> {
  return settle(async () => ({ allowed_origins: must(await call(() => directory(env).corsOrigins(must(validateTenantName(name))))) }));
}

export function setTenantCors(env: Env, name: string, origins: string[]): Promise<Result<{ allowed_origins: string[] }>> {
  return settle(async () => {
    const valid = must(validateOrigins(origins));
    const set = must(await call(() => directory(env).setCorsOrigins(must(validateTenantName(name)), valid)));
    tenantOrigins.forget();
    return { allowed_origins: set };
  });
}
