-- Per-key quota overrides (Kafka's user/client-id quotas over the tenant's): JSON, {} = none.
ALTER TABLE api_keys ADD COLUMN quotas TEXT NOT NULL DEFAULT '{}';
