/**
 * Issue 15, the client as a package: `npm run build:client` (scripts/build-client.ts) builds
 * packages/client, `npm pack` packs it, and the tarball is installed into a scratch project by
 * the SYSTEM npm and node (found on PATH without node_modules/.bin: Node 20 here, older than the
 * project's own 24, which the test requires to be 18–21) with `--offline`, so
 * the package must have no runtime dependency to resolve. Then, on Node 20 against the real server
 * (test/support/server-process.ts): a produce/fetch/group round trip through the installed package
 * (test/fixtures/client-package/round-trip.mjs) and the installed `flarelog` bin; and tsc checks
 * a TypeScript user of the package with no @types and skipLibCheck off, so the declarations are
 * self-contained (no zod, hono or server types). Every process is bounded; nothing sleeps.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient, PACKAGE_DIR } from "../../scripts/build-client.ts";
import { ROOT, startServer, stopServer, type Running } from "../support/server-process.ts";

const TOKEN = "client-package-token";
const STEP_TIMEOUT_MS = 60_000;

/** PATH without the project's node_modules/.bin: the system node and npm. */
const SYSTEM_PATH = (process.env.PATH ?? "").split(":").filter((p) => !p.includes("node_modules")).join(":");
const systemEnv = (extra: Record<string, string> = {}) => ({ PATH: SYSTEM_PATH, HOME: process.env.HOME ?? tmpdir(), ...extra });

function system(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, { cwd, env: systemEnv(extra), encoding: "utf8", timeout: STEP_TIMEOUT_MS });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The major version of the node on the system PATH (Node 20 on this machine). */
const systemNodeMajor = () => Number(system("node", ["--version"], tmpdir()).stdout.trim().slice(1).split(".")[0]);

let server: Running;
let stateDir: string;
let scratch: string;
let tarball: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "flarelog-pkg-state-"));
  scratch = mkdtempSync(join(tmpdir(), "flarelog-pkg-"));
  server = await startServer(stateDir, TOKEN);
  buildClient();
  const packDir = join(scratch, "pack");
  mkdirSync(packDir);
  const packed = system("npm", ["pack", "--pack-destination", packDir, "--cache", join(scratch, "cache"), "--offline"], PACKAGE_DIR);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith(".tgz"))!);
  const project = join(scratch, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  const installed = system("npm", ["install", "--offline", "--no-audit", "--no-fund", "--cache", join(scratch, "cache"), tarball], project);
  if (installed.code !== 0) throw new Error(`npm install --offline failed:\n${installed.stderr}`);
}, 180_000);

afterAll(async () => {
  if (server) await stopServer(server);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe("the client package (npm pack → npm install --offline → Node 20)", () => {
  it("the system node is older than the project's (18–21: here 20) and the tarball holds only dist and the manifest, with no dependencies", () => {
    expect(systemNodeMajor()).toBeGreaterThanOrEqual(18);
    expect(systemNodeMajor()).toBeLessThan(22);
    const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    expect(files.every((f) => /^package\/(dist\/|package\.json$|README\.md$)/.test(f))).toBe(true);
    expect(files).toContain("package/dist/client/index.d.ts");
    const manifest = JSON.parse(readFileSync(join(scratch, "project", "node_modules", "@flarelog", "client", "package.json"), "utf8"));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ flarelog: "./dist/client/cli/main.js" });
    expect(existsSync(join(scratch, "project", "node_modules", "zod"))).toBe(false);
    expect(existsSync(join(scratch, "project", "node_modules", "hono"))).toBe(false);
  });

  it("a produce/fetch/group round trip on Node 20 through the installed package returns every record", () => {
    const project = join(scratch, "project");
    cpSync(join(ROOT, "test", "fixtures", "client-package", "round-trip.mjs"), join(project, "round-trip.mjs"));
    const r = system("node", ["round-trip.mjs"], project, { FLARELOG_URL: server.url, FLARELOG_TOKEN: TOKEN });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const seen = JSON.parse(r.stdout);
    const values = Array.from({ length: 200 }, (_, i) => `v${i}`).sort();
    expect(seen.node).toBe(`v${system("node", ["--version"], scratch).stdout.trim().slice(1)}`);
    expect(Number(seen.node.slice(1).split(".")[0])).toBe(systemNodeMajor());
    expect(seen.idempotent).toBe(true);
    expect(seen.acked).toBe(200);
    expect(seen.fetched).toEqual(values);
    expect(seen.grouped).toEqual(values);
    expect(seen.committed).toBe(200);
  }, STEP_TIMEOUT_MS);

  it("the installed flarelog bin runs on Node 20: topics list --json, and an unknown topic is one line and exit 1", () => {
    const project = join(scratch, "project");
    const env = { FLARELOG_URL: server.url, FLARELOG_TOKEN: TOKEN };
    const list = system(join(project, "node_modules", ".bin", "flarelog"), ["topics", "list", "--json"], project, env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).topics.map((t: { name: string }) => t.name)).toContain("pkg-round-trip");
    const missing = system(join(project, "node_modules", ".bin", "flarelog"), ["topics", "describe", "nope"], project, env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^flarelog: error UNKNOWN_TOPIC_OR_PARTITION \(3\)/)]);
  }, STEP_TIMEOUT_MS);

  it("the declarations are self-contained: a TypeScript user type-checks with no @types and skipLibCheck off", () => {
    const project = join(scratch, "project");
    // Stored as .ts.txt: the project's own typecheck cannot resolve the package (only the scratch project has it).
    cpSync(join(ROOT, "test", "fixtures", "client-package", "check-types.ts.txt"), join(project, "check-types.ts"));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: false, types: [], lib: ["ES2022", "DOM"], module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022" };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["check-types.ts"] }));
    const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project, encoding: "utf8", timeout: STEP_TIMEOUT_MS });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    const declarations = readdirSync(join(project, "node_modules", "@flarelog", "client", "dist"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".d.ts") && !f.includes("cli"))
      .map((f) => readFileSync(join(project, "node_modules", "@flarelog", "client", "dist", f), "utf8"));
    expect(declarations.some((d) => /zod|hono/.test(d))).toBe(false);
  }, STEP_TIMEOUT_MS);
});
