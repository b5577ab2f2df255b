/**
 * POST: append (and append-and-close), close-only, with Stream-Seq ordering and idempotent
 * producers (Producer-Id / Producer-Epoch / Producer-Seq), as the protocol and its reference
 * server answer them. The producer rule (per stream and producer id): an unknown producer must
 * start at sequence 0; a lower epoch is stale (403 with the current epoch); a higher epoch must
 * start at 0 (400); at the same epoch a sequence at or below the last is a duplicate (204,
 * nothing written) and one past last+1 a gap (409 with expected and received).
 *
 * Invariants: everything is checked before the append; the append, then the metadata it implies
 * (producer state, last Stream-Seq, closed flag), are written one after the other. A crash between
 * the two leaves the append without its producer state, so a retry of it is appended again
 * (at least once across a crash; docs/durable-streams.md "Limits"). Called by app.ts.
 */
import type { ServiceContext } from "../../services/context.ts";
import { H } from "./headers.ts";
import { normalizeContentType, type StreamMeta } from "./meta.ts";
import { tokenOf } from "./names.ts";
import { answer, appendMessages, saveMeta, serially, type Loaded } from "./store.ts";
import { bodiesOf, live } from "./writes.ts";

interface Producer {
  id: string;
  epoch: number;
  seq: number;
}

const DIGITS = /^\d+$/;

function producerOf(req: Request): Producer | null {
  const id = req.headers.get(H.producerId);
  const epoch = req.headers.get(H.producerEpoch);
  const seq = req.headers.get(H.producerSeq);
  if (id === null && epoch === null && seq === null) return null;
  if (id === null || epoch === null || seq === null)
    return answer(400, "All producer headers (Producer-Id, Producer-Epoch, Producer-Seq) must be provided together");
  if (id === "") answer(400, "Invalid Producer-Id: must not be empty");
  if (!DIGITS.test(epoch) || !Number.isSafeInteger(Number(epoch))) answer(400, "Invalid Producer-Epoch: must be a non-negative integer");
  if (!DIGITS.test(seq) || !Number.isSafeInteger(Number(seq))) answer(400, "Invalid Producer-Seq: must be a non-negative integer");
  return { id, epoch: Number(epoch), seq: Number(seq) };
}

type Verdict = { status: "accepted" } | { status: "duplicate"; lastSeq: number };

/** The producer rule; stops with the protocol's answer for a stale epoch, a bad new epoch, a gap. */
function judge(m: StreamMeta, p: Producer): Verdict {
  const state = m.producers.get(p.id);
  if (!state) {
    if (p.seq !== 0) answer(409, "Producer sequence gap", { [H.expectedSeq]: "0", [H.receivedSeq]: String(p.seq) });
    return { status: "accepted" };
  }
  if (p.epoch < state.epoch) answer(403, "Stale producer epoch", { [H.producerEpoch]: String(state.epoch) });
  if (p.epoch > state.epoch) {
    if (p.seq !== 0) answer(400, "New epoch must start with sequence 0");
    return { status: "accepted" };
  }
  if (p.seq <= state.lastSeq) return { status: "duplicate", lastSeq: state.lastSeq };
  if (p.seq !== state.lastSeq + 1)
    answer(409, "Producer sequence gap", { [H.expectedSeq]: String(state.lastSeq + 1), [H.receivedSeq]: String(p.seq) });
  return { status: "accepted" };
}

const closedBySame = (m: StreamMeta, p: Producer | null) =>
  p !== null && m.closedBy !== null && m.closedBy[0] === p.id && m.closedBy[1] === p.epoch && m.closedBy[2] === p.seq;

function closedAnswer(s: Loaded, p: Producer | null): never {
  if (closedBySame(s.meta, p))
    throw new Response(null, {
      status: 204,
      headers: { [H.offset]: tokenOf(s.tail), [H.closed]: "true", [H.producerEpoch]: String(p!.epoch), [H.producerSeq]: String(p!.seq) },
    });
  return answer(409, "Stream is closed", { [H.closed]: "true", [H.offset]: tokenOf(s.tail) });
}

