/**
 * GET: catch-up reads (Stream-Next-Offset, Stream-Up-To-Date, ETag and 304), `offset=-1|now|
 * <token>`, JSON mode (an array of the messages' items), `live=long-poll` (a 204 with
 * Stream-Cursor when nothing arrives) and `live=sse` (a `data` event per message, each followed
 * by a `control` event with its offset; base64 data for binary streams; a keep-alive control
 * event per quiet long-poll; a final `streamClosed` control event; at most SSE_LIFETIME_MS per
 * connection, the client reconnects from its last offset).
 *
 * Reads go through the fetch service, so they are served by the partition's current leader and
 * only below the high watermark (acknowledged by the ISR): a reader never sees a message a leader
 * fail-over could lose, and an SSE connection outlives a fail-over (the service re-reads the
 * partition state and goes to the new leader). Called by app.ts.
 */
import type { ServiceContext } from "../../services/context.ts";
import { H, itemsOf, jsonArray, responseCursor } from "./headers.ts";
import { isJson, needsBase64 } from "./meta.ts";
import { positionOf, tokenOf } from "./names.ts";
import { answer, readMessages, type Loaded, type Message } from "./store.ts";
import { etagOf, live, touch } from "./writes.ts";

/** How long a long-poll (and each quiet SSE wait) waits for a message. */
export const LONG_POLL_MS = 4_000;
/** An SSE connection ends after this; the client reconnects from its last offset. */
export const SSE_LIFETIME_MS = 55_000;

/** A wait re-reads the stream's metadata this often, so a close ends a long-poll or SSE wait promptly. */
const WAIT_SLICE_MS = 500;

const utf8 = new TextEncoder();
const text = new TextDecoder();

/** A state-protocol item (an object whose headers carry `operation` or `control`) gets its message's offset. */
function enrich(item: string, offset: string): string {
  const v = JSON.parse(item) as { headers?: Record<string, unknown> } | null;
  const h = v && typeof v === "object" && !Array.isArray(v) ? v.headers : undefined;
  if (!h || typeof h !== "object" || (typeof h.operation !== "string" && typeof h.control !== "string")) return item;
  return JSON.stringify({ ...v, headers: { ...h, offset } });
}

/**
 * Waits up to `totalMs` for messages at `from` (the tail), in slices: after each quiet slice the
 * stream is read again, and a closed, deleted or removed stream ends the wait.
 */
async function waitForMessages(ctx: ServiceContext, path: string, s: Loaded, from: number, totalMs: number): Promise<{ messages: Message[]; s: Loaded | null }> {
  const until = Date.now() + totalMs;
  let now: Loaded | null = s;
  while (now !== null && !now.meta.closed && !now.meta.deleted) {
    const left = until - Date.now();
    if (left <= 0) break;
    const messages = await readMessages(ctx, now, from, Math.min(WAIT_SLICE_MS, left));
    now = await live(ctx, path);
    if (messages.length) return { messages, s: now };
  }
  return { messages: [], s: now };
}

function jsonItemsOf(messages: readonly Message[]): string[] {
  return messages.flatMap((m) => itemsOf(m.data).map((i) => enrich(i, tokenOf(m.end))));
}

function bodyOf(s: Loaded, messages: readonly Message[]): Uint8Array {
  if (isJson(s.meta)) return utf8.encode(jsonArray(jsonItemsOf(messages)));
  const out = new Uint8Array(messages.reduce((n, m) => n + m.data.length, 0));
  let at = 0;
  for (const m of messages) (out.set(m.data, at), (at += m.data.length));
  return out;
}

/** The position an `offset` parameter names (null: absent); stops with 400 for a malformed one. */
function startOf(url: URL, s: Loaded): number | null {
  const all = url.searchParams.getAll("offset");
  if (all.length === 0) return null;
  if (all.length > 1) answer(400, "Multiple offset parameters not allowed");
  const raw = all[0]!;
  if (raw === "") answer(400, "Empty offset parameter");
  if (raw === "-1") return s.meta.forkOf !== null ? 0 : s.start;
  if (raw === "now") return s.tail;
  return positionOf(raw) ?? answer(400, "Invalid offset format");
}

export function checkOffsetParam(url: URL): void {
  const all = url.searchParams.getAll("offset");
  if (all.length > 1) answer(400, "Multiple offset parameters not allowed");
  const raw = all[0];
  if (raw === undefined) return;
  if (raw === "") answer(400, "Empty offset parameter");
  if (raw !== "-1" && raw !== "now" && positionOf(raw) === null) answer(400, "Invalid offset format");
}

