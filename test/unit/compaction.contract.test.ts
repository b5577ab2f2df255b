/**
 * Runs the log compaction contract (test/contract/compaction.contract.ts) against the memory store
 * and the SQLite store over node:sqlite, and checks the cleaner's checkpoint survives a reopen.
 */
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { compactionContract } from "../contract/compaction.contract.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";
import { NODE_STORES } from "../support/node-stores.ts";

for (const [name, withStore] of NODE_STORES) compactionContract(name, withStore);

describe("SqliteLogStore cleaner checkpoint", () => {
  it("is null before the first pass and reads back what was saved after a reopen", () => {
    const port = new NodeSqlitePort();
    try {
      applyMigrations(port, partitionReplicaMigrations());
      expect(new SqliteLogStore(port).loadCleanerCheckpoint()).toBeNull();
      new SqliteLogStore(port).saveCleanerCheckpoint({ firstDirtyOffset: 40, tombstoneDeadline: -1 });
      new SqliteLogStore(port).saveCleanerCheckpoint({ firstDirtyOffset: 90, tombstoneDeadline: 1234 });
      expect(new SqliteLogStore(port).loadCleanerCheckpoint()).toEqual({ firstDirtyOffset: 90, tombstoneDeadline: 1234 });
    } finally {
      port.close();
    }
  });
});
