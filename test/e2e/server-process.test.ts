/**
 * Proves `npm start` works as a real process: started exactly as `npm start` starts it
 * (`node scripts/start.ts`) with PORT, ADMIN_TOKEN and FLARELOG_STATE_DIR, it prints its
 * "listening" line, serves the HTTP API, stops cleanly on SIGTERM (exit 0), and a restart on
 * the same state directory serves the same records. Requests without a token get 401.
 * Issue 13: `--port N` / `--port=N` choose the port (over PORT), and a busy port exits 1 with
 * advice that works (the flag or PORT), not Miniflare's own.
 *
 * Every wait is bounded (start-up, exit); nothing sleeps. No retries.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { on, once } from "node:events";
import { createServer, type Server as NetServer } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/free-port.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ADMIN_TOKEN = "e2e-admin-token";
const START_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;

type Server = ChildProcessByStdio<null, Readable, Readable>;

interface Running {
  child: Server;
  url: string;
  /** Everything the process printed so far, for failure messages. */
  output: () => string;
}

interface StartOptions {
  /** Command-line arguments after `scripts/start.ts`, as `npm start -- <args>` passes them. */
  args?: string[];
  /** PORT; default a free port. */
  port?: number;
}

/** Every server spawned, so that one a failed test left running is stopped after the file. */
const spawned = new Set<Server>();

afterAll(() => {
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
});

/** Spawns `node scripts/start.ts` (with PORT, ADMIN_TOKEN, FLARELOG_STATE_DIR and `args`). */
async function spawnServer(stateDir: string, opts: StartOptions = {}): Promise<Server> {
  const port = opts.port ?? (await freePort());
  const child: Server = spawn(process.execPath, [join(ROOT, "scripts", "start.ts"), ...(opts.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ADMIN_TOKEN, FLARELOG_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.add(child);
  return child;
}

/** Spawns the server and resolves with its URL once it prints the listening line. */
async function startServer(stateDir: string, opts: StartOptions = {}): Promise<Running> {
  const child = await spawnServer(stateDir, opts);
  let out = "";
  const output = () => out;
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const exited = once(child, "exit").then(([code, signal]) => {
    throw new Error(`server exited before listening (${signal ?? `exit ${code}`}); output:\n${out}`);
  });
  exited.catch(() => undefined); // only the race below reads it; a later, normal exit is no error
  const listening = (async () => {
    // Bounded by the abort signal: no "listening" line in time fails the test.
    for await (const [chunk] of on(child.stdout, "data", { signal: AbortSignal.timeout(START_TIMEOUT_MS) })) {
      out += String(chunk);
      const m = /Flarelog listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m !== null) return { child, url: m[1]!, output };
    }
    throw new Error(`server output ended before listening; output:\n${out}`);
  })();
  try {
    return await Promise.race([listening, exited]);
  } catch (e) {
    child.kill("SIGTERM");
    throw new Error(`no "listening" line within ${START_TIMEOUT_MS} ms: ${String(e)}; output:\n${out}`);
  }
}

/** Sends SIGTERM and resolves with the exit code; SIGKILL if it outlives the bound. */
async function stopServer(running: Running): Promise<number | null> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = once(child, "exit", { signal: AbortSignal.timeout(EXIT_TIMEOUT_MS) });
  child.kill("SIGTERM");
  try {
    const [code] = (await exit) as [number | null];
    return code;
  } catch {
    child.kill("SIGKILL");
    throw new Error(`server did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM; output:\n${running.output()}`);
  }
}

/** Spawns the server expecting it to fail: resolves with its exit code and output (bounded). */
async function runToExit(stateDir: string, opts: StartOptions): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = await spawnServer(stateDir, opts);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const [code] = (await once(child, "exit", { signal: AbortSignal.timeout(START_TIMEOUT_MS) })) as [number | null];
    return { code, stdout, stderr };
  } catch {
    child.kill("SIGTERM");
    throw new Error(`server did not exit within ${START_TIMEOUT_MS} ms; stdout:\n${stdout}\nstderr:\n${stderr}`);
  }
}

