/**
 * The Durable Streams protocol's header names, the headers every answer carries (CORS and the
 * browser security headers of the protocol's section 10.7), the long-poll cursor (section 8.1,
 * the reference server's rule: 20 s intervals since 2024-10-09, a client cursor at or past the
 * current interval moves on by a random jitter), and JSON-mode bodies. Pure.
 */
export const H = {
  offset: "Stream-Next-Offset",
  upToDate: "Stream-Up-To-Date",
  cursor: "Stream-Cursor",
  closed: "Stream-Closed",
  seq: "Stream-Seq",
  ttl: "Stream-TTL",
  expiresAt: "Stream-Expires-At",
  forkedFrom: "Stream-Forked-From",
  forkOffset: "Stream-Fork-Offset",
  forkSubOffset: "Stream-Fork-Sub-Offset",
  producerId: "Producer-Id",
  producerEpoch: "Producer-Epoch",
  producerSeq: "Producer-Seq",
  expectedSeq: "Producer-Expected-Seq",
  receivedSeq: "Producer-Received-Seq",
  sseEncoding: "Stream-SSE-Data-Encoding",
  replicationFactor: "Flarelog-Replication-Factor",
  minInsyncReplicas: "Flarelog-Min-Insync-Replicas",
} as const;

export const COMMON_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, PUT, DELETE, HEAD, OPTIONS",
  "access-control-allow-headers":
    "content-type, authorization, if-none-match, Stream-Seq, Stream-TTL, Stream-Expires-At, Stream-Closed, Producer-Id, " +
    "Producer-Epoch, Producer-Seq, Stream-Forked-From, Stream-Fork-Offset, Stream-Fork-Sub-Offset, " +
    "Flarelog-Replication-Factor, Flarelog-Min-Insync-Replicas",
  "access-control-expose-headers":
    "Stream-Next-Offset, Stream-Cursor, Stream-Up-To-Date, Stream-Closed, Producer-Epoch, Producer-Seq, " +
    "Producer-Expected-Seq, Producer-Received-Seq, Stream-TTL, Stream-Expires-At, Stream-SSE-Data-Encoding, etag, content-type, content-encoding, vary, location",
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "cross-origin",
};

const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const CURSOR_INTERVAL_MS = 20_000;

export function responseCursor(client: string | null): string {
  const current = Math.floor((Date.now() - CURSOR_EPOCH_MS) / CURSOR_INTERVAL_MS);
  const given = client === null ? NaN : parseInt(client, 10);
  if (Number.isNaN(given) || given < current) return String(current);
  const jitterSeconds = 1 + Math.floor(Math.random() * 3600);
  return String(given + Math.max(1, Math.ceil(jitterSeconds / 20)));
}

const utf8 = new TextDecoder();

/** A JSON append's messages: an array's elements (one level), else the value; [] only at create. */
export function jsonItems(body: Uint8Array, atCreate: boolean): string[] | "invalid" | "empty" {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch {
    return "invalid";
  }
  if (!Array.isArray(parsed)) return [JSON.stringify(parsed)];
  if (parsed.length === 0) return atCreate ? [] : "empty";
  return parsed.map((v) => JSON.stringify(v));
}

/** A JSON stream's stored message (the items of one append) as items again. */
export function itemsOf(data: Uint8Array): string[] {
  return (JSON.parse(utf8.decode(data)) as unknown[]).map((v) => JSON.stringify(v));
}

export const jsonArray = (items: readonly string[]) => `[${items.join(",")}]`;
