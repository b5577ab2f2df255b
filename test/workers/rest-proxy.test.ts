/**
 * The Confluent REST Proxy dialect (/kafka-rest, src/doors/rest-proxy) replays the request and
 * response examples of Confluent's API reference (test/fixtures/rest-proxy/examples.ts) through
 * the Worker's own fetch (`exports.default.fetch`, workers/broker.ts) and compares each answer's
 * shape with the documented one (test/support/json-shape.ts), and checks the values Flarelog
 * owns: offsets are where the log has the records, errors carry Confluent's error codes.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { shapeMismatches } from "../support/json-shape.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";
import { v2, v3 } from "../fixtures/rest-proxy/examples.ts";
import { seekPositions } from "../../src/services/groups.ts";

const BASE = "http://flarelog.test/kafka-rest";
const BASIC = `Basic ${btoa(`default:${ADMIN_TOKEN}`)}`;
const V3 = `${BASE}/v3/clusters/default`;

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { authorization: BASIC, "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await exports.default.fetch(new Request(url, init));
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text === "" ? null : (JSON.parse(text) as unknown);
  } catch {
    json = undefined; // a streamed answer (several JSON values): the test reads `text`
  }
  return { status: res.status, type: res.headers.get("content-type"), text, json };
}

/** A call to the native API (setup and checks), as JSON. */
async function native<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await exports.default.fetch(new Request(`http://flarelog.test${path}`, init));
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text === "" ? null : JSON.parse(text)) as T;
}

async function topic(partitions = 1): Promise<string> {
  const name = uniqueTopic("rp");
  await native("POST", "/v1/topics", { name, partitions, replication_factor: 1 });
  return name;
}

type NativeRecord = { offset: number; key: string | null; value: string | null; timestamp: number };
const records = async (name: string, partition = 0) =>
  (await native<{ records: NativeRecord[] }>("GET", `/v1/topics/${name}/partitions/${partition}/records?offset=0`)).records;

type Member = { member_id: string; member_epoch: number; assignment: { topic: string; partitions: number[] }[] };
const join = (group: string, topics: string[]) => native<Member>("POST", `/v1/groups/${group}/members`, { topics });
const heartbeat = (group: string, m: string, epoch: number) => native<Member>("POST", `/v1/groups/${group}/members/${m}/heartbeat`, { member_epoch: epoch });

