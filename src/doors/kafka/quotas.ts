/**
 * The tenant's rate quotas at the Kafka door, as Kafka applies them (KIP-13, KIP-219): every
 * request is charged to the key's request-rate quota, a Produce also its bytes to the
 * produce-byte quota, a Fetch answer its bytes to the fetch-byte quota afterwards (the next fetch
 * waits while the bucket is empty) — the same buckets as every HTTP door
 * (src/services/quotas.ts). A throttled request is still answered, with `throttleTimeMs` set,
 * and the connection is muted for that time (capped as the HTTP doors cap their hold) before its
 * next request is read, so a client that ignores the field cannot go faster than its quota.
 * The root token is never throttled. Called by connection.ts, one request at a time.
 */
import { brokerConfig } from "../../config/broker-config.ts";
import { countThrottled } from "../../services/metrics.ts";
import { bucketOf, quotaValue, rateLimiter, takeRates, type QuotaThrottle } from "../../services/quotas.ts";
import { MAX_THROTTLE_HOLD_MS } from "../../services/throttle.ts";
import type { Session } from "./session.ts";

const PRODUCE = 0;
const FETCH = 1;

/** Charges one request; the throttle to answer with, or null. */
export function chargeRequest(session: Session, apiKey: number, payloadBytes: number): QuotaThrottle | null {
  const p = session.principal;
  if (p === null) return null;
  const request = { produceBytes: apiKey === PRODUCE ? payloadBytes : null, fetch: apiKey === FETCH };
  const t = takeRates(p, brokerConfig(session.env).quotaDefaults, request);
  if (t !== null) countThrottled(p.tenant, t.quota, t.throttleTimeMs);
  return t;
}

/** Charges a Fetch answer's bytes to the fetch-byte quota. */
export function chargeFetched(session: Session, apiKey: number, answerBytes: number): void {
  const p = session.principal;
  if (p === null || apiKey !== FETCH || p.acls === null) return;
  const rate = quotaValue(p.quotas, brokerConfig(session.env).quotaDefaults, "fetch_bytes_per_s");
  if (rate !== null) rateLimiter.charge(bucketOf(p, "fetch_bytes_per_s"), "fetch_bytes_per_s", rate, answerBytes);
}

/** How long the connection stays muted after a throttled answer. */
export const muteMsOf = (t: QuotaThrottle | null): number => (t === null ? 0 : Math.min(t.throttleTimeMs, MAX_THROTTLE_HOLD_MS));
