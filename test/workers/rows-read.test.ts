/**
 * SQLite rows read per produced batch, counted by the DO SQL cursor's own `rowsRead` (what
 * Cloudflare bills) through DoSqlPort's counters (platform-units.ts), on a real Durable Object's
 * storage: a push of what the leader just appended and a fetch at the log's end read no rows
 * (the store's tail of newest batches, src/storage/batch-tail.ts); an append, on the leader or
 * on a follower, writes its batch row only (the LEO and HW it commits are kept with it, not in
 * the state row) and reads one row, the batch's key; a leader's HW rise (its followers'
 * answers) writes nothing until a read shows it or the next append carries it; so through the
 * whole cluster an RF 3 produce writes one row per replica and reads as many as it writes (`/metrics`).
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { PartitionLog } from "../../src/log/partition-log.ts";
import type { ReplicateRequest } from "../../src/protocol/types.ts";
import { DoSqlPort } from "../../src/storage/do-sql-port.ts";
import { platformUnits } from "../../src/storage/platform-units.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { cfg, recs } from "../contract/log-helpers.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { ADMIN_TOKEN, uniqueTopic } from "../support/worker-client.ts";

const EPOCH = 3;

/** Rows read and written by `fn`'s SQL on DoSqlPorts labelled "other" (nothing else runs meanwhile: `fn` is synchronous). */
function rowsBy(fn: () => void): { read: number; written: number } {
  const now = () => platformUnits().find((u) => u.cls === "other") ?? { rowsRead: 0, rowsWritten: 0 };
  const before = now();
  fn();
  const after = now();
  return { read: after.rowsRead - before.rowsRead, written: after.rowsWritten - before.rowsWritten };
}

const rowsReadBy = (fn: () => void): number => rowsBy(fn).read;

/** A PartitionLog over a fresh replica object's SQLite (the DO ran its migrations). */
const inFreshLog = <T>(fn: (log: PartitionLog) => T): Promise<T> =>
  runInDurableObject(env.PARTITION_REPLICA.getByName(crypto.randomUUID()), (_instance, state) =>
    fn(PartitionLog.open(new SqliteLogStore(new DoSqlPort(state.storage, "other")), new FakeClock(), cfg())),
  );

function push(log: PartitionLog, from: number): ReplicateRequest {
  const batches = log.batchesForReplication(from, 1 << 20);
  const prevOffset = batches[0]!.baseOffset;
  return {
    leaderId: 1,
    leaderEpoch: EPOCH,
    prevOffset,
    prevEpoch: prevOffset === 0 ? -1 : log.epochAt(prevOffset - 1),
    batches,
    highWatermark: log.highWatermark,
    logStartOffset: log.logStartOffset,
    leaderEpochStartOffset: 0,
  };
}

it("a push of the batches the leader just appended, and a fetch of them, read 0 SQLite rows; an append, on the leader or a follower, writes its batch row only and reads 1", async () => {
  const pushes = await inFreshLog((log) => {
    expect(log.becomeLeader(EPOCH).ok).toBe(true);
    const out: ReplicateRequest[] = [];
    for (let i = 0; i < 5; i++) {
      const from = log.logEndOffset;
      const appendRows = rowsBy(() => expect(log.appendAsLeader(recs(`a${i}`, `b${i}`), EPOCH, undefined, Infinity).ok).toBe(true));
      // The first append also loads the segment table once (the store caches it) and writes the
      // segment's row; after it, the batch row alone (the state row is derived from it on load).
      if (i > 0) expect(appendRows).toEqual({ read: 1, written: 1 });
      expect(rowsReadBy(() => out.push(push(log, from)))).toBe(0);
      const fetched = rowsReadBy(() => {
        const r = log.readBatches({ offset: from, maxRecords: 10, maxBytes: 1 << 20 });
        expect(r.ok && r.value.nextOffset).toBe(from + 2);
      });
      expect(fetched).toBe(0);
    }
    // Every push together, as a follower that fell behind is sent them: still from memory.
    expect(rowsReadBy(() => expect(log.batchesForReplication(0, 1 << 20)).toHaveLength(5))).toBe(0);
    return out;
  });
  await inFreshLog((follower) => {
    expect(follower.becomeFollower(EPOCH).ok).toBe(true);
    for (const [i, p] of pushes.entries()) {
      const rows = rowsBy(() => expect(follower.appendAsFollower(p)).toMatchObject({ ok: true, value: { status: "ok" } }));
      // The first push also loads the epoch and segment tables once and writes the role.
      if (i > 0) expect(rows).toEqual({ read: 1, written: 1 });
    }
    expect(follower.logEndOffset).toBe(10);
    expect(follower.highWatermark).toBe(10);
  });
});

