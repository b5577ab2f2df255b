/**
 * SqlPort adapter over Node's built-in `node:sqlite` (`DatabaseSync`), for tests and tools that
 * run the log engine outside workerd. Lives outside `src/` because `node:sqlite` must never be
 * bundled into the Worker.
 *
 * Transactions: the outermost is BEGIN/COMMIT/ROLLBACK; nested ones are savepoints, so an inner
 * failure that the caller catches undoes only the inner writes (as `transactionSync` does).
 * Single-threaded; one connection per port.
 */
import { DatabaseSync } from "node:sqlite";
import type { SqlPort, SqlRow, SqlValue } from "../../src/storage/sql-port.ts";

export class NodeSqlitePort implements SqlPort {
  readonly db: DatabaseSync;
  #depth = 0;

  /** `path` defaults to a private in-memory database. */
  constructor(path = ":memory:") {
    this.db = new DatabaseSync(path);
  }

  exec<T extends object = SqlRow>(sql: string, ...params: SqlValue[]): T[] {
    const stmt = this.db.prepare(sql);
    // Reads return rows; `all()` also runs writes (returning no rows).
    return stmt.all(...params).map((r) => ({ ...r }) as T);
  }

  execScript(sql: string): void {
    this.db.exec(sql);
  }

  transaction<T>(fn: () => T): T {
    const savepoint = `sp_${this.#depth}`;
    this.db.exec(this.#depth === 0 ? "BEGIN" : `SAVEPOINT ${savepoint}`);
    this.#depth++;
    try {
      const result = fn();
      this.#depth--;
      this.db.exec(this.#depth === 0 ? "COMMIT" : `RELEASE ${savepoint}`);
      return result;
    } catch (e) {
      this.#depth--;
      this.db.exec(this.#depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}`);
      throw e;
    }
  }

  close(): void {
    this.db.close();
  }
}
