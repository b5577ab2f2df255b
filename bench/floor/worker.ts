/**
 * The platform floor for `npm run bench` (issue 7): the least a Durable Object on this runtime
 * can do per produce or fetch request, measured beside Flarelog in the same run. Never shipped:
 * it is not in wrangler.toml or workers/broker.ts; bench/floor.ts loads it into its own
 * Miniflare instance (Node strips the types; no bundling, no imports at runtime).
 *
 *   POST /write?p=NAME            the body's bytes, unparsed, become one SQLite row (a BLOB) of
 *                                 the DO named NAME; answers 200 `{"id":<rowid>}`
 *   GET  /read?p=NAME&from=N&max=M  rows with id >= N (at most M), their bytes concatenated;
 *                                 header `x-next` is the id after the last row returned
 *   POST /fanout?p=NAME&n=N       the body's bytes cut into N equal slices, each one row of DO
 *                                 NAME-i, written in parallel: the platform's own cost of one
 *                                 request's fan-out to N objects (a topic-level produce to N
 *                                 partitions; bench/bulk.ts); answers 200 `{"id":<first rowid>}`
 *   POST /hop?p=NAME              Worker → DO NAME (one row) → DOs NAME-f1 and NAME-f2 (one row
 *                                 each, in parallel): the platform's own Worker → DO → DO round
 *                                 trip, the shape of an RF 3 acks=all append (bench/platform-hop.ts)
 *   POST /e2e-write?p=NAME        as /hop, then the row counts as committed once it and every row
 *                                 before it are in all three objects, and the long polls of
 *                                 /e2e-read waiting on DO NAME are woken: the platform's own
 *                                 produce → commit → consumer pipeline (bench/e2e.ts's
 *                                 e2e ablation); answers 200 `{"id":<rowid>}`
 *   GET  /e2e-read?p=NAME&from=N&max=M&wait_ms=W  committed rows with id >= N (at most M); with
 *                                 none, waits up to W ms for a commit first (a long poll);
 *                                 answers `{"next":<id after the last row>,"rows":[<body>,...]}`,
 *                                 each row's bytes (the producer's JSON body) spliced in as text
 *   POST /json-write?p=NAME       the least a Worker must do to serve the JSON produce contract
 *                                 (docs/api.md): the body read and `JSON.parse`d, its `records`
 *                                 counted (n), its bytes one row of DO NAME (as /write), answered
 *                                 `{"offsets":[{"partition":0,"offset":O,"timestamp":T}, ...]}`,
 *                                 n entries built as one string; no validation, no re-encoding:
 *                                 below any real implementation (the JSON targets' floor, bench/bulk.ts)
 *   POST /json-hop?p=NAME         as /json-write, with the bytes stored as /hop stores them (one row
 *                                 in DO NAME, then one in each of two more, awaited): the JSON
 *                                 contract over the platform's replicated write (the RF 3 JSON
 *                                 target's floor, bench/bulk.ts)
 *   POST /null                    the body read, answered `{"id":0}` with no Durable Object: the
 *                                 floor's Worker alone (the produce edge ablation, bench/bulk.ts)
 *   PUT  /mem?k=KEY[&via=do&p=NAME]  the body kept in the Worker's isolate memory (or in the
 *                                 memory of DO NAME, no SQLite); GET answers those bytes again:
 *                                 what the runtime costs to move an answer into the client, with
 *                                 no storage (the catch-up ablation, bench/catchup-split.ts)
 *
 * One DO per name, as Flarelog has one replica DO per partition. No auth, no validation, no
 * JSON parse (but in /json-write's): whatever Flarelog does beyond this is its own cost.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  FLOOR: DurableObjectNamespace<FloorDO>;
}

export class FloorDO extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    this.committed = ctx.storage.sql.exec<{ id: number | null }>("SELECT max(id) AS id FROM rows").one().id ?? 0;
  }

  /** The INSERT and its rowid read run with no await between them (one synchronous turn). */
  write(body: ArrayBuffer): number {
    return this.ctx.storage.sql.exec<{ id: number }>("INSERT INTO rows(body) VALUES (?) RETURNING id", body).one().id;
  }

  /** One row here, then one row in each of two other objects (DO → DO RPC), awaited. */
  async hop(body: ArrayBuffer, name: string): Promise<number> {
    const id = this.write(body);
    await Promise.all(["f1", "f2"].map((f) => this.env.FLOOR.getByName(`${name}-${f}`).write(body)));
    return id;
  }

  /** The highest row id that, with every row before it, is in all three objects (`/e2e-write`). */
  private committed: number;
  /** Rows replicated above `committed` while a row below them is still out. */
  private readonly replicatedAhead = new Set<number>();
  private waiters: (() => void)[] = [];

  /** `/hop`, then the commit point advanced over every contiguous replicated row, and long polls woken. */
  async commitWrite(body: ArrayBuffer, name: string): Promise<number> {
    const id = await this.hop(body, name);
    this.replicatedAhead.add(id);
    while (this.replicatedAhead.delete(this.committed + 1)) this.committed++;
    const woken = this.waiters;
    this.waiters = [];
    for (const wake of woken) wake();
    return id;
  }

  /**
   * Committed rows from id `fromId` (at most `max`), after waiting up to `waitMs` for one when there
   * is none. Row ids start at 1, so a poll from 0 (a consumer's first) is one from 1 and waits too.
   */
  async pollCommitted(fromId: number, max: number, waitMs: number): Promise<string> {
    const from = Math.max(1, fromId);
    if (this.committed < from && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const rows = this.ctx.storage.sql
      .exec<{ id: number; body: ArrayBuffer }>("SELECT id, body FROM rows WHERE id >= ? AND id <= ? ORDER BY id LIMIT ?", from, this.committed, max)
      .toArray();
    const decoder = new TextDecoder();
    const next = rows.length === 0 ? from : rows[rows.length - 1]!.id + 1;
    return `{"next":${next},"rows":[${rows.map((r) => decoder.decode(r.body)).join(",")}]}`;
  }

  /** Bytes held in this object's memory (no SQLite): the `/mem?via=do` routes. */
  private readonly held = new Map<string, Uint8Array>();

  hold(key: string, body: ArrayBuffer): number {
    this.held.set(key, new Uint8Array(body));
    return body.byteLength;
  }

  heldBytes(key: string): Uint8Array | null {
    return this.held.get(key) ?? null;
  }

  read(from: number, max: number): { bytes: Uint8Array; next: number } {
    const rows = this.ctx.storage.sql.exec<{ id: number; body: ArrayBuffer }>("SELECT id, body FROM rows WHERE id >= ? ORDER BY id LIMIT ?", from, max).toArray();
    const bytes = new Uint8Array(rows.reduce((n, r) => n + r.body.byteLength, 0));
    let at = 0;
    for (const r of rows) {
      bytes.set(new Uint8Array(r.body), at);
      at += r.body.byteLength;
    }
    return { bytes, next: rows.length === 0 ? from : rows[rows.length - 1]!.id + 1 };
  }
}

