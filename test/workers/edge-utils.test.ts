/**
 * Proves the edge utilities behave the same inside workerd as in Node: the body reader stops
 * an endless request stream at the limit, deep JSON is refused without a stack overflow, and
 * strict base64 / murmur2 give the same answers (only web APIs are used).
 */
import { describe, expect, it } from "vitest";
import { parseJsonLimited, readBodyLimited } from "../../src/api/body.ts";
import { decodeBytes, encodeBytes } from "../../src/api/params.ts";
import { murmur2 } from "../../src/protocol/murmur2.ts";

describe("edge utilities in workerd", () => {
  it("stop an endless request body one chunk past the limit", async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1024;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const req = new Request("http://flarelog.test/", { method: "POST", body: stream });
    const r = await readBodyLimited(req, 8 * 1024);
    expect(r.ok ? "ok" : r.err.error).toBe("RECORD_LIST_TOO_LARGE");
    expect(pulled).toBeLessThanOrEqual(16 * 1024);
  });

  it("refuse 100,000-deep JSON as INVALID_REQUEST", () => {
    const r = parseJsonLimited(new TextEncoder().encode("[".repeat(100_000)), 32);
    expect(r.ok ? "ok" : r.err.error).toBe("INVALID_REQUEST");
  });

  it("decode strict base64 and hash like Kafka", () => {
    expect(decodeBytes("YW Jj", "base64").ok).toBe(false);
    const r = decodeBytes("+/8=", "base64");
    expect(r.ok && encodeBytes(r.value, "base64")).toBe("+/8=");
    expect(murmur2(new TextEncoder().encode("foobar"))).toBe(-790332482);
  });
});
