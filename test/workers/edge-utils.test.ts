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

  it("read a byte-stream body by its Content-Length whole, and no further than it says", async () => {
    const bytes = (n: number) => new Uint8Array(n).map((_, i) => i % 251);
    const byteBody = (chunks: Uint8Array[] | "endless") => {
      let i = 0;
      return new ReadableStream({
        type: "bytes",
        pull(controller) {
          if (chunks === "endless") controller.enqueue(new Uint8Array(1024));
          else if (i < chunks.length) controller.enqueue(chunks[i++]!);
          else {
            controller.close();
            controller.byobRequest?.respond(0);
          }
        },
      });
    };
    const whole = bytes(100_000);
    const parts = [whole.slice(0, 40_000), whole.slice(40_000, 90_000), whole.slice(90_000)];
    const ok = await readBodyLimited(new Request("http://flarelog.test/", { method: "POST", body: byteBody(parts), headers: { "content-length": "100000" } }), 200_000);
    expect(ok.ok && ok.value).toEqual(whole);
    const endless = await readBodyLimited(new Request("http://flarelog.test/", { method: "POST", body: byteBody("endless"), headers: { "content-length": "10" } }), 8 * 1024);
    expect(endless.ok && endless.value.byteLength).toBe(10);
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
