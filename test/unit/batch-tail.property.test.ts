/**
 * The SQLite store's tail of newest batches (src/storage/batch-tail.ts) as a property: whatever
 * sequence of appends, truncations (with the straddling batch trimmed, as local-log.ts does),
 * deletions of the log start (retention, DeleteRecords, tiered offload), cleaner rewrites,
 * state saves and rolled-back transactions runs, every `batchesFrom` (read partly or to the
 * end) and `batchAtOrBefore` of the store with its tail answers exactly what SQLite holds (the
 * same store reopened, which has no tail) and what the memory store answers; and the state row,
 * saved by an UPDATE once the store knows it exists (also after a rolled-back save), is the one
 * saved. Tails from 0 bytes (only the newest batch) to more than the whole log; seeded
 * fast-check runs over node:sqlite.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BatchRow, LogStore } from "../../src/log/log-store.ts";
import type { ReplicaRole } from "../../src/protocol/types.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

type Op =
  | { kind: "append"; span: number; size: number }
  | { kind: "truncate"; at: number; trim: boolean }
  | { kind: "deleteStart"; at: number }
  | { kind: "rewrite"; at: number; keep: number }
  | { kind: "state"; hw: number; role: ReplicaRole }
  | { kind: "rollback"; ops: Op[] }
  | { kind: "read"; at: number; take: number };

/** `at` fields are fractions of the log's offset range, so they land inside it. */
const frac = fc.double({ min: 0, max: 1.1, noNaN: true });
const arm = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });
const writeOp: fc.Arbitrary<Op> = fc.oneof(
  arm(6, fc.record({ kind: fc.constant("append"), span: fc.integer({ min: 1, max: 5 }), size: fc.integer({ min: 1, max: 120 }) })),
  arm(1, fc.record({ kind: fc.constant("truncate"), at: frac, trim: fc.boolean() })),
  arm(1, fc.record({ kind: fc.constant("deleteStart"), at: frac })),
  arm(2, fc.record({ kind: fc.constant("rewrite"), at: frac, keep: fc.integer({ min: 0, max: 60 }) })),
  arm(2, fc.record({ kind: fc.constant("state"), hw: fc.nat(1000), role: fc.constantFrom<ReplicaRole>("leader", "follower", "none") })),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  arm(5, writeOp),
  arm(1, fc.record({ kind: fc.constant("rollback"), ops: fc.array(writeOp, { minLength: 1, maxLength: 3 }) })),
  arm(4, fc.record({ kind: fc.constant("read"), at: frac, take: fc.integer({ min: 1, max: 40 }) })),
);

let nextByte = 0;
const blob = (size: number): Uint8Array => Uint8Array.from({ length: size }, () => nextByte++ & 0xff);

/** The offset range the log covers now (by the reference store). */
function range(ref: LogStore): { start: number; end: number } {
  const all = [...ref.batchesFrom(0)];
  return { start: all[0]?.baseOffset ?? 0, end: (all.at(-1)?.lastOffset ?? -1) + 1 };
}
const offsetAt = (ref: LogStore, f: number): number => {
  const { start, end } = range(ref);
  return Math.floor(start + f * (end - start));
};

/** Applies one write to a store; the offsets were worked out on the reference store first. */
type Write = (s: LogStore) => void;