describe("REST Proxy v3 produce", () => {
  it("the documented single-record produce answers the documented delivery report, and the record is in the log at that offset", async () => {
    const t = await topic(2);
    const r = await call("POST", `${V3}/topics/${t}/records`, v3.produceRequest);
    expect(r.status, r.text).toBe(200);
    expect(shapeMismatches(v3.produceResponse, r.json)).toEqual([]);
    expect(r.json).toMatchObject({ error_code: 200, cluster_id: "default", topic_name: t, partition_id: 0, offset: 0, key: { type: "BINARY", size: 6 }, value: { type: "JSON", size: 13 } });
    const [rec] = await records(t, 0);
    expect(rec).toMatchObject({ offset: 0, key: "foobar", value: '{"foo":"bar"}', timestamp: Date.parse("2026-12-04T10:00:00Z") });
  });

  it("streamed records (concatenated JSON) get one report each, in order; a bad BINARY one gets the documented 400 and the others are written", async () => {
    const t = await topic();
    const good = { value: { type: "STRING", data: "a" } };
    const bad = { value: { type: "BINARY", data: "1" } };
    const r = await call("POST", `${V3}/topics/${t}/records`, `${JSON.stringify(good)}\n${JSON.stringify(bad)} ${JSON.stringify(good)}`);
    expect(r.status).toBe(200);
    const reports = r.text.split("\n").map((l) => JSON.parse(l) as { offset?: number; error_code: number });
    expect(reports.map((x) => x.error_code)).toEqual([200, 400, 200]);
    expect(shapeMismatches(v3.produceBadBinary, reports[1])).toEqual([]);
    expect([reports[0]!.offset, reports[2]!.offset]).toEqual([0, 1]);
    expect((await records(t)).map((x) => x.value)).toEqual(["a", "a"]);
  });

  it("records:batch answers 207 with the documented successes and failures by id", async () => {
    const t = await topic();
    const withKey = v3.batchRequest.entries.map((e) => ({ ...e, key: { type: "BINARY", data: "Zm9vYmFy" } }));
    const entries = [...withKey, { id: "3", value: { type: "BINARY", data: "1" } }];
    const r = await call("POST", `${V3}/topics/${t}/records:batch`, { entries });
    expect(r.status, r.text).toBe(207);
    const body = r.json as { successes: unknown[]; failures: unknown[] };
    expect(body.successes.flatMap((s) => shapeMismatches(v3.batchSuccess, s))).toEqual([]);
    expect(body.failures.flatMap((f) => shapeMismatches(v3.batchFailure, f))).toEqual([]);
    expect(body.successes.map((s) => (s as { id: string; offset: number }).offset)).toEqual([0, 1]);
    expect(body.failures).toMatchObject([{ id: "3", error_code: 400 }]);
  });

  it("an unknown topic is 404 with error_code 40403 and a partition the topic lacks writes nothing", async () => {
    const r = await call("POST", `${V3}/topics/no-such-topic/records`, { value: { type: "STRING", data: "x" } });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error_code: 40403 });
    const t = await topic();
    const p = await call("POST", `${V3}/topics/${t}/records`, { partition_id: 5, value: { type: "STRING", data: "x" } });
    expect(p.status).toBe(404);
    expect(await records(t)).toEqual([]);
  });

  it("bad credentials are 401 with error_code 40101 (Basic and Bearer), and a Bearer key works", async () => {
    const t = await topic();
    const bad = await call("GET", `${V3}/topics/${t}`, undefined, { authorization: `Basic ${btoa("default:nope")}` });
    expect([bad.status, (bad.json as { error_code: number }).error_code]).toEqual([401, 40101]);
    const other = await call("GET", `${V3}/topics/${t}`, undefined, { authorization: `Basic ${btoa(`acme:${ADMIN_TOKEN}`)}` });
    expect(other.status).toBe(401);
    const bearer = await call("GET", `${V3}/topics/${t}`, undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(bearer.status).toBe(200);
  });
});

describe("REST Proxy v3 reads", () => {
  it("cluster, topic and partition resources have the documented shapes; another cluster id is 404 40401", async () => {
    const t = await topic(2);
    const clusters = await call("GET", `${BASE}/v3/clusters`);
    expect(shapeMismatches({ ...v3.list(v3.cluster), kind: "KafkaClusterList" }, clusters.json)).toEqual([]);
    expect(shapeMismatches(v3.cluster, (await call("GET", V3)).json)).toEqual([]);
    const topics = await call("GET", `${V3}/topics`);
    expect(shapeMismatches(v3.list(v3.topic), topics.json)).toEqual([]);
    const one = await call("GET", `${V3}/topics/${t}`);
    expect(shapeMismatches(v3.topic, one.json)).toEqual([]);
    expect(one.json).toMatchObject({ topic_name: t, partitions_count: 2, replication_factor: 1 });
    const parts = await call("GET", `${V3}/topics/${t}/partitions`);
    expect(shapeMismatches(v3.list(v3.partition), parts.json)).toEqual([]);
    expect((parts.json as { data: unknown[] }).data).toHaveLength(2);
    expect(shapeMismatches(v3.partition, (await call("GET", `${V3}/topics/${t}/partitions/1`)).json)).toEqual([]);
    expect((await call("GET", `${V3}/topics/${t}/partitions/7`)).json).toMatchObject({ error_code: 40402 });
    expect((await call("GET", `${BASE}/v3/clusters/other/topics`)).json).toMatchObject({ error_code: 40401 });
  });

  it("consumer groups, lags and the lag summary have the documented shapes and the lag is HW − committed", async () => {
    const t = await topic();
    await call("POST", `${V3}/topics/${t}/records:batch`, { entries: [1, 2, 3].map((i) => ({ id: String(i), value: { type: "STRING", data: `v${i}` } })) });
    const group = uniqueTopic("rpg");
    const m = await join(group, [t]);
    await native("POST", `/v1/groups/${group}/offsets`, { member_id: m.member_id, member_epoch: m.member_epoch, offsets: [{ topic: t, partition: 0, offset: 1 }] });
    const list = await call("GET", `${V3}/consumer-groups`);
    expect(shapeMismatches(v3.list(v3.consumerGroup), list.json)).toEqual([]);
    expect(shapeMismatches(v3.consumerGroup, (await call("GET", `${V3}/consumer-groups/${group}`)).json)).toEqual([]);
    const lags = await call("GET", `${V3}/consumer-groups/${group}/lags`);
    expect(shapeMismatches(v3.list(v3.lag), lags.json)).toEqual([]);
    expect((lags.json as { data: unknown[] }).data).toMatchObject([{ topic_name: t, partition_id: 0, current_offset: 1, log_end_offset: 3, lag: 2, consumer_id: m.member_id }]);
    const summary = await call("GET", `${V3}/consumer-groups/${group}/lag-summary`);
    expect(shapeMismatches(v3.lagSummary, summary.json)).toEqual([]);
    expect(summary.json).toMatchObject({ max_lag: 2, total_lag: 2, max_lag_topic_name: t });
  });
});

