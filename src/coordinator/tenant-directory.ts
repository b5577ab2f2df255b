/**
 * The tenant directory's rules over its SQLite (migrations/tenant-directory): tenants with their
 * quotas and CORS origins, and API keys (id, tenant, name, SHA-256 of the secret, ACL entries, created, last
 * used). The secret itself is never given to this module, so it can never be stored or listed.
 *
 * Invariants: tenant `default` always exists (the root token's tenant); a key belongs to exactly
 * one existing tenant; deleting a tenant deletes its keys in the same transaction; a look-up by
 * key id is one primary-key read. Synchronous (inside TenantDirectoryDO, or a test over
 * node:sqlite); one caller at a time.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { Clock } from "../protocol/types.ts";
import type { SqlPort } from "../storage/sql-port.ts";

export const DEFAULT_TENANT_NAME = "default";
/** The one directory object's name. */
export const TENANT_DIRECTORY_NAME = "directory";

/** Quota values a tenant sets; an absent one is the operator's default. */
export interface QuotaValues {
  produce_bytes_per_s?: number;
  fetch_bytes_per_s?: number;
  requests_per_s?: number;
  topics?: number;
  partitions?: number;
  storage_bytes?: number;
}

export interface TenantRecord {
  name: string;
  created_at: number;
}

/** A key as listed: everything but the secret (which is not even stored). */
export interface KeyListing<Acl> {
  key_id: string;
  name: string;
  tenant: string;
  acls: Acl[];
  created_at: number;
  last_used_at: number | null;
  /** The key's own quota overrides ({} = the tenant's quotas apply). */
  quotas: QuotaValues;
}

/** What authentication needs for one key id, in one read. */
export interface KeyLookup<Acl> {
  tenant: string;
  secretHash: string;
  acls: Acl[];
  /** The tenant's quotas. */
  quotas: QuotaValues;
  /** The key's overrides of them. */
  keyQuotas: QuotaValues;
}

export interface NewKey<Acl> {
  keyId: string;
  tenant: string;
  name: string;
  secretHash: string;
  acls: Acl[];
  quotas?: QuotaValues | undefined;
}

type KeyRow = { key_id: string; name: string; tenant: string; acls: string; created_at: number; last_used_at: number | null; quotas: string };

export class TenantDirectory<Acl = unknown> {
  constructor(
    private readonly sql: SqlPort,
    private readonly clock: Clock,
  ) {
    sql.exec("INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, 0)", DEFAULT_TENANT_NAME);
  }

  createTenant(name: string): Result<TenantRecord> {
    if (this.tenant(name)) return fail("DUPLICATE_RESOURCE", `tenant "${name}" already exists`);
    const created_at = this.clock.now();
    this.sql.exec("INSERT INTO tenants (name, created_at) VALUES (?, ?)", name, created_at);
    return ok({ name, created_at });
  }

  tenant(name: string): TenantRecord | null {
    return this.sql.exec<TenantRecord>("SELECT name, created_at FROM tenants WHERE name = ?", name)[0] ?? null;
  }

  listTenants(): TenantRecord[] {
    return this.sql.exec<TenantRecord>("SELECT name, created_at FROM tenants ORDER BY name");
  }

  /** Deletes the tenant and all of its keys at once. `default` cannot be deleted. */
  deleteTenant(name: string): Result<void> {
    if (name === DEFAULT_TENANT_NAME) return fail("POLICY_VIOLATION", `tenant "${DEFAULT_TENANT_NAME}" cannot be deleted`);
    if (!this.tenant(name)) return fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
    this.sql.transaction(() => {
      this.sql.exec("DELETE FROM api_keys WHERE tenant = ?", name);
      this.sql.exec("DELETE FROM tenants WHERE name = ?", name);
    });
    return ok(undefined);
  }

  quotas(name: string): Result<QuotaValues> {
    const row = this.sql.exec<{ quotas: string }>("SELECT quotas FROM tenants WHERE name = ?", name)[0];
    return row ? ok(JSON.parse(row.quotas) as QuotaValues) : fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
  }

  setQuotas(name: string, quotas: QuotaValues): Result<QuotaValues> {
    if (!this.tenant(name)) return fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
    this.sql.exec("UPDATE tenants SET quotas = ? WHERE name = ?", JSON.stringify(quotas), name);
    return ok(quotas);
  }

  /** The browser origins allowed for the tenant's answers (CORS); [] = none. */
  corsOrigins(name: string): Result<string[]> {
    const row = this.sql.exec<{ cors_origins: string }>("SELECT cors_origins FROM tenants WHERE name = ?", name)[0];
    return row ? ok(JSON.parse(row.cors_origins) as string[]) : fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
  }