it("a leader's HW rise writes no row; the first read that shows it stores it (1 row, then 0), and a restart comes back at the HW it showed", async () => {
  await runInDurableObject(env.PARTITION_REPLICA.getByName(crypto.randomUUID()), (_instance, state) => {
    const open = () => PartitionLog.open(new SqliteLogStore(new DoSqlPort(state.storage, "other")), new FakeClock(), cfg());
    const log = open();
    expect(log.becomeLeader(EPOCH).ok).toBe(true);
    // Two followers hold nothing yet: the appends leave the HW at 0.
    for (let i = 0; i < 3; i++) expect(log.appendAsLeader(recs(`h${i}`), EPOCH, undefined, 0).ok).toBe(true);
    expect(log.highWatermark).toBe(0);
    // Their answers raise it: in memory only.
    expect(rowsBy(() => expect(log.maybeIncrementHighWatermark(2)).toBe(true))).toEqual({ read: 0, written: 0 });
    expect([log.highWatermark, log.storedHighWatermark]).toEqual([2, 0]);
    // A rise nobody saw is lost by a restart (the next answers bring it back) ...
    expect(open().highWatermark).toBe(0);
    // ... one that a fetch shows is stored first, in the fetch's own turn: the state row, once.
    const shown = rowsBy(() => expect(log.readBatches({ offset: 0, maxRecords: 10, maxBytes: 1 << 20 })).toMatchObject({ ok: true, value: { highWatermark: 2 } }));
    expect(shown.written).toBe(1);
    expect(rowsBy(() => log.readBatches({ offset: 0, maxRecords: 10, maxBytes: 1 << 20 })).written).toBe(0);
    expect(open().highWatermark).toBe(2);
    // The next append carries a later rise in its batch row: still one row written.
    log.maybeIncrementHighWatermark(3);
    expect(rowsBy(() => log.appendAsLeader(recs("h3"), EPOCH, undefined, 3)).written).toBe(1);
    expect(open().highWatermark).toBe(3);
  });
});

it("a reopened store (no tail yet) reads a push from SQLite, and the batches it appends next from memory", async () => {
  await runInDurableObject(env.PARTITION_REPLICA.getByName(crypto.randomUUID()), (_instance, state) => {
    const open = () => PartitionLog.open(new SqliteLogStore(new DoSqlPort(state.storage, "other")), new FakeClock(), cfg());
    const first = open();
    expect(first.becomeLeader(EPOCH).ok).toBe(true);
    for (let i = 0; i < 3; i++) first.appendAsLeader(recs(`x${i}`), EPOCH, undefined, Infinity);
    const log = open();
    expect(rowsReadBy(() => log.batchesForReplication(0, 1 << 20))).toBeGreaterThan(0);
    log.appendAsLeader(recs("y"), EPOCH, undefined, Infinity);
    expect(rowsReadBy(() => expect(log.batchesForReplication(3, 1 << 20)).toHaveLength(1))).toBe(0);
  });
});

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
  return exports.default.fetch(new Request(`http://flarelog.test${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) }));
}

/** The partition replicas' rows read and written so far, from the `/metrics` scrape. */
async function replicaRows(): Promise<{ read: number; written: number }> {
  const text = await (await call("GET", "/metrics")).text();
  const sample = (family: string) => Number(text.match(new RegExp(`^${family}\\{class="partition_replica"\\} (\\d+)$`, "m"))?.[1] ?? 0);
  return { read: sample("flarelog_sqlite_rows_read_total"), written: sample("flarelog_sqlite_rows_written_total") };
}

it("RF 3 acks=all produces read no row back: the replicas read as many SQLite rows as they write", async () => {
  const topic = uniqueTopic("rows-read");
  expect((await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 3 })).status).toBe(201);
  const produce = (i: number) => call("POST", `/v1/topics/${topic}/partitions/0/records?acks=all`, { records: [{ value: `v${i}` }, { value: `w${i}` }] });
  // The first produce also loads each replica's segment and epoch tables once.
  expect((await produce(0)).status).toBe(200);
  const before = await replicaRows();
  for (let i = 1; i <= 5; i++) expect((await produce(i)).status).toBe(200);
  const after = await replicaRows();
  // Each batch: 1 row on the leader and 1 per follower push; the HW the followers' answers raise
  // is kept in the leader's memory (stored by its next append). An HW-only push, after 20 ms of
  // quiet, adds 1 row per follower and the leader's stored HW: at most 6 per batch.
  expect(after.written - before.written).toBeGreaterThanOrEqual(5 * 3);
  expect(after.written - before.written).toBeLessThanOrEqual(5 * 6);
  expect(after.read - before.read).toBe(after.written - before.written);
});
