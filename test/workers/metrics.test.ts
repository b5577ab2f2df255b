/**
 * GET /metrics and the request log, from outside (the Worker's own fetch): the scrape reports
 * each partition's offsets and ISR as the Durable Objects hold them, the records produced and
 * fetched, the requests per route, and a group's lag; the request log writes one JSON line per
 * request only when LOG_LEVEL lets `info` through; /console answers the page. Storage bytes per
 * partition follow produce, retention and topic deletion; throttle time sums the 429s' waits.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/api/app.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../../src/protocol/wire.ts";

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) };
  return exports.default.fetch(new Request(`http://flarelog.test${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }));
}

async function scrape(): Promise<string> {
  const res = await call("GET", "/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of the one sample `name{labels}` (labels in the order the scrape writes them). */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("reports each partition's high watermark and log end offset, the records produced and fetched, and the produce route's requests", async () => {
    const topic = uniqueTopic("metrics");
    expect((await call("POST", "/v1/topics", { name: topic, partitions: 2, replication_factor: 1 })).status).toBe(201);
    const records = [{ value: "a", partition: 0 }, { value: "b", partition: 0 }, { value: "c", partition: 0 }];
    expect((await call("POST", `/v1/topics/${topic}/records`, { records })).status).toBe(200);
    expect((await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=1`)).status).toBe(200);
    const text = await scrape();
    const p0 = `{tenant="default",topic="${topic}",partition="0"}`;
    const p1 = `{tenant="default",topic="${topic}",partition="1"}`;
    expect(value(text, `flarelog_partition_high_watermark${p0}`)).toBe(3);
    expect(value(text, `flarelog_partition_log_end_offset${p0}`)).toBe(3);
    expect(value(text, `flarelog_partition_high_watermark${p1}`)).toBe(0);
    expect(value(text, `flarelog_records_in_total${p0}`)).toBe(3);
    expect(value(text, `flarelog_records_out_total${p0}`)).toBe(2);
    expect(value(text, `flarelog_produce_total{tenant="default",topic="${topic}",acks="-1",outcome="ok"}`)).toBe(1);
    const produced = `flarelog_requests_total{tenant="default",door="http",route="/v1/topics/{topic}/records",method="POST",status="200"}`;
    expect(value(text, produced)).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^flarelog_request_duration_seconds_bucket\{tenant="default",door="http",route="\/v1\/topics\/\{topic\}\/records",le="\+Inf"\} \d+$/m);
  });

  it("shows a partition under-replicated, with the smaller ISR, once a replica is taken offline", async () => {
    const topic = uniqueTopic("metrics-urp");
    expect((await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 3 })).status).toBe(201);
    const p0 = `{tenant="default",topic="${topic}",partition="0"}`;
    const before = await scrape();
    expect(value(before, `flarelog_partition_under_replicated${p0}`)).toBe(0);
    expect(value(before, `flarelog_partition_isr${p0}`)).toBe(3);
    expect((await call("POST", `/v1/admin/topics/${topic}/partitions/0/replicas/2/offline`)).status).toBe(200);
    const after = await scrape();
    expect(value(after, `flarelog_partition_under_replicated${p0}`)).toBe(1);
    expect(value(after, `flarelog_partition_isr${p0}`)).toBe(2);
    expect(value(after, `flarelog_under_replicated_partitions{tenant="default"}`)).toBeGreaterThanOrEqual(1);
    expect(value(after, `flarelog_partition_partition_epoch${p0}`)).toBeGreaterThan(value(before, `flarelog_partition_partition_epoch${p0}`)!);
  });

  it("counts the billed platform units of a produce: DO requests by class rise, and an RF 3 append writes SQLite rows on the replicas", async () => {
    const topic = uniqueTopic("metrics-units");
    expect((await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 3 })).status).toBe(201);
    const replica = (t: string, family: string) => value(t, `${family}{class="partition_replica"}`) ?? 0;
    const before = await scrape();
    const records = Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` }));
    const produced = await call("POST", `/v1/topics/${topic}/partitions/0/records?acks=all`, { records });
    expect(produced.status).toBe(200);
    const after = await scrape();
    // At least the produce call itself and two pushes to the followers reached replica objects.
    expect(replica(after, "flarelog_do_requests_total") - replica(before, "flarelog_do_requests_total")).toBeGreaterThanOrEqual(3);
    // The batch lands on three replicas: at least one row written on each.
    expect(replica(after, "flarelog_sqlite_rows_written_total") - replica(before, "flarelog_sqlite_rows_written_total")).toBeGreaterThanOrEqual(3);
    expect(value(after, `flarelog_sqlite_rows_read_total{class="cluster_coordinator"}`)).toBeGreaterThan(0);
  });

  it("reports a group's lag per partition as high watermark minus committed offset", async () => {
    const topic = uniqueTopic("metrics-lag");
    const group = `g-${topic}`;
    expect((await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 1 })).status).toBe(201);
    const records = Array.from({ length: 5 }, (_, i) => ({ value: `v${i}` }));
    expect((await call("POST", `/v1/topics/${topic}/records`, { records })).status).toBe(200);
    const join = (await (await call("POST", `/v1/groups/${group}/members`, { topics: [topic] })).json()) as { member_id: string; member_epoch: number };
    const commit = { member_id: join.member_id, member_epoch: join.member_epoch, offsets: [{ topic, partition: 0, offset: 2 }] };
    expect((await call("POST", `/v1/groups/${group}/offsets`, commit)).status).toBe(204);
    const text = await scrape();
    const labels = `{tenant="default",group="${group}",topic="${topic}",partition="0"}`;
    expect(value(text, `flarelog_group_committed_offset${labels}`)).toBe(2);
    expect(value(text, `flarelog_group_lag${labels}`)).toBe(3);
    expect(value(text, `flarelog_group_members{tenant="default",group="${group}"}`)).toBe(1);
  });
});

