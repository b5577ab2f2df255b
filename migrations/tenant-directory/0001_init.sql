-- The tenant directory (one TenantDirectoryDO for the deployment): tenants, their quotas and
-- their API keys. A key's secret is never stored: only the SHA-256 of it (hex).
CREATE TABLE IF NOT EXISTS tenants (
  name       TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  quotas     TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_id       TEXT PRIMARY KEY,
  tenant       TEXT NOT NULL,
  name         TEXT NOT NULL,
  secret_hash  TEXT NOT NULL,
  acls         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_by_tenant ON api_keys (tenant, created_at);
