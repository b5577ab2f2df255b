/**
 * Proves the edge's body reader never holds more than the limit (with, without or despite a
 * lying Content-Length) and that JSON/NDJSON parsing refuses bad UTF-8, bad JSON and deep
 * nesting as INVALID_REQUEST values instead of throwing or overflowing the stack.
 */
import { describe, expect, it } from "vitest";
import { exceedsDepth, parseJsonLimited, parseNdjson, readBodyLimited } from "../../src/api/body.ts";
import { Prng } from "../support/prng.ts";
import type { Result } from "../../src/protocol/errors.ts";

const enc = new TextEncoder();

function errorOf<T>(r: Result<T>): string {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.value)}`);
  return r.err.error;
}

function valueOf<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected a value, got ${r.err.error}: ${r.err.message}`);
  return r.value;
}

/** An endless stream of `chunkSize`-byte chunks that records how much was pulled and whether it was cancelled. */
function endlessStream(chunkSize: number) {
  const state = { pulledBytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulledBytes += chunkSize;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
      },
      cancel() {
        state.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** A byte stream (what a runtime hands over for an HTTP body): readable with a BYOB reader. */
function byteStream(chunks: Uint8Array[] | "endless", state = { pulledBytes: 0, cancelled: false }) {
  let i = 0;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (chunks === "endless") {
        state.pulledBytes += 1024;
        controller.enqueue(new Uint8Array(1024).fill(0x62));
      } else if (i < chunks.length) controller.enqueue(chunks[i++]!.slice());
      else {
        controller.close();
        // A byte source answers a pending BYOB read at the end with zero bytes (Streams spec).
        controller.byobRequest?.respond(0);
      }
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream: stream as ReadableStream<Uint8Array>, state };
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

function post(body: ReadableStream<Uint8Array> | string | null, headers: Record<string, string> = {}): Request {
  return new Request("http://flarelog.test/v1/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

describe("readBodyLimited", () => {
  it("returns every byte of a body within the limit, joined across chunks", async () => {
    const req = post(streamOf([enc.encode("hello "), enc.encode("wor"), enc.encode("ld")]));
    expect(new TextDecoder().decode(valueOf(await readBodyLimited(req, 11)))).toBe("hello world");
  });

  it("reads a missing body as zero bytes", async () => {
    const req = new Request("http://flarelog.test/", { method: "POST" });
    expect(valueOf(await readBodyLimited(req, 10)).byteLength).toBe(0);
  });

  it("refuses at once when Content-Length already exceeds the limit, without reading", async () => {
    const { stream, state } = endlessStream(1024);
    const r = await readBodyLimited(post(stream, { "content-length": "100000" }), 1000);
    expect(errorOf(r)).toBe("RECORD_LIST_TOO_LARGE");
    expect(state.pulledBytes).toBe(0);
  });

  it("stops a chunked body without Content-Length one chunk past the limit and cancels the stream", async () => {
    const { stream, state } = endlessStream(1024);
    const req = post(stream);
    expect(req.headers.get("content-length")).toBeNull();
    const r = await readBodyLimited(req, 10 * 1024);
    expect(errorOf(r)).toBe("RECORD_LIST_TOO_LARGE");
    expect(state.pulledBytes).toBeLessThanOrEqual(12 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it("does not let an understating Content-Length smuggle more than the limit", async () => {
    const { stream, state } = endlessStream(1024);
    const r = await readBodyLimited(post(stream, { "content-length": "10" }), 4096);
    expect(errorOf(r)).toBe("RECORD_LIST_TOO_LARGE");
    expect(state.pulledBytes).toBeLessThanOrEqual(6 * 1024);
    expect(state.cancelled).toBe(true);
  });

  it("reads a byte stream with a Content-Length into one buffer of exactly its bytes, in order", async () => {
    const chunks = [enc.encode("hello "), enc.encode("wor"), enc.encode("ld")];
    const { stream } = byteStream(chunks);
    const body = valueOf(await readBodyLimited(post(stream, { "content-length": "11" }), 11));
    expect(new TextDecoder().decode(body)).toBe("hello world");
    // The body owns exactly its bytes: RPC and SQLite bindings copy a view's whole buffer.
    expect(body.buffer.byteLength).toBe(11);
  });

  it("takes exactly Content-Length bytes of a byte stream: what follows is not the body (HTTP/1.1 framing)", async () => {
    const { stream } = byteStream([enc.encode("0123456789"), enc.encode("abcdefghij"), enc.encode("ABCDEFGHIJ")]);
    const body = valueOf(await readBodyLimited(post(stream, { "content-length": "14" }), 64));
    expect(new TextDecoder().decode(body)).toBe("0123456789abcd");
    expect(body.buffer.byteLength).toBe(14);
  });

  it("returns the bytes a byte stream has when it ends short of its Content-Length", async () => {
    const { stream } = byteStream([enc.encode("abc")]);
    expect(new TextDecoder().decode(valueOf(await readBodyLimited(post(stream, { "content-length": "9" }), 64)))).toBe("abc");
  });

  it("reads no more of an endless byte stream than its Content-Length", async () => {
    const { stream, state } = byteStream("endless");
    const body = valueOf(await readBodyLimited(post(stream, { "content-length": "10" }), 4096));
    expect(body.byteLength).toBe(10);
    expect(state.pulledBytes).toBeLessThanOrEqual(2 * 1024);
  });

  it("accepts a body of exactly the limit", async () => {
    expect(valueOf(await readBodyLimited(post("x".repeat(64)), 64)).byteLength).toBe(64);
  });

  it("turns a failing stream into INVALID_REQUEST instead of throwing", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection reset"));
      },
    });
    expect(errorOf(await readBodyLimited(post(broken), 100))).toBe("INVALID_REQUEST");
  });
});

describe("parseJsonLimited", () => {
  it("parses valid JSON", () => {
    expect(valueOf(parseJsonLimited(enc.encode('{"a":[1,{"b":"ü"}]}'), 32))).toEqual({ a: [1, { b: "ü" }] });
  });

  it("refuses a 100,000-deep array with INVALID_REQUEST instead of a stack overflow", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const r = parseJsonLimited(enc.encode(deep), 32);
    expect(errorOf(r)).toBe("INVALID_REQUEST");
    expect(r.ok ? "" : r.err.message).toContain("deeper than 32");
  });

  it("accepts nesting of exactly maxDepth and refuses maxDepth + 1", () => {
    const nest = (n: number) => enc.encode("[".repeat(n) + "]".repeat(n));
    expect(parseJsonLimited(nest(32), 32).ok).toBe(true);
    expect(errorOf(parseJsonLimited(nest(33), 32))).toBe("INVALID_REQUEST");
  });

  it("does not count brackets inside strings, including after escaped quotes", () => {
    const text = JSON.stringify({ s: '[[[[{{{{ \\" [[[[' });
    expect(parseJsonLimited(enc.encode(text), 1).ok).toBe(true);
  });

  it("does not let stray closing brackets buy extra depth", () => {
    const text = "]]]]" + "[".repeat(5) + "]".repeat(5);
    const r = parseJsonLimited(enc.encode(text), 4);
    expect(r.ok ? "" : r.err.message).toContain("deeper than 4");
  });

  it("refuses invalid UTF-8 with INVALID_REQUEST", () => {
    const bad = new Uint8Array([0x22, 0xc3, 0x28, 0x22]); // "\xC3(" — truncated 2-byte sequence
    expect(errorOf(parseJsonLimited(bad, 32))).toBe("INVALID_REQUEST");
  });

  it("reports malformed JSON and an empty body as INVALID_REQUEST 'invalid JSON: ...'", () => {
    for (const text of ["{", "", "{'a':1}", "[1,]", "nope"]) {
      const r = parseJsonLimited(enc.encode(text), 32);
      expect(errorOf(r)).toBe("INVALID_REQUEST");
      expect(r.ok ? "" : r.err.message).toMatch(/^invalid JSON: /);
    }
  });
});

describe("parseNdjson", () => {
  it("parses one value a line, skipping blank lines and accepting CRLF", () => {
    const text = '{"value":"a"}\r\n\n  \n{"value":"b"}\n[1]\n';
    expect(valueOf(parseNdjson(enc.encode(text), 32))).toEqual([{ value: "a" }, { value: "b" }, [1]]);
  });

  it("returns no values for an empty body", () => {
    expect(valueOf(parseNdjson(new Uint8Array(0), 32))).toEqual([]);
  });

  it("names the line of malformed JSON", () => {
    const r = parseNdjson(enc.encode('{"a":1}\n{"a":\n'), 32);
    expect(errorOf(r)).toBe("INVALID_REQUEST");
    expect(r.ok ? "" : r.err.message).toMatch(/^invalid JSON on line 2: /);
  });

  it("applies the depth limit to every line", () => {
    const r = parseNdjson(enc.encode("[1]\n" + "[".repeat(100_000)), 32);
    expect(r.ok ? "" : r.err.message).toContain("line 2 nests deeper than 32");
  });

  it("refuses invalid UTF-8", () => {
    expect(errorOf(parseNdjson(new Uint8Array([0x31, 0x0a, 0xff]), 32))).toBe("INVALID_REQUEST");
  });
});

describe("the JSON depth pre-scan", () => {
  /** The scan it replaced, one character at a time: the oracle. */
  function exceedsDepthByChar(text: string, maxDepth: number): boolean {
    let depth = 0;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{" || c === "[") {
        if (++depth > maxDepth) return true;
      } else if ((c === "}" || c === "]") && depth > 0) depth--;
    }
    return false;
  }

  it("agrees with a character-by-character scan on seeded random text of quotes, backslashes and brackets", () => {
    const prng = new Prng(77);
    const alphabet = ['"', "\\", "[", "]", "{", "}", "a", " ", ":", ","];
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      const length = prng.int(0, 40);
      for (let i = 0; i < length; i++) text += alphabet[prng.int(0, alphabet.length - 1)];
      const depth = prng.int(0, 4);
      expect([text, depth, exceedsDepth(text, depth)]).toEqual([text, depth, exceedsDepthByChar(text, depth)]);
    }
  });

  it("a quote after an even run of backslashes ends the string; after an odd run it does not", () => {
    expect(exceedsDepth('"a\\\\\\\\" [[', 1)).toBe(true);
    expect(exceedsDepth('"a\\\\\\" [[', 1)).toBe(false);
  });
});
