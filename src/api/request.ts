/**
 * Reading a request body for a route: size limit (also for chunked bodies), JSON depth limit,
 * then schema validation — each failure a Kafka error in the contract's body, before any
 * Durable Object is called.
 */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import { LIMITS } from "../protocol/config.ts";
import { readBodyLimited, parseJsonLimited, parseNdjson } from "./body.ts";
import { ApiError, raise, unwrap } from "./errors.ts";
import { kafkaError } from "../protocol/errors.ts";
import { describeZodError } from "../contract/schemas.ts";

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json$/;

/** The request's media type (lower case, no parameters); "" when absent. */
function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** 415 for a body declared as anything but one of the route's types (an absent type is taken as JSON). */
function requireMediaType(c: Context, extra: readonly string[] = []): void {
  const type = mediaType(c);
  if (type === "" || JSON_TYPE.test(type) || extra.includes(type)) return;
  throw new ApiError({ ...kafkaError("INVALID_REQUEST", `content-type ${type.slice(0, 100)} is not accepted here; send application/json`), httpStatus: 415 });
}

/** The body as JSON; an empty body is `whenEmpty` if given (else the JSON error). */
export async function readJson(c: Context, whenEmpty?: unknown): Promise<unknown> {
  requireMediaType(c);
  const bytes = unwrap(await readBodyLimited(c.req.raw, LIMITS.maxRequestBytes));
  if (bytes.length === 0 && whenEmpty !== undefined) return whenEmpty;
  return unwrap(parseJsonLimited(bytes, LIMITS.maxJsonDepth));
}

/** Body as JSON, or as NDJSON records wrapped into `{ records }` when so declared. */
export async function readProduceBody(c: Context): Promise<unknown> {
  requireMediaType(c, ["application/x-ndjson"]);
  const type = mediaType(c);
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
