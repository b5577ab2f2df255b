/**
 * Classifying failures of the Workers runtime (a Durable Object call that threw, a reset, an
 * overload) into Kafka error values, and bounding a call in time.
 *
 * Runtime errors are classified by `.retryable` / `.overloaded` (Workers' documented flags on
 * Durable Object errors), never by their message text. Called by every caller of a DO stub: the
 * services (API side) and the DOs that call each other.
 */
import { kafkaError, type KafkaError } from "../protocol/errors.ts";

interface RuntimeErrorFlags {
  retryable?: boolean;
  overloaded?: boolean;
}

/** Kafka error for an infrastructure failure (a DO call that threw, a reset, an overload). */
export function classifyRuntimeError(e: unknown): KafkaError {
  const flags = (typeof e === "object" && e !== null ? e : {}) as RuntimeErrorFlags;
  const detail = e instanceof Error ? e.message : String(e);
  if (flags.overloaded) return kafkaError("THROTTLING_QUOTA_EXCEEDED", `storage overloaded: ${detail}`);
  if (flags.retryable) return kafkaError("NETWORK_EXCEPTION", `transient failure: ${detail}`);
  return kafkaError("UNKNOWN_SERVER_ERROR", detail);
}

/** `p`, or a rejection after `ms` (the timer is cleared either way). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
