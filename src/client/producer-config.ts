/**
 * Producer configuration: Kafka's producer configs, camelCased, with Kafka's defaults and
 * Kafka's consistency rules (idempotence needs acks=all and at most 5 requests in flight).
 *
 * `resolveProducerConfig` is pure; it throws INVALID_CONFIG for a contradiction the user asked
 * for explicitly, and turns idempotence off (as Kafka 3.x does) when it was only the default
 * and acks or maxInFlight rule it out. Called once by `Producer`'s constructor.
 */
import { LIMITS } from "../protocol/config.ts";
import { FlarelogError } from "./flarelog-error.ts";

export type ProducerAcks = "all" | "1" | "0";

/** Time and timers, injectable so tests (and runtimes without timers) control them. */
export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The global clock and timers, looked up at each call (so fake timers installed after the
 * producer was built still apply).
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

export interface ProducerConfig {
  /** enable.idempotence (default true unless acks or maxInFlight rule it out). */
  idempotent?: boolean;
  /** acks (default "all"). */
  acks?: ProducerAcks;
  /** linger.ms (default 5). */
  lingerMs?: number;
  /** batch.size in estimated stored bytes (default 16384). */
  batchSize?: number;
  /** max.in.flight.requests.per.connection, per partition here (default 5; at most 5 when idempotent). */
  maxInFlight?: number;
  /** retries (default unbounded; deliveryTimeoutMs bounds them). */
  retries?: number;
  /** delivery.timeout.ms (default 120000): from a batch's creation to its final answer. */
  deliveryTimeoutMs?: number;
  /** request.timeout.ms (default 30000): one attempt; also sent as the produce `timeout_ms`. */
  requestTimeoutMs?: number;
  /** retry.backoff.ms (default 100): first backoff, doubled per attempt up to retryBackoffMaxMs. */
  retryBackoffMs?: number;
  /** retry.backoff.max.ms (default 1000). */
  retryBackoffMaxMs?: number;
  /** max.request.size (default 1 MiB, one stored batch): largest batch, and so largest record. */
  maxRequestSize?: number;
  /** metadata.max.age.ms (default 300000): partition counts are re-read after this. */
  metadataMaxAgeMs?: number;
  /** max.block.ms (default 60000): how long send() waits for a topic's metadata. */
  maxBlockMs?: number;
  /** transactional.id: a stable producer id across restarts; a new instance fences the old. */
  transactionalId?: string;
  /** How record keys, values and header values are given: UTF-8 text (default) or base64. */
  encoding?: "utf8" | "base64";
  /** Clock and timers (default: the globals). */
  scheduler?: Scheduler;
  /** Random source in [0, 1) for the sticky partitioner (default Math.random). */
  random?: () => number;
  /**
   * Errors the producer handles itself and rejects no send with: a background metadata refresh
   * that failed (the last known partition count stays in use). Default: none (no logging).
   */
  onError?: (error: FlarelogError) => void;
}

export interface ResolvedProducerConfig {
  idempotent: boolean;
  acks: ProducerAcks;
  lingerMs: number;
  batchSize: number;
  maxInFlight: number;
  retries: number;
  deliveryTimeoutMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  maxRequestSize: number;
  metadataMaxAgeMs: number;
  maxBlockMs: number;
  transactionalId: string | undefined;
  encoding: "utf8" | "base64";
  scheduler: Scheduler;
  random: () => number;
  onError: ((error: FlarelogError) => void) | undefined;
}

/** Kafka's defaults (linger.ms 5 as in Kafka 4.0). */
export const PRODUCER_DEFAULTS = {
  acks: "all",
  lingerMs: 5,
  batchSize: 16384,
  maxInFlight: 5,
  retries: Number.POSITIVE_INFINITY,
  deliveryTimeoutMs: 120_000,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  maxRequestSize: LIMITS.maxBatchBlobBytes,
  metadataMaxAgeMs: 300_000,
  maxBlockMs: 60_000,
} as const;

/** Kafka's bound on requests in flight for an idempotent producer (the broker keeps 5 batches). */
export const MAX_IN_FLIGHT_IDEMPOTENT = 5;

function invalid(message: string): never {
  throw FlarelogError.of("INVALID_CONFIG", message);
}

function nonNegative(name: string, v: number): number {
  if (!(v >= 0)) invalid(`${name} must be a number ≥ 0, got ${v}`);
  return v;
}

export function resolveProducerConfig(c: ProducerConfig = {}): ResolvedProducerConfig {
  const acks = c.acks ?? PRODUCER_DEFAULTS.acks;
  if (acks !== "all" && acks !== "1" && acks !== "0") invalid(`acks must be "all", "1" or "0", got ${String(acks)}`);
  const maxInFlight = c.maxInFlight ?? PRODUCER_DEFAULTS.maxInFlight;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) invalid(`maxInFlight must be an integer ≥ 1, got ${maxInFlight}`);
  const idempotentPossible = acks === "all" && maxInFlight <= MAX_IN_FLIGHT_IDEMPOTENT;
  if (c.idempotent === true && acks !== "all") invalid(`an idempotent producer needs acks "all", got "${acks}"`);
  if (c.idempotent === true && maxInFlight > MAX_IN_FLIGHT_IDEMPOTENT)
    invalid(`an idempotent producer allows at most ${MAX_IN_FLIGHT_IDEMPOTENT} requests in flight, got ${maxInFlight}`);
  const idempotent = c.idempotent ?? idempotentPossible;
  if (c.transactionalId !== undefined && !idempotent) invalid("transactionalId needs an idempotent producer");

  const lingerMs = nonNegative("lingerMs", c.lingerMs ?? PRODUCER_DEFAULTS.lingerMs);
  const requestTimeoutMs = nonNegative("requestTimeoutMs", c.requestTimeoutMs ?? PRODUCER_DEFAULTS.requestTimeoutMs);
  const deliveryTimeoutMs = nonNegative("deliveryTimeoutMs", c.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs);
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs)
    invalid(`deliveryTimeoutMs (${deliveryTimeoutMs}) must be ≥ lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs})`);
  const maxRequestSize = c.maxRequestSize ?? PRODUCER_DEFAULTS.maxRequestSize;
  if (!(maxRequestSize > 0)) invalid(`maxRequestSize must be > 0, got ${maxRequestSize}`);
  const batchSize = nonNegative("batchSize", c.batchSize ?? PRODUCER_DEFAULTS.batchSize);
  const retryBackoffMs = nonNegative("retryBackoffMs", c.retryBackoffMs ?? PRODUCER_DEFAULTS.retryBackoffMs);

  return {
    idempotent,
    acks,
    lingerMs,
    batchSize: Math.min(batchSize, maxRequestSize),
    maxInFlight,
    retries: nonNegative("retries", c.retries ?? PRODUCER_DEFAULTS.retries),
    deliveryTimeoutMs,
    requestTimeoutMs,
    retryBackoffMs,
    retryBackoffMaxMs: Math.max(retryBackoffMs, c.retryBackoffMaxMs ?? PRODUCER_DEFAULTS.retryBackoffMaxMs),
    maxRequestSize,
    metadataMaxAgeMs: nonNegative("metadataMaxAgeMs", c.metadataMaxAgeMs ?? PRODUCER_DEFAULTS.metadataMaxAgeMs),
    maxBlockMs: nonNegative("maxBlockMs", c.maxBlockMs ?? PRODUCER_DEFAULTS.maxBlockMs),
    transactionalId: c.transactionalId,
    encoding: c.encoding ?? "utf8",
    scheduler: c.scheduler ?? systemScheduler,
    random: c.random ?? Math.random,
    onError: c.onError,
  };
}