/** Bytes held in the Worker's isolate memory: the `/mem` routes (the bench's from-memory rows). */
const memory = new Map<string, Uint8Array>();

async function mem(request: Request, url: URL, stub: DurableObjectStub<FloorDO>): Promise<Response> {
  const key = url.searchParams.get("k") ?? "";
  const viaDo = url.searchParams.get("via") === "do";
  if (request.method === "PUT") {
    const body = await request.arrayBuffer();
    if (viaDo) await stub.hold(key, body);
    else memory.set(key, new Uint8Array(body));
    return Response.json({ id: body.byteLength });
  }
  const bytes = viaDo ? await stub.heldBytes(key) : (memory.get(key) ?? null);
  if (bytes === null) return new Response("no such key", { status: 404 });
  return new Response(bytes, { headers: { "content-length": String(bytes.byteLength) } });
}

/**
 * `/json-write` and `/json-hop`: the JSON produce contract at its least. The bytes are decoded once
 * (what `request.text()` does) and kept, so the row is the very body, as /write (or /hop) stores
 * it. Offsets are the row id × n onwards (each row holds n records); one timestamp for the request.
 */
async function jsonWrite(request: Request, store: (body: ArrayBuffer) => Promise<number>): Promise<Response> {
  const body = await request.arrayBuffer();
  const n = (JSON.parse(new TextDecoder().decode(body)) as { records: unknown[] }).records.length;
  const first = ((await store(body)) - 1) * n;
  const timestamp = Date.now();
  let out = '{"offsets":[';
  for (let i = 0; i < n; i++) out += `${i === 0 ? "" : ","}{"partition":0,"offset":${first + i},"timestamp":${timestamp}}`;
  return new Response(`${out}]}`, { headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.FLOOR.getByName(url.searchParams.get("p") ?? "0");
    if (request.method === "POST" && url.pathname === "/write") {
      const id = await stub.write(await request.arrayBuffer());
      return Response.json({ id });
    }
    if (request.method === "POST" && url.pathname === "/json-write") return jsonWrite(request, (body) => stub.write(body));
    if (request.method === "POST" && url.pathname === "/json-hop") return jsonWrite(request, (body) => stub.hop(body, url.searchParams.get("p") ?? "0"));
    if (request.method === "POST" && url.pathname === "/fanout") {
      const body = await request.arrayBuffer();
      const n = Math.max(1, Number(url.searchParams.get("n") ?? "1"));
      const name = url.searchParams.get("p") ?? "0";
      const step = Math.ceil(body.byteLength / n);
      const ids = await Promise.all(Array.from({ length: n }, (_, i) => env.FLOOR.getByName(`${name}-${i}`).write(body.slice(i * step, Math.min(body.byteLength, (i + 1) * step)))));
      return Response.json({ id: ids[0] });
    }
    if (request.method === "POST" && url.pathname === "/hop") {
      const id = await stub.hop(await request.arrayBuffer(), url.searchParams.get("p") ?? "0");
      return Response.json({ id });
    }
    if (request.method === "POST" && url.pathname === "/e2e-write") {
      const id = await stub.commitWrite(await request.arrayBuffer(), url.searchParams.get("p") ?? "0");
      return Response.json({ id });
    }
    if (request.method === "GET" && url.pathname === "/e2e-read") {
      const q = (k: string, d: string) => Number(url.searchParams.get(k) ?? d);
      const answer = await stub.pollCommitted(q("from", "1"), q("max", "1"), q("wait_ms", "0"));
      return new Response(answer, { headers: { "content-type": "application/json" } });
    }
    if (url.pathname === "/mem") return mem(request, url, stub);
    if (request.method === "POST" && url.pathname === "/null") {
      await request.arrayBuffer();
      return Response.json({ id: 0 });
    }
    if (request.method === "GET" && url.pathname === "/read") {
      const r = await stub.read(Number(url.searchParams.get("from") ?? "1"), Number(url.searchParams.get("max") ?? "1"));
      return new Response(r.bytes, { headers: { "x-next": String(r.next) } });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
