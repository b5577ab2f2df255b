/**
 * The binary bulk format (issue 7; docs/api.md "Binary record batches"): a produce body of
 * `application/vnd.flarelog.record-batch` is one record batch in the stored format, checked and
 * stored as it came; a fetch accepting that type answers binary frames. Through the Worker
 * in-process with the typed client.
 */
import { describe, expect, it } from "vitest";
import { BatchBuilder, encodeBatch, encodeRecord } from "../../src/codec/record-batch.ts";
import { LIMITS } from "../../src/protocol/config.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../../src/protocol/wire.ts";
import { uniqueTopic, workerClient } from "../support/worker-client.ts";

const client = workerClient();
const enc = new TextEncoder();
const T0 = 1_700_000_000_000;

async function topic(configs: Record<string, string> = {}): Promise<string> {
  const name = uniqueTopic("bin");
  const r = await client.createTopic(name, { partitions: 2, configs });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return name;
}

async function highWatermark(name: string, partition = 0): Promise<number | null> {
  const d = await client.describeTopic(name);
  return d.ok ? d.body.partitions[partition]!.high_watermark : null;
}

const postBatch = (name: string, body: Uint8Array, path = `/v1/topics/${name}/partitions/0/records`, query = {}) =>
  client.request("POST", path, { body, query, headers: { "content-type": RECORD_BATCH_CONTENT_TYPE } });

const records = [
  { key: "k0", value: "v0", timestamp: T0 },
  { key: null, value: new Uint8Array([0, 255, 7]), headers: { h: "x", nul: null }, timestamp: T0 + 5 },
  { key: new Uint8Array([1, 2]), value: null, timestamp: T0 - 3 },
  { value: "ü ✓ 😀", timestamp: T0 + 1 },
];

