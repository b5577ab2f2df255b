/**
 * Request-body reading and JSON parsing for the API edge, bounded before any work is done.
 *
 * Invariants: never more than `maxBytes` (+ one chunk) is held in memory, whatever the
 * Content-Length says; text must be valid UTF-8; JSON nesting deeper than `maxDepth` is
 * refused by a linear scan before `JSON.parse` runs, so a hostile body cannot overflow the
 * stack. Bad input is a `Result` error value (RECORD_LIST_TOO_LARGE / INVALID_REQUEST), never
 * a throw. Uses only web APIs, so it runs in workerd and in Node. Called by the Hono routes.
 */
import { fail, kafkaError, ok, type Result } from "../protocol/errors.ts";

function tooLarge(maxBytes: number): Result<never> {
  return fail("RECORD_LIST_TOO_LARGE", `request body exceeds the limit of ${maxBytes} bytes`);
}

/**
 * Reads the whole body, stopping with RECORD_LIST_TOO_LARGE as soon as more than `maxBytes`
 * arrive, or at once when Content-Length already says so. A missing body is zero bytes.
 * A byte stream with a Content-Length (every HTTP request workerd hands us) is read into one
 * buffer of that size (`readDeclared`); any other stream chunk by chunk.
 */
export async function readBodyLimited(req: Request, maxBytes: number, deadline?: Deadline): Promise<Result<Uint8Array>> {
  const header = req.headers.get("content-length")?.trim() ?? null;
  const declared = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (declared !== null && declared > maxBytes) {
    if (req.body) await cancelBody(req.body);
    return tooLarge(maxBytes);
  }
  if (req.body === null) return ok(new Uint8Array(0));
  if (req.bodyUsed) return fail("INVALID_REQUEST", "request body was already read");
  const byob = declared === null ? null : byobReader(req.body);
  const reader = byob ?? req.body.getReader();
  const reading = byob ? readDeclared(byob, declared!) : readChunks(reader as ReadableStreamDefaultReader<Uint8Array>, maxBytes);
  const due = deadline ?? deadlineIn(BODY_READ_DEADLINE_MS);
  const outcome = await Promise.race([reading, due.expired.then((): typeof TIMED_OUT => TIMED_OUT)]);
  due.clear();
  if (outcome !== TIMED_OUT) return outcome;
  await cancelBody(reader);
  return { ok: false, err: { ...kafkaError("REQUEST_TIMED_OUT", "request body was not received in time"), httpStatus: 408 } };
}

/**
 * How long a request body may take to arrive. A body that promises more than it sends (a
 * slowloris) is cancelled at the deadline and answered 408, so no connection pins the isolate.
 */
export const BODY_READ_DEADLINE_MS = 10_000;

const TIMED_OUT = Symbol("timed out");

/** A deadline: `expired` resolves when it passes; `clear` stops its timer. */
export interface Deadline {
  readonly expired: Promise<void>;
  clear(): void;
}

export function deadlineIn(ms: number): Deadline {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

/** A BYOB reader when the stream is a byte stream; null otherwise (getReader throws). */
/**
 * Drops the rest of a body we are refusing. The answer is already decided, so a failure here
 * changes nothing for the caller; it is logged, not hidden.
 */
async function cancelBody(body: { cancel(): Promise<void> }): Promise<void> {
  try {
    await body.cancel();
  } catch (e) {
    console.warn("request body could not be cancelled after a refusal", e);
  }
}

/** A BYOB reader, or null where the stream has none (then the chunk reader is used: a value, not an error). */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return null;
  }
}

type AtLeastReader = ReadableStreamBYOBReader & {
  /** workerd's name for the standard `read(view, { min })`. */
  readAtLeast?: (minBytes: number, view: Uint8Array) => Promise<ReadableStreamReadResult<Uint8Array>>;
};

function readAtLeast(reader: AtLeastReader, minBytes: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (typeof reader.readAtLeast === "function") return reader.readAtLeast(minBytes, view);
  return (reader.read as (v: Uint8Array, o: { min: number }) => Promise<ReadableStreamReadResult<Uint8Array>>)(view, { min: minBytes });
}

