/**
 * Tenant quotas, Kafka's client quotas (KIP-13 rates, KIP-124 request rate) plus counts.
 *
 * Rates (requests/s, produce bytes/s, fetch bytes/s) are token buckets per tenant, refilled at
 * the quota's rate with one second of burst. A request that finds its bucket empty is throttled
 * (THROTTLING_QUOTA_EXCEEDED, 429) with `throttle_time_ms` = how long until the bucket is
 * positive again, Kafka's ThrottleTimeMs. Produce bytes are charged from Content-Length before
 * the work; fetch bytes after the answer (so the next fetch waits), as Kafka's broker does.
 * Like Kafka's per-broker quotas, buckets are per isolate: a tenant spread over N isolates may
 * reach N× its rate (documented in docs/operations.md).
 *
 * Counts (topics, partitions × replicas) are checked before a topic is created or grown:
 * POLICY_VIOLATION (400, 44), nothing created. Quotas apply to API keys; the root token is the
 * operator and is never throttled. Values: the tenant's own, else the operator's QUOTA_DEFAULTS.
 */
import type { QuotaValues } from "../coordinator/tenant-directory.ts";
import type { QuotaName } from "../config/broker-config.ts";
import { fail, kafkaError, ok, type KafkaError, type Result } from "../protocol/errors.ts";
import { systemClock, type Clock } from "../protocol/types.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { must, settle } from "./result.ts";

export type RateQuota = "requests_per_s" | "produce_bytes_per_s" | "fetch_bytes_per_s";

/** A throttle: the error to answer and how long the client should wait. */
export interface Throttle {
  err: KafkaError;
  throttleTimeMs: number;
}

/** The effective value of one quota: the tenant's, else the default, else unlimited (null). */
export function quotaValue(own: QuotaValues, defaults: Partial<Record<QuotaName, number>>, name: QuotaName): number | null {
  return own[name] ?? defaults[name] ?? null;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 50_000;

/** Token buckets keyed by tenant and quota; one per isolate (`rateLimiter`), or one per test. */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  #bucket(key: string, rate: number): Bucket {
    const now = this.clock.now();
    let b = this.#buckets.get(key);
    if (!b) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
      this.#buckets.set(key, (b = { tokens: rate, at: now }));
    } else {
      b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 1000);
      b.at = now;
    }
    return b;
  }

  /**
   * Takes `cost` from the bucket if it has any tokens left (it may go negative, as Kafka lets one
   * request overshoot); else the throttle to answer: the time until the bucket is positive.
   */
  take(tenant: string, quota: RateQuota, rate: number, cost: number): Throttle | null {
    const b = this.#bucket(`${tenant}\u0000${quota}`, rate);
    if (b.tokens <= 0) {
      const throttleTimeMs = Math.max(1, Math.ceil((-b.tokens * 1000) / rate));
      return { err: kafkaError("THROTTLING_QUOTA_EXCEEDED", `tenant over its ${quota} quota of ${rate}; retry after ${throttleTimeMs} ms`), throttleTimeMs };
    }
    b.tokens -= cost;
    return null;
  }

  /** Charges `cost` after the fact (fetched bytes): the bucket may go negative. */
  charge(tenant: string, quota: RateQuota, rate: number, cost: number): void {
    this.#bucket(`${tenant}\u0000${quota}`, rate).tokens -= cost;
  }
}

export const rateLimiter = new RateLimiter(systemClock);

/** A tenant's current usage for the count quotas. */
export interface TopicUsage {
  topics: number;
  /** Σ partitions × replication factor. */
  partitions: number;
}

/** Whether adding `topics` and `partitions` (× replicas) keeps the tenant within its count quotas. */
export function checkCounts(
  usage: TopicUsage,
  add: TopicUsage,
  limits: { topics: number | null; partitions: number | null },
): Result<void> {
  if (limits.topics !== null && usage.topics + add.topics > limits.topics)
    return fail("POLICY_VIOLATION", `tenant topic quota is ${limits.topics}; it has ${usage.topics}`);
  if (limits.partitions !== null && usage.partitions + add.partitions > limits.partitions)
    return fail("POLICY_VIOLATION", `tenant quota of ${limits.partitions} partition replicas (partitions × replication factor) would be exceeded: it has ${usage.partitions}, the request adds ${add.partitions}`);
  return ok(undefined);
}

/** The tenant's topics and partition replicas now (metadata only; no replica is called). */
export async function topicUsage(ctx: ServiceContext): Promise<Result<TopicUsage & { of: (topic: string) => TopicShape | null }>> {
  return settle(async () => {
    const topics = must(await call(async () => ok(await Cluster.of(ctx).coordinator().listTopics())));
    const byName = new Map(topics.map((t) => [t.name, { partitions: t.partitions.length, replicationFactor: t.replicationFactor }]));
    const partitions = topics.reduce((a, t) => a + t.partitions.length * t.replicationFactor, 0);
    return { topics: topics.length, partitions, of: (topic: string) => byName.get(topic) ?? null };
  });
}

export interface TopicShape {
  partitions: number;
  replicationFactor: number;
}

/** The principal fields the rate quotas read (src/services/auth.ts's Principal). */
export interface RateSubject {
  tenant: string;
  keyId: string | null;
  /** Null for the root token: never throttled. */
  acls: readonly unknown[] | null;
  quotas: QuotaValues;
  keyQuotas: QuotaValues;
}

/** Whose bucket a rate quota draws from: the key's own where the key overrides it, else the tenant's. */
export function bucketOf(p: RateSubject, quota: RateQuota): string {
  return p.keyQuotas[quota] !== undefined ? `${p.tenant}/key/${p.keyId}` : p.tenant;
}

/** A throttle and the rate quota that caused it (the /metrics label). */
export type QuotaThrottle = Throttle & { quota: RateQuota };

/**
 * Charges one request to the caller's rate quotas, at any door (Kafka's request and byte-rate
 * quotas): the first exhausted quota's throttle, or null when within all. A produce's body bytes
 * are charged up front; a fetch takes nothing from its byte quota (its bytes are charged after
 * the answer) but waits while an earlier fetch left the bucket empty. The root token is never
 * throttled.
 */
export function takeRates(
  p: RateSubject,
  defaults: Partial<Record<QuotaName, number>>,
  request: { produceBytes?: number | null; fetch?: boolean },
): QuotaThrottle | null {
  if (p.acls === null) return null;
  const take = (quota: RateQuota, cost: number): QuotaThrottle | null => {
    const rate = quotaValue(p.quotas, defaults, quota);
    const t = rate === null ? null : rateLimiter.take(bucketOf(p, quota), quota, rate, cost);
    return t && { ...t, quota };
  };
  const byRequest = take("requests_per_s", 1);
  if (byRequest) return byRequest;
  if (request.fetch) return take("fetch_bytes_per_s", 0);
  if (request.produceBytes === null || request.produceBytes === undefined) return null;
  return take("produce_bytes_per_s", request.produceBytes);
}
