/**
 * The Durable Streams writes: PUT (create, idempotent; a fork), POST (append, close, with
 * Stream-Seq and idempotent producers) and DELETE, over store.ts. Answers follow the protocol
 * and its reference server (`@durable-streams/server`): 201/200/409 on create, 204 (200 with
 * producer headers) on append, 204 duplicates, 403 stale epochs, 409 sequence gaps with the
 * expected and received sequence, 409 for a closed stream.
 *
 * Invariants: a request is fully checked before anything is written (a bad JSON body, a content
 * type mismatch, a producer error write nothing). Called by app.ts and append.ts.
 */
import type { ServiceContext } from "../../services/context.ts";
import { H, itemsOf, jsonItems } from "./headers.ts";
import { expiryOf, isJson, normalizeContentType, type StreamMeta } from "./meta.ts";
import { positionOf, tokenOf } from "./names.ts";
import { answer, appendMessages, createStream, dropTopic, load, readMessages, saveMeta, serially, topicFor, type Loaded } from "./store.ts";

const INTEGER = /^(0|[1-9]\d*)$/;
const utf8 = new TextEncoder();

/** The stream at `path` as a request sees it: null when absent or expired (an expired one is removed). */
export async function live(ctx: ServiceContext, path: string): Promise<Loaded | null> {
  const s = await load(ctx, path);
  if (s === null) return null;
  const expiry = expiryOf(s.meta);
  if (expiry === null || Date.now() < expiry || s.meta.deleted) return s;
  if (s.meta.forks > 0) return { ...s, meta: { ...s.meta, deleted: true } };
  await removeStream(ctx, s);
  return null;
}

/** Deletes `s`'s topic and, when it was a fork, releases its source (removing a soft-deleted source no fork needs). */
async function removeStream(ctx: ServiceContext, s: Loaded): Promise<void> {
  await dropTopic(ctx, s.topic);
  if (s.meta.forkOf === null) return;
  const source = await load(ctx, s.meta.forkOf);
  if (source === null) return;
  const next = { ...source.meta, forks: Math.max(0, source.meta.forks - 1) };
  if (next.forks === 0 && source.meta.deleted) await removeStream(ctx, source);
  else await saveMeta(ctx, source.topic, source.meta, next);
}

/** The sliding TTL: a stream with a TTL read or written now lives TTL seconds from now. */
export async function touch(ctx: ServiceContext, s: Loaded): Promise<void> {
  if (s.meta.ttlSeconds === null || s.meta.deleted) return;
  const now = Date.now();
  if (now - s.meta.touchedAt < Math.min(1000, s.meta.ttlSeconds * 100)) return;
  await saveMeta(ctx, s.topic, s.meta, { ...s.meta, touchedAt: now });
}

interface CreateAsk {
  contentType: string | null;
  ttlSeconds: number | null;
  expiresAt: string | null;
  closed: boolean;
  forkedFrom: string | null;
  forkOffset: number | null;
  forkSub: number;
}

function createAsk(req: Request): CreateAsk {
  const h = (name: string) => req.headers.get(name);
  const rawCt = h("content-type");
  const contentType = rawCt && /^[\w-]+\/[\w-]+/.test(rawCt.trim()) ? rawCt : null;
  const ttl = h(H.ttl);
  const expiresAt = h(H.expiresAt);
  if (ttl !== null && expiresAt !== null) answer(400, "Cannot specify both Stream-TTL and Stream-Expires-At");
  if (ttl !== null && !INTEGER.test(ttl)) answer(400, "Invalid Stream-TTL value");
  if (expiresAt !== null && Number.isNaN(new Date(expiresAt).getTime())) answer(400, "Invalid Stream-Expires-At timestamp");
  const forkOffsetRaw = h(H.forkOffset);
  const forkOffset = forkOffsetRaw === null || forkOffsetRaw === "" ? null : positionOf(forkOffsetRaw);
  if (forkOffsetRaw && forkOffset === null) answer(400, "Invalid Stream-Fork-Offset format");
  const forkedFrom = h(H.forkedFrom);
  const sub = h(H.forkSubOffset);
  if (sub !== null && !forkedFrom) answer(400, "Stream-Fork-Sub-Offset requires Stream-Forked-From");
  if (sub !== null && !INTEGER.test(sub)) answer(400, "Invalid Stream-Fork-Sub-Offset format");
  const forkSub = sub === null ? 0 : Number(sub);
  return { contentType, ttlSeconds: ttl === null ? null : Number(ttl), expiresAt, closed: h(H.closed) === "true", forkedFrom, forkOffset, forkSub };
}