/**
 * A body of `declared` bytes (≤ `maxBytes`) read into one buffer of exactly that size, in as
 * few reads as the runtime allows: it fills the buffer itself instead of handing over a chunk
 * per network read, which in workerd cost about as much CPU as the rest of a 100 KB produce.
 * The body is those `declared` bytes, as HTTP/1.1 frames it (RFC 9112 §6.3): nothing past them
 * is read, so an understating Content-Length cannot bring in more. A body that ends early is
 * what arrived.
 */
async function readDeclared(reader: AtLeastReader, declared: number): Promise<Result<Uint8Array>> {
  let buffer = new ArrayBuffer(declared);
  let total = 0;
  try {
    while (total < declared) {
      const { done, value } = await readAtLeast(reader, declared - total, new Uint8Array(buffer, total));
      // The view passed in is detached by the read; the bytes live on in `value`'s buffer.
      if (value === undefined) return fail("INVALID_REQUEST", "request body stream was cancelled");
      buffer = value.buffer as ArrayBuffer;
      total += value.byteLength;
      if (done) break;
    }
  } catch (e) {
    return fail("INVALID_REQUEST", `request body could not be read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    reader.releaseLock();
  }
  return ok(total === declared ? new Uint8Array(buffer) : new Uint8Array(buffer, 0, total));
}

/** Any stream, chunk by chunk, one chunk past the limit at most, then joined. */
async function readChunks(reader: ReadableStreamDefaultReader<Uint8Array>, maxBytes: number): Promise<Result<Uint8Array>> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        await cancelBody(reader);
        return fail("INVALID_REQUEST", "request body stream yielded a non-byte chunk");
      }
      total += value.byteLength;
      // Checked per chunk, so a Content-Length that understates (or its absence) lets nothing more through.
      if (total > maxBytes) {
        await cancelBody(reader);
        return tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (e) {
    return fail("INVALID_REQUEST", `request body could not be read: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    reader.releaseLock();
  }

  if (chunks.length === 1) return ok(chunks[0]!);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return ok(out);
}

function decodeUtf8(bytes: Uint8Array): Result<string> {
  try {
    return ok(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return fail("INVALID_REQUEST", "request body is not valid UTF-8");
  }
}

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [
const CLOSE_BRACE = 0x7d; // }
const CLOSE_BRACKET = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** Deepest bracket nesting outside strings; stops early once past `maxDepth`. Linear, no recursion. */
export function exceedsDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // Jump to the string's closing quote: the next quote not escaped, i.e. not preceded by an
      // odd run of backslashes (indexOf scans far faster than a loop over every character).
      for (;;) {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return false;
        let backslashes = 0;
        while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
        i = close;
        if (backslashes % 2 === 0) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && depth > 0) {
      // Never below zero: stray closers must not buy extra depth for later openers.
      depth--;
    }
  }
  return false;
}

/** Depth check then `JSON.parse`; `line` (1-based) names the NDJSON line in messages. */
function parseText(text: string, maxDepth: number, line: number | null): Result<unknown> {
  const at = line === null ? "" : ` on line ${line}`;
  if (exceedsDepth(text, maxDepth)) return fail("INVALID_REQUEST", `JSON${at} nests deeper than ${maxDepth} levels`);
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return fail("INVALID_REQUEST", `invalid JSON${at}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Strict UTF-8 decode, depth check, then `JSON.parse`; every failure is INVALID_REQUEST. */
export function parseJsonLimited(bytes: Uint8Array, maxDepth: number): Result<unknown> {
  const text = decodeUtf8(bytes);
  return text.ok ? parseText(text.value, maxDepth, null) : text;
}

/** `application/x-ndjson`: one JSON value a line (LF or CRLF); blank lines are skipped. */
export function parseNdjson(bytes: Uint8Array, maxDepth: number): Result<unknown[]> {
  const text = decodeUtf8(bytes);
  if (!text.ok) return text;
  const values: unknown[] = [];
  const lines = text.value.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const r = parseText(line, maxDepth, i + 1);
    if (!r.ok) return r;
    values.push(r.value);
  }
  return ok(values);
}
