// Secrets are not in wrangler.toml, so `wrangler types` cannot see them.
interface Env {
  /** Root bearer token; acts on tenant `default` and manages every tenant's keys. */
  ADMIN_TOKEN: string;
}
