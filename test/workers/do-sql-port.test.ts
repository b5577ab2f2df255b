/** The Durable Object SqlPort adapter: blobs, transactions and migrations in real workerd SQLite. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { DoSqlPort } from "../../src/storage/do-sql-port.ts";
import { PARTITION_REPLICA_MIGRATIONS } from "../../src/partition/migrations.ts";

const inFreshReplica = <T>(fn: (port: DoSqlPort) => T) =>
  runInDurableObject(env.PARTITION_REPLICA.getByName(crypto.randomUUID()), (_instance, state) => fn(new DoSqlPort(state.storage)));

it("migrations are idempotent on a replica's storage: a second run applies nothing", () =>
  inFreshReplica((port) => {
    applyMigrations(port, PARTITION_REPLICA_MIGRATIONS);
    expect(applyMigrations(port, PARTITION_REPLICA_MIGRATIONS)).toEqual([]);
    const names = port.exec<{ name: string }>("SELECT name FROM _migrations ORDER BY name").map((r) => r.name);
    expect(names).toEqual(PARTITION_REPLICA_MIGRATIONS.map((m) => m.name));
  }));

it("blobs come back as Uint8Array, and a view binds exactly its own bytes", () =>
  inFreshReplica((port) => {
    port.execScript("CREATE TABLE t (b BLOB)");
    const whole = new Uint8Array([9, 1, 2, 255, 9]);
    port.exec("INSERT INTO t VALUES (?)", whole.subarray(1, 4));
    const [row] = port.exec<{ b: Uint8Array }>("SELECT b FROM t");
    expect(row!.b).toBeInstanceOf(Uint8Array);
    expect([...row!.b]).toEqual([1, 2, 255]);
  }));

it("a transaction that throws leaves none of its writes", () =>
  inFreshReplica((port) => {
    port.execScript("CREATE TABLE t (x INTEGER)");
    expect(() =>
      port.transaction(() => {
        port.exec("INSERT INTO t VALUES (1)");
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(port.exec("SELECT count(*) AS n FROM t")).toEqual([{ n: 0 }]);
  }));
