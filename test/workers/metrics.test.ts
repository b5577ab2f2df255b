/**
 * GET /metrics and the request log, from outside (the Worker's own fetch): the scrape reports
 * each partition's offsets and ISR as the Durable Objects hold them, the records produced and
 * fetched, the requests per route, and a group's lag; the request log writes one JSON line per
 * request only when LOG_LEVEL lets `info` through; /console answers the page.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/api/app.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

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
