/**
 * TenantDirectoryDO: one per deployment (named `directory`). Holds the tenants, their quotas, their CORS origins
 * and their API keys (secret hashes only), so an API key resolves to its tenant and ACLs in one
 * read. Thin shell over `TenantDirectory` (the rules); typed RPC, errors as values.
 *
 * Concurrency: a DO runs one call at a time and every method is synchronous, so each is atomic.
 * The Worker caches look-ups per isolate for a bounded time (src/services/keys.ts).
 */
import { DurableObject } from "cloudflare:workers";
import type { AclEntry } from "../protocol/acl.ts";
import type { Result } from "../protocol/errors.ts";
import { systemClock } from "../protocol/types.ts";
import { applyMigrations } from "../storage/migrations.ts";
import { DoSqlPort } from "../storage/do-sql-port.ts";
import { TENANT_DIRECTORY_MIGRATIONS } from "./migrations.ts";
import { TenantDirectory, type KeyListing, type KeyLookup, type NewKey, type QuotaValues, type TenantRecord } from "./tenant-directory.ts";

/** Entries are stored as given by the key service (src/services/acl.ts validates them). */
type StoredAcl = AclEntry;

export class TenantDirectoryDO extends DurableObject<Env> {
  private dir!: TenantDirectory<StoredAcl>;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = new DoSqlPort(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(sql, TENANT_DIRECTORY_MIGRATIONS);
      this.dir = new TenantDirectory(sql, systemClock);
    });
  }

  createTenant(name: string): Result<TenantRecord> {
    return this.dir.createTenant(name);
  }

  tenant(name: string): TenantRecord | null {
    return this.dir.tenant(name);
  }

  listTenants(): TenantRecord[] {
    return this.dir.listTenants();
  }

  deleteTenant(name: string): Result<void> {
    return this.dir.deleteTenant(name);
  }

  quotas(name: string): Result<QuotaValues> {
    return this.dir.quotas(name);
  }

  setQuotas(name: string, quotas: QuotaValues): Result<QuotaValues> {
    return this.dir.setQuotas(name, quotas);
  }

  corsOrigins(name: string): Result<string[]> {
    return this.dir.corsOrigins(name);
  }

  setCorsOrigins(name: string, origins: string[]): Result<string[]> {
    return this.dir.setCorsOrigins(name, origins);
  }

  dsAnonymousPrefix(name: string): Result<string | null> {
    return this.dir.dsAnonymousPrefix(name);
  }

  setDsAnonymousPrefix(name: string, prefix: string | null): Result<string | null> {
    return this.dir.setDsAnonymousPrefix(name, prefix);
  }

  allCorsOrigins(): Record<string, string[]> {
    return this.dir.allCorsOrigins();
  }

  createKey(key: NewKey<StoredAcl>): Result<KeyListing<StoredAcl>> {
    return this.dir.createKey(key);
  }

  listKeys(tenant: string | null): KeyListing<StoredAcl>[] {
    return this.dir.listKeys(tenant);
  }

  revokeKey(keyId: string, tenant: string | null): Result<void> {
    return this.dir.revokeKey(keyId, tenant);
  }

  lookupKey(keyId: string): KeyLookup<StoredAcl> | null {
    return this.dir.lookupKey(keyId);
  }
}
