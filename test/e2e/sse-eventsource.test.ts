/**
 * Issue 18: the native live tail (`…/records?live=sse`) read by a real, unmodified EventSource
 * (undici's, the one Node ships as its global `EventSource`) against the real server process,
 * on a topic of replication factor 3. The bearer token goes in through the client's own
 * `dispatcher` option (EventSource has no headers option). The tail's lifetime is short, so the
 * client reconnects by itself, sending `Last-Event-ID` as the EventSource standard says: every
 * record produced before, during and after the reconnections arrives once, in order, with its
 * data as the JSON fetch renders it.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, EventSource } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "sse-e2e-admin-token";
let server: Running;
let stateDir: string;

async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text === "" ? null : JSON.parse(text);
}

const produce = (topic: string, from: number, n: number) =>
  call("POST", `/v1/topics/${topic}/partitions/0/records`, {
    records: Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })),
  });

/** A dispatcher that adds the bearer token to every request the EventSource makes. */
function withToken(token: string): Agent {
  return new Agent().compose((dispatch) => (opts, handler) => {
    const headers = { ...(opts.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` };
    return dispatch({ ...opts, headers }, handler);
  }) as Agent;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-sse-e2e-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
}, 60_000);

afterAll(async () => {
  if (server) await stopServer(server);
  await rm(stateDir, { recursive: true, force: true });
});

describe("live tail read by an unmodified EventSource (issue 18)", () => {
  it("records before, during and after the client's own reconnections arrive once and in order (RF 3)", async () => {
    const topic = `sse-es-${Date.now()}`;
    await call("POST", "/v1/topics", { name: topic, partitions: 1, replication_factor: 3 });
    await produce(topic, 0, 5);
    const url = `${server.url}/v1/topics/${topic}/partitions/0/records?live=sse&offset=0&live_ms=800`;
    const es = new EventSource(url, { node: { dispatcher: withToken(ADMIN_TOKEN), reconnectionTime: 50 } });
    const got: { id: string; data: { offset: number; key: string; value: string } }[] = [];
    let opens = 0;
    let controls = 0;
    es.addEventListener("open", () => opens++);
    es.addEventListener("control", () => controls++);
    es.addEventListener("record", (e) => {
      const m = e as unknown as { lastEventId: string; data: string };
      got.push({ id: m.lastEventId, data: JSON.parse(m.data) });
    });
    try {
      await vi.waitUntil(() => got.length >= 5, { timeout: 20_000, interval: 20 });
      await produce(topic, 5, 5); // while connected
      await vi.waitUntil(() => got.length >= 10 && opens >= 2, { timeout: 20_000, interval: 20 });
      await produce(topic, 10, 5); // after at least one reconnection
      await vi.waitUntil(() => got.length >= 15 && opens >= 3, { timeout: 20_000, interval: 20 });
    } finally {
      es.close();
    }
    expect(got.map((g) => Number(g.id))).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(got.map((g) => g.data.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(got.map((g) => g.data.value)).toEqual(Array.from({ length: 15 }, (_, i) => `v${i}`));
    expect(controls).toBeGreaterThanOrEqual(2); // each lifetime ended with the control event
  }, 90_000);
});
