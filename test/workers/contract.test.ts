/**
 * The contract holds for every route: each route of src/contract/routes.ts answers at least one
 * success and one error case here, and every answer's status is one the route documents and its
 * JSON body parses with that status's schema. A route added to the contract without cases here
 * fails the coverage test. Also: 405 + Allow for a wrong method, the error table's status for an
 * unknown path, and the defects of issue 13 seen from outside (a leaderless partition's offsets
 * are null (no replica -1 is asked); bad replica ids are 400/404, not retriable).
 */
import { env, exports } from "cloudflare:workers";
import { app } from "../../src/api/app.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { describe, expect, it } from "vitest";
import { ROUTES, type ContractRoute } from "../../src/contract/routes.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

const BASE = "http://flarelog.test";
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface Case {
  route: ContractRoute;
  name: string;
  status: number;
  request: (ctx: Fixture) => Request;
}

interface Fixture {
  tenant: string;
  keyId: string;
  topic: string;
  group: string;
  member: string;
}

const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
  new Request(`${BASE}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const byId = Object.fromEntries(ROUTES.map((r) => [r.operationId, r])) as Record<string, ContractRoute>;
const c = (id: string, name: string, status: number, request: (f: Fixture) => Request): Case => ({ route: byId[id]!, name, status, request });

const CASES: Case[] = [
  c("health", "healthy", 200, () => req("GET", "/healthz")),
  c("health", "wrong method", 405, () => req("POST", "/healthz")),
  c("openapi", "the document", 200, () => req("GET", "/openapi.json")),
  c("openapi", "wrong method", 405, () => req("DELETE", "/openapi.json")),
  c("createTopic", "created", 201, () => req("POST", "/v1/topics", { name: uniqueTopic(), partitions: 2 })),
  c("createTopic", "exists", 409, (f) => req("POST", "/v1/topics", { name: f.topic })),
  c("createTopic", "no token", 401, () => req("POST", "/v1/topics", { name: "x" }, {})),
  c("listTopics", "listed", 200, () => req("GET", "/v1/topics")),
  c("listTopics", "wrong token", 401, () => req("GET", "/v1/topics", undefined, { authorization: "Bearer nope" })),
  c("describeTopic", "described", 200, (f) => req("GET", `/v1/topics/${f.topic}`)),
  c("describeTopic", "unknown", 404, () => req("GET", "/v1/topics/no-such-topic")),
  c("alterTopic", "altered", 200, (f) => req("PATCH", `/v1/topics/${f.topic}`, { configs: { "retention.ms": "600000" } })),
  c("alterTopic", "bad config", 400, (f) => req("PATCH", `/v1/topics/${f.topic}`, { configs: { "retention.ms": "soon" } })),
  c("deleteTopic", "deleted", 204, (f) => req("DELETE", `/v1/topics/${f.topic}-del`)),
  c("deleteTopic", "bad name", 400, () => req("DELETE", "/v1/topics/a%20b")),
  c("produce", "produced", 200, (f) => req("POST", `/v1/topics/${f.topic}/records`, { records: [{ key: "k", value: "v" }] })),
  c("produce", "acks=0", 202, (f) => req("POST", `/v1/topics/${f.topic}/records?acks=0`, { records: [{ value: "v" }] })),
  c("produce", "no records", 400, (f) => req("POST", `/v1/topics/${f.topic}/records`, { records: [] })),
  c("producePartition", "produced", 200, (f) => req("POST", `/v1/topics/${f.topic}/partitions/0/records`, { records: [{ value: "v" }] })),
  c("producePartition", "no such partition", 404, (f) => req("POST", `/v1/topics/${f.topic}/partitions/9/records`, { records: [{ value: "v" }] })),
  c("fetch", "fetched", 200, (f) => req("GET", `/v1/topics/${f.topic}/partitions/0/records?offset=0`)),
  c("fetch", "out of range", 416, (f) => req("GET", `/v1/topics/${f.topic}/partitions/0/records?offset=999`)),
  c("listOffsets", "latest", 200, (f) => req("GET", `/v1/topics/${f.topic}/partitions/0/offsets?timestamp=latest`)),
  c("listOffsets", "bad timestamp", 400, (f) => req("GET", `/v1/topics/${f.topic}/partitions/0/offsets?timestamp=yesterday`)),
  c("initProducerId", "initialised", 200, () => req("POST", "/v1/producers", {})),
  c("initProducerId", "unknown producer", 409, () => req("POST", "/v1/producers", { producer_id: 987654321, producer_epoch: 0 })),
  c("describeProducers", "described", 200, (f) => req("GET", `/v1/topics/${f.topic}/partitions/0/producers`)),
  c("describeProducers", "unknown topic", 404, () => req("GET", "/v1/topics/no-such-topic/partitions/0/producers")),
  c("joinGroup", "joined", 200, (f) => req("POST", `/v1/groups/${f.group}-j/members`, { topics: [f.topic] })),
  c("joinGroup", "bad group id", 400, (f) => req("POST", "/v1/groups/bad%20id/members", { topics: [f.topic] })),
  c("heartbeat", "beat", 200, (f) => req("POST", `/v1/groups/${f.group}/members/${f.member}/heartbeat`, { member_epoch: 1 })),
  c("heartbeat", "unknown member", 409, (f) => req("POST", `/v1/groups/${f.group}/members/nobody/heartbeat`, { member_epoch: 1 })),
  c("leaveGroup", "left", 204, (f) => req("DELETE", `/v1/groups/${f.group}-leave/members/${f.member}`)),
  c("leaveGroup", "unknown member", 409, (f) => req("DELETE", `/v1/groups/${f.group}/members/nobody`)),
  c("pollGroup", "polled", 200, (f) => req("GET", `/v1/groups/${f.group}/members/${f.member}/records`)),
  c("pollGroup", "bad auto_commit", 400, (f) => req("GET", `/v1/groups/${f.group}/members/${f.member}/records?auto_commit=maybe`)),
  c("commitOffsets", "committed", 204, (f) =>
    req("POST", `/v1/groups/${f.group}/offsets`, { member_id: f.member, member_epoch: 1, offsets: [{ topic: f.topic, partition: 0, offset: 1 }] }),
  ),
  c("commitOffsets", "stale epoch", 409, (f) =>
    req("POST", `/v1/groups/${f.group}/offsets`, { member_id: f.member, member_epoch: 99, offsets: [{ topic: f.topic, partition: 0, offset: 1 }] }),
  ),
  c("groupOffsets", "offsets", 200, (f) => req("GET", `/v1/groups/${f.group}/offsets`)),
  c("groupOffsets", "bad group id", 400, () => req("GET", "/v1/groups/bad%20id/offsets")),
  c("resetOffsets", "dry run", 200, (f) => req("POST", `/v1/groups/${f.group}-leave/offsets/reset`, { topics: [f.topic], to: "earliest", dry_run: true })),
  c("resetOffsets", "group has members", 409, (f) => req("POST", `/v1/groups/${f.group}/offsets/reset`, { topics: [f.topic], to: "earliest" })),
  c("listGroups", "listed", 200, () => req("GET", "/v1/groups")),
  c("listGroups", "no token", 401, () => req("GET", "/v1/groups", undefined, {})),
  c("describeGroup", "described", 200, (f) => req("GET", `/v1/groups/${f.group}`)),
  c("describeGroup", "bad group id", 400, () => req("GET", "/v1/groups/bad%20id")),
  c("deleteGroup", "deleted", 204, (f) => req("DELETE", `/v1/groups/${f.group}-leave`)),
  c("deleteGroup", "unknown group", 404, (f) => req("DELETE", `/v1/groups/${f.group}-never`)),
  c("deleteGroup", "group has members", 409, (f) => req("DELETE", `/v1/groups/${f.group}`)),
  c("takeReplicaOffline", "offline", 200, (f) => req("POST", `/v1/admin/topics/${f.topic}-rf2/partitions/0/replicas/1/offline`)),
  c("takeReplicaOffline", "no such replica", 404, (f) => req("POST", `/v1/admin/topics/${f.topic}/partitions/0/replicas/7/offline`)),
  c("bringReplicaOnline", "online", 200, (f) => req("POST", `/v1/admin/topics/${f.topic}-rf2/partitions/0/replicas/1/online`)),
  c("bringReplicaOnline", "malformed replica", 400, (f) => req("POST", `/v1/admin/topics/${f.topic}/partitions/0/replicas/x/online`)),
  c("electPreferredLeader", "elected", 200, (f) => req("POST", `/v1/admin/topics/${f.topic}/partitions/0/preferred-leader`)),
  c("electPreferredLeader", "unknown topic", 404, () => req("POST", "/v1/admin/topics/no-such-topic/partitions/0/preferred-leader")),
  c("createTenant", "created", 201, () => req("POST", "/v1/admin/tenants", { name: `t-${crypto.randomUUID().slice(0, 8)}` })),
  c("createTenant", "duplicate", 409, () => req("POST", "/v1/admin/tenants", { name: "default" })),
  c("createTenant", "bad name", 400, () => req("POST", "/v1/admin/tenants", { name: "Not_Valid" })),
  c("listTenants", "listed", 200, () => req("GET", "/v1/admin/tenants")),
  c("listTenants", "no token", 401, () => req("GET", "/v1/admin/tenants", undefined, {})),
  c("describeTenant", "described", 200, () => req("GET", "/v1/admin/tenants/default")),
  c("describeTenant", "unknown", 404, () => req("GET", "/v1/admin/tenants/no-such-tenant")),
  c("deleteTenant", "deleted", 204, (f) => req("DELETE", `/v1/admin/tenants/${f.tenant}`)),
  c("deleteTenant", "has topics", 409, () => req("DELETE", "/v1/admin/tenants/default")),
  c("getTenantQuotas", "read", 200, () => req("GET", "/v1/admin/tenants/default/quotas")),
  c("getTenantQuotas", "unknown", 404, () => req("GET", "/v1/admin/tenants/no-such-tenant/quotas")),
  c("setTenantQuotas", "set", 200, () => req("PUT", "/v1/admin/tenants/default/quotas", {})),
  c("setTenantQuotas", "negative", 400, () => req("PUT", "/v1/admin/tenants/default/quotas", { topics: -1 })),
  c("getTenantCors", "read", 200, () => req("GET", "/v1/admin/tenants/default/cors")),
  c("getTenantCors", "unknown", 404, () => req("GET", "/v1/admin/tenants/no-such-tenant/cors")),
  c("setTenantCors", "set", 200, () => req("PUT", "/v1/admin/tenants/default/cors", { allowed_origins: [] })),
  c("setTenantCors", "not an origin", 400, () => req("PUT", "/v1/admin/tenants/default/cors", { allowed_origins: ["https://x.example/path"] })),
  c("getStreamAccess", "read", 200, () => req("GET", "/v1/admin/tenants/default/durable-streams")),
  c("getStreamAccess", "unknown", 404, () => req("GET", "/v1/admin/tenants/no-such-tenant/durable-streams")),
  c("setStreamAccess", "set", 200, () => req("PUT", "/v1/admin/tenants/default/durable-streams", { anonymous_prefix: null })),
  c("setStreamAccess", "not a path prefix", 400, () => req("PUT", "/v1/admin/tenants/default/durable-streams", { anonymous_prefix: "public" })),
  c("createKey", "created", 201, () => req("POST", "/v1/keys", { name: "k", tenant: "default", role: "consumer", prefix: "billing-" })),
  c("createKey", "no tenant", 400, () => req("POST", "/v1/keys", { name: "k", role: "admin" })),
  c("createKey", "unknown tenant", 404, () => req("POST", "/v1/keys", { name: "k", tenant: "no-such-tenant", role: "admin" })),
  c("listKeys", "listed", 200, () => req("GET", "/v1/keys")),
  c("listKeys", "no token", 401, () => req("GET", "/v1/keys", undefined, {})),
  c("revokeKey", "revoked", 204, (f) => req("DELETE", `/v1/keys/${f.keyId}`)),
  c("revokeKey", "unknown", 404, () => req("DELETE", "/v1/keys/0000000000000000")),
  c("metrics", "scraped", 200, () => req("GET", "/metrics")),
  c("metrics", "no token", 401, () => req("GET", "/metrics", undefined, {})),
  c("metrics", "wrong method", 405, () => req("POST", "/metrics")),
  c("console", "the page", 200, () => req("GET", "/console", undefined, {})),
  c("console", "wrong method", 405, () => req("POST", "/console", undefined, {})),
];

async function call(r: Request): Promise<Response> {
  return exports.default.fetch(r);
}

async function fixture(): Promise<Fixture> {
  const topic = uniqueTopic("contract");
  const group = `g-${topic}`;
  for (const [name, rf] of [[topic, 1], [`${topic}-rf2`, 2], [`${topic}-del`, 1]] as const)
    expect((await call(req("POST", "/v1/topics", { name, partitions: 1, replication_factor: rf }))).status).toBe(201);
  for (const g of [group, `${group}-leave`]) {
    const join = await call(req("POST", `/v1/groups/${g}/members`, { topics: [topic], member_id: "member-1" }));
    expect(join.status).toBe(200);
  }
  const tenant = `t-${crypto.randomUUID().slice(0, 8)}`;
  expect((await call(req("POST", "/v1/admin/tenants", { name: tenant }))).status).toBe(201);
  const key = (await (await call(req("POST", "/v1/keys", { name: "k", tenant: "default", role: "admin" }))).json()) as { key_id: string };
  return { tenant, keyId: key.key_id, topic, group, member: "member-1" };
}

/** The schema a route documents for a status and content type, if any. */
function responseSchema(route: ContractRoute, status: number) {
  const responses = route.responses as Record<number, { content?: Record<string, { schema: { safeParse(v: unknown): { success: boolean; error?: unknown } } }> }>;
  return responses[status];
}

describe("the HTTP contract", () => {
  it("every route has at least one success case and one error case", () => {
    for (const route of ROUTES) {
      const cases = CASES.filter((k) => k.route === route);
      expect(cases.some((k) => k.status < 300), `${route.operationId}: no success case`).toBe(true);
      expect(cases.some((k) => k.status >= 400), `${route.operationId}: no error case`).toBe(true);
    }
  });

  it("every answer has a documented status and a body that parses with that status's schema", async () => {
    const f = await fixture();
    for (const k of CASES) {
      const res = await call(k.request(f));
      const what = `${k.route.operationId} (${k.name})`;
      expect(res.status, `${what}: ${await res.clone().text()}`).toBe(k.status);
      const documented = responseSchema(k.route, res.status);
      expect(documented, `${what}: status ${res.status} is not documented`).toBeDefined();
      if (res.status === 204) continue;
      const textType = ["text/plain", "text/html"].find((t) => documented!.content?.[t] !== undefined);
      const text = textType === undefined ? undefined : documented!.content?.[textType]?.schema;
      const schema = text ?? documented!.content?.["application/json"]?.schema;
      expect(schema, `${what}: no JSON schema for ${res.status}`).toBeDefined();
      if (textType) expect(res.headers.get("content-type"), what).toMatch(new RegExp(`^${textType}`));
      const parsed = schema!.safeParse(text ? await res.text() : await res.json());
      expect(parsed.success, `${what}: ${JSON.stringify(parsed.error)}`).toBe(true);
    }
  });

  it("a wrong method on a served path is 405 with Allow and the error body", async () => {
    const res = await call(req("PUT", "/v1/topics"));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
    expect(await res.json()).toMatchObject({ error_code: 42, error: "INVALID_REQUEST", retriable: false });
  });

  it("an unknown path answers the error table's status for UNSUPPORTED_VERSION (404, 35)", async () => {
    const res = await call(req("GET", "/v2/topics"));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error_code: 35, error: "UNSUPPORTED_VERSION", retriable: false });
  });
});

describe("defects found from outside (issue 13)", () => {
  it("a partition with no leader reports null offsets instead of asking a replica -1", async () => {
    const topic = uniqueTopic("leaderless");
    expect((await call(req("POST", "/v1/topics", { name: topic, partitions: 1 }))).status).toBe(201);
    // Taking the only replica offline leaves the partition without a leader.
    const off = await call(req("POST", `/v1/admin/topics/${topic}/partitions/0/replicas/0/offline`));
    expect(off.status).toBe(200);
    const p = (await off.json()) as { leader: number; log_start_offset: null; high_watermark: null; log_end_offset: null };
    expect(p).toMatchObject({ leader: -1, log_start_offset: null, high_watermark: null, log_end_offset: null });
    // Before the fix the description asked "replica -1" (a new, empty object) and reported 0s.
    const d = (await (await call(req("GET", `/v1/topics/${topic}`))).json()) as { partitions: unknown[] };
    expect(d.partitions[0]).toMatchObject({ leader: -1, log_start_offset: null, high_watermark: null, log_end_offset: null });
  });

  it("a binary batch that can never parse is CORRUPT_MESSAGE (2), 400, not retriable, and writes nothing", async () => {
    const topic = uniqueTopic("corrupt");
    expect((await call(req("POST", "/v1/topics", { name: topic, partitions: 1 }))).status).toBe(201);
    const res = await call(
      new Request(`${BASE}/v1/topics/${topic}/partitions/0/records`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/vnd.flarelog.record-batch" },
        body: new Uint8Array([1, 0, 3, 9, 9]),
      }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_code: 2, error: "CORRUPT_MESSAGE", retriable: false });
    const latest = await call(req("GET", `/v1/topics/${topic}/partitions/0/offsets?timestamp=latest`));
    expect(await latest.json()).toMatchObject({ offset: 0 });
  });

  it("a deployment with a bad broker var answers 500 INVALID_CONFIG naming the var, and serves nothing on defaults", async () => {
    const res = await app.request("/v1/topics", { headers: auth }, { ...env, REPLICA_LAG_TIME_MAX_MS: "30000x" });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { message: string };
    expect(body).toMatchObject({ error_code: 40, error: "INVALID_CONFIG", retriable: false });
    expect(body.message).toContain("REPLICA_LAG_TIME_MAX_MS");
  });

  it("no stub can name a replica that cannot exist (NO_LEADER, a negative or too large id)", () => {
    for (const id of [-1, 5, 0.5]) expect(() => replicaStub(env, "default", crypto.randomUUID(), 0, id)).toThrow(/no replica/);
    expect(() => replicaStub(env, "default", crypto.randomUUID(), -1, 0)).toThrow(/no partition/);
  });

  it("admin replica routes answer bad replica ids with 400/404, never retriable", async () => {
    const topic = uniqueTopic("admin");
    expect((await call(req("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 3 }))).status).toBe(201);
    const cases: [string, number, string][] = [
      ["x", 400, "INVALID_REQUEST"],
      ["-1", 400, "INVALID_REQUEST"],
      ["99999999999", 400, "INVALID_REQUEST"],
      ["3", 404, "INVALID_REPLICA_ASSIGNMENT"],
    ];
    for (const [replica, status, error] of cases) {
      const res = await call(req("POST", `/v1/admin/topics/${topic}/partitions/0/replicas/${replica}/offline`));
      expect(res.status, replica).toBe(status);
      expect(await res.json()).toMatchObject({ error, retriable: false });
    }
  });
});
