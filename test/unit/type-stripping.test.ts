/**
 * `npm start`, `npm run bench` and `npm run chaos` run TypeScript with Node's type stripping
 * (no transform step), which refuses some TypeScript (parameter properties, enums, namespaces).
 * Every file those scripts can load must be erasable: checked with Node's own stripper.
 */
import { readdirSync, readFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
/** Folders whose modules the Node-run scripts import (directly or through each other). */
const DIRS = ["scripts", "bench", "chaos", "src/client", "src/config", "src/protocol", "src/log"];
/** Test helpers the scripts import. */
const FILES = ["test/support/prng.ts"];

const tsFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() && e.name !== "runs" && e.name !== "results" ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );

describe("the Node-run scripts' modules are erasable TypeScript", () => {
  const files = [...DIRS.flatMap(tsFiles), ...FILES];
  it("finds the scripts' modules", () => {
    expect(files).toContain("bench/run.ts");
    expect(files).toContain("src/client/flarelog-error.ts");
  });
  it.each(files)("%s strips without a transform (no parameter properties, enums or namespaces)", (file) => {
    expect(() => stripTypeScriptTypes(readFileSync(join(ROOT, file), "utf8"), { mode: "strip" })).not.toThrow();
  });
});
