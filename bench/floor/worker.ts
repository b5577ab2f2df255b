/**
 * The platform floor for `npm run bench` (issue 7): the least a Durable Object on this runtime
 * can do per produce or fetch request, measured beside Flarelog in the same run. Never shipped:
 * it is not in wrangler.toml or workers/broker.ts; bench/floor.ts loads it into its own
 * Miniflare instance (Node strips the types; no bundling, no imports at runtime).
 *
 *   POST /write?p=NAME            the body, unparsed, becomes one SQLite row of the DO named NAME;
 *                                 answers 200 `{"id":<rowid>}`
 *   GET  /read?p=NAME&from=N&max=M  rows with id >= N (at most M), bodies concatenated with "\n";
 *                                 header `x-next` is the id after the last row returned
 *
 * One DO per name, as Flarelog has one replica DO per partition. No auth, no validation, no
 * JSON parse: whatever Flarelog does beyond this is its own cost.
 */
import { DurableObject } from "cloudflare:workers";

interface FloorEnv {
  FLOOR: DurableObjectNamespace<FloorDO>;
}

export class FloorDO extends DurableObject<FloorEnv> {
  constructor(ctx: DurableObjectState, env: FloorEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  }

  /** The INSERT and its rowid read run with no await between them (one synchronous turn). */
  write(body: string): number {
    return this.ctx.storage.sql.exec<{ id: number }>("INSERT INTO rows(body) VALUES (?) RETURNING id", body).one().id;
  }

  read(from: number, max: number): { text: string; next: number } {
    const rows = this.ctx.storage.sql.exec<{ id: number; body: string }>("SELECT id, body FROM rows WHERE id >= ? ORDER BY id LIMIT ?", from, max).toArray();
    return { text: rows.map((r) => r.body).join("\n"), next: rows.length === 0 ? from : rows[rows.length - 1]!.id + 1 };
  }
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.FLOOR.getByName(url.searchParams.get("p") ?? "0");
    if (request.method === "POST" && url.pathname === "/write") {
      const id = await stub.write(await request.text());
      return Response.json({ id });
    }
    if (request.method === "GET" && url.pathname === "/read") {
      const r = await stub.read(Number(url.searchParams.get("from") ?? "1"), Number(url.searchParams.get("max") ?? "1"));
      return new Response(r.text, { headers: { "x-next": String(r.next) } });
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<FloorEnv>;
