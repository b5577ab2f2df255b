/**
 * A tiny synchronous SQL port: the only way storage code (the log store, the coordinators'
 * stores) talks to SQLite.
 *
 * Two adapters implement it: `src/storage/do-sql-port.ts` (a Durable Object's
 * `ctx.storage.sql` + `transactionSync`) and `test/support/node-sqlite-port.ts` (Node's
 * `node:sqlite`), so the same storage code runs in the Worker runtime and in plain Node.
 *
 * Invariants: every call is synchronous (no await between a read and the write that depends on
 * it); blobs come back as `Uint8Array` whatever the driver returns; integers come back as JS
 * numbers (offsets stay below 2^53, see src/protocol/types.ts).
 * Concurrency: single-threaded, one caller at a time (the replica DO, or a test).
 */

export type SqlValue = number | string | null | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

export interface SqlPort {
  /**
   * Runs one statement with positional `?` parameters and returns every row. `T` is the row
   * shape the caller's column aliases produce (unchecked: the SQL is the caller's contract).
   */
  exec<T extends object = SqlRow>(sql: string, ...params: SqlValue[]): T[];
  /** Runs a script of several `;`-separated statements without parameters (migrations). */
  execScript(sql: string): void;
  /** Runs `fn` atomically: all of its writes, or none if it throws. May nest. */
  transaction<T>(fn: () => T): T;
}
