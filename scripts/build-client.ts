/**
 * `npm run build:client`: builds the publishable client package (packages/client, @flarelog/client)
 * from src/client. `tsc -p packages/client/tsconfig.json` emits JavaScript and declarations of
 * src/client (library and CLI) and of the src/protocol and src/codec modules it imports into
 * packages/client/dist; this script then finishes it:
 *   - src/contract/types.ts (the contract's types, inferred from zod schemas) is replaced by its
 *     expansion: each exported type written out structurally by the type checker, so the
 *     declarations name no zod type and the package needs no server dependency;
 *   - the contract's other output (schemas.js/.d.ts, types.js: nothing imports them at run time)
 *     is removed;
 *   - the CLI entry is made executable;
 *   - every emitted file is checked to import only the package's own files and `node:` modules
 *     (the CLI only): a server dependency fails the build with the file's name.
 * Runs with Node 24's type stripping; called by npm scripts and test/e2e/client-package.test.ts.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PACKAGE_DIR = join(ROOT, "packages", "client");
const DIST = join(PACKAGE_DIR, "dist");
const CONTRACT_TYPES = join(ROOT, "src", "contract", "types.ts");

/** The contract's exported types, each expanded to its structure (no zod, no import). */
export function expandContractTypes(): string {
  const program = ts.createProgram([CONTRACT_TYPES], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(CONTRACT_TYPES);
  if (source === undefined) throw new Error(`cannot read ${CONTRACT_TYPES}`);
  const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.InTypeAlias | ts.TypeFormatFlags.UseStructuralFallback;
  const lines = ["/** The Flarelog HTTP contract's types (generated from src/contract/types.ts by scripts/build-client.ts). */"];
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const text = checker.typeToString(checker.getTypeAtLocation(statement.name), statement, flags);
    if (/\bz\.|zod|\$Infer/.test(text)) throw new Error(`${statement.name.text} did not expand: ${text}`);
    lines.push(`export type ${statement.name.text} = ${text};`);
  }
  return `${lines.join("\n")}\nexport {};\n`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => join(f.parentPath, f.name));
}

/** Every import/export specifier of an emitted file that is not relative (or `node:` in the CLI). */
function foreignImports(dist: string, file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]!);
  const cli = relative(dist, file).startsWith(join("client", "cli"));
  return specifiers.filter((s) => !s.startsWith(".") && !(cli && s.startsWith("node:")));
}

/** Builds into `dist` (default packages/client/dist; a test may build into a directory of its own). */
export function buildClient(dist = DIST): void {
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = spawnSync(process.execPath, [tsc, "-p", join(PACKAGE_DIR, "tsconfig.json"), "--outDir", dist], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status})`);
  const contract = join(dist, "contract");
  rmSync(contract, { recursive: true, force: true });
  mkdirSync(contract);
  writeFileSync(join(contract, "types.d.ts"), expandContractTypes());
  chmodSync(join(dist, "client", "cli", "main.js"), 0o755);
  const bad = filesUnder(dist).flatMap((f) => foreignImports(dist, f).map((s) => `${relative(dist, f)} imports ${s}`));
  if (bad.length > 0) throw new Error(`the package must not depend on anything:\n${bad.join("\n")}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildClient();
  console.log(`built ${relative(ROOT, DIST)}`);
}
