/**
 * Proves the chaos proxy's lost-answer fault (chaos/proxy.ts `respdrop`, issue 5) against a local
 * HTTP server: while answers are dropped the request still reaches the server and is processed,
 * but the client gets a reset instead of the answer; a rate of 0 passes every answer; after the
 * heal answers flow again; the same seed drops the same answers. Everything on 127.0.0.1.
 */
import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { ChaosProxy } from "../../chaos/proxy.ts";
import { call } from "../../chaos/workload.ts";

let server: Server | undefined;
let proxy: ChaosProxy | undefined;

afterEach(async () => {
  await proxy?.close();
  server?.closeAllConnections();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
  proxy = undefined;
});

/** A server that counts the requests it processed and answers each with its number. */
async function start(): Promise<{ processed: () => number; url: string }> {
  let n = 0;
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      n++;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ n }));
    });
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", () => done()));
  const address = server.address();
  proxy = new ChaosProxy();
  await proxy.listen();
  proxy.setUpstream(typeof address === "object" && address !== null ? address.port : 0);
  return { processed: () => n, url: `${proxy.url}/x` };
}

describe("chaos proxy respdrop", () => {
  it("drops the answer after the server processed the request: the client sees no answer (status 0)", async () => {
    const { processed, url } = await start();
    proxy!.respdrop(1, 42);
    const r = await call(url, "t", "POST", 5_000, { a: 1 });
    expect(r.status).toBe(0);
    expect(processed()).toBe(1);
    expect(proxy!.stats.answersDropped).toBe(1);

    proxy!.heal();
    const after = await call(url, "t", "POST", 5_000, { a: 2 });
    expect(after).toMatchObject({ status: 200, json: { n: 2 } });
  });

  it("rate 0 passes every answer", async () => {
    const { url } = await start();
    proxy!.respdrop(0, 42);
    for (let i = 1; i <= 5; i++) expect((await call(url, "t", "GET", 5_000)).json).toEqual({ n: i });
    expect(proxy!.stats.answersDropped).toBe(0);
  });

  it("a rate between drops a seeded share: every request is processed, the same seed drops the same ones", async () => {
    const pattern = async (): Promise<number[]> => {
      const { processed, url } = await start();
      proxy!.respdrop(0.5, 7);
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(url, "t", "GET", 5_000)).status);
      expect(processed()).toBe(20);
      await proxy!.close();
      await new Promise<void>((done) => server!.close(() => done()));
      server = undefined;
      proxy = undefined;
      return statuses;
    };
    const first = await pattern();
    expect(first.filter((s) => s === 0).length).toBeGreaterThan(2);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(2);
    expect(await pattern()).toEqual(first);
  });
});
