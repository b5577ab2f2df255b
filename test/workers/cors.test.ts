/**
 * CORS (src/api/cors.ts): off by default (no CORS header, a preflight is not answered as one);
 * with CORS_ALLOWED_ORIGINS set, an allowed origin's preflight is 204 with methods, headers and
 * Max-Age and its answers carry Access-Control-Allow-Origin; another origin gets no CORS header
 * (its preflight 403).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app.ts";
import { ADMIN_TOKEN } from "../support/worker-client.ts";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
const withOrigins = (origins: string | undefined) => ({ ...env, CORS_ALLOWED_ORIGINS: origins });

async function request(origins: string | undefined, method: string, origin: string, extra: Record<string, string> = {}): Promise<Response> {
  return app.fetch(new Request("http://flarelog.test/v1/topics", { method, headers: { origin, ...extra } }), withOrigins(origins), ctx);
}

const preflight = { "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" };

describe("CORS", () => {
  it("is off by default: no CORS header on answers, and a preflight is not answered as one", async () => {
    const res = await request(undefined, "GET", "https://console.example", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await request(undefined, "OPTIONS", "https://console.example", preflight);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers an allowed origin's preflight with 204, methods, headers and Max-Age, without a token", async () => {
    const res = await request("https://console.example", "OPTIONS", "https://console.example", preflight);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://console.example");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-max-age")).toBe("600");
  });

  it("marks an allowed origin's answers (errors too) and gives another origin nothing", async () => {
    const ok = await request("https://console.example", "GET", "https://console.example", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://console.example");
    const unauth = await request("https://console.example", "GET", "https://console.example");
    expect([unauth.status, unauth.headers.get("access-control-allow-origin")]).toEqual([401, "https://console.example"]);
    const other = await request("https://console.example", "GET", "https://evil.example", { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect((await request("https://console.example", "OPTIONS", "https://evil.example", preflight)).status).toBe(403);
  });
});
