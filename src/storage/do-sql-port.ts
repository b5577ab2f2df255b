/**
 * SqlPort adapter over a Durable Object's SQLite storage (`ctx.storage`).
 *
 * Why the conversions: the DO's `sql.exec` returns BLOBs as `ArrayBuffer` and takes
 * `ArrayBuffer` bindings, while the port speaks `Uint8Array`. Transactions use
 * `transactionSync` (SQL `BEGIN` is not allowed through `sql.exec` in a DO).
 * Every statement's cursor reports the rows SQLite read and wrote (the units Cloudflare bills);
 * they are added to the isolate's counters under the owning DO class (platform-units.ts).
 * Called by the partition replica DO and the workers tests; runs inside the DO, synchronously.
 */
import { countRows, type DoClass } from "./platform-units.ts";
import type { SqlPort, SqlRow, SqlValue } from "./sql-port.ts";

type DoBinding = ArrayBuffer | string | number | null;

function toBinding(v: SqlValue): DoBinding {
  if (!(v instanceof Uint8Array)) return v;
  // A view may cover part of a larger buffer: bind exactly its bytes.
  return v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer
    ? v.buffer
    : v.slice().buffer;
}

function fromRow(row: Record<string, SqlStorageValue>): SqlRow {
  const out: SqlRow = {};
  for (const [k, v] of Object.entries(row)) out[k] = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
  return out;
}

export class DoSqlPort implements SqlPort {
  readonly #storage: DurableObjectStorage;
  readonly #cls: DoClass;

  /** `cls`: the DO class whose rows these are, for the billed-unit counters. */
  constructor(storage: DurableObjectStorage, cls: DoClass = "other") {
    this.#storage = storage;
    this.#cls = cls;
  }

  exec<T extends object = SqlRow>(sql: string, ...params: SqlValue[]): T[] {
    const cursor = this.#storage.sql.exec(sql, ...params.map(toBinding));
    const rows = cursor.toArray();
    countRows(this.#cls, cursor.rowsRead, cursor.rowsWritten);
    return rows.map((r) => fromRow(r) as T);
  }

  execScript(sql: string): void {
    // `sql.exec` runs every `;`-separated statement of a script; draining the cursor finishes it.
    const cursor = this.#storage.sql.exec(sql);
    cursor.toArray();
    countRows(this.#cls, cursor.rowsRead, cursor.rowsWritten);
  }

  transaction<T>(fn: () => T): T {
    return this.#storage.transactionSync(fn);
  }
}
