/**
 * A Durable Object's storage running full, simulated at its storage API (the `ctx.storage.sql`
 * the object's SqlPort adapter calls), never through a method on the object: while full, every
 * statement that adds rows (an INSERT that is not an in-place upsert) throws what workerd raises
 * for SQLite's SQLITE_FULL — `Error("database or disk is full: SQLITE_FULL")`, workerd's
 * "<message>: <result code>" format (src/partition/storage-full.ts). Rewriting a fixed-size row in
 * place (the replica's state upserts) still fits, as it does in a full SQLite file. An eviction
 * gives the object fresh storage bindings, which ends the simulation too.
 */
import { runInDurableObject } from "cloudflare:test";
import type { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";

type AnyStub = DurableObjectStub<PartitionReplicaDO>;

export const SQLITE_FULL_MESSAGE = "database or disk is full: SQLITE_FULL";

const addsRows = (query: string) => /^\s*INSERT\b/i.test(query) && !/\bON\s+CONFLICT\b/i.test(query);

/** From now on the object's storage refuses new rows. */
export async function fillStorage(stub: AnyStub): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    Object.defineProperty(sql, "exec", {
      configurable: true,
      writable: true,
      value: (query: string, ...bindings: unknown[]) => {
        if (addsRows(query)) throw new Error(SQLITE_FULL_MESSAGE);
        return exec(query, ...(bindings as Parameters<typeof exec>[1][]));
      },
    });
  });
}

/** Space returns: the storage takes new rows again. */
export async function freeStorage(stub: AnyStub): Promise<void> {
  await runInDurableObject(stub, (_instance, state) => {
    delete (state.storage.sql as unknown as Record<string, unknown>).exec;
  });
}