function sameConfig(m: StreamMeta, ask: CreateAsk): boolean {
  const ct = normalizeContentType(ask.contentType) || (ask.forkedFrom ? normalizeContentType(m.contentType) : "application/octet-stream");
  return (
    ct === normalizeContentType(m.contentType) &&
    ask.ttlSeconds === m.ttlSeconds &&
    ask.expiresAt === m.expiresAt &&
    ask.closed === m.closed &&
    (ask.forkedFrom ?? null) === m.forkOf &&
    (ask.forkOffset === null || ask.forkOffset === m.forkOffset) &&
    ask.forkSub === m.forkSub
  );
}

function createdAnswer(status: number, s: { meta: StreamMeta; tail: number }, location: string | null): Response {
  const headers: Record<string, string> = { "content-type": s.meta.contentType, [H.offset]: tokenOf(s.tail) };
  if (location) headers["location"] = location;
  if (s.meta.closed) headers[H.closed] = "true";
  return new Response(null, { status, headers });
}

/** The messages a create or append body holds (JSON: one per append, holding its items). */
export function bodiesOf(meta: StreamMeta, body: Uint8Array, atCreate: boolean): Uint8Array[] {
  if (body.length === 0) return [];
  if (!isJson(meta)) return [body];
  const items = jsonItems(body, atCreate);
  if (items === "invalid") return answer(400, "Invalid JSON");
  if (items === "empty") return answer(400, "Empty arrays are not allowed");
  return items.length ? [utf8.encode(`[${items.join(",")}]`)] : [];
}

/**
 * A sub-offset fork's first message: the first `sub` bytes (JSON: items) of the source's message
 * at the fork offset, copied into the fork (the only data a fork copies).
 */
async function subPrefix(ctx: ServiceContext, source: Loaded, at: number, sub: number): Promise<Uint8Array | null> {
  if (sub === 0) return null;
  const [m] = await readMessages(ctx, source, at, 0);
  if (!m) return answer(400, "Invalid fork sub-offset");
  if (!isJson(source.meta)) return sub <= m.data.length ? m.data.slice(0, sub) : answer(400, "Invalid fork sub-offset");
  const items = itemsOf(m.data);
  return sub <= items.length ? utf8.encode(`[${items.slice(0, sub).join(",")}]`) : answer(400, "Invalid fork sub-offset");
}

async function forkSource(ctx: ServiceContext, ask: CreateAsk): Promise<Loaded | null> {
  if (!ask.forkedFrom) return null;
  const source = await live(ctx, ask.forkedFrom);
  if (source === null) return answer(404, "Source stream not found");
  if (source.meta.deleted) return answer(409, "source stream was deleted but still has active forks");
  if (ask.contentType && normalizeContentType(ask.contentType) !== normalizeContentType(source.meta.contentType))
    answer(409, "Content type mismatch with source stream");
  const at = ask.forkOffset ?? source.tail;
  if (at > source.tail) answer(400, "Fork offset beyond source stream length");
  if (at < source.start) answer(400, "Fork offset before the source's retained data");
  return source;
}

function replication(req: Request): { replicationFactor: number; minInsyncReplicas: number | null } {
  const rf = req.headers.get(H.replicationFactor);
  const minIsr = req.headers.get(H.minInsyncReplicas);
  if (rf !== null && !/^[1-5]$/.test(rf)) answer(400, `${H.replicationFactor} must be 1 to 5`);
  if (minIsr !== null && !/^[1-5]$/.test(minIsr)) answer(400, `${H.minInsyncReplicas} must be 1 to 5`);
  return { replicationFactor: rf === null ? DEFAULT_REPLICATION_FACTOR : Number(rf), minInsyncReplicas: minIsr === null ? null : Number(minIsr) };
}

/** Streams are replicated three ways unless the creator asks otherwise. */
export const DEFAULT_REPLICATION_FACTOR = 3;

