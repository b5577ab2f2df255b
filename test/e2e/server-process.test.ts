/**
 * Proves `npm start` works as a real process: started exactly as `npm start` starts it
 * (`node scripts/start.ts`) with PORT, ADMIN_TOKEN and FLARELOG_STATE_DIR, it prints its
 * "listening" line, serves the HTTP API, stops cleanly on SIGTERM (exit 0), and a restart on
 * the same state directory serves the same records. Requests without a token get 401.
 *
 * Every wait is bounded (start-up, exit); nothing sleeps. No retries.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { on, once } from "node:events";
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

/** Spawns `node scripts/start.ts` and resolves with its URL once it prints the listening line. */
async function startServer(stateDir: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, "scripts", "start.ts")], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), ADMIN_TOKEN, FLARELOG_STATE_DIR: stateDir, WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
