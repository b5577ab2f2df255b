/**
 * SqlPort adapter over a Durable Object's SQLite storage (`ctx.storage`).
 *
 * Why the conversions: the DO's `sql.exec` returns BLOBs as `ArrayBuffer` and takes
 * `ArrayBuffer` bindings, while the port speaks `Uint8Array`. Transactions use
 * `transactionSync` (SQL `BEGIN` is not allowed through `sql.exec` in a DO).
 * Called by the partition replica DO and the workers tests; runs inside the DO, synchronously.
 */
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

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  exec<T extends object = SqlRow>(sql: string, ...params: SqlValue[]): T[] {
    const rows = this.#storage.sql.exec(sql, ...params.map(toBinding)).toArray();
    return rows.map((r) => fromRow(r) as T);
  }

  execScript(sql: string): void {
    // `sql.exec` runs every `;`-separated statement of a script; draining the cursor finishes it.
    this.#storage.sql.exec(sql).toArray();
  }

  transaction<T>(fn: () => T): T {
    return this.#storage.transactionSync(fn);
  }
}
