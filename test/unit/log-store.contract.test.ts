/**
 * Runs the LogStore contract against the memory store and the SQLite store over node:sqlite, and
 * checks how many batch rows the SQLite store loads when a read goes on past its first batch.
 */
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import type { SqlPort, SqlValue } from "../../src/storage/sql-port.ts";
import { logStoreContract } from "../contract/log-store.contract.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";
import { NODE_STORES } from "../support/node-stores.ts";

for (const [name, withStore] of NODE_STORES) logStoreContract(name, withStore);

describe("SqliteLogStore reads", () => {
  /**
   * Appends `count` batches of 10 offsets declaring `sizeBytes` each; answers the LIMIT query's
   * row counts while a reopened store reads from offset 5.
   */
  function scanChunks(count: number, sizeBytes: number, check: (it: Generator<{ baseOffset: number }>, loaded: number[]) => void): number[] {
    const port = new NodeSqlitePort();
    try {
      applyMigrations(port, partitionReplicaMigrations());
      const loaded: number[] = [];
      const counting: SqlPort = {
        exec: <T extends object>(sql: string, ...params: SqlValue[]) => {
          const rows = port.exec<T>(sql, ...params);
          if (/FROM batches WHERE base_offset >= \? AND base_offset < \?\s+ORDER BY base_offset LIMIT/.test(sql)) loaded.push(rows.length);
          return rows;
        },
        execScript: (sql) => port.execScript(sql),
        transaction: (fn) => port.transaction(fn),
      };
      const writer = new SqliteLogStore(counting);
      for (let i = 0; i < count; i++)
        writer.appendBatch({ baseOffset: 10 * i, lastOffset: 10 * i + 9, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, maxTimestamp: i, recordCount: 10, sizeBytes, segment: 0, records: new Uint8Array([i]) });
      // A reopened store: its tail of newest batches (batch-tail.ts) is empty, so it scans SQLite.
      check(new SqliteLogStore(counting).batchesFrom(5), loaded);
      return loaded;
    } finally {
      port.close();
    }
  }

  it("reading on past the holder asks SQLite for one batch, then two, then four: a read a few records past a batch loads one more", () => {
    const loaded = scanChunks(12, 1, (it, loaded) => {
      expect([it.next().value?.baseOffset, it.next().value?.baseOffset]).toEqual([0, 10]);
      expect(loaded).toEqual([1]);
      expect([...it].map((b) => b.baseOffset)).toEqual([20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
    });
    expect(loaded).toEqual([1, 2, 4, 4]);
  });

  it("a long scan of small batches doubles its query up to 64 rows; of 1 MiB batches it stays at 4 (4 MiB a query)", () => {
    const drain = (it: Generator<{ baseOffset: number }>) => void [...it];
    expect(scanChunks(300, 10_000, drain)).toEqual([1, 2, 4, 8, 16, 32, 64, 64, 64, 44]);
    expect(scanChunks(20, 1024 * 1024, drain)).toEqual([1, 2, 4, 4, 4, 4, 0]);
  });

  it("an append that only grows the active segment writes no segment row; a reopened store has its stats from the batches, and a roll stores the old active segment's final stats", () => {
    const port = new NodeSqlitePort();
    try {
      applyMigrations(port, partitionReplicaMigrations());
      const segmentWrites: number[] = [];
      const counting: SqlPort = {
        exec: <T extends object>(sql: string, ...params: SqlValue[]) => {
          if (/INSERT INTO segments/.test(sql)) segmentWrites.push(Number(params[0]));
          return port.exec<T>(sql, ...params);
        },
        execScript: (sql) => port.execScript(sql),
        transaction: (fn) => port.transaction(fn),
      };
      const store = new SqliteLogStore(counting);
      const batch = (i: number, segment: number) => ({ baseOffset: 10 * i, lastOffset: 10 * i + 9, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, maxTimestamp: 100 + i, recordCount: 10, sizeBytes: 5, segment, records: new Uint8Array(5) });
      const seg = (baseOffset: number, n: number, first: number) => ({ baseOffset, createdAt: 7, sizeBytes: 5 * n, recordCount: 10 * n, maxTimestamp: 100 + first + n - 1 });
      store.putSegment(seg(0, 0, 0));
      for (let i = 0; i < 3; i++) {
        store.appendBatch(batch(i, 0));
        store.putSegment(seg(0, i + 1, 0));
      }
      expect(segmentWrites).toEqual([0]);
      expect(new SqliteLogStore(port).segments()).toEqual([seg(0, 3, 0)]);
      store.putSegment({ ...seg(30, 0, 3), maxTimestamp: -1 });
      expect(segmentWrites).toEqual([0, 0, 30]);
      expect(port.exec("SELECT size_bytes AS s, record_count AS n FROM segments WHERE base_offset = 0")).toEqual([{ s: 15, n: 30 }]);
    } finally {
      port.close();
    }
  });
});
