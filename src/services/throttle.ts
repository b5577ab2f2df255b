/**
 * A throttled request's answer at any door, as Kafka throttles. Kafka (before KIP-219) delays a
 * throttled response by its throttle time, so a client that ignores it cannot send faster than
 * the quota; the answer is held the same way, capped at 1 s so no connection is held long, then
 * sent as 429 with `Retry-After` (seconds) and `throttle_time_ms` in the door's own error body,
 * and counted per tenant and quota in /metrics.
 */
import type { KafkaError } from "../protocol/errors.ts";
import { countThrottled } from "./metrics.ts";
import type { QuotaThrottle } from "./quotas.ts";

/** The longest a throttled answer is held before it is sent. */
export const MAX_THROTTLE_HOLD_MS = 1_000;

/** Holds for the throttle time, then `render`s the door's error body (status 429) with the throttle fields added. */
export async function throttledAnswer(tenant: string, t: QuotaThrottle, render: (err: KafkaError, status: number) => Response): Promise<Response> {
  countThrottled(tenant, t.quota, t.throttleTimeMs);
  await new Promise((r) => setTimeout(r, Math.min(t.throttleTimeMs, MAX_THROTTLE_HOLD_MS)));
  const res = render(t.err, 429);
  const body = (await res.json()) as Record<string, unknown>;
  const headers = new Headers(res.headers);
  headers.set("retry-after", String(Math.max(1, Math.ceil(t.throttleTimeMs / 1000))));
  return new Response(JSON.stringify({ ...body, throttle_time_ms: t.throttleTimeMs }), { status: 429, headers });
}