  setCorsOrigins(name: string, origins: string[]): Result<string[]> {
    if (!this.tenant(name)) return fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
    this.sql.exec("UPDATE tenants SET cors_origins = ? WHERE name = ?", JSON.stringify(origins), name);
    return ok(origins);
  }

  /** The stream-path prefix open to anonymous Durable Streams requests; null = none (the default). */
  dsAnonymousPrefix(name: string): Result<string | null> {
    const row = this.sql.exec<{ ds_anonymous_prefix: string | null }>("SELECT ds_anonymous_prefix FROM tenants WHERE name = ?", name)[0];
    return row ? ok(row.ds_anonymous_prefix) : fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
  }

  setDsAnonymousPrefix(name: string, prefix: string | null): Result<string | null> {
    if (!this.tenant(name)) return fail("RESOURCE_NOT_FOUND", `no tenant "${name}"`);
    this.sql.exec("UPDATE tenants SET ds_anonymous_prefix = ? WHERE name = ?", prefix, name);
    return ok(prefix);
  }

  /** Every tenant that allows some origin, with its origins (what a CORS check needs, in one read). */
  allCorsOrigins(): Record<string, string[]> {
    const rows = this.sql.exec<{ name: string; cors_origins: string }>("SELECT name, cors_origins FROM tenants WHERE cors_origins != '[]'");
    return Object.fromEntries(rows.map((r) => [r.name, JSON.parse(r.cors_origins) as string[]]));
  }

  createKey(key: NewKey<Acl>): Result<KeyListing<Acl>> {
    if (!this.tenant(key.tenant)) return fail("RESOURCE_NOT_FOUND", `no tenant "${key.tenant}"`);
    const created_at = this.clock.now();
    const quotas = key.quotas ?? {};
    this.sql.exec(
      "INSERT INTO api_keys (key_id, tenant, name, secret_hash, acls, created_at, quotas) VALUES (?, ?, ?, ?, ?, ?, ?)",
      key.keyId, key.tenant, key.name, key.secretHash, JSON.stringify(key.acls), created_at, JSON.stringify(quotas),
    );
    return ok({ key_id: key.keyId, name: key.name, tenant: key.tenant, acls: key.acls, created_at, last_used_at: null, quotas });
  }

  /** Keys of one tenant, or of every tenant (`null`, the root token's view). */
  listKeys(tenant: string | null): KeyListing<Acl>[] {
    const cols = "key_id, name, tenant, acls, created_at, last_used_at, quotas";
    const rows = tenant === null
      ? this.sql.exec<KeyRow>(`SELECT ${cols} FROM api_keys ORDER BY tenant, created_at, key_id`)
      : this.sql.exec<KeyRow>(`SELECT ${cols} FROM api_keys WHERE tenant = ? ORDER BY created_at, key_id`, tenant);
    return rows.map((r) => ({ ...r, acls: JSON.parse(r.acls) as Acl[], quotas: JSON.parse(r.quotas) as QuotaValues }));
  }

  /** Revokes (deletes) a key; a key of another tenant is "not found", as one that never existed. */
  revokeKey(keyId: string, tenant: string | null): Result<void> {
    const row = this.sql.exec<{ tenant: string }>("SELECT tenant FROM api_keys WHERE key_id = ?", keyId)[0];
    if (!row || (tenant !== null && row.tenant !== tenant)) return fail("RESOURCE_NOT_FOUND", `no key "${keyId}"`);
    this.sql.exec("DELETE FROM api_keys WHERE key_id = ?", keyId);
    return ok(undefined);
  }

  /** The key's tenant, secret hash, ACLs and tenant quotas, and marks it used now; null if unknown. */
  lookupKey(keyId: string): KeyLookup<Acl> | null {
    const row = this.sql.exec<{ tenant: string; secret_hash: string; acls: string; quotas: string; key_quotas: string }>(
      "SELECT k.tenant AS tenant, k.secret_hash AS secret_hash, k.acls AS acls, t.quotas AS quotas, k.quotas AS key_quotas FROM api_keys k JOIN tenants t ON t.name = k.tenant WHERE k.key_id = ?",
      keyId,
    )[0];
    if (!row) return null;
    this.sql.exec("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", this.clock.now(), keyId);
    return {
      tenant: row.tenant,
      secretHash: row.secret_hash,
      acls: JSON.parse(row.acls) as Acl[],
      quotas: JSON.parse(row.quotas) as QuotaValues,
      keyQuotas: JSON.parse(row.key_quotas) as QuotaValues,
    };
  }
}
