/**
 * API key text and the revocation bound (src/services/keys.ts), and the rate quotas' token
 * buckets and count checks (src/services/quotas.ts): a key's text carries its id and a secret
 * whose hash only is kept; a cached look-up lives ≤ 10 s (so a revoked key fails everywhere
 * within 10 s), an unknown id ≤ 1 s; a tenant over its rate is throttled with the time until
 * its bucket refills, other tenants are not; counts refuse before anything is created.
 */
import { describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS, KeyCache, newKey, parseKey, sameDigest, sha256Hex } from "../../src/services/keys.ts";
import { RateLimiter, checkCounts } from "../../src/services/quotas.ts";
import { FakeClock } from "../support/fake-clock.ts";

const lookup = { tenant: "acme", secretHash: "x", acls: [], quotas: {}, keyQuotas: {} };

describe("API keys", () => {
  it("a new key's text names its id, and its stored hash is the SHA-256 of the secret, not the text", async () => {
    const k = await newKey();
    const parsed = parseKey(k.text)!;
    expect(parsed.keyId).toBe(k.keyId);
    expect(k.secretHash).toBe(await sha256Hex(parsed.secret));
    expect(k.text).not.toContain(k.secretHash);
    expect(parseKey(k.text + "x")).toBeNull();
    expect(parseKey("flk_zz_y")).toBeNull();
  });

  it("two keys never share an id or a secret", async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, () => newKey()));
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(50);
    expect(new Set(keys.map((k) => k.text)).size).toBe(50);
  });

  it("digests compare equal only when equal", () => {
    expect(sameDigest("ab", "ab")).toBe(true);
    expect(sameDigest("ab", "ac")).toBe(false);
    expect(sameDigest("ab", "abc")).toBe(false);
  });

  it("a cached look-up expires within 10 s (the revocation bound); an unknown id within 1 s", () => {
    const clock = new FakeClock();
    const cache = new KeyCache(clock);
    cache.put("k1", lookup);
    cache.put("k2", null);
    clock.advance(999);
    expect(cache.get("k2")).toBeNull();
    clock.advance(1);
    expect(cache.get("k2")).toBeUndefined();
    clock.advance(KEY_CACHE_TTL_MS - 1001);
    expect(cache.get("k1")).toEqual(lookup);
    clock.advance(1);
    expect(cache.get("k1")).toBeUndefined();
  });

  it("forgetting a tenant drops its keys only", () => {
    const cache = new KeyCache(new FakeClock());
    cache.put("a", lookup);
    cache.put("b", { ...lookup, tenant: "other" });
    cache.forgetTenant("acme");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBeDefined();
  });
});

describe("rate quotas", () => {
  it("a tenant over its request rate is throttled for the time until its bucket refills; another tenant is not", () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(clock);
    for (let i = 0; i < 10; i++) expect(rl.take("a", "requests_per_s", 10, 1)).toBeNull();
    const t = rl.take("a", "requests_per_s", 10, 1)!;
    expect(t.err.error).toBe("THROTTLING_QUOTA_EXCEEDED");
    expect(t.throttleTimeMs).toBe(1);
    expect(rl.take("b", "requests_per_s", 10, 1)).toBeNull();
    clock.advance(100);
    expect(rl.take("a", "requests_per_s", 10, 1)).toBeNull();
  });

  it("one request may overshoot a byte quota; the next waits until the debt is repaid", () => {
    const clock = new FakeClock();
    const rl = new RateLimiter(clock);
    expect(rl.take("a", "produce_bytes_per_s", 1000, 3000)).toBeNull();
    expect(rl.take("a", "produce_bytes_per_s", 1000, 1)!.throttleTimeMs).toBe(2000);
    clock.advance(2001);
    expect(rl.take("a", "produce_bytes_per_s", 1000, 1)).toBeNull();
  });

  it("fetched bytes charged after the answer throttle the next fetch", () => {
    const rl = new RateLimiter(new FakeClock());
    rl.charge("a", "fetch_bytes_per_s", 100, 250);
    expect(rl.take("a", "fetch_bytes_per_s", 100, 0)!.throttleTimeMs).toBe(1500);
  });
});

describe("count quotas", () => {
  it("refuse a topic or partitions beyond the quota with 44, and allow up to it", () => {
    const limits = { topics: 2, partitions: 10 };
    expect(checkCounts({ topics: 1, partitions: 5 }, { topics: 1, partitions: 5 }, limits).ok).toBe(true);
    const topics = checkCounts({ topics: 2, partitions: 5 }, { topics: 1, partitions: 1 }, limits);
    expect(topics.ok ? 0 : topics.err.errorCode).toBe(44);
    const parts = checkCounts({ topics: 0, partitions: 0 }, { topics: 1, partitions: 1000 * 5 }, limits);
    expect(parts.ok ? 0 : parts.err.errorCode).toBe(44);
    expect(checkCounts({ topics: 9, partitions: 9999 }, { topics: 1, partitions: 5000 }, { topics: null, partitions: null }).ok).toBe(true);
  });
});
