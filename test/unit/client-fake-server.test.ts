/**
 * The fake server (test/support/fake-log-server.ts) keeps the broker's idempotent-produce
 * contract, so the producer tests that run against it mean something. Driven through the
 * typed client's plain calls (no producer logic involved).
 */
import { describe, expect, it } from "vitest";
import { FlarelogClient } from "../../src/client/flarelog-client.ts";
import { FakeLogServer } from "../support/fake-log-server.ts";

const MAX_SEQUENCE = 2147483647;

function setup() {
  const server = new FakeLogServer({ t: 2 });
  const client = new FlarelogClient({ baseUrl: "http://fake", token: "x", fetch: server.fetch });
  const produce = (values: string[], producer?: { producer_id: number; producer_epoch: number; base_sequence: number }, partition = 0) =>
    client.produce(
      "t",
      values.map((value) => ({ value, timestamp: 1 })),
      { partition, ...(producer ? { producer } : {}) },
    );
  return { server, client, produce };
}

const codeOf = (r: { ok: boolean; error?: { error_code: number } }) => (r.ok ? 0 : r.error!.error_code);

describe("fake server: producer ids", () => {
  it("hands out new ids, a transactional id's next epoch, and bumps only the current epoch (47 stale, 59 unknown)", async () => {
    const { client } = setup();
    const a = await client.initProducerId();
    const b = await client.initProducerId();
    expect(a.ok && b.ok && a.body.producer_id !== b.body.producer_id).toBe(true);
    const t1 = await client.initProducerId({ transactional_id: "tx" });
    const t2 = await client.initProducerId({ transactional_id: "tx" });
    expect(t1.ok && t2.ok).toBe(true);
    if (!t1.ok || !t2.ok || !a.ok) return;
    expect(t2.body).toEqual({ producer_id: t1.body.producer_id, producer_epoch: t1.body.producer_epoch + 1 });
    const bumped = await client.initProducerId({ producer_id: a.body.producer_id, producer_epoch: 0 });
    expect(bumped.ok && bumped.body).toEqual({ producer_id: a.body.producer_id, producer_epoch: 1 });
    expect(codeOf(await client.initProducerId({ producer_id: a.body.producer_id, producer_epoch: 0 }))).toBe(47);
    expect(codeOf(await client.initProducerId({ producer_id: 999_999, producer_epoch: 0 }))).toBe(59);
  });
});

describe("fake server: idempotent produce", () => {
  it("answers a retried batch with its original offsets and writes it once", async () => {
    const { server, produce } = setup();
    const first = await produce(["a", "b"], { producer_id: 1, producer_epoch: 0, base_sequence: 0 });
    const again = await produce(["a", "b"], { producer_id: 1, producer_epoch: 0, base_sequence: 0 });
    expect(first.ok && again.ok && again.body.offsets).toEqual(first.ok && first.body.offsets);
    expect(server.values("t", 0)).toEqual(["a", "b"]);
    expect(server.duplicatesAnswered).toBe(1);
  });

  it("refuses a gap and a retry older than the last 5 batches with 45, writing nothing", async () => {
    const { server, produce } = setup();
    for (let i = 0; i < 6; i++) expect(codeOf(await produce([`v${i}`], { producer_id: 1, producer_epoch: 0, base_sequence: i }))).toBe(0);
    expect(codeOf(await produce(["gap"], { producer_id: 1, producer_epoch: 0, base_sequence: 7 }))).toBe(45);
    expect(codeOf(await produce(["v0"], { producer_id: 1, producer_epoch: 0, base_sequence: 0 }))).toBe(45);
    expect(codeOf(await produce(["v1"], { producer_id: 1, producer_epoch: 0, base_sequence: 1 }))).toBe(0);
    expect(server.values("t", 0)).toEqual(["v0", "v1", "v2", "v3", "v4", "v5"]);
  });

  it("fences an older epoch with 47 and makes a newer epoch start at sequence 0", async () => {
    const { server, produce } = setup();
    await produce(["a"], { producer_id: 1, producer_epoch: 1, base_sequence: 0 });
    expect(codeOf(await produce(["old"], { producer_id: 1, producer_epoch: 0, base_sequence: 1 }))).toBe(47);
    expect(codeOf(await produce(["new"], { producer_id: 1, producer_epoch: 2, base_sequence: 5 }))).toBe(45);
    expect(codeOf(await produce(["new"], { producer_id: 1, producer_epoch: 2, base_sequence: 0 }))).toBe(0);
    expect(server.values("t", 0)).toEqual(["a", "new"]);
  });

  it("accepts any first sequence without state and wraps sequences from 2^31-1 to 0", async () => {
    const { server, produce } = setup();
    expect(codeOf(await produce(["x", "y", "z"], { producer_id: 1, producer_epoch: 0, base_sequence: MAX_SEQUENCE - 1 }))).toBe(0);
    expect(codeOf(await produce(["w"], { producer_id: 1, producer_epoch: 0, base_sequence: 2 }))).toBe(45);
    expect(codeOf(await produce(["w"], { producer_id: 1, producer_epoch: 0, base_sequence: 1 }))).toBe(0);
    expect(server.values("t", 0)).toEqual(["x", "y", "z", "w"]);
  });

  it("keeps producers apart per partition, and a truncation rewinds the producer state", async () => {
    const { server, produce } = setup();
    await produce(["a"], { producer_id: 1, producer_epoch: 0, base_sequence: 0 });
    await produce(["b"], { producer_id: 1, producer_epoch: 0, base_sequence: 1 });
    expect(codeOf(await produce(["p1"], { producer_id: 1, producer_epoch: 0, base_sequence: 40 }, 1))).toBe(0);
    server.truncate("t", 0, 1);
    expect(codeOf(await produce(["c"], { producer_id: 1, producer_epoch: 0, base_sequence: 2 }))).toBe(45);
    expect(codeOf(await produce(["b"], { producer_id: 1, producer_epoch: 0, base_sequence: 1 }))).toBe(0);
    expect(server.values("t", 0)).toEqual(["a", "b"]);
  });
});
