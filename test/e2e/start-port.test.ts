/**
 * Issue 13: `npm start` chooses its port by `--port N` / `--port=N` (over PORT), and a busy port
 * ends start-up with exit 1 and advice that works for `npm start` (the flag or PORT), not
 * Miniflare's own `--port` hint while the flag was ignored.
 *
 * The server is started as test/e2e/server-process.test.ts starts it (`node scripts/start.ts`,
 * ADMIN_TOKEN, FLARELOG_STATE_DIR, PORT), plus command-line arguments. Every wait is bounded
 * (the listening line, the exit); nothing sleeps. No retries.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { on, once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/free-port.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ADMIN_TOKEN = "e2e-port-token";
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

type Child = ChildProcessByStdio<null, Readable, Readable>;

/** Every server spawned, so one that a failing test left running is stopped after the file. */
const spawned = new Set<Child>();

/** `node scripts/start.ts <args>` with PORT set to a free port (the flag must win over it). */
async function spawnStart(stateDir: string, args: string[], vars: Record<string, string> = {}): Promise<{ child: Child; output: () => string }> {
  const child: Child = spawn(process.execPath, [join(ROOT, "scripts", "start.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(await freePort()), ADMIN_TOKEN, FLARELOG_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false", ...vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return { child, output: () => out };
}

/** Resolves with the URL of the "listening" line; fails if the process exits first or is silent. */
async function listeningUrl(child: Child, output: () => string): Promise<string> {
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`exited (${String(code)}) before listening:\n${output()}`);
  });
  exited.catch(() => undefined); // only the race below reads it
  const listening = (async () => {
    for await (const _ of on(child.stdout, "data", { signal: AbortSignal.timeout(START_TIMEOUT_MS) })) {
      const m = /Flarelog listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (m !== null) return m[1]!;
    }
    throw new Error(`output ended before listening:\n${output()}`);
  })();
  return Promise.race([listening, exited]);
}

/** Resolves with the exit code; SIGTERM (then a failure) if the process outlives `boundMs`. */
async function exitCode(child: Child, output: () => string, boundMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  try {
    const [code] = (await once(child, "exit", { signal: AbortSignal.timeout(boundMs) })) as [number | null];
    return code;
  } catch {
    child.kill("SIGTERM");
    throw new Error(`still running after ${boundMs} ms:\n${output()}`);
  }
}

/** Holds a port on 127.0.0.1, as another server would. */
async function occupyPort(): Promise<{ port: number; server: NetServer }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the held port has no address");
  return { port: address.port, server };
}

describe("npm start's port (issue 13)", () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "flarelog-e2e-port-"));
  });

  afterAll(async () => {
    for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await rm(stateDir, { recursive: true, force: true });
  });

  it("--port=N is the port it listens on, over PORT", { timeout: 60_000 }, async () => {
    const wanted = await freePort();
    const { child, output } = await spawnStart(stateDir, [`--port=${wanted}`]);
    const url = await listeningUrl(child, output);
    expect(url, output()).toBe(`http://127.0.0.1:${wanted}`);
    const res = await fetch(`${url}/v1/topics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    child.kill("SIGTERM");
    expect(await exitCode(child, output, EXIT_TIMEOUT_MS)).toBe(0);
  });

  it("--port N on a busy port exits 1 naming what works (--port <n> or PORT=<n>), and listens nowhere", { timeout: 60_000 }, async () => {
    const busy = await occupyPort();
    try {
      const { child, output } = await spawnStart(stateDir, ["--port", String(busy.port)]);
      expect(await exitCode(child, output, START_TIMEOUT_MS), output()).toBe(1);
      expect(output()).not.toMatch(/listening/);
      expect(output()).toContain(`127.0.0.1:${busy.port} is already in use`);
      expect(output()).toContain("npm start -- --port <n>");
      expect(output()).toContain("PORT=<n> npm start");
    } finally {
      busy.server.close();
    }
  });

  it("a --port that is not a port, or an unknown flag, exits 1 naming the usage", { timeout: 120_000 }, async () => {
    for (const args of [["--port", "http"], ["--port=70000"], ["--prot", "1"]]) {
      const { child, output } = await spawnStart(stateDir, args);
      expect([args, await exitCode(child, output, START_TIMEOUT_MS)], output()).toEqual([args, 1]);
      expect(output()).toContain("usage: npm start -- [--port <n>]");
    }
  });

  it("a broker var with a bad value (REPLICA_LAG_TIME_MAX_MS=30000x) stops the start naming the var and its value", { timeout: 60_000 }, async () => {
    const { child, output } = await spawnStart(stateDir, [], { REPLICA_LAG_TIME_MAX_MS: "30000x" });
    expect(await exitCode(child, output, START_TIMEOUT_MS), output()).toBe(1);
    expect(output()).toContain('REPLICA_LAG_TIME_MAX_MS must be a whole number of milliseconds');
    expect(output()).toContain('"30000x"');
    expect(output()).not.toContain("Flarelog listening");
  });
});
