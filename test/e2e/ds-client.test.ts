/**
 * The real, unmodified `@durable-streams/client` 0.2.7 against the `/ds` door of the real local
 * server (test/support/server-process.ts): it creates a replicated stream (RF 3, min ISR 2) with
 * an API key passed through its `headers` option, writes with its IdempotentProducer, and reads
 * it live over SSE while the partition's leader is taken offline (the admin route a controlled
 * shutdown uses), so the coordinator elects another in-sync replica. The subscriber must see
 * every item exactly once, in order: no gap and no duplicate across the fail-over.
 */
import { DurableStream, IdempotentProducer, stream } from "@durable-streams/client";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { topicOf } from "../../src/doors/durable-streams/names.ts";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const ADMIN_TOKEN = "ds-client-admin-token";
let server: Running;
let stateDir: string;
let apiKey: string;

async function root(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function leaderOf(topic: string): Promise<number> {
  const r = await root("GET", `/v1/topics/${encodeURIComponent(topic)}`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return (r.json["partitions"] as { leader: number }[])[0]!.leader;
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-ds-client-"));
  server = await startServer(stateDir, ADMIN_TOKEN);
  const key = await root("POST", "/v1/keys", { name: "ds-client", tenant: "default", role: "admin", prefix: "ds." });
  expect(key.status, JSON.stringify(key.json)).toBe(201);
  apiKey = key.json["key"] as string;
}, 60_000);

afterAll(async () => {
  if (server) await stopServer(server).catch(() => undefined);
  await rm(stateDir, { recursive: true, force: true });
});

describe("@durable-streams/client on a replicated Flarelog stream", () => {
  it("an SSE subscriber sees every item once and in order across a leader fail-over (RF 3, API key via headers)", async () => {
    const url = `${server.url}/ds/default/client/orders`;
    const headers = { Authorization: `Bearer ${apiKey}`, "Flarelog-Replication-Factor": "3", "Flarelog-Min-Insync-Replicas": "2" };
    const handle = await DurableStream.create({ url, headers, contentType: "application/json" });
    const topic = topicOf("/client/orders")!;
    const described = await root("GET", `/v1/topics/${encodeURIComponent(topic)}`);
    expect(described.json["replication_factor"]).toBe(3);

    const sseRequests: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes("live=sse")) sseRequests.push(String(input));
      return realFetch(input, init);
    };
    const seen: number[] = [];
    const res = await stream<{ n: number }>({ url, headers, offset: "-1", live: "sse" });
    res.subscribeJson((batch) => void seen.push(...batch.items.map((i) => i.n)));

    const producer = new IdempotentProducer(handle, "writer-1", { autoClaim: true, maxInFlight: 1, lingerMs: 0 });
    for (let n = 0; n < 10; n++) producer.append(JSON.stringify({ n }));
    await producer.flush();
    await vi.waitUntil(() => seen.length >= 10, { timeout: 20_000, interval: 50 });

    const before = await leaderOf(topic);
    const offline = await root("POST", `/v1/admin/topics/${encodeURIComponent(topic)}/partitions/0/replicas/${before}/offline`);
    expect(offline.status, JSON.stringify(offline.json)).toBe(200);
    const after = await leaderOf(topic);
    expect(after).not.toBe(before);

    for (let n = 10; n < 20; n++) producer.append(JSON.stringify({ n }));
    await producer.flush();
    await vi.waitUntil(() => seen.length >= 20, { timeout: 30_000, interval: 50 });
    await producer.close();

    // A catch-up read with the same key agrees with what the live subscriber saw.
    const all = await (await stream<{ n: number }>({ url, headers, offset: "-1", live: false })).json();
    res.cancel();
    globalThis.fetch = realFetch;
    expect(sseRequests.length).toBeGreaterThan(0);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(all.map((i) => i.n)).toEqual(seen);
    expect((await root("POST", `/v1/admin/topics/${encodeURIComponent(topic)}/partitions/0/replicas/${before}/online`)).status).toBe(200);
  }, 90_000);

  it("without credentials the door refuses a tenant that has no anonymous prefix (401)", async () => {
    const res = await fetch(`${server.url}/ds/default/client/orders?offset=-1`);
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("anonymous requests are admitted only under the tenant's prefix, and no longer once it is turned off", async () => {
    const anon = (method: string, path: string, body?: string) =>
      fetch(`${server.url}/ds/${path}`, { method, headers: { "content-type": "text/plain" }, ...(body === undefined ? {} : { body }) });
    expect((await root("PUT", "/v1/admin/tenants/default/durable-streams", { anonymous_prefix: "/public/" })).status).toBe(200);
    expect((await anon("PUT", "default/public/feed", "hello")).status).toBe(201);
    const read = await anon("GET", "default/public/feed?offset=-1");
    expect([read.status, await read.text()]).toEqual([200, "hello"]);
    expect((await anon("PUT", "default/private/feed", "x")).status).toBe(401);
    expect((await anon("PUT", "default/publicity", "x")).status).toBe(401);
    expect((await anon("GET", "other/public/feed?offset=-1")).status).toBe(401);
    expect((await root("PUT", "/v1/admin/tenants/default/durable-streams", { anonymous_prefix: null })).json).toEqual({ anonymous_prefix: null });
    expect((await anon("GET", "default/public/feed?offset=-1")).status).toBe(401);
  });
});
