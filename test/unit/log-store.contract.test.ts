/** Runs the LogStore contract against the memory store and the SQLite store over node:sqlite. */
import { applyMigrations } from "../../src/log/migrations.ts";
import { MemoryLogStore } from "../../src/log/memory-log-store.ts";
import { SqliteLogStore } from "../../src/log/sqlite-log-store.ts";
import { logStoreContract, type StoreHarness } from "../contract/log-store.contract.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

logStoreContract("memory", async (body: (h: StoreHarness) => void) => {
  const store = new MemoryLogStore();
  body({ store, reopen: () => store });
});

logStoreContract("sqlite over node:sqlite", async (body: (h: StoreHarness) => void) => {
  const port = new NodeSqlitePort();
  try {
    applyMigrations(port, partitionReplicaMigrations());
    body({ store: new SqliteLogStore(port), reopen: () => new SqliteLogStore(port) });
  } finally {
    port.close();
  }
});
