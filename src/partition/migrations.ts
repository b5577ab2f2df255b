/**
 * The partition replica's migrations, imported as text modules (wrangler's `[[rules]] type = "Text"`
 * entry for .sql files), in order. The replica DO passes this list to `applyMigrations` at start-up.
 * Node tests read the same files from disk (test/support/migrations.ts).
 */
import type { Migration } from "../storage/migrations.ts";
import m0001 from "../../migrations/partition-replica/0001_init.sql";
import m0002 from "../../migrations/partition-replica/0002_assignment.sql";
import m0003 from "../../migrations/partition-replica/0003_producer_index.sql";
import m0004 from "../../migrations/partition-replica/0004_cleaner_checkpoint.sql";
import m0005 from "../../migrations/partition-replica/0005_batch_high_watermark.sql";

export const PARTITION_REPLICA_MIGRATIONS: readonly Migration[] = [
  { name: "0001_init", sql: m0001 },
  { name: "0002_assignment", sql: m0002 },
  { name: "0003_producer_index", sql: m0003 },
  { name: "0004_cleaner_checkpoint", sql: m0004 },
  { name: "0005_batch_high_watermark", sql: m0005 },
];
