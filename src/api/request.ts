/**
 * Reading a request body for a route: size limit (also for chunked bodies), JSON depth limit,
 * then schema validation — each failure a Kafka error in the contract's body, before any
 * Durable Object is called.
 */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { LIMITS } from "../protocol/config.ts";
import { readBodyLimited, parseJsonLimited, parseNdjson } from "./body.ts";
import { raise, unwrap } from "./errors.ts";
import { describeZodError } from "../contract/schemas.ts";

/** The body as JSON; an empty body is `whenEmpty` if given (else the JSON error). */
export async function readJson(c: Context, whenEmpty?: unknown): Promise<unknown> {
  const bytes = unwrap(await readBodyLimited(c.req.raw, LIMITS.maxRequestBytes));
  if (bytes.length === 0 && whenEmpty !== undefined) return whenEmpty;
  return unwrap(parseJsonLimited(bytes, LIMITS.maxJsonDepth));
}

/** Body as JSON, or as NDJSON records wrapped into `{ records }` when so declared. */
export async function readProduceBody(c: Context): Promise<unknown> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const bytes = unwrap(await readBodyLimited(c.req.raw, LIMITS.maxRequestBytes));
  if (type === "application/x-ndjson") {
    const encoding = c.req.query("encoding") ?? "utf8";
    return { records: unwrap(parseNdjson(bytes, LIMITS.maxJsonDepth)), encoding };
  }
  return unwrap(parseJsonLimited(bytes, LIMITS.maxJsonDepth));
}

export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) raise("INVALID_REQUEST", describeZodError(r.error));
  return r.data;
}
