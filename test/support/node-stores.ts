/**
 * The log stores a contract suite runs against in plain Node: the memory store, and the SQLite
 * store over node:sqlite with the partition replica's migrations (a reopen is a new store on the
 * same database). Used by test/unit/log-store.contract.test.ts and compaction.contract.test.ts.
 */
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import type { WithStore } from "../contract/log-store.contract.ts";
import { partitionReplicaMigrations } from "./migrations.ts";
import { NodeSqlitePort } from "./node-sqlite-port.ts";

export const NODE_STORES: readonly [name: string, withStore: WithStore][] = [
  [
    "memory",
    async (body) => {
      const store = new MemoryLogStore();
      body({ store, reopen: () => store });
    },
  ],
  [
    "sqlite over node:sqlite",
    async (body) => {
      const port = new NodeSqlitePort();
      try {
        applyMigrations(port, partitionReplicaMigrations());
        body({ store: new SqliteLogStore(port), reopen: () => new SqliteLogStore(port) });
      } finally {
        port.close();
      }
    },
  ],
];