/** Holds a port on 127.0.0.1 as another server would. */
async function occupyPort(): Promise<{ port: number; server: NetServer }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("no address");
  return { port: address.port, server };
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN_TOKEN,
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text so a failing assertion shows what came back.
  }
  return { status: res.status, json };
}

const RECORDS = [
  { key: "k0", value: "v0", headers: { h: "x" } },
  { key: "k1", value: "v1", headers: {} },
  { key: null, value: "v2", headers: {} },
];

function fetchRecords(base: string) {
  return call(base, "GET", "/v1/topics/e2e/partitions/0/records?offset=0&max_records=10");
}

describe("npm start as a child process", () => {
  let stateDir: string;
  let server: Running | undefined;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "flarelog-e2e-state-"));
  });

  afterAll(async () => {
    if (server !== undefined) await stopServer(server).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it("serves produced records, keeps them across a SIGTERM restart, and answers 401 without a token", { timeout: 60_000 }, async () => {
    server = await startServer(stateDir);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const created = await call(server.url, "POST", "/v1/topics", { name: "e2e", partitions: 1, replication_factor: 1 });
    expect(created, server.output()).toMatchObject({ status: 201, json: { name: "e2e" } });

    const produced = await call(server.url, "POST", "/v1/topics/e2e/records", {
      records: RECORDS.map((r) => ({ ...r, partition: 0 })),
    });
    expect(produced.status, JSON.stringify(produced.json)).toBe(200);
    expect(produced.json).toMatchObject({
      offsets: [
        { partition: 0, offset: 0 },
        { partition: 0, offset: 1 },
        { partition: 0, offset: 2 },
      ],
    });

    const expected = {
      records: RECORDS.map((r, offset) => ({ offset, key: r.key, value: r.value, headers: r.headers })),
      next_offset: 3,
      high_watermark: 3,
      log_start_offset: 0,
    };
    const before = await fetchRecords(server.url);
    expect(before.status, JSON.stringify(before.json)).toBe(200);
    expect(before.json).toMatchObject(expected);

    expect(await stopServer(server)).toBe(0);
    server = await startServer(stateDir);

    const after = await fetchRecords(server.url);
    expect(after.status, JSON.stringify(after.json)).toBe(200);
    expect(after.json).toMatchObject(expected);
    expect(after.json).toEqual(before.json);

    const anonymous = await call(server.url, "GET", "/v1/topics", undefined, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ error_code: expect.any(Number), error: expect.any(String), retriable: false });

    expect(await stopServer(server)).toBe(0);
    server = undefined;
  });
});

describe("npm start's port (issue 13)", () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "flarelog-e2e-port-"));
  });

  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("--port=N is the port it listens on, over PORT", { timeout: 60_000 }, async () => {
    const wanted = await freePort();
    const server = await startServer(stateDir, { args: [`--port=${wanted}`] });
    try {
      expect(server.url, server.output()).toBe(`http://127.0.0.1:${wanted}`);
      expect((await call(server.url, "GET", "/v1/topics")).status).toBe(200);
    } finally {
      expect(await stopServer(server)).toBe(0);
    }
  });

  it("--port N on a busy port exits 1 naming what works (--port N or PORT=N), not listening elsewhere", { timeout: 60_000 }, async () => {
    const busy = await occupyPort();
    try {
      const r = await runToExit(stateDir, { args: ["--port", String(busy.port)] });
      expect(r.stdout).not.toMatch(/listening/);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${busy.port} is already in use`);
      expect(r.stderr).toMatch(/npm start -- --port <n>/);
      expect(r.stderr).toMatch(/PORT=<n> npm start/);
    } finally {
      busy.server.close();
    }
  });

  it("a --port that is not a port, or an unknown flag, exits 1 at once naming the usage", { timeout: 120_000 }, async () => {
    for (const args of [["--port", "http"], ["--port=70000"], ["--prot", "1"]]) {
      const r = await runToExit(stateDir, { args });
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toMatch(/usage: npm start -- \[--port <n>\]/);
    }
  });
});
