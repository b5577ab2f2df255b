/**
 * The e2e target's ablation in `npm run bench` (issue 22): the floor worker's own produce →
 * commit → long-poll pipeline (bench/floor/worker.ts `/e2e-write`, `/e2e-read`), started in its
 * own workerd as the bench starts it, and bench/e2e.ts's workload run against it. A consumer of
 * the floor sees a row only once it is in all three objects, a waiting poll is woken by the
 * commit (not by its timeout), and the workload's producer and consumer lose and double nothing.
 * Also the RF 3 JSON target's floor, `/json-hop`: the JSON contract over the same replicated write.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floorE2eRun, type E2eConfig } from "../../bench/e2e.ts";
import { startFloor } from "../../bench/floor.ts";

let dir = "";
let floor: Awaited<ReturnType<typeof startFloor>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flarelog-floor-e2e-"));
  floor = await startFloor(join(dir, "floor"));
}, 60_000);

afterAll(async () => {
  await floor?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function poll(p: string, from: number, waitMs: number): Promise<{ next: number; rows: { records: { value: string }[] }[] }> {
  const res = await fetch(`${floor.url}/e2e-read?p=${p}&from=${from}&max=10&wait_ms=${waitMs}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { next: number; rows: { records: { value: string }[] }[] };
}

async function write(p: string, value: string): Promise<number> {
  const res = await fetch(`${floor.url}/e2e-write?p=${p}`, { method: "POST", body: JSON.stringify({ records: [{ value }] }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: number }).id;
}

describe("the floor's e2e pipeline (the e2e target's ablation)", () => {
  it("a poll with nothing committed and no wait answers no rows and the same start", async () => {
    expect(await poll("empty", 1, 0)).toEqual({ next: 1, rows: [] });
  });

  it("a consumer's first poll, from 0, waits for the first commit like one from 1 (no busy loop before the first row)", async () => {
    // wait_ms far past the test's timeout: answered only by the commit's wake-up.
    const waiting = poll("first", 0, 600_000);
    await write("first", "0:0:x");
    expect(await waiting).toEqual({ next: 2, rows: [{ records: [{ value: "0:0:x" }] }] });
  });

  it("a waiting long poll is woken by the commit, long before its wait ends, and gets the row the two other objects hold", async () => {
    // wait_ms far past the test's timeout: only the commit's wake-up can answer it in time.
    const waiting = poll("wake", 1, 600_000);
    const id = await write("wake", "0:0:x");
    expect(id).toBe(1);
    expect(await waiting).toEqual({ next: 2, rows: [{ records: [{ value: "0:0:x" }] }] });
    for (const follower of ["wake-f1", "wake-f2"]) {
      const res = await fetch(`${floor.url}/read?p=${follower}&from=1&max=10`, { headers: { "accept-encoding": "identity" } });
      expect(JSON.parse(await res.text())).toEqual({ records: [{ value: "0:0:x" }] });
    }
  });

  it("the JSON contract over the replicated write (/json-hop) stores the very body in all three objects and answers one offset per record", async () => {
    const body = JSON.stringify({ records: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    for (const expected of [[0, 1, 2], [3, 4, 5]]) {
      const res = await fetch(`${floor.url}/json-hop?p=jhop`, { method: "POST", body });
      expect(res.status).toBe(200);
      const { offsets } = (await res.json()) as { offsets: { partition: number; offset: number }[] };
      expect(offsets.map((o) => [o.partition, o.offset])).toEqual(expected.map((o) => [0, o]));
    }
    for (const object of ["jhop", "jhop-f1", "jhop-f2"]) {
      const res = await fetch(`${floor.url}/read?p=${object}&from=1&max=10`, { headers: { "accept-encoding": "identity" } });
      expect(await res.text()).toBe(body + body);
    }
  });

  it("committed rows come back in order from any start, at most max per poll", async () => {
    for (let i = 0; i < 12; i++) await write("order", `${i}:0:x`);
    const first = await poll("order", 1, 0);
    expect(first.rows.map((r) => r.records[0]!.value)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}:0:x`));
    expect(first.next).toBe(11);
    const rest = await poll("order", first.next, 0);
    expect(rest.rows.map((r) => r.records[0]!.value)).toEqual(["10:0:x", "11:0:x"]);
    expect(rest.next).toBe(13);
  });

  it("bench/e2e.ts's workload against it receives every record exactly once, with its latency measured", async () => {
    const cfg: E2eConfig = {
      e2eDurationMs: 400,
      e2eWarmupMs: 100,
      e2eRequestsPerSecond: 50,
      e2eRecordsPerRequest: 10,
      e2eWaitMs: 1_000,
      e2eDrainCapMs: 5_000,
      e2eReplicated: true,
    };
    const latencies: number[] = [1];
    const run = await floorE2eRun(floor.url, cfg, "workload", latencies);
    expect(run.missing).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(run.records).toBe(20 * 10);
    expect(run.latency.count).toBe(20 * 10);
    expect(run.produce_latency.count).toBe(20);
    expect(run.latency.p99_ms).toBeGreaterThan(0);
    // The pooled sink keeps what it held and gains exactly this run's records.
    expect(latencies.length).toBe(1 + 20 * 10);
  }, 60_000);
});
