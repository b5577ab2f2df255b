/**
 * The tenant directory (src/coordinator/tenant-directory.ts) on node:sqlite with its migration:
 * `default` always exists and cannot be deleted; duplicate tenants are refused; a key needs an
 * existing tenant; no column can hold a secret (only its hash is given); listing is per tenant;
 * another tenant's key cannot be revoked (not found); a tenant delete takes its keys with it; a
 * look-up marks the key used.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { TenantDirectory } from "../../src/coordinator/tenant-directory.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { readMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

let sql: NodeSqlitePort;
let clock: FakeClock;
let dir: TenantDirectory<{ op: string }>;

beforeEach(() => {
  sql = new NodeSqlitePort();
  applyMigrations(sql, readMigrations("tenant-directory"));
  clock = new FakeClock();
  dir = new TenantDirectory(sql, clock);
});

const key = (keyId: string, tenant: string) => ({ keyId, tenant, name: `k-${keyId}`, secretHash: "h".repeat(64), acls: [{ op: "read" }] });

describe("tenant directory", () => {
  it("a key's quota overrides are stored, listed and looked up beside the tenant's", () => {
    dir.createTenant("acme");
    dir.setQuotas("acme", { requests_per_s: 5, topics: 3 });
    dir.createKey({ ...key("1".repeat(16), "acme"), quotas: { requests_per_s: 50 } });
    expect(dir.listKeys("acme")[0]!.quotas).toEqual({ requests_per_s: 50 });
    const found = dir.lookupKey("1".repeat(16))!;
    expect([found.quotas, found.keyQuotas]).toEqual([{ requests_per_s: 5, topics: 3 }, { requests_per_s: 50 }]);
  });

  it("a tenant's CORS origins start empty, are set per tenant, and the all-tenants read lists only tenants that allow some", () => {
    dir.createTenant("acme");
    dir.createTenant("beta");
    expect(dir.corsOrigins("acme")).toEqual({ ok: true, value: [] });
    expect(dir.allCorsOrigins()).toEqual({});
    dir.setCorsOrigins("acme", ["https://a.example"]);
    expect(dir.corsOrigins("acme")).toEqual({ ok: true, value: ["https://a.example"] });
    expect(dir.allCorsOrigins()).toEqual({ acme: ["https://a.example"] });
    expect(dir.setCorsOrigins("nope", []).ok).toBe(false);
    dir.deleteTenant("acme");
    expect(dir.allCorsOrigins()).toEqual({});
  });

  it("default exists from the start and cannot be deleted; a duplicate tenant is 92", () => {
    expect(dir.listTenants().map((t) => t.name)).toEqual(["default"]);
    expect(dir.deleteTenant("default").ok).toBe(false);
    expect(dir.createTenant("acme").ok).toBe(true);
    const dup = dir.createTenant("acme");
    expect(dup.ok ? 0 : dup.err.errorCode).toBe(92);
  });

  it("a key of an unknown tenant is refused and nothing is stored", () => {
    const r = dir.createKey(key("a".repeat(16), "ghost"));
    expect(r.ok ? 0 : r.err.errorCode).toBe(91);
    expect(dir.listKeys(null)).toEqual([]);
  });

  it("stores no secret: the key table's columns are id, tenant, name, hash, acls, times", () => {
    const cols = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('api_keys')").map((c) => c.name).sort();
    expect(cols).toEqual(["acls", "created_at", "key_id", "last_used_at", "name", "quotas", "secret_hash", "tenant"]);
  });

  it("lists keys per tenant, and the root view lists all", () => {
    dir.createTenant("acme");
    dir.createKey(key("1".repeat(16), "acme"));
    dir.createKey(key("2".repeat(16), "default"));
    expect(dir.listKeys("acme").map((k) => k.key_id)).toEqual(["1".repeat(16)]);
    expect(dir.listKeys(null)).toHaveLength(2);
  });

  it("a tenant cannot revoke another tenant's key: not found, and the key still works", () => {
    dir.createTenant("acme");
    dir.createKey(key("1".repeat(16), "acme"));
    const r = dir.revokeKey("1".repeat(16), "default");
    expect(r.ok ? 0 : r.err.errorCode).toBe(91);
    expect(dir.lookupKey("1".repeat(16))).not.toBeNull();
    expect(dir.revokeKey("1".repeat(16), "acme").ok).toBe(true);
    expect(dir.lookupKey("1".repeat(16))).toBeNull();
  });

  it("deleting a tenant deletes its keys and nothing of another tenant", () => {
    dir.createTenant("acme");
    dir.createKey(key("1".repeat(16), "acme"));
    dir.createKey(key("2".repeat(16), "default"));
    expect(dir.deleteTenant("acme").ok).toBe(true);
    expect(dir.lookupKey("1".repeat(16))).toBeNull();
    expect(dir.lookupKey("2".repeat(16))?.tenant).toBe("default");
  });

  it("a look-up answers tenant, hash, acls and quotas, and marks the key used", () => {
    dir.createTenant("acme");
    dir.setQuotas("acme", { requests_per_s: 5 });
    dir.createKey(key("1".repeat(16), "acme"));
    expect(dir.listKeys("acme")[0]!.last_used_at).toBeNull();
    clock.advance(500);
    expect(dir.lookupKey("1".repeat(16))).toEqual({ tenant: "acme", secretHash: "h".repeat(64), acls: [{ op: "read" }], quotas: { requests_per_s: 5 }, keyQuotas: {} });
    expect(dir.listKeys("acme")[0]!.last_used_at).toBe(clock.now());
  });
});
