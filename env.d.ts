// Secrets are not in wrangler.toml, so `wrangler types` cannot see them. Both the global `Env`
// and `Cloudflare.Env` (what `cloudflare:workers`' `env` is typed as) get them.
declare namespace Cloudflare {
  interface Env {
    /** Root bearer token; acts on tenant `default` and manages every tenant's keys. */
    ADMIN_TOKEN: string;
  }
}
interface Env {
  ADMIN_TOKEN: string;
}
