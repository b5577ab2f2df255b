/**
 * The Durable Streams protocol's own conformance suite (`@durable-streams/server-conformance-tests`
 * 0.3.6, its `runConformanceTests`, unmodified) against Flarelog's `/ds` door on the real local
 * server (test/support/server-process.ts, as `npm start` runs it). The suite sends no
 * Authorization header, so the test opens the stream prefix `/v1/` of a tenant of its own to
 * anonymous requests (the off-by-default per-tenant setting, PUT
 * /v1/admin/tenants/{name}/durable-streams) and points the suite at `/ds/<tenant>`. Streams are
 * created with the door's default replication factor. The pass count is printed at the end and
 * written to the vitest report; docs/durable-streams.md lists each failing test with its reason.
 *
 * Timeouts: the suite's tests take vitest's default 5 s unless they set their own; this run
 * allows each 30 s (as test/reference does for the reference server), because streams here are
 * replicated topics (RF 3, acks=all) on a shared machine, and the fast-check property tests
 * make hundreds of requests each.
 */
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, vi } from "vitest";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "ds-conformance-admin-token";
const TENANT = "dsconf";
let server: Running | undefined;
let stateDir = "";
const options = { baseUrl: "", longPollTimeoutMs: 20_000 };
const outcomes = { pass: 0, fail: 0 };

vi.setConfig({ testTimeout: 30_000 });

beforeEach(({ onTestFinished }) => {
  onTestFinished(({ task }) => void (task.result?.state === "pass" ? outcomes.pass++ : outcomes.fail++));
});

async function root(method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(server!.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.text()).toBeLessThan(300);
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-ds-conformance-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
  await root("POST", "/v1/admin/tenants", { name: TENANT });
  await root("PUT", `/v1/admin/tenants/${TENANT}/durable-streams`, { anonymous_prefix: "/v1/" });
  options.baseUrl = `${server.url}/ds/${TENANT}`;
}, 60_000);

afterAll(async () => {
  console.log(`Durable Streams conformance (/ds door): ${outcomes.pass} passed, ${outcomes.fail} failed of ${outcomes.pass + outcomes.fail} run`);
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

runConformanceTests(options);