describe("REST Proxy v2 consumer instances", () => {
  const V2 = { "content-type": "application/vnd.kafka.v2+json" };

  it("create, subscribe, assignments, records (binary), commit, committed, delete: each answer has the documented shape", async () => {
    const t = await topic();
    await call("POST", `${V3}/topics/${t}/records:batch`, {
      entries: [{ id: "1", key: { type: "STRING", data: "key" }, value: { type: "STRING", data: "confluent" } }],
    });
    const group = uniqueTopic("rpv2");
    const inst = `${BASE}/consumers/${group}/instances/my_consumer`;
    const created = await call("POST", `${BASE}/consumers/${group}`, v2.createRequest, V2);
    expect(created.status, created.text).toBe(200);
    expect(shapeMismatches(v2.createResponse, created.json)).toEqual([]);
    expect(created.json).toEqual({ instance_id: "my_consumer", base_uri: inst });
    expect((await call("POST", `${BASE}/consumers/${group}`, v2.createRequest, V2)).json).toMatchObject({ error_code: 40902 });
    expect((await call("POST", `${inst}/subscription`, { topics: [t] }, V2)).status).toBe(204);
    expect(shapeMismatches(v2.subscription, (await call("GET", `${inst}/subscription`)).json)).toEqual([]);
    const assigned = await call("GET", `${inst}/assignments`);
    expect(shapeMismatches(v2.assignments, assigned.json)).toEqual([]);
    expect(assigned.json).toEqual({ partitions: [{ topic: t, partition: 0 }] });
    const got = await call("GET", `${inst}/records?timeout=0`, undefined, { accept: "application/vnd.kafka.binary.v2+json" });
    expect(got.status, got.text).toBe(200);
    expect(shapeMismatches(v2.binaryRecords, got.json)).toEqual([]);
    expect(got.json).toEqual([{ topic: t, key: "a2V5", value: "Y29uZmx1ZW50", partition: 0, offset: 0 }]);
    expect((await call("GET", `${inst}/records`, undefined, { accept: "application/vnd.kafka.json.v2+json" })).json).toMatchObject({ error_code: 40601 });
    expect((await call("POST", `${inst}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 1 }] }, V2)).status).toBe(204);
    // Confluent documents a GET with a body, which fetch() cannot send: without one, the assigned partitions.
    const offsets = await call("GET", `${inst}/offsets`);
    expect(shapeMismatches(v2.committed, offsets.json)).toEqual([]);
    expect(offsets.json).toEqual({ offsets: [{ topic: t, partition: 0, offset: 1, metadata: "" }] });
    expect((await call("DELETE", inst)).status).toBe(204);
    const gone = await call("GET", `${inst}/assignments`);
    expect(gone.status).toBe(404);
    expect(shapeMismatches(v2.instanceNotFound, gone.json)).toEqual([]);
    expect(gone.json).toMatchObject({ error_code: 40403 });
  });

  it("a json-format instance reads JSON values as JSON; auto.offset.reset latest skips what was there, and no body on offsets commits what was read", async () => {
    const t = await topic();
    const produce = (v: unknown) => call("POST", `${V3}/topics/${t}/records`, { key: { type: "JSON", data: "somekey" }, value: { type: "JSON", data: v } });
    await produce({ before: true });
    const group = uniqueTopic("rpv2j");
    const inst = `${BASE}/consumers/${group}/instances/j1`;
    await call("POST", `${BASE}/consumers/${group}`, { name: "j1", format: "json" }, V2);
    await call("POST", `${inst}/subscription`, { topics: [t] }, V2);
    const accept = { accept: "application/vnd.kafka.json.v2+json" };
    expect((await call("GET", `${inst}/records`, undefined, accept)).json).toEqual([]);
    await produce({ foo: "bar" });
    const got = await call("GET", `${inst}/records`, undefined, accept);
    expect(shapeMismatches(v2.jsonRecords, got.json)).toEqual([]);
    expect(got.json).toEqual([{ topic: t, key: "somekey", value: { foo: "bar" }, partition: 0, offset: 1 }]);
    expect((await call("POST", `${inst}/offsets`)).status).toBe(204);
    expect((await call("GET", `${inst}/offsets`)).json).toEqual({ offsets: [{ topic: t, partition: 0, offset: 2, metadata: "" }] });
  });

  it("positions: after a poll, a seek to 3 makes the next records start at 3, beginning at 0, end at the next new record; a seek commits nothing", async () => {
    const t = await topic();
    await call("POST", `${V3}/topics/${t}/records:batch`, { entries: Array.from({ length: 10 }, (_, i) => ({ id: `${i}`, value: { type: "STRING", data: `v${i}` } })) });
    const group = uniqueTopic("rpseek");
    const inst = `${BASE}/consumers/${group}/instances/s1`;
    await call("POST", `${BASE}/consumers/${group}`, { name: "s1", "auto.offset.reset": "earliest", "auto.commit.enable": "false" }, V2);
    await call("POST", `${inst}/subscription`, { topics: [t] }, V2);
    const poll = async () => ((await call("GET", `${inst}/records`)).json as { offset: number }[]).map((r) => r.offset);
    expect(await poll()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The documented request shapes, with this test's topic.
    const seekTo3 = { offsets: [{ topic: t, partition: 0, offset: 3 }] };
    const edge = { partitions: [{ topic: t, partition: 0 }] };
    expect([shapeMismatches(v2.seekRequest, seekTo3), shapeMismatches(v2.seekEdgeRequest, edge)]).toEqual([[], []]);
    const seek3 = await call("POST", `${inst}/positions`, seekTo3, V2);
    expect([seek3.status, seek3.text]).toEqual([204, ""]);
    expect(await poll()).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect((await call("POST", `${inst}/positions/beginning`, edge, V2)).status).toBe(204);
    expect(await poll()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect((await call("POST", `${inst}/positions/beginning`, edge, V2)).status).toBe(204);
    expect((await call("POST", `${inst}/positions/end`, edge, V2)).status).toBe(204);
    expect(await poll()).toEqual([]);
    await call("POST", `${V3}/topics/${t}/records`, { value: { type: "STRING", data: "v10" } });
    expect(await poll()).toEqual([10]);
    expect((await call("GET", `${inst}/offsets`)).json).toEqual({ offsets: [{ topic: t, partition: 0, offset: -1, metadata: "" }] });
  });

  it("positions on a partition the instance does not own are 404 40403 and move nothing, not even the owned partitions of the same request", async () => {
    const [t, other] = [await topic(), await topic()];
    await call("POST", `${V3}/topics/${t}/records:batch`, { entries: [0, 1, 2].map((i) => ({ id: `${i}`, value: { type: "STRING", data: `v${i}` } })) });
    const group = uniqueTopic("rpseekx");
    const inst = `${BASE}/consumers/${group}/instances/s2`;
    await call("POST", `${BASE}/consumers/${group}`, { name: "s2", "auto.offset.reset": "earliest" }, V2);
    await call("POST", `${inst}/subscription`, { topics: [t] }, V2);
    const poll = async () => ((await call("GET", `${inst}/records`)).json as { offset: number }[]).map((r) => r.offset);
    expect(await poll()).toEqual([0, 1, 2]);
    const mixed = await call("POST", `${inst}/positions`, { offsets: [{ topic: t, partition: 0, offset: 1 }, { topic: other, partition: 0, offset: 0 }] }, V2);
    expect(mixed.status, mixed.text).toBe(404);
    expect(mixed.json).toMatchObject({ error_code: 40403 });
    const edge = await call("POST", `${inst}/positions/beginning`, { partitions: [{ topic: t, partition: 0 }, { topic: other, partition: 0 }] }, V2);
    expect(edge.json).toMatchObject({ error_code: 40403 });
    expect((await call("POST", `${inst}/positions`, { offsets: [{ topic: t, partition: 0, offset: -1 }] }, V2)).status).toBe(400);
    expect((await call("POST", `${BASE}/consumers/${group}/instances/nobody/positions/end`, { partitions: [{ topic: t, partition: 0 }] }, V2)).json).toEqual(v2.instanceNotFound);
    // The service holds any door to the group's ACL: a caller without group read moves nothing.
    const member = ((await native<{ members: { member_id: string; group_instance_id: string | null }[] }>("GET", `/v1/groups/${group}`)).members).find((x) => x.group_instance_id === "s2")!;
    const noRights = { env, tenant: "default", acls: [], waitUntil: () => {} };
    const refused = await seekPositions(noRights, group, { memberId: member.member_id, memberEpoch: null, targets: [{ topic: t, partition: 0, to: "earliest" }] });
    expect(refused).toMatchObject({ ok: false, err: { error: "GROUP_AUTHORIZATION_FAILED" } });
    expect(await poll()).toEqual([]);
  });

  it("a v2 instance and a native member of the same group never own the same partition", async () => {
    const t = await topic(2);
    const group = uniqueTopic("rpmix");
    const inst = `${BASE}/consumers/${group}/instances/i1`;
    await call("POST", `${BASE}/consumers/${group}`, { name: "i1" }, V2);
    await call("POST", `${inst}/subscription`, { topics: [t] }, V2);
    const joined = await join(group, [t]);
    let epoch = joined.member_epoch;
    let owned: number[] = joined.assignment.flatMap((a) => a.partitions);
    let mine: number[] = [];
    for (let round = 0; round < 6; round++) {
      mine = ((await call("GET", `${inst}/assignments`)).json as { partitions: { partition: number }[] }).partitions.map((p) => p.partition);
      expect(mine.filter((p) => owned.includes(p))).toEqual([]);
      const hb = await heartbeat(group, joined.member_id, epoch);
      epoch = hb.member_epoch;
      owned = hb.assignment.flatMap((a) => a.partitions);
      expect(mine.filter((p) => owned.includes(p))).toEqual([]);
    }
    expect([mine.length, owned.length]).toEqual([1, 1]);
  });
});

describe("mounting", () => {
  it("each dialect's prefix answers its own error shape: the native API's 404/405 handling never sees those paths", async () => {
    const rp = await call("GET", `${BASE}/v3/nothing-here`);
    expect([rp.status, Object.keys(rp.json as object).sort()]).toEqual([404, ["error_code", "message"]]);
    const up = await exports.default.fetch(new Request("http://flarelog.test/upstash/nothing-here", { headers: { authorization: BASIC } }));
    expect(up.status).toBe(404);
    expect(await up.json()).toMatchObject({ status: 404, error: expect.stringMatching(/no Upstash endpoint/) });
    const unauth = await exports.default.fetch(new Request("http://flarelog.test/upstash/topics"));
    expect([unauth.status, unauth.headers.get("content-type")]).toEqual([401, "application/json"]);
    const native = await exports.default.fetch(new Request("http://flarelog.test/upstash-not-a-door"));
    expect(await native.json()).toMatchObject({ error: "UNSUPPORTED_VERSION" });
  });
});
