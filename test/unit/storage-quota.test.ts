/**
 * The storage_bytes quota's usage bound (src/services/storage-quota.ts): a tenant's stored bytes
 * are measured at most once per STORAGE_USAGE_TTL_MS per isolate, what is admitted in between
 * is counted at once, a produce that would exceed the quota is refused with POLICY_VIOLATION (44)
 * naming the quota, the usage and the limit, and one tenant's usage never counts for another.
 */
import { describe, expect, it } from "vitest";
import { STORAGE_USAGE_TTL_MS, StorageUsage } from "../../src/services/storage-quota.ts";
import { FakeClock } from "../support/fake-clock.ts";

function measured(bytes: number) {
  const m = { calls: 0, bytes, fn: async () => (m.calls++, m.bytes) };
  return m;
}

describe("storage usage", () => {
  it("measures at most once per TTL, counting admitted bytes in between, and refuses past the limit with 44", async () => {
    const clock = new FakeClock();
    const usage = new StorageUsage(clock);
    const m = measured(600);
    expect((await usage.admit("a", 300, 1_000, m.fn)).ok).toBe(true);
    const over = await usage.admit("a", 200, 1_000, m.fn);
    expect(over.ok).toBe(false);
    if (!over.ok) {
      expect(over.err.errorCode).toBe(44);
      expect(over.err.message).toContain("storage_bytes quota of 1000 bytes would be exceeded: it stores 900 bytes");
    }
    expect(m.calls).toBe(1);
    clock.advance(STORAGE_USAGE_TTL_MS - 1);
    expect((await usage.admit("a", 100, 1_000, m.fn)).ok).toBe(true);
    expect(m.calls).toBe(1);
    m.bytes = 100; // retention freed space: seen at the next measurement
    clock.advance(1);
    expect((await usage.admit("a", 800, 1_000, m.fn)).ok).toBe(true);
    expect(m.calls).toBe(2);
  });

  it("concurrent produces share one measurement; forget measures again; tenants are apart", async () => {
    const usage = new StorageUsage(new FakeClock());
    const m = measured(0);
    await Promise.all([usage.admit("a", 1, 10, m.fn), usage.admit("a", 1, 10, m.fn), usage.admit("a", 1, 10, m.fn)]);
    expect(m.calls).toBe(1);
    usage.forget("a");
    expect((await usage.admit("a", 1, 10, m.fn)).ok).toBe(true);
    expect(m.calls).toBe(2);
    const other = measured(0);
    expect((await usage.admit("b", 10, 10, other.fn)).ok).toBe(true);
    expect(other.calls).toBe(1);
  });
});
