/**
 * Proves `npm start` works as a real process: started exactly as `npm start` starts it
 * (`node scripts/start.ts`) with PORT, ADMIN_TOKEN and FLARELOG_STATE_DIR, it prints its
 * "listening" line, serves the HTTP API, stops cleanly on SIGTERM (exit 0), and a restart on
 * the same state directory serves the same records. Requests without a token get 401.
 *
 * Every wait is bounded (start-up, exit); nothing sleeps. No retries. The process helpers are
 * test/support/server-process.ts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "e2e-admin-token";

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
    server = await startServer(stateDir, ADMIN_TOKEN);
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
    server = await startServer(stateDir, ADMIN_TOKEN);

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
