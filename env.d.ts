// The broker's vars and secret. wrangler.toml sets no [vars] (the defaults live in one table,
// src/config/broker-config.ts) and secrets are not in wrangler.toml, so `wrangler types` cannot
// see them: they are declared here, each optional. Read them only through `brokerConfig(env)`.
// Both the global `Env` and `Cloudflare.Env` (what `cloudflare:workers`' `env` is typed as) get them.
interface BrokerEnvVars {
  /** Root bearer token, the only credential: acts on tenant `default` (per-tenant API keys are planned, issue 14). */
  ADMIN_TOKEN?: string;
  TOPICS?: string;
  REPLICA_LAG_TIME_MAX_MS?: string;
  PRODUCER_ID_EXPIRATION_MS?: string;
  TRANSACTIONAL_ID_EXPIRATION_MS?: string;
  GROUP_MIN_SESSION_TIMEOUT_MS?: string;
  REPLICA_LOCATION_HINTS?: string;
  /** Chaos builds only (chaos/worker.ts): base jitter on replication pushes; inert in the production bundle. */
  REPLICA_PUSH_DELAY_MS?: string;
}
declare namespace Cloudflare {
  interface Env extends BrokerEnvVars {}
}
interface Env extends BrokerEnvVars {}
