/**
 * The README's quick start runs verbatim (issue 13): the ```sh block of its "Quick start" section,
 * run in bash (`set -euo pipefail`) against the real server started as `npm start` starts it
 * (test/support/server-process.ts, a fresh state directory), prints for every command followed
 * by a `# → …` comment an answer of the shape that comment shows (test/support/answer-shape.ts:
 * same keys, same values except where the comment writes `…` / `...`), prints nothing else,
 * writes nothing to stderr and exits 0. A command that fails, a changed answer, a missing key or
 * an unannotated command that prints something fails the test, naming the README line.
 *
 * What differs from a user's terminal, and how:
 *   - Working directory: a temporary directory holding a symlink to every top-level entry of
 *     the repository except dot files (so `node_modules/.bin/node` and `./src/…` resolve as in
 *     a clone) and its own `.dev.vars`, `ADMIN_TOKEN=<the test server's token>`, as `npm start`
 *     writes it: the block's `export TOKEN=$(sed … .dev.vars)` line runs unchanged. Files the
 *     block writes (frames.bin) land there, not in the repository.
 *   - Address: every `http://127.0.0.1:8787` of the block (the `URL=` line) becomes the test
 *     server's URL (a free port).
 *   - After each expectation the harness adds one `printf` of a marker line to cut stdout into
 *     one output per step (test/support/quickstart.ts).
 * Nothing sleeps (the block may not contain `sleep`); the bash run and the server start are
 * bounded. No retries.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerMismatches } from "../support/answer-shape.ts";
import {
  instrument,
  parseQuickstart,
  quickstartBlock,
  splitOutput,
  type QuickstartStep,
} from "../support/quickstart.ts";
import { ROOT, startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "quickstart-admin-token";
const README_URL = "http://127.0.0.1:8787";
const SCRIPT_TIMEOUT_MS = 60_000;

/** A directory that looks like a clone with `.dev.vars` written by `npm start`. */
async function cloneLikeDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "flarelog-quickstart-"));
  for (const entry of await readdir(ROOT)) {
    if (!entry.startsWith(".")) await symlink(join(ROOT, entry), join(dir, entry));
  }
  await writeFile(join(dir, ".dev.vars"), `ADMIN_TOKEN=${ADMIN_TOKEN}\n`, { mode: 0o600 });
  return dir;
}

interface BashRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` with bash in `cwd`; resolves with its exit code and what it printed. */
async function runBash(script: string, cwd: string): Promise<BashRun> {
  const env = { ...process.env };
  for (const name of ["TOKEN", "ADMIN_TOKEN", "H", "URL"]) delete env[name];
  const child = spawn("bash", ["-c", script], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: SCRIPT_TIMEOUT_MS,
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}

/** The README-relative description of a step, for failure messages. */
function where(step: QuickstartStep, blockLine: number): string {
  return `README line ${blockLine + step.line} (the answer to:\n${step.commands}\n)`;
}

describe("README quick start", () => {
  let stateDir: string;
  let workDir: string;
  let server: Running | undefined;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "flarelog-quickstart-state-"));
    workDir = await cloneLikeDir();
  });

  afterAll(async () => {
    if (server !== undefined) await stopServer(server).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
    await rm(workDir, { recursive: true, force: true });
  });

  it("runs as written; each answer has the shape its # → comment shows", { timeout: 120_000 }, async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const block = quickstartBlock(readme);
    const blockLine = readme.slice(0, readme.indexOf(block)).split("\n").length - 1;
    const { steps, tail } = parseQuickstart(block);
    expect(steps.length, "expectations in the quick start").toBeGreaterThanOrEqual(15);
    expect(block, "the quick start may not sleep").not.toMatch(/\bsleep\b/);
    expect(block, `the block names ${README_URL}`).toContain(README_URL);

    server = await startServer(stateDir, ADMIN_TOKEN);
    const script = `set -euo pipefail\n${instrument(block).replaceAll(README_URL, server.url)}\n`;
    const run = await runBash(script, workDir);
    const { outputs, tail: after, ended } = splitOutput(run.stdout);

    const failures: string[] = [];
    outputs.forEach((output, i) => {
      const step = steps[i]!;
      const mismatches = answerMismatches(step.expected, output);
      if (mismatches.length === 0) return;
      failures.push(`${where(step, blockLine)}\n  ${mismatches.join("\n  ")}`);
    });
    if (!ended || run.code !== 0) {
      const stopped = steps[outputs.length];
      const at = stopped !== undefined ? where(stopped, blockLine) : `the last commands:\n${tail}`;
      const rest = JSON.stringify(after);
      failures.push(`bash exited ${run.code} before the end, in ${at}\nthen stdout: ${rest}`);
    } else if (after.trim() !== "") {
      failures.push(`commands after the last answer printed ${JSON.stringify(after)}`);
    }
    if (run.stderr !== "") failures.push(`stderr: ${run.stderr}`);
    expect(failures.join("\n\n"), `server output:\n${server.output()}`).toBe("");
    expect(outputs.length).toBe(steps.length);

    expect(await stopServer(server)).toBe(0);
    server = undefined;
  });
});
