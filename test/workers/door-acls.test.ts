/**
 * A key is held to the same rights at every front door: the services check the caller's ACLs
 * (src/services/authorize.ts), so a producer key of prefix `orders` writes `orders` and is
 * refused `audit` through the REST Proxy dialect, cannot read a group through it, and its
 * Upstash consume is refused too — as the native API refuses the same calls. Fails if the
 * services stop checking (the dialects have no route guard of their own). A key's request-rate
 * quota throttles at the dialect doors as at the native one.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

const BASE = "http://flarelog.test";

async function call(method: string, path: string, authorization: string, body?: unknown, contentType = "application/json"): Promise<Response> {
  const headers: Record<string, string> = { authorization };
  if (body !== undefined) headers["content-type"] = contentType;
  return exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
}

const root = `Bearer ${ADMIN_TOKEN}`;

async function producerKey(prefix: string): Promise<string> {
  const res = await call("POST", "/v1/keys", root, { name: "writer", tenant: "default", role: "producer", prefix });
  expect(res.status).toBe(201);
  return ((await res.json()) as { key: string }).key;
}

describe("ACLs at the dialect doors", () => {
  it("a producer key writes its prefix through the REST Proxy and is refused other topics and groups (403)", async () => {
    const allowed = uniqueTopic("orders");
    const denied = uniqueTopic("audit");
    for (const name of [allowed, denied]) expect((await call("POST", "/v1/topics", root, { name })).status).toBe(201);
    const key = `Bearer ${await producerKey("orders")}`;
    const record = { value: { type: "STRING", data: "x" } };
    const ok = await call("POST", `/kafka-rest/v3/clusters/default/topics/${allowed}/records`, key, record);
    expect(ok.status).toBe(200);
    const refused = await call("POST", `/kafka-rest/v3/clusters/default/topics/${denied}/records`, key, record);
    expect([refused.status, await refused.text()]).toEqual([403, expect.stringContaining("TOPIC_AUTHORIZATION_FAILED")]);
    const group = await call("GET", "/kafka-rest/v3/clusters/default/consumer-groups/billing-1", key);
    expect([group.status, await group.text()]).toEqual([403, expect.stringContaining("GROUP_AUTHORIZATION_FAILED")]);
    const latest = await call("GET", `/v1/topics/${denied}/partitions/0/offsets?timestamp=latest`, root);
    expect(await latest.json()).toMatchObject({ offset: 0 });
  });

  it("an Upstash consume with a producer key is refused with the group's 403, as the native poll is", async () => {
    const topic = uniqueTopic("orders");
    expect((await call("POST", "/v1/topics", root, { name: topic })).status).toBe(201);
    const secret = await producerKey("orders");
    const basic = `Basic ${btoa(`default:${secret}`)}`;
    const res = await call("POST", "/upstash/consume/billing/one", basic, { topic });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error_name: "GROUP_AUTHORIZATION_FAILED" });
    const native = await call("POST", "/v1/groups/billing/members", `Bearer ${secret}`, { topics: [topic] });
    expect(native.status).toBe(403);
  });

  it("a key's request-rate quota throttles at the dialect doors too: 429 with Retry-After and throttle_time_ms in each door's body", async () => {
    const slowKey = async () => {
      const res = await call("POST", "/v1/keys", root, { name: "slow", tenant: "default", role: "admin", prefix: "", quotas: { requests_per_s: 1 } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    // A bucket of 1 token a second: of four requests sent at once, one takes it, one overshoots (as Kafka lets one), the rest wait.
    const burst = async (send: () => Promise<Response>) => {
      const answers = await Promise.all([send(), send(), send(), send()]);
      const throttled = answers.find((r) => r.status === 429);
      expect(answers.map((r) => r.status).filter((s) => s !== 429).every((s) => s === 200)).toBe(true);
      expect(throttled, "no 429 among four requests at once").toBeDefined();
      return throttled!;
    };
    const restKey = await slowKey();
    const r2 = await burst(() => call("GET", "/kafka-rest/v3/clusters", `Bearer ${restKey}`));
    expect(Number(r2.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await r2.json()).toMatchObject({ error_code: 429, throttle_time_ms: expect.any(Number) });
    const upstashKey = await slowKey();
    const u2 = await burst(() => call("GET", "/upstash/topics", `Basic ${btoa(`default:${upstashKey}`)}`));
    expect(await u2.json()).toMatchObject({ status: 429, error_name: "THROTTLING_QUOTA_EXCEEDED", throttle_time_ms: expect.any(Number) });
  });
});
