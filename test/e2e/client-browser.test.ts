/**
 * Issue 15, the client package in a browser: the built package (scripts/build-client.ts, into a
 * directory of this test's own) is loaded as ES modules by Debian's chromium driven by
 * playwright-core, from a page whose origin also forwards `/v1/*` to the real server
 * (test/support/server-process.ts), so the page's `fetch` needs no CORS. In the page: an
 * idempotent producer sends keyed records, an assigned-partition consumer and a group consumer
 * read them all back, the group commits. This proves the package loads and runs with fetch only
 * (no Node module, no bundler). Bounded: server start, browser launch and the page's work.
 */
import { createReadStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClient } from "../../scripts/build-client.ts";
import { startServer, stopServer, type Running } from "../support/server-process.ts";

const TOKEN = "client-browser-token";
const CHROMIUM = "/usr/bin/chromium";

let server: Running;
let stateDir: string;
let dist: string;
let site: Server;
let siteUrl: string;
let browser: Browser;

/**
 * The page's module (plain JavaScript, as a browser gets it): imports the package and leaves the
 * round trip's outcome as the promise `window.roundTrip`.
 */
const PAGE_SCRIPT = `
import { FlarelogClient } from "/pkg/client/index.js";
async function roundTrip() {
  const token = new URLSearchParams(location.search).get("token");
  const client = new FlarelogClient({ baseUrl: location.origin, token });
  const created = await client.createTopic("browser", { partitions: 2 });
  if (!created.ok) throw new Error(JSON.stringify(created.error));
  const producer = client.producer();
  const values = Array.from({ length: 50 }, (_, i) => "b" + i);
  const metas = await producer.send("browser", values.map((value, i) => ({ key: "k" + (i % 5), value })));
  await producer.close();
  const consumer = client.consumer({ topic: "browser", autoOffsetReset: "earliest" });
  const fetched = [];
  for (let i = 0; i < 20 && fetched.length < 50; i++) fetched.push(...(await consumer.poll()).map((r) => r.value));
  const group = client.groupConsumer({ group: "browser-g", topics: ["browser"], autoOffsetReset: "earliest" });
  const grouped = [];
  for (let i = 0; i < 20 && grouped.length < 50; i++) {
    const records = await group.poll();
    grouped.push(...records.map((r) => r.value));
    if (records.length > 0) await group.commit();
  }
  await group.close();
  const offsets = await client.fetchOffsets("browser-g");
  return {
    idempotent: producer.config.idempotent,
    acked: metas.length,
    fetched: fetched.sort(),
    grouped: grouped.sort(),
    committed: offsets.ok ? offsets.body.offsets.reduce((s, o) => s + o.offset, 0) : -1,
    userAgent: navigator.userAgent,
  };
}
window.roundTrip = roundTrip();
`;

/** `/` a page loading /round-trip.js, `/pkg/…` the built package, `/v1/…` forwarded to the Flarelog server. */
function startSite(): Promise<string> {
  site = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://site").pathname;
    if (path.startsWith("/v1/")) {
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : await new Response(req as unknown as ReadableStream).arrayBuffer();
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k === "authorization" || k === "content-type")) as Record<string, string>;
      const answer = await fetch(server.url + req.url, { method: req.method ?? "GET", headers, ...(body ? { body } : {}) });
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } else if (path.startsWith("/pkg/")) {
      const file = normalize(join(dist, path.slice("/pkg/".length)));
      if (!file.startsWith(dist) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/javascript" });
      createReadStream(file).pipe(res);
    } else if (path === "/round-trip.js") res.writeHead(200, { "content-type": "text/javascript" }).end(PAGE_SCRIPT);
    else res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>flarelog</title><script type="module" src="/round-trip.js"></script>');
  });
  return new Promise((resolve) => site.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(site.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "flarelog-browser-state-"));
  dist = mkdtempSync(join(tmpdir(), "flarelog-browser-dist-"));
  server = await startServer(stateDir, TOKEN);
  buildClient(dist);
  siteUrl = await startSite();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"], timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  site?.close();
  if (server) await stopServer(server);
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(dist, { recursive: true, force: true });
});

describe("the client package in chromium", () => {
  it("a page imports the built package and produces, consumes and commits through a group with fetch only", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${siteUrl}/?token=${TOKEN}`);
    const seen = (await page.evaluate("window.roundTrip")) as Record<string, unknown>;
    const values = Array.from({ length: 50 }, (_, i) => `b${i}`).sort();
    expect(errors).toEqual([]);
    expect(seen.userAgent).toMatch(/Chrome\//);
    expect(seen).toMatchObject({ idempotent: true, acked: 50, fetched: values, grouped: values, committed: 50 });
    await page.close();
  }, 60_000);
});
