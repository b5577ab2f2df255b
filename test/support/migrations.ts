/**
 * Reads a DO class's migrations from `migrations/<dir>/*.sql` for Node tests, in the same shape
 * as the text-module lists the Worker imports (e.g. src/partition/migrations.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Migration } from "../../src/storage/migrations.ts";

const ROOT = join(import.meta.dirname, "..", "..", "migrations");

export function readMigrations(dir: string): Migration[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((f) => ({ name: f.slice(0, -".sql".length), sql: readFileSync(join(ROOT, dir, f), "utf8") }));
}

export const partitionReplicaMigrations = (): Migration[] => readMigrations("partition-replica");