describe("binary record batches", () => {
  it("a binary batch answers its base offset and reads back identically as JSON and as binary frames", async () => {
    const name = await topic();
    const first = await client.produceBatch(name, 0, records, { acks: "all" });
    expect(first).toMatchObject({ ok: true, status: 200, body: { partition: 0, base_offset: 0, record_count: 4, log_append_time: null } });
    const second = await client.produceBatch(name, 0, records.slice(0, 2));
    expect(second.ok && second.body.base_offset).toBe(4);

    const bin = await client.fetchBatch(name, 0, { offset: 0 });
    expect(bin.ok).toBe(true);
    if (!bin.ok) return;
    expect(bin.body).toMatchObject({ next_offset: 6, high_watermark: 6, log_start_offset: 0 });
    const dec = new TextDecoder();
    expect(bin.body.records.slice(0, 4).map((r) => [r.offset, r.timestamp, r.key && [...r.key], r.value && [...r.value], r.headers.map((h) => [h.key, h.value && dec.decode(h.value)])])).toEqual([
      [0, T0, [...enc.encode("k0")], [...enc.encode("v0")], []],
      [1, T0 + 5, null, [0, 255, 7], [["h", "x"], ["nul", null]]],
      [2, T0 - 3, [1, 2], null, []],
      [3, T0 + 1, null, [...enc.encode("ü ✓ 😀")], []],
    ]);

    const json = await client.fetchRecords(name, 0, { offset: 0, encoding: "base64" });
    expect(json.ok && json.body.records.map((r) => [r.offset, r.timestamp, r.value])).toEqual(
      bin.body.records.map((r) => [r.offset, r.timestamp, r.value === null ? null : btoa(String.fromCharCode(...r.value))]),
    );
    expect(json.ok && json.body.records[1]!.headers).toEqual({ h: btoa("x"), nul: null });
  });

  it("the same records produced as JSON and as a binary batch store the same bytes", async () => {
    const name = await topic();
    const asJson = records.map((r) => ({
      key: r.key === null || r.key === undefined ? null : btoa(String.fromCharCode(...(typeof r.key === "string" ? enc.encode(r.key) : r.key))),
      value: r.value === null ? null : btoa(String.fromCharCode(...(typeof r.value === "string" ? enc.encode(r.value) : r.value))),
      headers: Object.fromEntries(Object.entries(r.headers ?? {}).map(([k, v]) => [k, v === null ? null : btoa(v)])),
      timestamp: r.timestamp,
    }));
    expect((await client.request("POST", `/v1/topics/${name}/partitions/0/records`, { body: { records: asJson, encoding: "base64" } })).ok).toBe(true);
    expect((await client.produceBatch(name, 1, records)).ok).toBe(true);
    const [a, b] = await Promise.all([client.fetchBatch(name, 0), client.fetchBatch(name, 1)]);
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect(b.body.records).toEqual(a.body.records);
  });

  it("a binary fetch starts inside a batch and stops at max_records, max_bytes and the high watermark", async () => {
    const name = await topic();
    const ten = Array.from({ length: 10 }, (_, i) => ({ value: `value-${i}`, timestamp: T0 + i }));
    await client.produceBatch(name, 0, ten);
    const mid = await client.fetchBatch(name, 0, { offset: 3, max_records: 4 });
    expect(mid.ok && [mid.body.records.map((r) => r.offset), mid.body.next_offset]).toEqual([[3, 4, 5, 6], 7]);
    const tight = await client.fetchBatch(name, 0, { offset: 8, max_bytes: 1 });
    expect(tight.ok && [tight.body.records.map((r) => r.offset), tight.body.next_offset]).toEqual([[8], 9]);
    const end = await client.fetchBatch(name, 0, { offset: 10 });
    expect(end.ok && [end.body.records.length, end.body.next_offset, end.body.high_watermark]).toEqual([0, 10, 10]);
  });

  it("the largest fetch (LIMITS.maxFetchRecords, LIMITS.maxFetchBytes) reads past 10,000 records in one answer, JSON and binary alike; bytes bind below it", async () => {
    const name = await topic();
    for (let b = 0; b < 12; b++)
      expect((await client.produceBatch(name, 0, Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: `v-${b}-${i}`, timestamp: T0 + b })))).ok).toBe(true);
    const most = { offset: 500, max_records: LIMITS.maxFetchRecords, max_bytes: LIMITS.maxFetchBytes };
    const [json, bin] = await Promise.all([client.fetchRecords(name, 0, most), client.fetchBatch(name, 0, most)]);
    if (!json.ok || !bin.ok) throw new Error("fetch failed");
    expect([json.body.records.length, json.body.next_offset, bin.body.records.length, bin.body.next_offset]).toEqual([11_500, 12_000, 11_500, 12_000]);
    const dec = new TextDecoder();
    expect(bin.body.records.map((r) => [r.offset, r.timestamp, dec.decode(r.key!), dec.decode(r.value!)])).toEqual(
      json.body.records.map((r) => [r.offset, r.timestamp, r.key, r.value]),
    );
    expect(json.body.records.at(-1)).toMatchObject({ offset: 11_999, key: "k999", value: "v-11-999", timestamp: T0 + 11 });
    // Under the record limit the bytes bind: ~13 stored bytes a record, so 100,000 bytes stop well before the end.
    const byBytes = await client.fetchBatch(name, 0, { offset: 0, max_records: LIMITS.maxFetchRecords, max_bytes: 100_000 });
    expect(byBytes.ok && byBytes.body.records.length).toBeGreaterThan(5_000);
    expect(byBytes.ok && byBytes.body.records.length).toBeLessThan(10_000);
  }, 20_000);

  it("bad batches are CORRUPT_MESSAGE (2) or INVALID_REQUEST (42) and nothing is written", async () => {
    const name = await topic();
    const good = (() => {
      const b = new BatchBuilder();
      b.add({ key: null, value: enc.encode("a"), headers: [] }, T0);
      b.add({ key: null, value: enc.encode("b"), headers: [] }, T0);
      return b.finish().blob;
    })();
    const badHeaderKey = encodeBatch(T0, [encodeRecord({ key: null, value: null, headers: [{ key: "k", value: null }] }, 0, 0)]);
    badHeaderKey[badHeaderKey.length - 2] = 0xff; // the header key's one byte: not UTF-8
    const cases: [string, Uint8Array, number][] = [
      ["empty body", new Uint8Array(0), 2],
      ["truncated", good.slice(0, good.length - 1), 2],
      ["trailing byte", new Uint8Array([...good, 0]), 2],
      ["offset deltas out of order", encodeBatch(T0, [encodeRecord({ key: null, value: null, headers: [] }, 1, 0)]), 2],
      ["header key not UTF-8", badHeaderKey, 2],
      ["unknown version", new Uint8Array([9, ...good.slice(1)]), 2],
      ["no records", encodeBatch(T0, []), 42],
    ];
    for (const [what, body, code] of cases) {
      const r = await postBatch(name, body);
      expect([what, r.ok ? 200 : r.error.error_code]).toEqual([what, code]);
    }
    expect(await highWatermark(name)).toBe(0);
    expect((await postBatch(name, good)).ok).toBe(true);
    expect(await highWatermark(name)).toBe(2);
  });

  it("a record over max.message.bytes is MESSAGE_TOO_LARGE (10); the topic-level path refuses batches (42)", async () => {
    const name = await topic({ "max.message.bytes": "100" });
    const big = await client.produceBatch(name, 0, [{ value: "x".repeat(50) }, { value: "y".repeat(200) }]);
    expect(big).toMatchObject({ ok: false, status: 413, error: { error_code: 10, error: "MESSAGE_TOO_LARGE" } });
    const b = new BatchBuilder();
    b.add({ key: null, value: enc.encode("a"), headers: [] }, T0);
    const topicLevel = await postBatch(name, b.finish().blob, `/v1/topics/${name}/records`);
    expect(topicLevel).toMatchObject({ ok: false, error: { error_code: 42 } });
    expect(await highWatermark(name)).toBe(0);
  });

  it("an idempotent binary batch sent twice is written once and the retry answers the original base offset", async () => {
    const name = await topic();
    const id = await client.initProducerId();
    if (!id.ok) throw new Error("no producer id");
    const producer = { producer_id: id.body.producer_id, producer_epoch: id.body.producer_epoch, base_sequence: 0 };
    await client.produceBatch(name, 0, [{ value: "other" }]);
    // Current timestamps: producer state expires by the batch's own (CreateTime) timestamp, as Kafka's.
    const batch = records.map(({ timestamp: _t, ...r }) => r);
    const a = await client.produceBatch(name, 0, batch, { producer });
    const retry = await client.produceBatch(name, 0, batch, { producer });
    expect([a.ok && a.body.base_offset, retry.ok && retry.body.base_offset]).toEqual([1, 1]);
    expect(await highWatermark(name)).toBe(5);
    const gap = await client.produceBatch(name, 0, batch, { producer: { ...producer, base_sequence: 9 } });
    expect(gap).toMatchObject({ ok: false, error: { error_code: 45 } });
  });

  it("LogAppendTime replaces the batch's timestamps with the leader's append time, which the answer names", async () => {
    const name = await topic({ "message.timestamp.type": "LogAppendTime" });
    const r = await client.produceBatch(name, 0, records);
    expect(r.ok && typeof r.body.log_append_time).toBe("number");
    const f = await client.fetchBatch(name, 0);
    expect(f.ok && r.ok && f.body.records.map((x) => x.timestamp)).toEqual(records.map(() => r.ok && r.body.log_append_time));
  });

  it("acks=0 answers 202 and the batch lands", async () => {
    const name = await topic();
    const r = await client.produceBatch(name, 0, records, { acks: "0" });
    expect(r.status).toBe(202);
    const f = await client.fetchBatch(name, 0, { wait_ms: 5_000 });
    expect(f.ok && f.body.records.length).toBe(4);
  });
});
