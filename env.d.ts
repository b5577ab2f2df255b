// The broker's vars and secret. wrangler.toml sets no [vars] (the defaults live in one table,
// src/config/broker-config.ts) and secrets are not in wrangler.toml, so `wrangler types` cannot
// see them: they are declared here, each optional. Read them only through `brokerConfig(env)`.
// Both the global `Env` and `Cloudflare.Env` (what `cloudflare:workers`' `env` is typed as) get them.
interface BrokerEnvVars {
  /** Root bearer token: administers tenants and API keys, acts on tenant `default`. */
  ADMIN_TOKEN?: string;
  QUOTA_DEFAULTS?: string;
  CORS_ALLOWED_ORIGINS?: string;
  TOPICS?: string;
  REPLICA_LAG_TIME_MAX_MS?: string;
  PRODUCER_ID_EXPIRATION_MS?: string;
  TRANSACTIONAL_ID_EXPIRATION_MS?: string;
  GROUP_MIN_SESSION_TIMEOUT_MS?: string;
  REPLICA_LOCATION_HINTS?: string;
  LOG_LEVEL?: string;
  /** Optional Workers Analytics Engine dataset: one data point per request (docs/observability.md). */
  FLARELOG_ANALYTICS?: AnalyticsEngineDataset;
  /** Chaos builds only (chaos/worker.ts): base jitter on replication pushes; inert in the production bundle. */
  REPLICA_PUSH_DELAY_MS?: string;
  /** Default remote.storage.enable for topics that do not set it (tiered storage). */
  REMOTE_STORAGE_ENABLE?: string;
  /** Bytes of each replica's newest batches kept in memory (src/storage/batch-tail.ts). */
  REPLICA_TAIL_BYTES?: string;
  /** R2 bucket of tiered storage (wrangler.toml [[r2_buckets]]); optional in the type so tests without it compile. */
  TIERED_STORAGE?: R2Bucket;
}
declare namespace Cloudflare {
  interface Env extends BrokerEnvVars {}
}
interface Env extends BrokerEnvVars {}