export async function createStreamAt(ctx: ServiceContext, req: Request, path: string, url: string): Promise<Response> {
  const ask = createAsk(req);
  const body = new Uint8Array(await req.arrayBuffer());
  const repl = replication(req);
  return serially(ctx, async () => {
    const existing = await live(ctx, path);
    if (existing?.meta.deleted) return answer(409, "stream was deleted but still has active forks — path cannot be reused until all forks are removed");
    if (existing) return sameConfig(existing.meta, ask) ? createdAnswer(200, existing, null) : answer(409, "Stream already exists with different configuration");
    const source = await forkSource(ctx, ask);
    const fork = source ? { ttlSeconds: ask.ttlSeconds ?? (ask.expiresAt ? null : source.meta.ttlSeconds), expiresAt: ask.expiresAt ?? (ask.ttlSeconds !== null ? null : source.meta.expiresAt) } : null;
    const meta: StreamMeta = {
      path,
      contentType: ask.contentType ?? source?.meta.contentType ?? "application/octet-stream",
      ttlSeconds: fork ? fork.ttlSeconds : ask.ttlSeconds,
      expiresAt: fork ? fork.expiresAt : ask.expiresAt,
      touchedAt: Date.now(),
      closed: false,
      closedBy: null,
      lastStreamSeq: null,
      forkOf: source ? ask.forkedFrom : null,
      forkOffset: source ? (ask.forkOffset ?? source.tail) : 0,
      forkSub: source ? ask.forkSub : 0,
      forks: 0,
      deleted: false,
      producers: new Map(),
    };
    const prefix = source ? await subPrefix(ctx, source, meta.forkOffset, ask.forkSub) : null;
    const bodies = [...(prefix ? [prefix] : []), ...bodiesOf(meta, body, true)];
    const made = await createStream(ctx, { meta: { ...meta, closed: ask.closed && bodies.length === 0 }, ...repl });
    if (made === "exists") return answer(409, "Stream already exists (created concurrently)");
    if (source) await saveMeta(ctx, source.topic, source.meta, { ...source.meta, forks: source.meta.forks + 1 });
    const s: Loaded = { topic: topicFor(path), meta, base: meta.forkOffset, start: meta.forkOffset, tail: meta.forkOffset };
    if (bodies.length) {
      s.tail = await appendMessages(ctx, s, bodies);
      if (ask.closed) await saveMeta(ctx, s.topic, { ...meta, closed: false }, { ...meta, closed: true });
    }
    // A TTL runs from the answer, not from the start of a creation that may have taken a while.
    if (meta.ttlSeconds !== null) await saveMeta(ctx, s.topic, meta, { ...meta, closed: ask.closed, touchedAt: Date.now() });
    return createdAnswer(201, { meta: { ...meta, closed: ask.closed }, tail: s.tail }, url);
  });
}

export function headAnswer(s: Loaded, path: string): Response {
  const headers: Record<string, string> = { [H.offset]: tokenOf(s.tail), "cache-control": "no-store", "content-type": s.meta.contentType };
  if (s.meta.closed) headers[H.closed] = "true";
  if (s.meta.ttlSeconds !== null) headers[H.ttl] = String(s.meta.ttlSeconds);
  if (s.meta.expiresAt !== null) headers[H.expiresAt] = s.meta.expiresAt;
  headers["etag"] = etagOf(path, "-1", tokenOf(s.tail), s.meta.closed);
  return new Response(null, { status: 200, headers });
}

export function etagOf(path: string, from: string, to: string, closed: boolean): string {
  return `"${btoa(unescape(encodeURIComponent(path)))}:${from}:${to}${closed ? ":c" : ""}"`;
}

export async function deleteStreamAt(ctx: ServiceContext, path: string): Promise<Response> {
  return serially(ctx, async () => {
    const s = await live(ctx, path);
    if (s === null) return answer(404, "Stream not found");
    if (s.meta.deleted) return answer(410, "Stream is gone");
    if (s.meta.forks > 0) await saveMeta(ctx, s.topic, s.meta, { ...s.meta, deleted: true });
    else await removeStream(ctx, s);
    return new Response(null, { status: 204 });
  });
}

