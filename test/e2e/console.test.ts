/**
 * The console in a real browser (issue 20): Debian's headless Chromium driven by playwright-core
 * against the real server started as `npm start` starts it. A user signs in with the root token
 * (keyboard only), creates a topic, produces a record and sees it in the message browser,
 * watches the live tail show a record produced elsewhere, watches a group's lag fall to zero as
 * a consumer catches up, and takes a replica offline and sees the partition under-replicated.
 * Each page is photographed: into docs/console/ with UPDATE_SCREENSHOTS=1 (the README shows
 * them), else into a temporary directory, so an ordinary run leaves the tree unchanged.
 *
 * Waits are Playwright's bounded waits for what the page shows (the pages re-read every 2 s);
 * nothing sleeps. Chromium comes from `apt-get install chromium` (.ci/run); without it this
 * test fails naming the missing executable.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, stopServer, type Running } from "../support/server-process.ts";

const CHROMIUM = "/usr/bin/chromium";
const TOKEN = "console-admin-token";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const WAIT_MS = 20_000;

let server: Running;
let stateDir: string;
let profileDir: string;
let shotsDir: string;
let browser: BrowserContext;
let page: Page;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}

const shot = (name: string) => page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
const see = (selector: string, text: string | RegExp) => page.locator(selector, { hasText: text }).first().waitFor({ timeout: WAIT_MS });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  stateDir = await mkdtemp(join(tmpdir(), "flarelog-console-state-"));
  profileDir = await mkdtemp(join(tmpdir(), "flarelog-console-profile-"));
  shotsDir = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "console") : await mkdtemp(join(tmpdir(), "flarelog-console-shots-"));
  server = await startServer(stateDir, TOKEN);
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 760 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (server) await stopServer(server);
  for (const dir of [stateDir, profileDir]) if (dir) await rm(dir, { recursive: true, force: true });
  if (shotsDir && process.env.UPDATE_SCREENSHOTS !== "1") await rm(shotsDir, { recursive: true, force: true });
}, 30_000);

describe("the console in headless Chromium", () => {
  it("signs in with the root token using the keyboard only and lands on the topics page", async () => {
    await page.goto(`${server.url}/console`);
    await see("h1", "Sign in");
    await shot("sign-in");
    await page.keyboard.type(TOKEN); // the token field has focus on load
    await page.keyboard.press("Enter");
    await see("h1", "Topics");
  }, 60_000);

  it("creates a topic from the admin page and lists it with its partitions", async () => {
    await page.goto(`${server.url}/console#/admin`);
    await page.fill("#c-name", "orders");
    await page.fill("#c-partitions", "3");
    await page.fill("#c-rf", "3");
    await page.click("#create button");
    await see("#admin-result", '"name": "orders"');
    await shot("admin");
    await page.goto(`${server.url}/console#/topics`);
    await see("#topics td", "orders");
  }, 60_000);

  it("produces a record from the produce page and shows it, decoded as JSON, in the message browser", async () => {
    await page.goto(`${server.url}/console#/produce`);
    await page.selectOption("#p-topic", "orders");
    await page.fill("#p-partition", "0");
    await page.fill("#p-key", "order-1");
    await page.fill("#p-value", '{"item":"book","qty":2}');
    await page.fill("#p-headers", "source: console");
    await page.click("#produce button");
    await see("#p-result", "Written to partition 0 at offset 0");
    await shot("produce");
    await page.goto(`${server.url}/console#/messages?topic=orders`);
    await page.selectOption("#m-decode", "json");
    await page.click("#seek button");
    await see("#records pre.value", '"item": "book"');
    await see("#records pre", "source: console");
    await shot("messages");
  }, 60_000);

  it("the live tail shows a record produced by another client", async () => {
    await page.goto(`${server.url}/console#/tail?topic=orders`);
    await page.click("#tail button");
    await see("#t-status", "from offset 1");
    await api("POST", "/v1/topics/orders/records", { records: [{ partition: 0, key: "order-2", value: "tailed while watching" }] });
    await see("#tail-records pre", "tailed while watching");
    await shot("tail");
  }, 60_000);

  it("a group's lag falls to zero on its page as its consumer catches up", async () => {
    const records = Array.from({ length: 8 }, (_, i) => ({ partition: i % 3, value: `backlog-${i}` }));
    await api("POST", "/v1/topics/orders/records", { records });
    type Member = { member_id: string; member_epoch: number };
    const m = await api<Member>("POST", "/v1/groups/billing/members", { topics: ["orders"], session_timeout_ms: 60_000 });
    const starts = [0, 1, 2].map((partition) => ({ topic: "orders", partition, offset: 0 }));
    await api("POST", "/v1/groups/billing/offsets", { member_id: m.member_id, member_epoch: m.member_epoch, offsets: starts });
    await page.goto(`${server.url}/console#/group/billing`);
    await see("#total-lag", /^1[0-9]$/); // 2 + 8 records, none consumed
    await shot("group-lagging");
    type Polled = { member_epoch: number; records: { topic: string; partition: number; offset: number }[] };
    const next = new Map<number, number>();
    for (let i = 0; i < 10 && [...next.values()].reduce((n, o) => n + o, 0) < 10; i++) {
      const polled = await api<Polled>("GET", `/v1/groups/billing/members/${m.member_id}/records?max_records=100`);
      for (const r of polled.records) next.set(r.partition, Math.max(next.get(r.partition) ?? 0, r.offset + 1));
      const offsets = [...next].map(([partition, offset]) => ({ topic: "orders", partition, offset }));
      if (offsets.length > 0) await api("POST", "/v1/groups/billing/offsets", { member_id: m.member_id, member_epoch: polled.member_epoch, offsets });
    }
    await see("#total-lag", /^0$/);
    await see("#offsets td.lag", "0");
    await shot("group-caught-up");
    await page.goto(`${server.url}/console#/groups`);
    await see("#groups td", "billing");
    await shot("groups");
  }, 90_000);

  it("taking a replica offline from the admin page turns the partition under-replicated on the topic page", async () => {
    await page.goto(`${server.url}/console#/admin`);
    await page.selectOption("#o-topic", "orders");
    await page.fill("#o-partition", "0");
    await page.fill("#o-replica", "2");
    await page.click("#o-offline");
    await see("#admin-result", '"offline_replicas": [\n    2\n  ]');
    await page.goto(`${server.url}/console#/topic/orders`);
    await see('#partitions tr.under-replicated[data-partition="0"] td.isr', "under-replicated");
    await shot("topic");
    await page.goto(`${server.url}/console#/topics`);
    await see("p .badge.bad", "1 under-replicated partitions");
    await shot("topics");
  }, 60_000);

  it("creates a producer key on the keys page; signed in with it, the console lists only the topics its prefix allows", async () => {
    await api("POST", "/v1/topics", { name: "audit", partitions: 1 });
    await page.goto(`${server.url}/console#/keys`);
    await see("h1", "API keys");
    await page.fill("#k-name", "orders-writer");
    await page.selectOption("#k-role", "producer");
    await page.fill("#k-prefix", "orders");
    await page.click("#k-create button");
    await see("#k-secret", "shown only now");
    const key = (await page.locator("#k-secret").textContent())!.trim().split("\n").at(-1)!;
    await see("#tenants td", "default");
    await shot("keys");
    await page.click("#signout");
    await see("h1", "Sign in");
    await page.fill("#token", key);
    await page.keyboard.press("Enter");
    await see("#topics td", "orders");
    expect(await page.locator("#topics td", { hasText: "audit" }).count()).toBe(0);
    await page.click("#signout");
  }, 60_000);
});
