/**
 * Applies numbered DDL migrations to a SqlPort, each once, in order.
 *
 * Invariants: a migration's name is recorded in `_migrations` in the same transaction as its
 * DDL, so a crash leaves it either fully applied or not at all; re-running is a no-op; names are
 * strictly increasing (`0001_init`, `0002_...`), and a list out of order is a bug (throws).
 * Called by a DO constructor inside `blockConcurrencyWhile`, and by tests; synchronous.
 */
import type { SqlPort } from "./sql-port.ts";

export interface Migration {
  /** File name without `.sql`, e.g. `0001_init`; orders the migrations. */
  name: string;
  sql: string;
}

/** Applies the migrations not yet recorded; returns the names applied now. */
export function applyMigrations(port: SqlPort, migrations: readonly Migration[]): string[] {
  for (let i = 1; i < migrations.length; i++) {
    const prev = migrations[i - 1]!.name;
    const cur = migrations[i]!.name;
    if (!(prev < cur)) throw new Error(`migrations out of order: "${prev}" before "${cur}"`);
  }
  port.execScript(
    "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_index INTEGER NOT NULL)",
  );
  const done = new Set(port.exec<{ name: string }>("SELECT name FROM _migrations").map((r) => r.name));
  const applied: string[] = [];
  migrations.forEach((m, index) => {
    if (done.has(m.name)) return;
    port.transaction(() => {
      port.execScript(m.sql);
      port.exec("INSERT INTO _migrations (name, applied_index) VALUES (?, ?)", m.name, index);
    });
    applied.push(m.name);
  });
  return applied;
}
