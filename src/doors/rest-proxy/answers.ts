/**
 * The REST Proxy door's edge: who the caller is (HTTP Basic with username = tenant and password
 * = the key — today the root token, per-tenant keys come with issue 14 — or `Authorization:
 * Bearer <key>`; decided in src/services/credentials.ts, the one place shared with the Upstash
 * door), Confluent's error shape `{error_code, message}` (error_code is the HTTP status, or
 * status × 100 + a sub-code as Confluent's: 40101 unauthenticated, 40401 cluster, 40402
 * partition, 40403 unknown topic or consumer instance, 40601 format, 40902 instance exists,
 * 50003 retriable), and body reading.
 */
import type { AclEntry } from "../../protocol/acl.ts";
import { throttledAnswer } from "../../services/throttle.ts";
import type { Context, MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { LIMITS } from "../../protocol/config.ts";
import { ERRORS, type KafkaError } from "../../protocol/errors.ts";
import { admitCaller } from "../../services/credentials.ts";
import { must, stop } from "../../services/result.ts";

export interface RestProxyEnv {
  Bindings: Env;
  Variables: { tenant: string; acls: readonly AclEntry[] | null };
}

/** A REST Proxy error that is not a Kafka error (an unknown consumer instance, a name in use). */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const SUB_CODES: Partial<Record<KafkaError["error"], number>> = {
  SASL_AUTHENTICATION_FAILED: 40101,
  UNKNOWN_TOPIC_OR_PARTITION: 40403,
  GROUP_ID_NOT_FOUND: 40403,
  UNKNOWN_MEMBER_ID: 40403,
};

/** Confluent's error_code for a Kafka error: a known sub-code, 50003 when retriable on the server, else the status. */
export function errorCodeOf(err: KafkaError, status: number): number {
  return SUB_CODES[err.error] ?? (status >= 500 && ERRORS[err.error].retriable ? 50003 : status);
}

export function restError(c: Context, err: KafkaError, status: number = ERRORS[err.error].status): Response {
  return c.json({ error_code: errorCodeOf(err, status), message: `${err.error}: ${err.message}` }, status as ContentfulStatusCode);
}

/** Basic (username = tenant) or Bearer; the key decides the tenant. */
export const restAuth: MiddlewareHandler<RestProxyEnv> = async (c, next) => {
  // The key's rate quotas hold at this door as at the native one (429, Retry-After, throttle_time_ms).
  const isProduce = c.req.method === "POST" && /\/topics\/[^/]+\/records(:batch)?$/.test(c.req.path);
  const produceBytes = isProduce ? Number(c.req.header("content-length") ?? 0) || 0 : null;
  const { principal, throttle } = must(await admitCaller(c.env, c.req.header("authorization"), { bearer: true, produceBytes }));
  c.set("tenant", principal.tenant);
  c.set("acls", principal.acls);
  if (throttle) return throttledAnswer(principal.tenant, throttle, (body, status) => restError(c, body, status));
  await next();
};

/** The body's text, bounded by the request limit. */
export async function readText(c: Context): Promise<string> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > LIMITS.maxRequestBytes) stop("RECORD_LIST_TOO_LARGE", `request body exceeds ${LIMITS.maxRequestBytes} bytes`);
  const text = await c.req.text();
  if (text.length > LIMITS.maxRequestBytes) stop("RECORD_LIST_TOO_LARGE", `request body exceeds ${LIMITS.maxRequestBytes} bytes`);
  return text;
}

/** The body as JSON; an empty body is `undefined`. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await readText(c);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return stop("INVALID_REQUEST", `the body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
