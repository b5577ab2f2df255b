/**
 * Error → HTTP mapping for the API: the one throwable (`ApiError`, the services' `Stopped`) and
 * the one place that turns errors into the contract's error body.
 *
 * Kafka errors arrive as values (`KafkaError`) from the services; routes `raise`/`unwrap` to
 * stop. Runtime errors are classified by `.retryable` / `.overloaded` (src/storage/runtime-errors.ts),
 * never by their message text.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERRORS, errorBody, type KafkaError } from "../protocol/errors.ts";
import { asKafkaError } from "../services/result.ts";

/**
 * A route stops the request the way a service stops an operation (src/services/result.ts): one
 * throwable for both, so `onError` has one class to recognise.
 */
export { Stopped as ApiError, must as unwrap, stop as raise } from "../services/result.ts";

const UTF8 = new TextEncoder();

/**
 * A 200 JSON response whose body is handed to workerd as UTF-8 bytes. For the large bodies of
 * produce and fetch answers this is measurably cheaper than `c.json` (a Response built from a
 * JS string): see the profile in docs/benchmarks.md.
 */
export function jsonResponse(value: unknown): Response {
  return jsonTextResponse(JSON.stringify(value));
}

/** `jsonResponse` of a body already serialized (`text` is JSON). */
export function jsonTextResponse(text: string): Response {
  const body = UTF8.encode(text);
  // The length is known here for free; the request log and /metrics count it.
  return new Response(body, { headers: { "content-type": "application/json", "content-length": String(body.byteLength) } });
}

/** The contract's error body with the error table's status (or `status` where HTTP itself decides, as 405). */
export function errorResponse(c: Context, err: KafkaError, status: number = err.httpStatus ?? ERRORS[err.error].status): Response {
  return c.json(errorBody(err), status as ContentfulStatusCode);
}

/** What `onError` answers for anything thrown: a stop's own error, else a classified runtime error. */
export const toKafkaError: (e: unknown) => KafkaError = asKafkaError;
