/**
 * The Upstash door's edge: who the caller is (HTTP Basic: username = tenant, password = the
 * key — today the root token, per-tenant keys come with issue 14 — decided in
 * src/services/credentials.ts, the one place shared with the REST Proxy door), its error shape,
 * and its body reading. `@upstash/kafka` parses every answer as JSON
 * before it looks at the status and turns a non-2xx answer into `UpstashError(body)` (reading
 * `error` and `status`), so every answer here, errors included, is JSON: `{error, status}` plus
 * the Kafka error's name and numeric code.
 */
import type { AclEntry } from "../../protocol/acl.ts";
import { throttledAnswer } from "../../services/throttle.ts";
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { LIMITS } from "../../protocol/config.ts";
import { ERRORS, type KafkaError } from "../../protocol/errors.ts";
import { admitCaller } from "../../services/credentials.ts";
import { must, stop } from "../../services/result.ts";

export interface UpstashEnv {
  Bindings: Env;
  Variables: { tenant: string; acls: readonly AclEntry[] | null };
}

/** The Upstash error body: `error` and `status` are what UpstashError reads. */
export function upstashError(c: Context, err: KafkaError, status: number = ERRORS[err.error].status): Response {
  const body = { error: `${err.error}: ${err.message}`, status, error_code: err.errorCode, error_name: err.error };
  return c.json(body, status as ContentfulStatusCode);
}

/** Basic auth: the password is the key, the username must be the tenant the key acts on. */
export const basicAuth: MiddlewareHandler<UpstashEnv> = async (c, next) => {
  // The key's rate quotas hold at this door as at the native one (429, Retry-After, throttle_time_ms).
  const produceBytes = c.req.method === "POST" && c.req.path === "/upstash/produce" ? Number(c.req.header("content-length") ?? 0) || 0 : null;
  const { principal, throttle } = must(await admitCaller(c.env, c.req.header("authorization"), { bearer: false, produceBytes }));
  c.set("tenant", principal.tenant);
  c.set("acls", principal.acls);
  if (throttle) return throttledAnswer(principal.tenant, throttle, (body, status) => upstashError(c, body, status));
  await next();
};

const UTF8 = new TextEncoder();

/** A 200 JSON answer handed to workerd as UTF-8 bytes (cheaper than a string body for large answers). */
export function jsonBytes(value: unknown): Response {
  return new Response(UTF8.encode(JSON.stringify(value)), { headers: { "content-type": "application/json" } });
}

/** The body as JSON; an empty body is `undefined` (the client sends none for "commit what was consumed"). */
export async function readJsonBody(c: Context): Promise<unknown> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > LIMITS.maxRequestBytes) stop("RECORD_LIST_TOO_LARGE", `request body exceeds ${LIMITS.maxRequestBytes} bytes`);
  const text = await c.req.text();
  if (text.length > LIMITS.maxRequestBytes) stop("RECORD_LIST_TOO_LARGE", `request body exceeds ${LIMITS.maxRequestBytes} bytes`);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return stop("INVALID_REQUEST", `the body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const invalid = (message: string): never => stop("INVALID_REQUEST", message);
