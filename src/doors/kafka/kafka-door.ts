/**
 * The Kafka wire protocol over WebSocket at `/kafka` (docs/kafka-protocol.md). The socket is a
 * byte stream, as Kafka's TCP connection is: binary messages are concatenated and cut into
 * size-prefixed frames by the codec's FrameSplitter, whatever the message boundaries (a bridge
 * forwards TCP reads as they come; kafkajs's socket factory sends one write per message). Each
 * frame is handled after the previous one (connection.ts) and its answer sent in order.
 *
 * Invariants: a frame over the size limit, a text message, or a frame the state machine
 * refuses closes the socket (1002, protocol error) and nothing after it is handled; a closed
 * socket handles nothing more; after a throttled answer (quotas.ts) nothing is read for its
 * throttle time, as Kafka mutes the channel. Requests reach the services only through connection.ts.
 * Called by workers/broker.ts for the path `/kafka`; one instance of this closure per socket,
 * its frames handled one at a time.
 */
import { FrameSplitter, frameSizePrefixed } from "../../codec/kafka/index.ts";
import { handleFrame } from "./connection.ts";
import { advertisedOf, Session } from "./session.ts";

export const KAFKA_PATH = "/kafka";
/** Largest request frame (bytes): a produce of the HTTP API's largest body plus its framing. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * Largest WebSocket message the door sends: an answer is cut into messages of at most this
 * many bytes (the stream has no message boundaries), within Cloudflare's WebSocket message limit.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The 101's extensions: none. Kafka batches carry their own compression (compression.type), so
 * permessage-deflate would deflate every answer twice over in workerd (76% of its busy time in a
 * kafkajs catch-up). workerd negotiates WebSocket compression in KJ's MANUAL_COMPRESSION mode:
 * a Worker's 101 that names `Sec-WebSocket-Extensions` is taken as the extensions the server
 * supports, and KJ agrees only on a permessage-deflate offer it finds there; a value without one
 * agrees on nothing, and the header on the wire is KJ's own (absent). Without the header workerd
 * accepts the client's offer. An empty value is dropped on the way (Miniflare's entry worker
 * then accepts the offer), hence a token. docs/kafka-protocol.md "WebSocket compression".
 */
const NO_WEBSOCKET_COMPRESSION = { "sec-websocket-extensions": "none" };

const PROTOCOL_ERROR = 1002;
const UNSUPPORTED_DATA = 1003;

export function kafkaDoor(request: Request, env: Env, ctx: ExecutionContext): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket")
    return new Response("the Kafka protocol is served over WebSocket: connect with Upgrade: websocket\n", {
      status: 426,
      headers: { upgrade: "websocket" },
    });
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  // Since compatibility date 2026-ish workerd delivers binary messages as Blob unless asked for ArrayBuffer.
  (server as unknown as { binaryType: string }).binaryType = "arraybuffer";
  server.accept();
  serve(server, new Session(env, advertisedOf(new URL(request.url)), (work) => ctx.waitUntil(work)));
  return new Response(null, { status: 101, webSocket: client, headers: NO_WEBSOCKET_COMPRESSION });
}

function serve(socket: WebSocket, session: Session): void {
  const splitter = new FrameSplitter(MAX_FRAME_BYTES);
  let closed = false;
  let queue: Promise<void> = Promise.resolve();
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    try {
      socket.close(code, reason.slice(0, 120));
    } catch {
      // already closing from the other side
    }
  };
  const run = (payload: Uint8Array) => {
    queue = queue.then(async () => {
      if (closed) return;
      const step = await handleFrame(session, payload);
      if (closed) return;
      if (step.answer !== null) sendChunked(socket, frameSizePrefixed(step.answer));
      if (step.close !== undefined) close(PROTOCOL_ERROR, step.close);
      else if (step.muteMs) await new Promise((resolve) => setTimeout(resolve, step.muteMs));
    });
  };
  socket.addEventListener("message", (event) => {
    if (closed) return;
    if (typeof event.data === "string") return close(UNSUPPORTED_DATA, "the Kafka door takes binary messages only");
    if (!(event.data instanceof ArrayBuffer)) return close(UNSUPPORTED_DATA, "binary messages must arrive as ArrayBuffer");
    const failure = splitter.push(new Uint8Array(event.data));
    if (failure !== null) return close(PROTOCOL_ERROR, `frame of ${failure.sizeBytes} bytes is over ${failure.maxFrameBytes}`);
    for (let payload = splitter.pop(); payload !== null; payload = splitter.pop()) run(payload);
  });
  // The client closed: answer its close frame (workerd leaves that to us) and handle nothing more.
  socket.addEventListener("close", () => close(1000, "closed by the client"));
  socket.addEventListener("error", () => {
    closed = true;
  });
}

function sendChunked(socket: WebSocket, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) socket.send(bytes.subarray(at, at + MAX_MESSAGE_BYTES));
}
