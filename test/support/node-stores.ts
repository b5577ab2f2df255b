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
  [
    // A tail of 256 bytes holds a batch or two: reads cross from SQLite into it, and every
    // append trims it (batch-tail.ts).
    "sqlite over node:sqlite, small tail",
    async (body) => {
      const port = new NodeSqlitePort();
      try {
        applyMigrations(port, partitionReplicaMigrations());
        const open = () => new SqliteLogStore(port, { tailBytes: 256 });
        body({ store: open(), reopen: open });
      } finally {
        port.close();
      }
    },
  ],
];
