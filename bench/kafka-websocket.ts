/**
 * A WebSocket class for `kafkaSocketFactory({ webSocket })` that does not offer
 * permessage-deflate: Node's WebSocket (undici) always offers it. The Kafka door refuses the
 * offer (src/doors/kafka/kafka-door.ts; before it did, workerd accepted and deflated every
 * answer), so bench/kafka.ts's two rows, "kafkajs" as Node connects by default and
 * "kafkajs-no-deflate" with this class, should now measure the same. The class is Node's own
 * WebSocket with an undici dispatcher that drops the `Sec-WebSocket-Extensions` offer from the
 * upgrade request; nothing else changes. Node 24 type stripping: erasable TypeScript only.
 */
import { Agent, type Dispatcher } from "undici";
import type { WebSocketClass } from "../src/client/kafka-socket-factory.ts";

const OFFER = "sec-websocket-extensions";

type Headers = Dispatcher.DispatchOptions["headers"];

function withoutOffer(headers: Headers): Headers {
  if (Array.isArray(headers)) {
    const out: string[] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() !== OFFER) out.push(String(headers[i]), String(headers[i + 1]));
    return out;
  }
  if (headers !== null && headers !== undefined && typeof headers === "object" && !(Symbol.iterator in headers))
    return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== OFFER));
  return headers;
}

/** Node's WebSocket, its upgrade request without the permessage-deflate offer. */
export function webSocketWithoutDeflate(): WebSocketClass {
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => dispatch({ ...opts, headers: withoutOffer(opts.headers) }, handler));
  const Base = globalThis.WebSocket;
  return class extends Base {
    constructor(url: string, init?: string[]) {
      const headers = init !== undefined && !Array.isArray(init) ? (init as { headers?: Record<string, string> }).headers : undefined;
      // Node's WebSocket takes `{ headers, dispatcher }` as its second argument.
      super(url, { dispatcher, ...(headers ? { headers } : {}) } as unknown as string[]);
    }
  };
}
