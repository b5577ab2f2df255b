import type { Principal } from "../services/auth.ts";

/** Hono environment of the API: bindings and per-request variables set by middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    tenant: string;
    isRoot: boolean;
    principal: Principal;
  };
}
