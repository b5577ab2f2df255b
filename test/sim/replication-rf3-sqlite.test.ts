/**
 * The RF 3 replication simulation (replication-rf3.test.ts) with every replica on the replica
 * DO's own store, SqliteLogStore over node:sqlite with its migrations, opened anew on each
 * recovery: what a restarted replica knows is only what SQLite holds, including the LEO and HW
 * that appends keep with their last batch instead of the state row (sqlite-log-store.ts). The
 * same invariants on every seed (HW and epochs never go back across crashes among them).
 */
import { simulationSuite } from "./scenario-tests.ts";

simulationSuite("replication simulation, RF 3 / min ISR 2, SQLite stores reopened on recovery", (s) => ({
  ...s,
  config: { ...s.config, storage: "sqlite" },
}));
