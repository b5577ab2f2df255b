/**
 * CORS (src/api/cors.ts): off by default (no CORS header, a preflight is not answered as one);
 * with CORS_ALLOWED_ORIGINS set, an allowed origin's preflight is 204 with methods, headers and
 * Max-Age and its answers carry Access-Control-Allow-Origin; another origin gets no CORS header
 * (its preflight 403). Per tenant (`PUT /v1/admin/tenants/{name}/cors`): a preflight, which has no
 * token, is answered for an origin any tenant allows; an answer carries the header only when the
 * origin is allowed for the tenant of the request's key (A's origin reads A's answers, not B's).
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

describe("CORS per tenant", () => {
  const call = (method: string, path: string, token: string | null, origin?: string, body?: unknown) =>
    app.fetch(
      new Request(`http://flarelog.test${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(origin ? { origin } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
      withOrigins(undefined),
      ctx,
    );
  const tenantWithKey = async (): Promise<{ name: string; key: string }> => {
    const name = `t-${crypto.randomUUID().slice(0, 12)}`;
    expect((await call("POST", "/v1/admin/tenants", ADMIN_TOKEN, undefined, { name })).status).toBe(201);
    const res = await call("POST", "/v1/keys", ADMIN_TOKEN, undefined, { name: "k", tenant: name, role: "admin" });
    return { name, key: ((await res.json()) as { key: string }).key };
  };

  it("is off by default and set by the root token only; a value that is not an origin is refused", async () => {
    const a = await tenantWithKey();
    expect(await (await call("GET", `/v1/admin/tenants/${a.name}/cors`, ADMIN_TOKEN)).json()).toEqual({ allowed_origins: [] });
    expect((await call("PUT", `/v1/admin/tenants/${a.name}/cors`, a.key, undefined, { allowed_origins: ["https://a.example"] })).status).toBe(403);
    for (const bad of ["*", "https://a.example/", "ftp://a.example", "a.example"]) {
      const res = await call("PUT", `/v1/admin/tenants/${a.name}/cors`, ADMIN_TOKEN, undefined, { allowed_origins: [bad] });
      expect([bad, res.status]).toEqual([bad, 400]);
    }
    const res = await call("GET", "/v1/topics", a.key, "https://a.example");
    expect([res.status, res.headers.get("access-control-allow-origin")]).toEqual([200, null]);
  });

  it("tenant A's origin gets CORS headers on A's answers, not on B's; its preflight is answered without a token", async () => {
    const [a, b] = [await tenantWithKey(), await tenantWithKey()];
    const set = await call("PUT", `/v1/admin/tenants/${a.name}/cors`, ADMIN_TOKEN, undefined, { allowed_origins: ["https://a.example"] });
    expect(await set.json()).toEqual({ allowed_origins: ["https://a.example"] });
    const pre = await app.fetch(new Request("http://flarelog.test/v1/topics", { method: "OPTIONS", headers: { origin: "https://a.example", ...preflight } }), withOrigins(undefined), ctx);
    expect([pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([204, "https://a.example"]);
    const other = await app.fetch(new Request("http://flarelog.test/v1/topics", { method: "OPTIONS", headers: { origin: "https://evil.example", ...preflight } }), withOrigins(undefined), ctx);
    expect([other.status, other.headers.get("access-control-allow-origin")]).toEqual([403, null]);
    const ofA = await call("GET", "/v1/topics", a.key, "https://a.example");
    expect([ofA.status, ofA.headers.get("access-control-allow-origin")]).toEqual([200, "https://a.example"]);
    const ofB = await call("GET", "/v1/topics", b.key, "https://a.example");
    expect([ofB.status, ofB.headers.get("access-control-allow-origin")]).toEqual([200, null]);
    expect((await call("GET", "/v1/topics", null, "https://a.example")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call("GET", "/v1/topics", a.key, "https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
    await call("PUT", `/v1/admin/tenants/${a.name}/cors`, ADMIN_TOKEN, undefined, { allowed_origins: [] });
    expect((await call("GET", "/v1/topics", a.key, "https://a.example")).headers.get("access-control-allow-origin")).toBeNull();
  });
});
