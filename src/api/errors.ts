/**
 * Error → HTTP mapping for the API: the one throwable (`ApiError`) and the one place that
 * turns errors into the contract's error body.
 *
 * Kafka errors arrive as values (`KafkaError`) from the services; routes throw `ApiError` to
 * stop. Runtime errors are classified by `.retryable` / `.overloaded` (src/storage/runtime-errors.ts),
 * never by their message text.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERRORS, errorBody, kafkaError, type ErrorName, type KafkaError, type Result } from "../protocol/errors.ts";
import { asKafkaError } from "../services/result.ts";

export class ApiError extends Error {
  constructor(readonly kafka: KafkaError) {
    super(kafka.message);
  }
}

/** Stops the request with a Kafka error. */
export function raise(name: ErrorName, message: string): never {
  throw new ApiError(kafkaError(name, message));
}

/** Returns the value of a result or stops the request with its error. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new ApiError(r.err);
}

const UTF8 = new TextEncoder();

/**
 * A 200 JSON response whose body is handed to workerd as UTF-8 bytes. For the large bodies of
 * produce and fetch answers this is measurably cheaper than `c.json` (a Response built from a
 * JS string): see the profile in docs/benchmarks.md.
 */
export function jsonResponse(value: unknown): Response {
  return new Response(UTF8.encode(JSON.stringify(value)), { headers: { "content-type": "application/json" } });
}

/** The contract's error body with the error table's status (or `status` where HTTP itself decides, as 405). */
export function errorResponse(c: Context, err: KafkaError, status: number = ERRORS[err.error].status): Response {
  return c.json(errorBody(err), status as ContentfulStatusCode);
}

export function toKafkaError(e: unknown): KafkaError {
  return e instanceof ApiError ? e.kafka : asKafkaError(e);
}
