/**
 * The outside security list of issue 14, S4–S13, through the Worker's fetch handler (S1–S3 are
 * in tenancy.test.ts; the body deadline of S6 in test/unit/body-deadline.test.ts; S14 in
 * test/e2e/tenant-deploy.test.ts). Each test is one item: internal paths unreachable; hostile
 * names refused before any Durable Object; oversized and lying bodies refused before any DO;
 * one oversized record fails the whole request; JSON bombs 400; bad UTF-8/base64/content types
 * 400/415; hostile offsets, partitions, acks and limits 400/404/416; create floods 429 with
 * Retry-After; no error body carries a stack, an internal DO name or another tenant's names.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

const BASE = "http://flarelog.test";
const bodies: string[] = [];

async function send(method: string, path: string, init: { token?: string | null; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  const token = init.token === undefined ? ADMIN_TOKEN : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) }));
  if (res.status >= 400) bodies.push(await res.clone().text());
  return res;
}

const json = (method: string, path: string, value: unknown, token?: string) =>
  send(method, path, { body: JSON.stringify(value), headers: { "content-type": "application/json" }, ...(token !== undefined ? { token } : {}) });

async function status(res: Promise<Response>): Promise<[number, number]> {
  const r = await res;
  const b = (await r.json()) as { error_code?: number };
  return [r.status, b.error_code ?? 0];
}

const topic = uniqueTopic("sec");

async function hw(): Promise<number> {
  const d = (await (await send("GET", `/v1/topics/${topic}`)).json()) as { partitions: { high_watermark: number }[] };
  return d.partitions[0]!.high_watermark;
}

beforeAll(async () => {
  expect((await json("POST", "/v1/topics", { name: topic, partitions: 1 })).status).toBe(201);
  expect((await json("POST", `/v1/topics/${topic}/records`, { records: [{ value: "seed" }] })).status).toBe(200);
});

describe("security (issue 14, S4–S13)", () => {
  it("S4: internal Durable Object paths and methods are unreachable from the router", async () => {
    const paths = ["/replica/default/x/0/0", "/cluster/default", "/group/default/g", "/directory", "/v1/internal/replicate",
      `/v1/topics/${topic}/partitions/0/replicate`, `/v1/topics/${topic}/partitions/0/append`, "/v1/tenants/directory", "/__scheduled", "/v1/admin/directory/lookupKey"];
    for (const p of paths)
      for (const m of ["GET", "POST"]) expect((await send(m, p)).status, `${m} ${p}`).toBeGreaterThanOrEqual(404);
    for (const p of paths) expect((await send("POST", p)).status, p).not.toBe(200);
  });

  it("S5: hostile topic and group names are refused with 400 before any coordinator is asked", async () => {
    // ".." is resolved by URL parsing itself: the path leaves /v1/topics and no route answers it.
    expect(await status(send("GET", "/v1/topics/.."))).toEqual([404, 35]);
    for (const name of ["a%2Fb", "a%00b", "%C3%A9", "x".repeat(250), "a%20b", "__proto__%2F..", "%2E%2E%2Fcluster"]) {
      expect((await status(send("GET", `/v1/topics/${name}`)))[0], name).toBe(400);
      expect((await status(send("POST", `/v1/topics/${name}/records`, { body: "{}" })))[0], name).toBe(400);
    }
    for (const name of ["a%2Fb", "x".repeat(250), "a%20b", "%C3%A9"]) expect((await status(send("GET", `/v1/groups/${name}`)))[0], name).toBe(400);
    expect(await status(json("POST", "/v1/topics", { name: "../cluster" }))).toEqual([400, 17]);
    expect(await status(json("POST", "/v1/admin/tenants", { name: "../x" }))).toEqual([400, 42]);
  });

  it("S6: an oversized body is 413 before any Durable Object is called (even for an unknown topic)", async () => {
    const big = "x".repeat(8 * 1024 * 1024 + 1);
    expect((await send("POST", "/v1/topics/no-such-topic-sec/records", { body: big, headers: { "content-type": "application/json" } })).status).toBe(413);
    const lying = await send("POST", "/v1/topics/no-such-topic-sec/records", { body: "{}", headers: { "content-type": "application/json", "content-length": String(9 * 1024 * 1024) } });
    expect([413, 400]).toContain(lying.status);
  });

  it("S7: one oversized record rejects the whole request and nothing is written", async () => {
    const before = await hw();
    const r = await status(json("POST", `/v1/topics/${topic}/records`, { records: [{ value: "ok" }, { value: "y".repeat(1_100_000) }] }));
    expect(r).toEqual([413, 10]);
    expect(await hw()).toBe(before);
  });

  it("S8: JSON bombs (deep nesting, in a record and in a body) are 400", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect((await send("POST", `/v1/topics/${topic}/records`, { body: deep, headers: { "content-type": "application/json" } })).status).toBe(400);
    const nested = `{"records":[{"value":"v","headers":${"{\"a\":".repeat(50)}"x"${"}".repeat(50)}}]}`;
    expect((await send("POST", `/v1/topics/${topic}/records`, { body: nested, headers: { "content-type": "application/json" } })).status).toBe(400);
  });

  it("S9: invalid UTF-8, invalid base64 and foreign content types are 400/415, nothing written", async () => {
    const before = await hw();
    const badUtf8 = new Uint8Array([...new TextEncoder().encode('{"records":[{"value":"'), 0xc3, 0x28, ...new TextEncoder().encode('"}]}')]);
    expect((await send("POST", `/v1/topics/${topic}/records`, { body: badUtf8, headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await json("POST", `/v1/topics/${topic}/records`, { encoding: "base64", records: [{ value: "not*base64" }] })).status).toBe(400);
    expect((await json("POST", `/v1/topics/${topic}/records`, { encoding: "base64", records: [{ value: "QQ" }] })).status).toBe(400);
    expect((await send("POST", `/v1/topics/${topic}/records`, { body: '{"records":[{"value":"v"}]}', headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect((await send("POST", "/v1/topics", { body: '{"name":"x"}', headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
    expect(await hw()).toBe(before);
  });

  it("S10: hostile offsets are 400 or 416, never a 5xx", async () => {
    for (const o of ["-1", "abc", "1e309", "9223372036854775808", "0x10", "1.5", "99999999999"]) {
      const s = (await send("GET", `/v1/topics/${topic}/partitions/0/records?offset=${o}`)).status;
      expect([400, 416], `offset=${o}`).toContain(s);
    }
    for (const offset of [-5, 1.5, 2 ** 63, "1"]) {
      const s = (await json("POST", "/v1/groups/sec-g/offsets", { offsets: [{ topic, partition: 0, offset }] })).status;
      expect(s, `commit ${offset}`).toBeGreaterThanOrEqual(400);
      expect(s).toBeLessThan(500);
    }
  });

  it("S11: hostile partitions, acks and limits are 400/404, never a 5xx", async () => {
    for (const p of ["-1", "99999", "1.5", "0x0", "9999999999999999999"]) {
      const s = (await send("GET", `/v1/topics/${topic}/partitions/${p}/records`)).status;
      expect([400, 404], `partition ${p}`).toContain(s);
    }
    for (const q of ["acks=2", "acks=-2", "timeout_ms=-1", "timeout_ms=99999999999"])
      expect((await json("POST", `/v1/topics/${topic}/records?${q}`, { records: [{ value: "v" }] })).status, q).toBe(400);
    for (const q of ["max_records=-1", "max_records=99999999", "max_bytes=0", "wait_ms=99999999", "max_bytes=1e12"])
      expect((await send("GET", `/v1/topics/${topic}/partitions/0/records?${q}`)).status, q).toBe(400);
    expect((await json("POST", "/v1/topics", { name: uniqueTopic(), partitions: 100_000 })).status).toBe(400);
    expect((await json("POST", "/v1/topics", { name: uniqueTopic(), replication_factor: 9 })).status).toBe(400);
  });

  it("S12: a burst of topic creations over the request quota is 429 with Retry-After and throttle_time_ms", async () => {
    const tenant = `sec-${crypto.randomUUID().slice(0, 8)}`;
    expect((await json("POST", "/v1/admin/tenants", { name: tenant })).status).toBe(201);
    expect((await json("PUT", `/v1/admin/tenants/${tenant}/quotas`, { requests_per_s: 2 })).status).toBe(200);
    const key = ((await (await json("POST", "/v1/keys", { name: "k", tenant, role: "admin" })).json()) as { key: string }).key;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => json("POST", "/v1/topics", { name: `flood-${i}` }, key)));
    const throttled = answers.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(7);
    for (const r of throttled) {
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(((await r.json()) as { throttle_time_ms: number }).throttle_time_ms).toBeGreaterThan(0);
    }
  });

  it("S13: no error body carries a stack trace, an internal object name or another tenant's name", async () => {
    const other = `sec-other-${crypto.randomUUID().slice(0, 8)}`;
    expect((await json("POST", "/v1/admin/tenants", { name: other })).status).toBe(201);
    const key = ((await (await json("POST", "/v1/keys", { name: "k", tenant: other, role: "admin" })).json()) as { key: string }).key;
    for (const [m, p] of [["GET", `/v1/topics/${topic}`], ["GET", `/v1/topics/${topic}/partitions/0/records`], ["DELETE", `/v1/topics/${topic}`], ["GET", "/v1/groups/sec-g/offsets"], ["GET", "/v1/admin/tenants"]] as const)
      await send(m, p, { token: key });
    expect(bodies.length).toBeGreaterThan(40);
    // UNSUPPORTED_VERSION (35) echoes the caller's own path ("no route for GET /cluster/default"): skipped.
    for (const b of bodies.filter((x) => !x.includes('"error_code":35'))) {
      expect(b).not.toMatch(/\n\s+at |\bat [\w.]+ \(|Error: |node_modules|\.ts:\d+/);
      expect(b).not.toMatch(/\b(replica|cluster|group)\/default\b|\bdirectory\b/);
      expect(b).not.toContain(ADMIN_TOKEN);
      expect(b).not.toContain(other === "" ? "x" : `"${other}"`);
    }
  });
});
