/**
 * The Node reference server of Durable Streams (`@durable-streams/server`), in its own process
 * so its CPU is its own: file-backed when given a directory (`node bench/peer-server.ts <dir>`:
 * log files and LMDB, durable like Flarelog's SQLite), else in memory; compression off
 * (Flarelog's answers are not compressed either). bench/peer.ts starts it and reads the
 * `PEER_URL <url>` line; SIGTERM stops it.
 *
 * Beside it, in the same process (idle while the peer is measured, and the other way round), a
 * plain `node:http` server answering bytes from memory (`MEM_URL <url>`): `PUT /<key>` keeps the
 * body, `GET /<key>` answers it with its Content-Length in one write. The catch-up ablation
 * (bench/catchup-split.ts) serves Flarelog's own answers from it: what Node's HTTP costs to move
 * those bytes into a Node consumer, with no Worker at all.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DurableStreamTestServer } from "@durable-streams/server";

const dataDir = process.argv[2];
const server = new DurableStreamTestServer({ port: 0, host: "127.0.0.1", compression: false, ...(dataDir ? { dataDir } : {}) });
const url = await server.start();

const held = new Map<string, Buffer>();
const memory = createServer((req, res) => {
  const key = req.url ?? "/";
  if (req.method === "PUT") {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      held.set(key, body);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: body.byteLength }));
    });
    return;
  }
  const body = held.get(key);
  if (body === undefined) return void res.writeHead(404).end("no such key");
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.byteLength }).end(body);
});
await new Promise<void>((done) => memory.listen(0, "127.0.0.1", done));
const memUrl = `http://127.0.0.1:${(memory.address() as AddressInfo).port}`;

process.stdout.write(`PEER_URL ${url}\nMEM_URL ${memUrl}\n`);
process.on("SIGTERM", () => {
  memory.close();
  void server.stop().finally(() => process.exit(0));
});
