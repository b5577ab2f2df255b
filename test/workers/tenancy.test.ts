/**
 * Tenants, API keys, ACLs and quotas seen from outside, through the Worker's fetch handler:
 * S1 every route answers 401 with one body for no/malformed/wrong/revoked credentials; S2 one
 * tenant's key never reaches another tenant's topics, groups, offsets or producers, and listings
 * show only its own; S3 a produce-only key cannot fetch or commit, a consume-only key cannot
 * produce, a non-admin key cannot create or delete topics (403 with 29/30/31); the route → ACL
 * table covers every mounted route; a revoked key is refused at once in the revoking isolate;
 * rate quotas answer 429 with Retry-After and throttle_time_ms; count quotas 400/44 before any
 * topic exists; the storage_bytes quota 400/44 before a produce would exceed it, nothing written; a tenant delete refuses while it has topics, and force removes only its own.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app.ts";
import { ROUTES } from "../../src/contract/routes.ts";
import { ROUTE_ACLS } from "../../src/services/route-acls.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

const BASE = "http://flarelog.test";

async function call(method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  if (body !== undefined) h["content-type"] = "application/json";
  return exports.default.fetch(new Request(`${BASE}${path}`, { method, headers: h, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

const root = (method: string, path: string, body?: unknown) => call(method, path, ADMIN_TOKEN, body);

async function tenant(): Promise<string> {
  const name = `t-${crypto.randomUUID().slice(0, 12)}`;
  expect((await root("POST", "/v1/admin/tenants", { name })).status).toBe(201);
  return name;
}

async function key(tenantName: string, spec: Record<string, unknown>): Promise<{ key: string; key_id: string }> {
  const res = await root("POST", "/v1/keys", { name: "k", tenant: tenantName, ...spec });
  expect(res.status).toBe(201);
  return json(res);
}

const fill = (path: string) => path.replace("{topic}", "orders").replace("{partition}", "0").replace("{group}", "g").replace("{member}", "m")
  .replace("{replica}", "0").replace("{name}", "acme").replace("{key_id}", "0000000000000000");

describe("the route → ACL table", () => {
  it("has an entry for every route of the contract and every route the app mounts", () => {
    for (const r of ROUTES) expect(ROUTE_ACLS[r.operationId], r.operationId).toBeDefined();
    const contractPaths = new Set(ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path.replace(/\{(\w+)\}/g, ":$1")}`));
    const mounted = app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    for (const m of mounted) expect(contractPaths.has(m), `${m} is mounted but not in the contract (so not in the ACL table)`).toBe(true);
    expect(Object.keys(ROUTE_ACLS).sort()).toEqual(ROUTES.map((r) => r.operationId).sort());
  });
});

describe("S1: authentication", () => {
  it("every authenticated route answers 401 with the same body for no, malformed, wrong and revoked credentials", async () => {
    const t = await tenant();
    const revoked = await key(t, { role: "admin" });
    expect((await root("DELETE", `/v1/keys/${revoked.key_id}`)).status).toBe(204);
    const wrongSecret = revoked.key.slice(0, -4) + "AAAA";
    const bodies = new Set<string>();
    for (const r of ROUTES.filter((r) => ROUTE_ACLS[r.operationId]!.kind !== "public")) {
      for (const header of [null, "Basic Zm9vOmJhcg==", "Bearer", "Bearer nope", `Bearer ${revoked.key}`, `Bearer ${wrongSecret}`, "Bearer flk_0000000000000000_" + "A".repeat(43)]) {
        const res = await exports.default.fetch(new Request(`${BASE}${fill(r.path)}`, { method: r.method.toUpperCase(), headers: header ? { authorization: header } : {} }));
        expect(res.status, `${r.operationId} with ${header}`).toBe(401);
        bodies.add(await res.text());
      }
    }
    expect([...bodies]).toHaveLength(1);
  });
});

describe("S2: tenant isolation", () => {
  it("a tenant's key sees only its own topics, groups and offsets; the other tenant's are unknown to it", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const ka = (await key(a, { role: "admin" })).key;
    const kb = (await key(b, { role: "admin" })).key;
    const topic = uniqueTopic("iso");
    expect((await call("POST", "/v1/topics", ka, { name: topic, partitions: 1 })).status).toBe(201);
    expect((await call("POST", `/v1/topics/${topic}/records`, ka, { records: [{ value: "secret-of-a" }] })).status).toBe(200);
    expect((await call("POST", `/v1/groups/g-${topic}/members`, ka, { topics: [topic], member_id: "m1" })).status).toBe(200);

    for (const [m, p] of [["GET", `/v1/topics/${topic}`], ["GET", `/v1/topics/${topic}/partitions/0/records`], ["GET", `/v1/topics/${topic}/partitions/0/offsets`], ["GET", `/v1/topics/${topic}/partitions/0/producers`]] as const) {
      const res = await call(m, p, kb);
      expect(res.status, `${m} ${p}`).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(a);
      expect(text).not.toContain("secret-of-a");
    }
    expect((await json<{ topics: unknown[] }>(await call("GET", "/v1/topics", kb))).topics).toEqual([]);
    expect((await json<{ groups: unknown[] }>(await call("GET", "/v1/groups", kb))).groups).toEqual([]);
    expect((await json<{ offsets: unknown[] }>(await call("GET", `/v1/groups/g-${topic}/offsets`, kb))).offsets ?? []).toEqual([]);
    // The same name in tenant B is a different topic: creating it succeeds and is empty.
    expect((await call("POST", "/v1/topics", kb, { name: topic, partitions: 1 })).status).toBe(201);
    const fetched = await json<{ records: unknown[] }>(await call("GET", `/v1/topics/${topic}/partitions/0/records`, kb));
    expect(fetched.records).toEqual([]);
    expect((await json<{ keys: { tenant: string }[] }>(await call("GET", "/v1/keys", kb))).keys.every((k) => k.tenant === b)).toBe(true);
  });

  it("producer ids are per tenant: an id issued to A is unknown to B's coordinator", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const ka = (await key(a, { role: "admin" })).key;
    const kb = (await key(b, { role: "admin" })).key;
    const pid = await json<{ producer_id: number; producer_epoch: number }>(await call("POST", "/v1/producers", ka, { transactional_id: "tx" }));
    const reuse = { producer_id: pid.producer_id, producer_epoch: pid.producer_epoch };
    const inB = await call("POST", "/v1/producers", kb, reuse);
    expect([inB.status, (await json<{ error_code: number }>(inB)).error_code]).toEqual([409, 59]);
    expect((await call("POST", "/v1/producers", ka, { transactional_id: "tx" })).status).toBe(200);
  });

  it("a key can neither list nor revoke another tenant's keys, nor create keys for it", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const ka = (await key(a, { role: "admin" })).key;
    const kb = await key(b, { role: "admin" });
    expect((await call("DELETE", `/v1/keys/${kb.key_id}`, ka)).status).toBe(404);
    expect((await call("POST", "/v1/keys", ka, { name: "x", tenant: b, role: "admin" })).status).toBe(403);
    expect((await call("GET", "/v1/topics", kb.key)).status).toBe(200);
  });
});

describe("S3: authorization", () => {
  it("produce-only keys cannot fetch or commit; consume-only keys cannot produce; non-admins cannot create or delete topics", async () => {
    const t = await tenant();
    const admin = (await key(t, { role: "admin" })).key;
    const producer = (await key(t, { role: "producer", prefix: "orders." })).key;
    const consumer = (await key(t, { role: "consumer", prefix: "billing-" })).key;
    expect((await call("POST", "/v1/topics", admin, { name: "orders.eu", partitions: 1 })).status).toBe(201);
    const code = async (res: Response) => [res.status, (await json<{ error_code: number }>(res)).error_code];

    expect((await call("POST", "/v1/topics/orders.eu/records", producer, { records: [{ value: "v" }] })).status).toBe(200);
    expect(await code(await call("GET", "/v1/topics/orders.eu/partitions/0/records", producer))).toEqual([403, 29]);
    expect(await code(await call("POST", "/v1/groups/billing-1/offsets", producer, { offsets: [] }))).toEqual([403, 30]);
    expect(await code(await call("POST", "/v1/topics/orders.eu/records", consumer, { records: [{ value: "v" }] }))).toEqual([403, 29]);
    expect((await call("GET", "/v1/topics/orders.eu/partitions/0/records", consumer)).status).toBe(200);
    expect(await code(await call("POST", "/v1/topics", producer, { name: "orders.new" }))).toEqual([403, 29]);
    expect(await code(await call("DELETE", "/v1/topics/orders.eu", consumer))).toEqual([403, 29]);
    expect(await code(await call("POST", "/v1/keys", consumer, { name: "x", role: "admin" }))).toEqual([403, 31]);
    expect(await code(await call("POST", "/v1/admin/tenants", admin, { name: "evil" }))).toEqual([403, 31]);
    expect(await code(await call("POST", "/v1/producers", consumer, {}))).toEqual([403, 31]);
    const writeOnly = (await key(t, { acls: [{ resource_type: "topic", pattern_type: "prefixed", name: "orders.", operation: "write", permission: "allow" }] })).key;
    const idempotent = await exports.default.fetch(new Request(`${BASE}/v1/topics/orders.eu/partitions/0/records?producer_id=1&producer_epoch=0&base_sequence=0`, {
      method: "POST", headers: { authorization: `Bearer ${writeOnly}`, "content-type": "application/vnd.flarelog.record-batch" }, body: new Uint8Array(70),
    }));
    expect(await code(idempotent)).toEqual([403, 31]);
  });

  it("listings show only what the key may describe", async () => {
    const t = await tenant();
    const admin = (await key(t, { role: "admin" })).key;
    const producer = (await key(t, { role: "producer", prefix: "orders." })).key;
    for (const name of ["orders.a", "audit"]) expect((await call("POST", "/v1/topics", admin, { name })).status).toBe(201);
    const names = (await json<{ topics: { name: string }[] }>(await call("GET", "/v1/topics", producer))).topics.map((x) => x.name);
    expect(names).toEqual(["orders.a"]);
  });

  it("explicit acls: a deny entry wins over the allow", async () => {
    const t = await tenant();
    const admin = (await key(t, { role: "admin" })).key;
    expect((await call("POST", "/v1/topics", admin, { name: "pay" })).status).toBe(201);
    const k = (await key(t, {
      acls: [
        { resource_type: "topic", pattern_type: "prefixed", name: "", operation: "all", permission: "allow" },
        { resource_type: "topic", pattern_type: "literal", name: "pay", operation: "write", permission: "deny" },
      ],
    })).key;
    expect((await call("POST", "/v1/topics/pay/records", k, { records: [{ value: "v" }] })).status).toBe(403);
    expect((await call("GET", "/v1/topics/pay/partitions/0/records", k)).status).toBe(200);
  });
});

describe("keys", () => {
  it("are listed without secrets, revoked keys answer 401 at once here, and rotation keeps two keys valid in the overlap", async () => {
    const t = await tenant();
    const old = await key(t, { role: "admin" });
    const fresh = await key(t, { role: "admin" });
    for (const k of [old, fresh]) expect((await call("GET", "/v1/topics", k.key)).status).toBe(200);
    const listing = await (await root("GET", "/v1/keys")).text();
    expect(listing).toContain(old.key_id);
    // The whole secret: it may itself contain "_", so split("_") would test a fragment of it.
    expect(listing).not.toContain(old.key.slice("flk_".length + 17));
    const listed = (await json<{ keys: { key_id: string; last_used_at: number | null }[] }>(await call("GET", "/v1/keys", old.key))).keys;
    expect(listed.find((k) => k.key_id === old.key_id)!.last_used_at).not.toBeNull();
    expect((await call("DELETE", `/v1/keys/${old.key_id}`, fresh.key)).status).toBe(204);
    expect((await call("GET", "/v1/topics", old.key)).status).toBe(401);
    expect((await call("GET", "/v1/topics", fresh.key)).status).toBe(200);
  });
});

describe("quotas", () => {
  it("over the request rate: 429 with Retry-After and throttle_time_ms; another tenant is not throttled", async () => {
    const [a, b] = [await tenant(), await tenant()];
    expect((await root("PUT", `/v1/admin/tenants/${a}/quotas`, { requests_per_s: 3 })).status).toBe(200);
    const ka = (await key(a, { role: "admin" })).key;
    const kb = (await key(b, { role: "admin" })).key;
    const statuses: number[] = [];
    let throttled: Response | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await call("GET", "/v1/topics", ka);
      statuses.push(res.status);
      if (res.status === 429) throttled = res;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(throttled).not.toBeNull();
    expect(Number(throttled!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const body = await json<{ error_code: number; throttle_time_ms: number }>(throttled!);
    expect(body.error_code).toBe(89);
    expect(body.throttle_time_ms).toBeGreaterThan(0);
    expect((await call("GET", "/v1/topics", kb)).status).toBe(200);
    expect(await json(await root("GET", `/v1/admin/tenants/${a}/quotas`))).toEqual({ requests_per_s: 3 });
  });

  it("a key's override of a rate quota has its own bucket: it is not throttled with its tenant, and is throttled at its own rate", async () => {
    const t = await tenant();
    expect((await root("PUT", `/v1/admin/tenants/${t}/quotas`, { requests_per_s: 2 })).status).toBe(200);
    const plain = (await key(t, { role: "admin" })).key;
    const fast = (await key(t, { role: "admin", quotas: { requests_per_s: 1000 } })).key;
    const slow = (await key(t, { role: "admin", quotas: { requests_per_s: 1 } })).key;
    const statuses = async (k: string, n: number) => Promise.all(Array.from({ length: n }, () => call("GET", "/v1/topics", k).then((r) => r.status)));
    expect((await statuses(plain, 6)).filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await statuses(fast, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect((await statuses(slow, 3)).filter((s) => s === 429).length).toBeGreaterThan(0);
    const listed = (await json<{ keys: { quotas?: Record<string, number> }[] }>(await root("GET", "/v1/keys"))).keys;
    expect(listed.some((k) => k.quotas?.requests_per_s === 1000)).toBe(true);
  });

  it("over the topic or partition quota: 400/44 and nothing is created (1,000 partitions × RF 5 in one request is refused)", async () => {
    const t = await tenant();
    expect((await root("PUT", `/v1/admin/tenants/${t}/quotas`, { topics: 1, partitions: 6 })).status).toBe(200);
    const k = (await key(t, { role: "admin" })).key;
    const huge = await call("POST", "/v1/topics", k, { name: "huge", partitions: 1000, replication_factor: 5 });
    expect([huge.status, (await json<{ error_code: number }>(huge)).error_code]).toEqual([400, 44]);
    expect((await call("POST", "/v1/topics", k, { name: "ok", partitions: 2, replication_factor: 3 })).status).toBe(201);
    expect((await call("POST", "/v1/topics", k, { name: "second" })).status).toBe(400);
    expect((await call("PATCH", "/v1/topics/ok", k, { partitions: 3 })).status).toBe(400);
    expect((await json<{ topics: unknown[] }>(await call("GET", "/v1/topics", k))).topics).toHaveLength(1);
  });
});

describe("the storage_bytes quota", () => {
  const produceKb = (k: string, topic: string) => call("POST", `/v1/topics/${topic}/records`, k, { records: [{ value: "x".repeat(1000) }] });
  const hw = async (k: string, topic: string) =>
    (await json<{ partitions: { high_watermark: number | null }[] }>(await call("GET", `/v1/topics/${topic}`, k))).partitions[0]!.high_watermark;

  it("admits produces until the tenant's stored bytes would exceed it, then refuses with 400/44 and writes nothing; another tenant is unaffected; raising it admits again", async () => {
    const [a, b] = [await tenant(), await tenant()];
    expect((await root("PUT", `/v1/admin/tenants/${a}/quotas`, { storage_bytes: 5_000 })).status).toBe(200);
    const ka = (await key(a, { role: "admin" })).key;
    const kb = (await key(b, { role: "admin" })).key;
    for (const k of [ka, kb]) expect((await call("POST", "/v1/topics", k, { name: "logs" })).status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await produceKb(ka, "logs")).status);
    const admitted = statuses.indexOf(400);
    expect(admitted).toBeGreaterThanOrEqual(3);
    expect(statuses.slice(0, admitted).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(admitted).every((s) => s === 400)).toBe(true);
    const before = await hw(ka, "logs");
    expect(before).toBe(admitted);
    const refused = await produceKb(ka, "logs");
    const body = await json<{ error_code: number; message: string }>(refused);
    expect([refused.status, body.error_code]).toEqual([400, 44]);
    expect(body.message).toMatch(/storage_bytes quota of 5000 bytes would be exceeded: it stores \d+ bytes/);
    expect(await hw(ka, "logs")).toBe(before);
    for (let i = 0; i < 8; i++) expect((await produceKb(kb, "logs")).status).toBe(200);
    expect((await root("PUT", `/v1/admin/tenants/${a}/quotas`, { storage_bytes: 50_000 })).status).toBe(200);
    expect((await produceKb(ka, "logs")).status).toBe(200);
    expect(await hw(ka, "logs")).toBe(before! + 1);
  });

  it("counts what the replicas store, × the replication factor: a quota set below it refuses the next produce", async () => {
    const t = await tenant();
    const k = (await key(t, { role: "admin" })).key;
    expect((await call("POST", "/v1/topics", k, { name: "r3", replication_factor: 3 })).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await produceKb(k, "r3")).status).toBe(200);
    // Two 1,000-byte values on 3 replicas: more than 6,000 bytes stored (quota changes re-measure).
    expect((await root("PUT", `/v1/admin/tenants/${t}/quotas`, { storage_bytes: 6_000 })).status).toBe(200);
    const res = await call("POST", "/v1/topics/r3/records", k, { records: [{ value: "y" }] });
    expect([res.status, (await json<{ error_code: number }>(res)).error_code]).toEqual([400, 44]);
    expect((await root("PUT", `/v1/admin/tenants/${t}/quotas`, { storage_bytes: 100_000 })).status).toBe(200);
    expect((await call("POST", "/v1/topics/r3/records", k, { records: [{ value: "y" }] })).status).toBe(200);
  });
});

describe("tenant deletion", () => {
  it("refuses while the tenant has topics, and force deletes its topics and keys, nothing of another tenant", async () => {
    const [a, b] = [await tenant(), await tenant()];
    const ka = (await key(a, { role: "admin" })).key;
    const kb = (await key(b, { role: "admin" })).key;
    for (const k of [ka, kb]) expect((await call("POST", "/v1/topics", k, { name: "shared-name" })).status).toBe(201);
    const refused = await root("DELETE", `/v1/admin/tenants/${a}`);
    expect([refused.status, (await json<{ error_code: number }>(refused)).error_code]).toEqual([409, 44]);
    expect((await root("DELETE", `/v1/admin/tenants/${a}?force=true`)).status).toBe(204);
    expect((await call("GET", "/v1/topics", ka)).status).toBe(401);
    expect((await root("GET", `/v1/admin/tenants/${a}`)).status).toBe(404);
    expect((await call("GET", "/v1/topics/shared-name", kb)).status).toBe(200);
  });
});
