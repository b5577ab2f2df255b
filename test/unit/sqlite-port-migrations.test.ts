/** The node:sqlite SqlPort adapter and the migration runner. */
import { describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

const tables = (port: NodeSqlitePort) =>
  port.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => r.name);

describe("migrations", () => {
  it("each migration is applied once: a second run is a no-op", () => {
    const port = new NodeSqlitePort();
    const all = partitionReplicaMigrations();
    expect(applyMigrations(port, all)).toEqual(all.map((m) => m.name));
    expect(applyMigrations(port, all)).toEqual([]);
    expect(tables(port)).toEqual(expect.arrayContaining(["_migrations", "batches", "leader_epochs", "replica_state", "segments"]));
  });

  it("a migration that fails leaves neither its DDL nor its record, and later ones do not run", () => {
    const port = new NodeSqlitePort();
    const list = [
      { name: "0001_a", sql: "CREATE TABLE a (x INTEGER);" },
      { name: "0002_b", sql: "CREATE TABLE b (x INTEGER); CREATE TABLE broken (" },
      { name: "0003_c", sql: "CREATE TABLE c (x INTEGER);" },
    ];
    expect(() => applyMigrations(port, list)).toThrow();
    expect(tables(port)).toEqual(["_migrations", "a"]);
    expect(port.exec("SELECT name FROM _migrations")).toEqual([{ name: "0001_a" }]);
  });

  it("a list out of order is refused before anything runs", () => {
    const port = new NodeSqlitePort();
    expect(() => applyMigrations(port, [{ name: "0002_b", sql: "" }, { name: "0001_a", sql: "" }])).toThrow(/order/);
    expect(tables(port)).toEqual([]);
  });
});

describe("NodeSqlitePort", () => {
  it("blobs come back as Uint8Array with the same bytes", () => {
    const port = new NodeSqlitePort();
    port.execScript("CREATE TABLE t (b BLOB)");
    const bytes = new Uint8Array([0, 1, 255]);
    port.exec("INSERT INTO t VALUES (?)", bytes.subarray(1));
    const [row] = port.exec<{ b: Uint8Array }>("SELECT b FROM t");
    expect(row!.b).toBeInstanceOf(Uint8Array);
    expect([...row!.b]).toEqual([1, 255]);
  });

  it("a nested transaction that throws undoes only its own writes when the outer one catches", () => {
    const port = new NodeSqlitePort();
    port.execScript("CREATE TABLE t (x INTEGER)");
    port.transaction(() => {
      port.exec("INSERT INTO t VALUES (1)");
      expect(() =>
        port.transaction(() => {
          port.exec("INSERT INTO t VALUES (2)");
          throw new Error("inner");
        }),
      ).toThrow("inner");
      port.exec("INSERT INTO t VALUES (3)");
    });
    expect(port.exec("SELECT x FROM t ORDER BY x")).toEqual([{ x: 1 }, { x: 3 }]);
    expect(() => port.transaction(() => { port.exec("INSERT INTO t VALUES (4)"); throw new Error("outer"); })).toThrow("outer");
    expect(port.exec("SELECT count(*) AS n FROM t")).toEqual([{ n: 2 }]);
  });
});
