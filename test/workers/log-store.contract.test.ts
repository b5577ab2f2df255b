/**
 * Runs the LogStore contract against the SQLite store over a real Durable Object's storage
 * (DoSqlPort): each test gets a fresh replica object and runs inside it.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { SqliteLogStore } from "../../src/storage/sqlite-log-store.ts";
import { DoSqlPort } from "../../src/storage/do-sql-port.ts";
import { PARTITION_REPLICA_MIGRATIONS } from "../../src/partition/migrations.ts";
import { logStoreContract, type StoreHarness } from "../contract/log-store.contract.ts";

logStoreContract("sqlite over a Durable Object", (body: (h: StoreHarness) => void) =>
  runInDurableObject(env.PARTITION_REPLICA.getByName(crypto.randomUUID()), (_instance, state) => {
    const port = new DoSqlPort(state.storage);
    applyMigrations(port, PARTITION_REPLICA_MIGRATIONS); // the DO ran them too: this must be a no-op
    body({ store: new SqliteLogStore(port), reopen: () => new SqliteLogStore(new DoSqlPort(state.storage)) });
  }),
);
