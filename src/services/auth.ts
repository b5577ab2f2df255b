/**
 * Who a caller is, shared by every front door: a bearer token checked against the root token
 * (the ADMIN_TOKEN secret), which acts on tenant `default`. (Per-tenant API keys and ACLs are
 * planned: issue 14.)
 *
 * The comparison runs in constant time over equal-length SHA-256 digests, so a token cannot be
 * guessed byte by byte; the root token's digest is computed once per isolate.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import { DEFAULT_TENANT } from "../protocol/names.ts";

export interface Principal {
  tenant: string;
  isRoot: boolean;
}

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/** The ADMIN_TOKEN's digest, computed once per isolate (the secret does not change under it). */
let adminDigest: { token: string; digest: Promise<Uint8Array> } | null = null;

function digestOfAdmin(token: string): Promise<Uint8Array> {
  if (adminDigest?.token !== token) adminDigest = { token, digest: digest(token) };
  return adminDigest.digest;
}

async function sameSecret(a: string, admin: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digestOfAdmin(admin)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** The principal a token stands for, or SASL_AUTHENTICATION_FAILED (401). */
export async function authenticate(adminToken: string | null, token: string | null): Promise<Result<Principal>> {
  if (!adminToken) return fail("SASL_AUTHENTICATION_FAILED", "the server has no ADMIN_TOKEN configured");
  if (token === null || !(await sameSecret(token, adminToken)))
    return fail("SASL_AUTHENTICATION_FAILED", "missing or invalid bearer token (Authorization: Bearer <token>)");
  return ok({ tenant: DEFAULT_TENANT, isRoot: true });
}
