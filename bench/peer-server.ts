/**
 * The Node reference server of Durable Streams (`@durable-streams/server`), in its own process
 * so its CPU is its own: file-backed when given a directory (`node bench/peer-server.ts <dir>`:
 * log files and LMDB, durable like Flarelog's SQLite), else in memory; compression off
 * (Flarelog's answers are not compressed either). bench/peer.ts starts it and reads the
 * `PEER_URL <url>` line; SIGTERM stops it.
 * Node 24 type stripping: erasable TypeScript only.
 */
import { DurableStreamTestServer } from "@durable-streams/server";

const dataDir = process.argv[2];
const server = new DurableStreamTestServer({ port: 0, host: "127.0.0.1", compression: false, ...(dataDir ? { dataDir } : {}) });
const url = await server.start();
process.stdout.write(`PEER_URL ${url}\n`);
process.on("SIGTERM", () => void server.stop().finally(() => process.exit(0)));
