/**
 * A Server-Sent Events parser for tests and the benchmark (the WHATWG event-stream rules we
 * need: `field: value` lines, events ended by a blank line, `:` comment lines), fed with text
 * chunks as they arrive. Erasable TypeScript only (the bench runs it under Node's type stripping).
 */

export interface SseEvent {
  /** "comment" for a `:` line block, else the `event:` field ("message" when absent). */
  event: string;
  id: string | null;
  data: string;
}

export class SseParser {
  #buffer = "";

  /** The complete events in `chunk` (with what was left over from earlier chunks). */
  feed(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let end = this.#buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      out.push(parseBlock(block));
      end = this.#buffer.indexOf("\n\n");
    }
    return out;
  }

  /** Text after the last complete event (a stream must end with none). */
  get rest(): string {
    return this.#buffer;
  }
}

function parseBlock(block: string): SseEvent {
  let event: string | null = null;
  let id: string | null = null;
  const data: string[] = [];
  let comment = true;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    comment = false;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  return { event: comment ? "comment" : (event ?? "message"), id, data: data.join("\n") };
}

/** Reads an SSE response body until `stop` says so or the stream ends; cancels it when stopped. */
export async function readEvents(res: Response, stop: (e: SseEvent, all: SseEvent[]) => boolean = () => false): Promise<{ events: SseEvent[]; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { events, ended: true };
    for (const e of parser.feed(decoder.decode(value, { stream: true }))) {
      events.push(e);
      if (stop(e, events)) {
        await reader.cancel();
        return { events, ended: false };
      }
    }
  }
}