/** The metadata after an accepted write by `p` (if any) that closes or not. */
function after(m: StreamMeta, p: Producer | null, close: boolean, streamSeq: string | null): StreamMeta {
  const producers = new Map(m.producers);
  if (p) producers.set(p.id, { epoch: p.epoch, lastSeq: p.seq });
  return {
    ...m,
    producers,
    closed: m.closed || close,
    closedBy: close && p ? [p.id, p.epoch, p.seq] : m.closedBy,
    lastStreamSeq: streamSeq ?? m.lastStreamSeq,
    touchedAt: m.ttlSeconds !== null ? Date.now() : m.touchedAt,
  };
}

function producerHeaders(p: Producer | null, seq?: number): Record<string, string> {
  return p ? { [H.producerEpoch]: String(p.epoch), [H.producerSeq]: String(seq ?? p.seq) } : {};
}

async function closeOnly(ctx: ServiceContext, s: Loaded, p: Producer | null): Promise<Response> {
  if (s.meta.closed) {
    if (p === null) return new Response(null, { status: 204, headers: { [H.offset]: tokenOf(s.tail), [H.closed]: "true" } });
    closedAnswer(s, p);
  }
  if (p) {
    const v = judge(s.meta, p);
    if (v.status === "duplicate")
      return new Response(null, { status: 204, headers: { [H.offset]: tokenOf(s.tail), [H.closed]: "true", ...producerHeaders(p, v.lastSeq) } });
  }
  await saveMeta(ctx, s.topic, s.meta, after(s.meta, p, true, null));
  return new Response(null, { status: 204, headers: { [H.offset]: tokenOf(s.tail), [H.closed]: "true", ...producerHeaders(p) } });
}

async function appendTo(ctx: ServiceContext, s: Loaded, req: Request, body: Uint8Array, p: Producer | null, close: boolean): Promise<Response> {
  const contentType = req.headers.get("content-type");
  if (!contentType) return answer(400, "Content-Type header is required");
  if (s.meta.closed) closedAnswer(s, p);
  if (normalizeContentType(contentType) !== normalizeContentType(s.meta.contentType)) answer(409, "Content-type mismatch");
  if (p) {
    const v = judge(s.meta, p);
    if (v.status === "duplicate") return new Response(null, { status: 204, headers: producerHeaders(p, v.lastSeq) });
  }
  const streamSeq = req.headers.get(H.seq);
  if (streamSeq !== null && s.meta.lastStreamSeq !== null && streamSeq <= s.meta.lastStreamSeq) answer(409, "Sequence conflict");
  const bodies = bodiesOf(s.meta, body, false);
  const tail = await appendMessages(ctx, s, bodies);
  await saveMeta(ctx, s.topic, s.meta, after(s.meta, p, close, streamSeq));
  const headers: Record<string, string> = { [H.offset]: tokenOf(tail), ...producerHeaders(p) };
  if (close) headers[H.closed] = "true";
  return new Response(null, { status: p ? 200 : 204, headers });
}

export async function appendAt(ctx: ServiceContext, req: Request, path: string): Promise<Response> {
  const p = producerOf(req);
  const close = req.headers.get(H.closed) === "true";
  const body = new Uint8Array(await req.arrayBuffer());
  if (body.length === 0 && !close) return answer(400, "Empty body");
  return serially(ctx, async () => {
    const s = await live(ctx, path);
    if (s === null) return answer(404, "Stream not found");
    if (s.meta.deleted) return answer(410, "Stream is gone");
    try {
      return body.length === 0 ? await closeOnly(ctx, s, p) : await appendTo(ctx, s, req, body, p, close);
    } catch (e) {
      if (e instanceof Response) return e;
      throw e;
    }
  });
}

