/**
 * Who a caller is, shared by every front door. A bearer token is either the root token (the
 * ADMIN_TOKEN secret: administers tenants and keys, acts on tenant `default` with every right)
 * or an API key `flk_<key id>_<secret>` (src/services/keys.ts) that belongs to one tenant and
 * carries its ACL entries and its tenant's quotas.
 *
 * Every failure is the same SASL_AUTHENTICATION_FAILED (401) with one message, whether the
 * header was missing, malformed, the key unknown, revoked or wrong: nothing tells a guesser
 * which. Secrets are compared as SHA-256 digests in constant time. Key look-ups are cached per
 * isolate for ≤ 10 s (the revocation bound).
 */
import type { QuotaValues } from "../coordinator/tenant-directory.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { DEFAULT_TENANT } from "../protocol/names.ts";
import type { AclEntry } from "./acl.ts";
import { call } from "./cluster.ts";
import { directory, keyCache, looksLikeKey, parseKey, sameDigest, sha256Hex, type Lookup } from "./keys.ts";

export interface Principal {
  tenant: string;
  isRoot: boolean;
  /** The API key's id; null for the root token. */
  keyId: string | null;
  /** The key's ACL entries; null for the root token (every right). */
  acls: readonly AclEntry[] | null;
  /** The tenant's quotas as set, with the key's overrides over them (absent = the operator's defaults). */
  quotas: QuotaValues;
  /** The key's own overrides: a rate quota named here has the key's own bucket, not the tenant's. */
  keyQuotas: QuotaValues;
}

const UNAUTHENTICATED = "missing or invalid bearer token (Authorization: Bearer <token>)";

/** The ADMIN_TOKEN's digest, computed once per isolate (the secret does not change under it). */
let adminDigest: { token: string; digest: Promise<string> } | null = null;

function digestOfAdmin(token: string): Promise<string> {
  if (adminDigest?.token !== token) adminDigest = { token, digest: sha256Hex(token) };
  return adminDigest.digest;
}

async function lookup(env: Env, keyId: string): Promise<Result<Lookup | null>> {
  const cached = keyCache.get(keyId);
  if (cached !== undefined) return ok(cached);
  const found = await call(async () => ok((await directory(env).lookupKey(keyId)) as Lookup | null));
  if (found.ok) keyCache.put(keyId, found.value);
  return found;
}

async function authenticateKey(env: Env, token: string): Promise<Result<Principal>> {
  const parsed = parseKey(token);
  if (!parsed) return fail("SASL_AUTHENTICATION_FAILED", UNAUTHENTICATED);
  const [found, presented] = await Promise.all([lookup(env, parsed.keyId), sha256Hex(parsed.secret)]);
  if (!found.ok) return found;
  const key = found.value;
  if (!key || !sameDigest(presented, key.secretHash)) return fail("SASL_AUTHENTICATION_FAILED", UNAUTHENTICATED);
  const quotas = { ...key.quotas, ...key.keyQuotas };
  return ok({ tenant: key.tenant, isRoot: false, keyId: parsed.keyId, acls: key.acls, quotas, keyQuotas: key.keyQuotas });
}

/** The principal a token stands for, or SASL_AUTHENTICATION_FAILED (401). */
export async function authenticate(env: Env, adminToken: string | null, token: string | null): Promise<Result<Principal>> {
  if (token === null) return fail("SASL_AUTHENTICATION_FAILED", UNAUTHENTICATED);
  if (looksLikeKey(token)) return authenticateKey(env, token);
  if (!adminToken) return fail("SASL_AUTHENTICATION_FAILED", UNAUTHENTICATED);
  const [x, y] = await Promise.all([sha256Hex(token), digestOfAdmin(adminToken)]);
  if (!sameDigest(x, y)) return fail("SASL_AUTHENTICATION_FAILED", UNAUTHENTICATED);
  return ok({ tenant: DEFAULT_TENANT, isRoot: true, keyId: null, acls: null, quotas: {}, keyQuotas: {} });
}