describe("the request log", () => {
  it("writes one JSON line per request (tenant, route, status, ms, bytes, error) at LOG_LEVEL=info and none at the default warn", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await app.request("/v1/topics/no-such-topic", { headers: auth }, { ...env, LOG_LEVEL: "info" });
      const lines = spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"msg":"request"'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        level: "info", msg: "request", tenant: "default", door: "http", route: "/v1/topics/{topic}", method: "GET",
        status: 404, bytesIn: 0, error: "UNKNOWN_TOPIC_OR_PARTITION",
      });
      spy.mockClear();
      await app.request("/v1/topics/no-such-topic", { headers: auth }, { ...env });
      expect(spy.mock.calls.filter((c) => String(c[0]).includes('"msg":"request"'))).toHaveLength(0);
    } finally {
      spy.mockRestore();
    }
  });

  it("a bad LOG_LEVEL is an INVALID_CONFIG answer naming the var", async () => {
    const res = await app.request("/v1/topics", { headers: auth }, { ...env, LOG_LEVEL: "loud" });
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toContain("LOG_LEVEL");
  });
});

describe("GET /console", () => {
  it("answers the console page as HTML with a restrictive content security policy", async () => {
    const res = await exports.default.fetch(new Request("http://flarelog.test/console"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await res.text()).toContain("<title>Flarelog console</title>");
  });
});

describe("GET /metrics: storage and throttling", () => {
  it("storage bytes per partition grow with the bytes produced and fall when retention deletes segments or the topic is deleted", async () => {
    const topic = uniqueTopic("metrics-size");
    const created = await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 1, configs: { "segment.bytes": "100" } });
    expect(created.status).toBe(201);
    const topicId = ((await created.json()) as { topic_id: string }).topic_id;
    const p0 = `{tenant="default",topic="${topic}",partition="0",replica="0"}`;
    const bytesIn = `flarelog_record_bytes_in_total{tenant="default",topic="${topic}",partition="0"}`;
    expect(value(await scrape(), `flarelog_partition_storage_bytes${p0}`)).toBe(0);
    // One produce request is one batch, and a segment holds whole batches: five segments.
    for (let i = 0; i < 5; i++) expect((await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "z".repeat(200) }] })).status).toBe(200);
    const grown = await scrape();
    const stored = value(grown, `flarelog_partition_storage_bytes${p0}`)!;
    expect(stored).toBeGreaterThan(5 * 200);
    expect(stored).toBe(value(grown, bytesIn));
    const tenantTotal = value(grown, `flarelog_storage_bytes{tenant="default"}`)!;
    expect(tenantTotal).toBeGreaterThanOrEqual(stored);

    expect((await call("PATCH", `/v1/topics/${topic}`, { configs: { "retention.bytes": "0" } })).status).toBe(200);
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    const { names } = await import("../../src/protocol/names.ts");
    await runDurableObjectAlarm(env.PARTITION_REPLICA.getByName(names.partitionReplica("default", topicId, 0, 0)));
    const retained = value(await scrape(), `flarelog_partition_storage_bytes${p0}`)!;
    expect(retained).toBeLessThan(stored);

    expect((await call("DELETE", `/v1/topics/${topic}`)).status).toBeLessThan(300);
    const after = await scrape();
    expect(value(after, `flarelog_partition_storage_bytes${p0}`)).toBeUndefined();
    expect(value(after, `flarelog_storage_bytes{tenant="default"}`)).toBeLessThan(tenantTotal);
  });

  it("throttle time counts per tenant and quota once a key exceeds its request-rate quota: the total equals the throttle_time_ms its 429s answered", async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 12)}`;
    expect((await call("POST", "/v1/admin/tenants", { name: tenant })).status).toBe(201);
    expect((await call("PUT", `/v1/admin/tenants/${tenant}/quotas`, { requests_per_s: 2 })).status).toBe(200);
    const made = await call("POST", "/v1/keys", { name: "k", tenant, role: "admin" });
    const key = ((await made.json()) as { key: string }).key;
    const asKey = (path: string) => exports.default.fetch(new Request(`http://flarelog.test${path}`, { headers: { authorization: `Bearer ${key}` } }));
    let answered = 0;
    for (let i = 0; i < 5; i++) {
      const res = await asKey("/v1/topics");
      if (res.status === 429) answered += ((await res.json()) as { throttle_time_ms: number }).throttle_time_ms;
    }
    expect(answered).toBeGreaterThan(0);
    const labels = `{tenant="${tenant}",quota="requests"}`;
    const rootScrape = await scrape();
    expect(value(rootScrape, `flarelog_throttle_time_ms_total${labels}`)).toBe(answered);
    expect(value(rootScrape, `flarelog_throttled_requests_total${labels}`)).toBeGreaterThanOrEqual(1);
  });

  it("a fetch waits while an earlier fetch spent its tenant's fetch-byte quota: 429, counted as fetch_bytes throttle time", async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 12)}`;
    expect((await call("POST", "/v1/admin/tenants", { name: tenant })).status).toBe(201);
    expect((await call("PUT", `/v1/admin/tenants/${tenant}/quotas`, { fetch_bytes_per_s: 100 })).status).toBe(200);
    const key = ((await (await call("POST", "/v1/keys", { name: "k", tenant, role: "admin" })).json()) as { key: string }).key;
    const asKey = (method: string, path: string, body?: unknown) =>
      exports.default.fetch(new Request(`http://flarelog.test${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }));
    expect((await asKey("POST", "/v1/topics", { name: "big", partitions: 1, replication_factor: 1 })).status).toBe(201);
    expect((await asKey("POST", "/v1/topics/big/records", { records: [{ value: "y".repeat(2000) }] })).status).toBe(200);
    expect((await asKey("GET", "/v1/topics/big/partitions/0/records?offset=0")).status).toBe(200);
    const second = await asKey("GET", "/v1/topics/big/partitions/0/records?offset=0");
    expect(second.status).toBe(429);
    const wait = ((await second.json()) as { throttle_time_ms: number }).throttle_time_ms;
    expect(value(await scrape(), `flarelog_throttle_time_ms_total{tenant="${tenant}",quota="fetch_bytes"}`)).toBe(wait);
  });

  it("a binary fetch's frames are charged to the fetch-byte quota as a JSON answer is: the next fetch gets 429", async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 12)}`;
    expect((await call("POST", "/v1/admin/tenants", { name: tenant })).status).toBe(201);
    expect((await call("PUT", `/v1/admin/tenants/${tenant}/quotas`, { fetch_bytes_per_s: 100 })).status).toBe(200);
    const key = ((await (await call("POST", "/v1/keys", { name: "k", tenant, role: "admin" })).json()) as { key: string }).key;
    const asKey = (method: string, path: string, body?: unknown, accept = "application/json") =>
      exports.default.fetch(new Request(`http://flarelog.test${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, accept, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }));
    expect((await asKey("POST", "/v1/topics", { name: "big", partitions: 1, replication_factor: 1 })).status).toBe(201);
    expect((await asKey("POST", "/v1/topics/big/records", { records: [{ value: "y".repeat(2000) }] })).status).toBe(200);
    const first = await asKey("GET", "/v1/topics/big/partitions/0/records?offset=0", undefined, RECORD_BATCH_CONTENT_TYPE);
    expect([first.status, first.headers.get("content-type"), (await first.arrayBuffer()).byteLength > 2000]).toEqual([200, RECORD_BATCH_CONTENT_TYPE, true]);
    expect((await asKey("GET", "/v1/topics/big/partitions/0/records?offset=0", undefined, RECORD_BATCH_CONTENT_TYPE)).status).toBe(429);
  });
});
