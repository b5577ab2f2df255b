/**
 * The body-read deadline (src/api/body.ts): a body whose Content-Length promises more than it
 * sends is cancelled when the deadline passes and answered REQUEST_TIMED_OUT with HTTP 408 (a
 * slowloris cannot pin the isolate); a body that arrives before the deadline is unaffected and
 * the deadline's timer is cleared.
 */
import { describe, expect, it } from "vitest";
import { readBodyLimited, type Deadline } from "../../src/api/body.ts";

function manualDeadline(): Deadline & { pass(): void; cleared: boolean } {
  let pass!: () => void;
  const expired = new Promise<void>((r) => (pass = r));
  const d = { expired, cleared: false, pass, clear: () => void (d.cleared = true) };
  return d;
}

function lyingRequest(sent: string, promised: number): { req: Request; cancelled: Promise<unknown> } {
  let cancelled!: (why: unknown) => void;
  const done = new Promise((r) => (cancelled = r));
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(sent));
    },
    cancel(why) {
      cancelled(why);
    },
  });
  const req = new Request("http://flarelog.test/", { method: "POST", body, headers: { "content-length": String(promised) }, duplex: "half" } as RequestInit);
  return { req, cancelled: done };
}

describe("body-read deadline", () => {
  it("a body that never completes is cancelled at the deadline and answered 408", async () => {
    const { req, cancelled } = lyingRequest("{\"records\":", 1000);
    const deadline = manualDeadline();
    const reading = readBodyLimited(req, 10_000, deadline);
    deadline.pass();
    const r = await reading;
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.err.error, r.err.httpStatus]).toEqual(["REQUEST_TIMED_OUT", 408]);
    await cancelled;
  });

  it("a body that arrives in time is read whole and the deadline's timer is cleared", async () => {
    const deadline = manualDeadline();
    const r = await readBodyLimited(new Request("http://flarelog.test/", { method: "POST", body: "hello" }), 100, deadline);
    expect(r.ok && new TextDecoder().decode(r.value)).toBe("hello");
    expect(deadline.cleared).toBe(true);
  });
});
