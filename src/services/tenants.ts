/**
 * Tenants and their API keys, shared by every front door: the root token creates, lists,
 * describes and deletes tenants and sets their quotas; keys are created (shown once), listed
 * (never the secret) and revoked by the root token or by a key allowed to Alter the cluster of
 * its own tenant (Kafka: CreateAcls/DeleteAcls need Alter on the cluster).
 *
 * All of it lives in the one TenantDirectoryDO (src/coordinator/tenant-directory-do.ts). A tenant
 * delete refuses while the tenant has topics, unless forced: then its topics are deleted first
 * (through its own coordinator; no other tenant's object is named), then its keys and itself.
 */
import type { KeyListing, QuotaValues, TenantRecord } from "../coordinator/tenant-directory.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { roleAcls, validateAcls, type AclEntry, type Role } from "./acl.ts";
import { call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { directory, keyCache, newKey } from "./keys.ts";
import { must, settle, stop } from "./result.ts";
import { storageUsage } from "./storage-quota.ts";
import { deleteTopic, listTopics } from "./topics.ts";

export type { QuotaValues, TenantRecord };
export type KeyDescription = KeyListing<AclEntry>;

const TENANT_NAME = /^[a-z0-9-]{1,63}$/;
const KEY_NAME = /^[a-zA-Z0-9._-]{1,100}$/;

export function validateTenantName(name: string): Result<string> {
  return TENANT_NAME.test(name) ? ok(name) : fail("INVALID_REQUEST", "tenant names are [a-z0-9-]{1,63}");
}

export function createTenant(env: Env, name: string): Promise<Result<TenantRecord>> {
  return settle(async () => {
    must(validateTenantName(name));
    return must(await call(() => directory(env).createTenant(name)));
  });
}

export async function listTenants(env: Env): Promise<Result<TenantRecord[]>> {
  return call(async () => ok(await directory(env).listTenants()));
}

export function describeTenant(env: Env, name: string): Promise<Result<TenantRecord>> {
  return settle(async () => {
    must(validateTenantName(name));
    const t = must(await call(async () => ok(await directory(env).tenant(name))));
    return t ?? stop("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
  });
}

/** The context of `tenant` for the root token's work on it (its own DO names only). */
function asTenant(ctx: ServiceContext, tenant: string): ServiceContext {
  return { env: ctx.env, tenant, waitUntil: ctx.waitUntil };
}

/** Deletes a tenant: POLICY_VIOLATION while it has topics unless `force` (then they go first). */
export function deleteTenant(ctx: ServiceContext, name: string, force: boolean): Promise<Result<null>> {
  return settle(async () => {
    must(await describeTenant(ctx.env, name));
    const own = asTenant(ctx, name);
    const topics = must(await listTopics(own));
    if (topics.length > 0 && !force)
      stop("POLICY_VIOLATION", `tenant "${name}" has ${topics.length} topic(s); delete them or pass ?force=true`);
    for (const t of topics) must(await deleteTopic(own, t.meta.name));
    must(await call(() => directory(ctx.env).deleteTenant(name)));
    keyCache.forgetTenant(name);
    storageUsage.forget(name);
    return null;
  });
}

export function tenantQuotas(env: Env, name: string): Promise<Result<QuotaValues>> {
  return settle(async () => must(await call(() => directory(env).quotas(must(validateTenantName(name))))));
}

export function setTenantQuotas(env: Env, name: string, quotas: QuotaValues): Promise<Result<QuotaValues>> {
  return settle(async () => {
    const q = must(await call(() => directory(env).setQuotas(must(validateTenantName(name)), quotas)));
    keyCache.forgetTenant(name);
    storageUsage.forget(name);
    return q;
  });
}

export interface CreateKeyInput {
  name: string;
  tenant: string;
  acls?: AclEntry[] | undefined;
  role?: Role | undefined;
  prefix?: string | undefined;
  /** Overrides of the tenant's quotas for this key. */
  quotas?: QuotaValues | undefined;
}

/** A new key of `input.tenant`: its listing and its text (the only time the text exists). */
export function createKey(env: Env, input: CreateKeyInput): Promise<Result<KeyDescription & { key: string }>> {
  return settle(async () => {
    must(validateTenantName(input.tenant));
    if (!KEY_NAME.test(input.name)) stop("INVALID_REQUEST", "key names are [a-zA-Z0-9._-]{1,100}");
    if ((input.acls === undefined) === (input.role === undefined)) stop("INVALID_REQUEST", "give exactly one of acls and role");
    if (input.role === undefined && input.prefix !== undefined) stop("INVALID_REQUEST", "prefix goes with role");
    const acls = must(validateAcls(input.acls ?? roleAcls(input.role!, input.prefix ?? "")));
    const k = await newKey();
    const listing = must(await call(() => directory(env).createKey({ keyId: k.keyId, tenant: input.tenant, name: input.name, secretHash: k.secretHash, acls, quotas: input.quotas })));
    keyCache.forget(k.keyId);
    return { ...listing, key: k.text };
  });
}

/** Keys of `tenant`, or of every tenant for the root token (`null`). */
export async function listKeys(env: Env, tenant: string | null): Promise<Result<KeyDescription[]>> {
  return call(async () => ok(await directory(env).listKeys(tenant)));
}

/** Revokes a key of `tenant` (any tenant's for the root token, `null`); effective here at once, everywhere within 10 s. */
export function revokeKey(env: Env, keyId: string, tenant: string | null): Promise<Result<null>> {
  return settle(async () => {
    if (!/^[0-9a-f]{16}$/.test(keyId)) stop("RESOURCE_NOT_FOUND", `no key "${keyId.slice(0, 40)}"`);
    must(await call(() => directory(env).revokeKey(keyId, tenant)));
    keyCache.forget(keyId);
    return null;
  });
}