function planWrite(ref: LogStore, o: Op): Write {
  const { end } = range(ref);
  switch (o.kind) {
    case "append": {
      const base = end;
      const row: BatchRow = {
        baseOffset: base,
        lastOffset: base + o.span - 1,
        leaderEpoch: 1,
        producerId: -1,
        producerEpoch: -1,
        baseSequence: -1,
        maxTimestamp: base,
        recordCount: o.span,
        sizeBytes: o.size,
        segment: 0,
        records: blob(o.size),
      };
      return (s) => s.appendBatch(row);
    }
    case "truncate": {
      const at = offsetAt(ref, o.at);
      return (s) => {
        // local-log.ts truncateFrom: the holder is looked up first (through the tail, if held).
        const holder = s.batchAtOrBefore(at);
        s.deleteBatchesFrom(at);
        if (o.trim && holder && holder.baseOffset < at && holder.lastOffset >= at) {
          const records = holder.records.slice(0, Math.max(1, holder.records.length >> 1));
          const trimmed = { lastOffset: at - 1, recordCount: at - holder.baseOffset, sizeBytes: records.length, records };
          s.replaceBatch({ ...holder, ...trimmed });
        }
      };
    }
    case "deleteStart": {
      const at = offsetAt(ref, o.at);
      return (s) => s.deleteBatchesBelow(at);
    }
    case "rewrite": {
      const b = ref.batchAtOrBefore(offsetAt(ref, o.at));
      if (!b) return () => undefined;
      const records = b.records.slice(0, Math.min(o.keep, b.records.length));
      const row = { ...b, records, sizeBytes: records.length, recordCount: Math.min(b.recordCount, o.keep) };
      return (s) => s.replaceBatch(row);
    }
    case "state": {
      const state = { logStartOffset: 0, logEndOffset: 1000, highWatermark: o.hw, leaderEpoch: 1, role: o.role };
      return (s) => s.saveState(state);
    }
    default:
      throw new Error(`not a write: ${o.kind}`);
  }
}

const rolledBack = new Error("rolled back on purpose");

/**
 * Runs `o` on the reference store (planning each write on it as it goes), then the same writes
 * on `cached`: each write in a transaction of its own, a rollback's writes in one that throws.
 */
function apply(cached: LogStore, ref: LogStore, o: Op): void {
  if (o.kind === "read") return;
  if (o.kind !== "rollback") {
    const w = planWrite(ref, o);
    ref.transaction(() => w(ref));
    cached.transaction(() => w(cached));
    return;
  }
  const writes: Write[] = [];
  const throwing = (s: LogStore, body: () => void) =>
    expect(() =>
      s.transaction(() => {
        body();
        throw rolledBack;
      }),
    ).toThrow(rolledBack);
  throwing(ref, () => {
    for (const inner of o.ops) {
      const w = planWrite(ref, inner);
      w(ref);
      writes.push(w);
    }
  });
  throwing(cached, () => {
    for (const w of writes) w(cached);
  });
}

const plain = (rows: Iterable<BatchRow>, take: number) => {
  const out: BatchRow[] = [];
  for (const r of rows) {
    if (out.length >= take) break;
    out.push({ ...r, records: Uint8Array.from(r.records) });
  }
  return out;
};

function checkReads(cached: SqliteLogStore, port: NodeSqlitePort, ref: LogStore, at: number, take: number): void {
  const truth = new SqliteLogStore(port); // reopened: no tail, every answer from SQLite
  const want = plain(ref.batchesFrom(at), take);
  expect(plain(truth.batchesFrom(at), take)).toEqual(want);
  expect(plain(cached.batchesFrom(at), take)).toEqual(want);
  expect(cached.batchAtOrBefore(at)).toEqual(ref.batchAtOrBefore(at));
  expect(truth.loadState()).toEqual(ref.loadState());
}

describe("the SQLite store's tail of newest batches", () => {
  it("answers every batchesFrom and batchAtOrBefore as SQLite and the memory store do, through appends, truncations, deletions of the start, rewrites, state saves and rollbacks", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 160 }), fc.constantFrom(0, 100, 400, 1 << 20), (ops, tailBytes) => {
        const port = new NodeSqlitePort();
        try {
          applyMigrations(port, partitionReplicaMigrations());
          const cached = new SqliteLogStore(port, { tailBytes });
          const ref = new MemoryLogStore();
          for (const o of ops) {
            apply(cached, ref, o);
            if (o.kind === "read") checkReads(cached, port, ref, offsetAt(ref, o.at), o.take);
            const { start, end } = range(ref);
            for (const at of [start, Math.max(start, end - 1), end]) checkReads(cached, port, ref, at, Infinity);
          }
        } finally {
          port.close();
        }
      }),
      { seed: 22, numRuns: 200 },
    );
  });
});
