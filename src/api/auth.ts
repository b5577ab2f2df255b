/**
 * Bearer-token authentication for every /v1 route.
 *
 * The root token is the ADMIN_TOKEN secret: it acts on tenant `default`. The comparison runs
 * in constant time over equal-length digests so a token cannot be guessed byte by byte.
 */
import type { MiddlewareHandler } from "hono";
import { DEFAULT_TENANT } from "../protocol/names.ts";
import { raise } from "./errors.ts";
import type { AppEnv } from "./env.ts";

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

export const bearerAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const admin = c.env.ADMIN_TOKEN;
  if (!admin) raise("SASL_AUTHENTICATION_FAILED", "the server has no ADMIN_TOKEN configured");
  if (!m || !(await sameSecret(m[1]!, admin)))
    raise("SASL_AUTHENTICATION_FAILED", "missing or invalid bearer token (Authorization: Bearer <token>)");
  c.set("tenant", DEFAULT_TENANT);
  c.set("isRoot", true);
  await next();
};
