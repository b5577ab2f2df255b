/**
 * What every service call carries: the Worker's bindings, the tenant the caller acts for, the
 * caller's ACL entries, and how to keep work running after the answer (acks=0). Built by each
 * front door from its own request (the HTTP API from Hono's context, an RPC entrypoint from its
 * `ctx`), after authenticating the caller.
 */
import type { AclEntry } from "../protocol/acl.ts";

export interface ServiceContext {
  readonly env: Env;
  readonly tenant: string;
  /** Keeps `work` alive after the answer is sent (the Worker's `ctx.waitUntil`). */
  readonly waitUntil: (work: Promise<unknown>) => void;
  /**
   * The caller's API key's ACL entries: every service checks the operation it performs against
   * them (src/services/authorize.ts), whichever door it was called from. Null or absent: the root
   * token, every right on the tenant.
   */
  readonly acls?: readonly AclEntry[] | null;
}

/** The context of a call made by `caller` (its tenant and ACLs) with the Worker's `env`. */
export function contextOf(env: Env, caller: { tenant: string; acls: readonly AclEntry[] | null }, waitUntil: (work: Promise<unknown>) => void): ServiceContext {
  return { env, tenant: caller.tenant, acls: caller.acls, waitUntil };
}
