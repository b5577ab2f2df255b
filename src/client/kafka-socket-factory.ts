/**
 * A kafkajs `socketFactory` that carries Kafka's byte stream over a WebSocket to Flarelog's
 * `/kafka` door, so kafkajs, unmodified, talks to a Worker (which accepts WebSockets, not TCP):
 *
 *   new Kafka({ brokers: ["flarelog:443"], sasl: { mechanism: "plain", username, password },
 *               socketFactory: kafkaSocketFactory({ url: "https://broker.example.com" }) })
 *
 * Every broker kafkajs connects to (Flarelog advertises one) opens a WebSocket to `url`; the
 * host and port kafkajs asks for are not dialled. The returned object is the part of a
 * `net.Socket` kafkajs uses (src/network/connection.js, socket.js): events `connect`, `data`,
 * `end`, `error`, `timeout`; methods `write`, `end`, `destroy`, `unref`, `setKeepAlive`,
 * `setNoDelay`, `setTimeout`. Bytes go as they are written; the door splits frames itself.
 *
 * Invariants: `data` carries a Buffer when the runtime has one (kafkajs concatenates Buffers);
 * `end` is emitted once, after the socket closed for whatever reason; nothing is written after
 * `end()`/`destroy()`. Runs in Node ≥ 22 and browsers (the global WebSocket); no Node imports.
 */

export interface KafkaSocketFactoryOptions {
  /** The Flarelog server: `https://…` or `http://…` (turned into wss/ws) or `wss://…`; `/kafka` is added unless the path names it. */
  url: string;
  /** Extra headers for the WebSocket handshake (Node's WebSocket accepts them; browsers ignore them). */
  headers?: Record<string, string>;
  /**
   * The WebSocket class to connect with (default: the global one). Node's WebSocket and
   * browsers offer permessage-deflate; Flarelog's door refuses it (Kafka batches carry their
   * own compression), so the default costs nothing. A class that does not offer it
   * (bench/kafka-websocket.ts builds one on an undici dispatcher) matters only for a server
   * that would accept.
   */
  webSocket?: WebSocketClass;
}

/** A WebSocket constructor: the global one, or one with the same shape. */
export type WebSocketClass = new (url: string, init?: string[]) => WebSocket;

interface SocketArgs {
  host: string;
  port: number;
  onConnect: () => void;
}

type Listener = (...args: unknown[]) => void;

/** Largest WebSocket message sent (the door's own answers are cut the same way). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

interface BufferLike {
  from(data: ArrayBuffer): Uint8Array;
}

/** The WebSocket URL of the Kafka door for a server URL. */
export function kafkaWebSocketUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (!/\/kafka\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/$/, "")}/kafka`;
  return u.toString();
}

/** A net.Socket-like duplex over one WebSocket, as kafkajs drives it. */
export class KafkaWebSocket {
  private readonly listeners = new Map<string, Listener[]>();
  private readonly ws: WebSocket;
  private ended = false;
  private readonly toBuffer: (data: ArrayBuffer) => Uint8Array;

  constructor(url: string, headers: Record<string, string> | undefined, onConnect: () => void, WS: WebSocketClass = WebSocket) {
    const B = (globalThis as { Buffer?: BufferLike }).Buffer;
    this.toBuffer = B ? (d) => B.from(d) : (d) => new Uint8Array(d);
    // Node's (undici's) WebSocket takes `{ headers }` as its second argument; browsers take protocols only.
    const init = headers === undefined ? undefined : ({ headers } as unknown as string[]);
    this.ws = new WS(url, init);
    this.ws.binaryType = "arraybuffer";
    this.ws.addEventListener("open", () => {
      onConnect();
      this.emit("connect");
    });
    this.ws.addEventListener("message", (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) this.emit("data", this.toBuffer(e.data));
    });
    this.ws.addEventListener("error", () => this.emit("error", new Error(`WebSocket error on ${url}`)));
    this.ws.addEventListener("close", () => this.finish());
  }

  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }

  once(event: string, fn: Listener): this {
    const wrapped: Listener = (...args) => {
      this.removeListener(event, wrapped);
      fn(...args);
    };
    return this.on(event, wrapped);
  }

  removeListener(event: string, fn: Listener): this {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== fn));
    return this;
  }

  off(event: string, fn: Listener): this {
    return this.removeListener(event, fn);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners.get(event) ?? []) fn(...args);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit("end");
    this.emit("close", false);
  }

  write(data: Uint8Array | string, _encoding?: string): boolean {
    if (this.ended || this.ws.readyState !== WebSocket.OPEN) return false;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    // The door reads a byte stream: a large request goes as several messages, each within
    // Cloudflare's WebSocket message limit.
    for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) this.ws.send(bytes.subarray(at, at + MAX_MESSAGE_BYTES));
    return true;
  }

  end(): this {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, "client closed");
    return this;
  }

  destroy(): this {
    this.end();
    this.finish();
    return this;
  }

  unref(): this {
    return this;
  }

  ref(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setTimeout(): this {
    return this;
  }
}

/**
 * kafkajs's `socketFactory` option: each connection kafkajs opens is a WebSocket to the
 * Kafka door of `url` (the broker address kafkajs was given or told by Metadata is not dialled).
 */
export function kafkaSocketFactory(options: KafkaSocketFactoryOptions) {
  const url = kafkaWebSocketUrl(options.url);
  // Typed loosely on purpose: kafkajs's ISocketFactory names net.Socket, a Node type this module does not import.
  return ({ onConnect }: SocketArgs): never => new KafkaWebSocket(url, options.headers, onConnect, options.webSocket) as never;
}