export async function readAt(ctx: ServiceContext, req: Request, path: string, url: URL): Promise<Response> {
  checkOffsetParam(url);
  const mode = url.searchParams.get("live");
  if ((mode === "long-poll" || mode === "sse") && !url.searchParams.has("offset"))
    answer(400, `${mode === "sse" ? "SSE" : "Long-poll"} requires offset parameter`);
  const s = await live(ctx, path);
  if (s === null) return answer(404, "Stream not found");
  if (s.meta.deleted) return answer(410, "Stream is gone");
  await touch(ctx, s);
  const from = startOf(url, s) ?? (s.meta.forkOf !== null ? 0 : s.start);
  if (mode === "sse") return sseAnswer(ctx, path, from, url.searchParams.get("cursor"), s);
  if (url.searchParams.get("offset") === "now" && mode !== "long-poll") return nowAnswer(s);
  let messages = await readMessages(ctx, s, from, 0);
  let current = s;
  if (mode === "long-poll" && messages.length === 0 && from >= s.tail) {
    const cursor = responseCursor(url.searchParams.get("cursor"));
    const idle = { [H.offset]: tokenOf(from), [H.upToDate]: "true", [H.cursor]: cursor };
    if (s.meta.closed) return new Response(null, { status: 204, headers: { ...idle, [H.closed]: "true" } });
    const waited = await waitForMessages(ctx, path, s, from, LONG_POLL_MS);
    messages = waited.messages;
    current = waited.s ?? s;
    if (messages.length === 0) {
      const now = waited.s;
      return new Response(null, { status: 204, headers: now?.meta.closed ? { ...idle, [H.closed]: "true" } : idle });
    }
  }
  return catchUpAnswer(req, path, url, current, from, messages, mode);
}

function nowAnswer(s: Loaded): Response {
  const headers: Record<string, string> = { [H.offset]: tokenOf(s.tail), [H.upToDate]: "true", "cache-control": "no-store", "content-type": s.meta.contentType };
  if (s.meta.closed) headers[H.closed] = "true";
  return new Response(isJson(s.meta) ? "[]" : "", { status: 200, headers });
}

function catchUpAnswer(
  req: Request,
  path: string,
  url: URL,
  s: Loaded,
  from: number,
  messages: Message[],
  mode: string | null,
): Response {
  const now = s;
  const next = messages.length ? messages[messages.length - 1]!.end : Math.max(from, s.tail);
  const upToDate = next >= now.tail;
  const headers: Record<string, string> = { "content-type": s.meta.contentType, [H.offset]: tokenOf(next) };
  if (mode === "long-poll") headers[H.cursor] = responseCursor(url.searchParams.get("cursor"));
  if (upToDate) headers[H.upToDate] = "true";
  const closedAtTail = now.meta.closed && upToDate;
  if (closedAtTail) headers[H.closed] = "true";
  const etag = etagOf(path, url.searchParams.get("offset") ?? "-1", tokenOf(next), closedAtTail);
  headers["etag"] = etag;
  if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers: { etag } });
  return new Response(bodyOf(s, messages), { status: 200, headers });
}

function sseEvent(type: string, payload: string): string {
  return `event: ${type}\n${payload.split(/\r\n|\r|\n/).map((l) => `data:${l}`).join("\n")}\n\n`;
}

function dataPayload(s: Loaded, m: Message): string {
  if (needsBase64(s.meta)) {
    let bin = "";
    for (let i = 0; i < m.data.length; i += 0x8000) bin += String.fromCharCode(...m.data.subarray(i, i + 0x8000));
    return btoa(bin);
  }
  return isJson(s.meta) ? jsonArray(jsonItemsOf([m])) : text.decode(m.data);
}

function sseAnswer(ctx: ServiceContext, path: string, from: number, cursor: string | null, s: Loaded): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const headers: Record<string, string> = { "content-type": "text/event-stream", "cache-control": "no-cache" };
  if (needsBase64(s.meta)) headers[H.sseEncoding] = "base64";
  ctx.waitUntil(pumpSse(ctx, path, from, cursor, s, (chunk) => writer.write(utf8.encode(chunk))).finally(() => writer.close().catch(() => undefined)));
  return new Response(readable, { status: 200, headers });
}

type Send = (chunk: string) => Promise<void>;

async function pumpSse(ctx: ServiceContext, path: string, from: number, cursor: string | null, first: Loaded, send: Send): Promise<void> {
  const endAt = Date.now() + SSE_LIFETIME_MS;
  let s: Loaded | null = first;
  let wait = 0;
  try {
    while (s !== null && !s.meta.deleted && Date.now() < endAt) {
      const got: { messages: Message[]; s: Loaded | null } = wait ? await waitForMessages(ctx, path, s, from, wait) : { messages: await readMessages(ctx, s, from, 0), s: null };
      const messages = got.messages;
      const now: Loaded | null = wait ? got.s : messages.length ? await live(ctx, path) : s;
      if (now === null) return;
      let out = "";
      for (const [i, m] of messages.entries()) {
        from = m.end;
        out += sseEvent("data", dataPayload(now, m));
        if (i < messages.length - 1) out += sseEvent("control", JSON.stringify({ streamNextOffset: tokenOf(from), streamCursor: responseCursor(cursor) }));
      }
      const atTail = from >= now.tail;
      if (now.meta.closed && atTail) return void (await send(out + sseEvent("control", JSON.stringify({ streamNextOffset: tokenOf(from), streamClosed: true }))));
      const control: Record<string, unknown> = { streamNextOffset: tokenOf(from), streamCursor: responseCursor(cursor) };
      if (atTail) control["upToDate"] = true;
      // One write per batch: a message's data event and its control event arrive together.
      if (messages.length || wait === 0 || atTail) await send(out + sseEvent("control", JSON.stringify(control)));
      wait = atTail ? LONG_POLL_MS : 0;
      s = now;
    }
  } catch {
    // The client went away (a write failed) or the stream could not be read: the connection ends.
  }
}
