/**
 * Issue 15, the RPC entrypoint: a second Worker (test/support/rpc-caller.ts) bound to Flarelog's
 * `FlarelogRpc` with a service binding, in the same workerd as the broker's production bundle
 * under Miniflare (scripts/local-cluster.ts `workers`), calls `env.FLARELOG.produce(...)`,
 * `fetchRecords`, `listOffsets`, the idempotent form and the group operations. Same semantics as
 * HTTP is checked against the HTTP API itself (the typed client over 127.0.0.1): records written
 * by RPC are read by HTTP at the offsets RPC reported, keys land on the same partitions, offsets
 * committed by RPC are the group's offsets over HTTP, and errors carry the codes HTTP answers.
 * Bounded: the cluster start and each call; nothing sleeps.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalCluster, type LocalCluster } from "../../scripts/local-cluster.ts";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import { CALLER_NAME, callerWorker } from "../support/rpc-caller.ts";

const TOKEN = "rpc-binding-token";
let cluster: LocalCluster;
let dir: string;
let http: FlarelogClient;

type Err = { errorCode: number; error: string; message: string };
type Answer<T> = { ok: true; value: T } | { ok: false; err: Err };
type Bytes = { utf8: string } | null;
interface RpcRecord {
  offset: number;
  timestamp: number;
  key: Bytes;
  value: Bytes;
  headers: { key: string; value: Bytes }[];
}

/** `env.FLARELOG[method](...args)` inside the caller Worker. */
async function rpc<T>(method: string, ...args: unknown[]): Promise<Answer<T>> {
  const worker = await cluster.worker(CALLER_NAME);
  const res = await worker.fetch("http://caller/call", { method: "POST", body: JSON.stringify({ method, args }) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`caller answered ${res.status}: ${text}`);
  return JSON.parse(text) as Answer<T>;
}

async function value<T>(method: string, ...args: unknown[]): Promise<T> {
  const r = await rpc<T>(method, ...args);
  if (!r.ok) throw new Error(`${method} failed: ${JSON.stringify(r.err)}`);
  return r.value;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flarelog-rpc-"));
  cluster = await startLocalCluster({ port: 0, persistDir: dir, adminToken: TOKEN, workers: [callerWorker(dir)] });
  http = new FlarelogClient({ baseUrl: cluster.url, token: TOKEN });
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("env.FLARELOG (FlarelogRpc) from a second Worker", () => {
  it("the README example runs: createTopic, produce and fetchRecords through the binding", async () => {
    const worker = await cluster.worker(CALLER_NAME);
    const r = (await (await worker.fetch("http://caller/example", { method: "POST" })).json()) as {
      created: boolean;
      produced: Answer<{ accepted: false; records: { partition: number; offset: number }[] }>;
      read: Answer<{ records: RpcRecord[] }>;
    };
    expect(r.created).toBe(true);
    expect(r.produced.ok && r.produced.value.records[0]!.offset).toBe(0);
    expect(r.read.ok && r.read.value.records.map((x) => [x.key, x.value])).toEqual([[{ utf8: "customer-1" }, { utf8: "hello" }]]);
  }, 30_000);

  it("records produced by RPC are what HTTP serves at the offsets RPC answered, keyed records on the partitions HTTP picks", async () => {
    await value("createTopic", "rpc-keys", { partitions: 4 });
    expect((await http.createTopic("http-keys", { partitions: 4 })).ok).toBe(true);
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 9}`, value: `v${i}`, headers: { n: String(i) } }));
    const viaRpc = await value<{ records: { partition: number; offset: number }[] }>("produce", "rpc-keys", records);
    const viaHttp = await http.produce("http-keys", records);
    if (!viaHttp.ok) throw new Error(JSON.stringify(viaHttp.error));
    expect(viaRpc.records.map((r) => r.partition)).toEqual(viaHttp.body.offsets.map((r) => r.partition));
    expect(viaRpc.records.map((r) => r.offset)).toEqual(viaHttp.body.offsets.map((r) => r.offset));
    for (const [i, r] of viaRpc.records.entries()) {
      const read = await http.fetchRecords("rpc-keys", r.partition, { offset: r.offset, max_records: 1 });
      expect(read.ok && read.body.records[0]).toMatchObject({ offset: r.offset, key: records[i]!.key, value: records[i]!.value, headers: { n: String(i) } });
    }
    const fetched = await value<{ records: RpcRecord[]; highWatermark: number }>("fetchRecords", "rpc-keys", viaRpc.records[0]!.partition, { offset: 0 });
    const served = await http.fetchRecords("rpc-keys", viaRpc.records[0]!.partition, { offset: 0 });
    expect(served.ok && served.body.high_watermark).toBe(fetched.highWatermark);
    expect(fetched.records.map((r) => r.value!.utf8)).toEqual(served.ok ? served.body.records.map((r) => r.value) : []);
  }, 30_000);

  it("listOffsets earliest, latest and by time agree with HTTP; acks=0 answers accepted", async () => {
    await value("createTopic", "rpc-offsets");
    await value("produce", "rpc-offsets", [1000, 2000, 3000].map((t) => ({ value: `t${t}`, timestamp: t })));
    for (const spec of ["earliest", "latest", { timestamp: 1500 }, { timestamp: 9999 }] as const) {
      const viaRpc = await value<{ offset: number }>("listOffsets", "rpc-offsets", 0, spec);
      const viaHttp = await http.listOffsets("rpc-offsets", 0, typeof spec === "string" ? spec : spec.timestamp);
      expect(viaRpc.offset).toBe(viaHttp.ok ? viaHttp.body.offset : NaN);
    }
    expect(await value("produce", "rpc-offsets", [{ value: "fire and forget" }], { acks: 0 })).toEqual({ accepted: true });
  }, 30_000);

  it("errors are values with the codes HTTP answers: unknown topic 3, bad name 17, bad acks or records (named, nothing written), fetch past the end 1, unknown group 69", async () => {
    const httpUnknown = await http.produce("no-such-topic", [{ value: "x" }]);
    const rpcUnknown = await rpc("produce", "no-such-topic", [{ value: "x" }]);
    expect(rpcUnknown).toMatchObject({ ok: false, err: { errorCode: 3, error: "UNKNOWN_TOPIC_OR_PARTITION" } });
    expect(httpUnknown.ok ? 0 : httpUnknown.error.error_code).toBe(3);
    expect(await rpc("produce", "bad name!", [{ value: "x" }])).toMatchObject({ ok: false, err: { errorCode: 17 } });
    expect(await rpc("produce", "rpc-offsets", [{ value: "x" }], { acks: 2 })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(await rpc("produce", "rpc-offsets", [])).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    const before = await value<{ offset: number }>("listOffsets", "rpc-offsets", 0, "latest");
    const badValue = await rpc("produce", "rpc-offsets", [{ value: "fine" }, { value: 42 }]);
    expect(badValue).toMatchObject({ ok: false, err: { errorCode: 42, message: "records[1].value must be a string, a Uint8Array or null" } });
    expect(await rpc("produce", "rpc-offsets", [{ value: "x", timestamp: -1 }])).toMatchObject({ ok: false, err: { message: expect.stringMatching(/^records\[0\]\.timestamp/) } });
    expect(await rpc("produce", "rpc-offsets", [{ value: "x", headers: { h: 7 } }])).toMatchObject({ ok: false, err: { message: expect.stringMatching(/^records\[0\]\.headers\.h/) } });
    expect(await value("listOffsets", "rpc-offsets", 0, "latest")).toEqual(before);
    expect(await rpc("fetchRecords", "rpc-offsets", 0, { offset: 1_000_000 })).toMatchObject({ ok: false, err: { errorCode: 1, error: "OFFSET_OUT_OF_RANGE" } });
    expect(await rpc("fetchRecords", "rpc-offsets", 0, { offset: 0, maxRecords: 0 })).toMatchObject({ ok: false, err: { error: "INVALID_REQUEST" } });
    expect(await rpc("describeGroup", "no-such-group")).toMatchObject({ ok: false, err: { errorCode: 69 } });
  }, 30_000);

  it("the idempotent form: a batch re-sent with the same sequence answers its original offsets and is written once", async () => {
    await value("createTopic", "rpc-idem");
    const { producerId, producerEpoch } = await value<{ producerId: number; producerEpoch: number }>("initProducerId", {});
    const producer = { producerId, producerEpoch, baseSequence: 0 };
    const batch = [{ value: "a" }, { value: "b" }];
    const first = await value<{ records: { offset: number }[] }>("produce", "rpc-idem", batch, { partition: 0, producer });
    const again = await value<{ records: { offset: number }[] }>("produce", "rpc-idem", batch, { partition: 0, producer });
    expect(again.records.map((r) => r.offset)).toEqual(first.records.map((r) => r.offset));
    const log = await http.fetchRecords("rpc-idem", 0, { offset: 0 });
    expect(log.ok && log.body.records.map((r) => r.value)).toEqual(["a", "b"]);
    expect(await rpc("produce", "rpc-idem", batch, { partition: 0, producer: { ...producer, baseSequence: 7 } })).toMatchObject({
      ok: false,
      err: { errorCode: 45 },
    });
  }, 30_000);

  it("group operations: join, poll, commit, describe, list, leave and reset through the binding are the group HTTP sees", async () => {
    await value("createTopic", "rpc-group", { partitions: 2 });
    await value("produce", "rpc-group", ["a", "b", "c", "d"].map((k) => ({ key: k, value: k })));
    const joined = await value<{ memberId: string; memberEpoch: number }>("joinGroup", "rpc-g", { topics: ["rpc-group"], autoOffsetReset: "earliest" });
    let cursor = 0;
    let epoch = joined.memberEpoch;
    const seen: { topic: string; partition: number; offset: number; value: Bytes }[] = [];
    for (let i = 0; i < 10 && seen.length < 4; i++) {
      const hb = await value<{ memberEpoch: number }>("heartbeat", "rpc-g", { memberId: joined.memberId, memberEpoch: epoch });
      epoch = hb.memberEpoch;
      const polled = await value<{ records: typeof seen; cursor: number; memberEpoch: number }>("pollGroup", "rpc-g", { memberId: joined.memberId, cursor });
      cursor = polled.cursor;
      epoch = polled.memberEpoch;
      seen.push(...polled.records);
    }
    expect(seen.map((r) => r.value!.utf8).sort()).toEqual(["a", "b", "c", "d"]);
    // Each partition's next offset to read: past the last record seen there.
    const next = new Map<string, { topic: string; partition: number; offset: number }>();
    for (const r of seen) {
      const key = `${r.topic}/${r.partition}`;
      if ((next.get(key)?.offset ?? 0) < r.offset + 1) next.set(key, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
    }
    await value("commitOffsets", "rpc-g", { memberId: joined.memberId, memberEpoch: epoch, offsets: [...next.values()] });
    const overHttp = await http.fetchOffsets("rpc-g");
    expect(overHttp.ok && overHttp.body.offsets.reduce((s, o) => s + o.offset, 0)).toBe(4);
    const described = await value<{ state: string; members: unknown[]; offsets: { lag: number }[] }>("describeGroup", "rpc-g");
    expect(described.members).toHaveLength(1);
    expect(described.offsets.every((o) => o.lag === 0)).toBe(true);
    expect((await value<{ group: string }[]>("listGroups")).map((g) => g.group)).toContain("rpc-g");
    expect(await rpc("resetOffsets", "rpc-g", { topics: ["rpc-group"], spec: { type: "earliest" }, dryRun: true })).toMatchObject({ ok: false, err: { errorCode: 68 } });
    await value("leaveGroup", "rpc-g", joined.memberId);
    const reset = await value<{ offset: number }[]>("resetOffsets", "rpc-g", { topics: ["rpc-group"], spec: { type: "earliest" }, dryRun: false });
    expect(reset.map((r) => r.offset)).toEqual([0, 0]);
    const afterReset = await http.fetchOffsets("rpc-g");
    expect(afterReset.ok && afterReset.body.offsets.map((o) => o.offset)).toEqual([0, 0]);
  }, 60_000);
});
