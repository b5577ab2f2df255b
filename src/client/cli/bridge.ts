/**
 * `flarelog bridge --listen HOST:PORT --url URL`: a local TCP listener for clients that speak
 * Kafka only over TCP (librdkafka and everything built on it: kcat, confluent-kafka-python, Go;
 * the JVM clients). Each TCP connection gets its own WebSocket to the server's Kafka door
 * (`/kafka?advertise=HOST:PORT`), and bytes are copied both ways as they come: the door splits
 * frames itself, so the bridge knows nothing of Kafka. The door's Metadata then advertises the
 * bridge's address, so the client's next connections come back through the bridge.
 *
 * Invariants: bytes a TCP client sends before its WebSocket is open are queued and sent in
 * order once it opens; either side closing closes the other; one side's error closes both.
 * Runs until Ctrl-C (the command's interrupted signal), then stops listening and closes every
 * connection. Node only (node:net), like the rest of src/client/cli/.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";
import { kafkaWebSocketUrl } from "../kafka-socket-factory.ts";
import { EXIT, flag, usage, type FlagTable } from "./args.ts";
import type { CommandContext } from "./context.ts";

export const BRIDGE_FLAGS: FlagTable = {
  listen: { short: "l", value: true },
};

function listenAddress(raw: string | undefined): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(raw ?? "127.0.0.1:9092");
  if (m === null || Number(m[2]) > 65535) throw usage(`--listen takes HOST:PORT, got "${raw}"`);
  return { host: m[1] === "" ? "127.0.0.1" : m[1]!, port: Number(m[2]) };
}

/** Largest WebSocket message sent: a large TCP read goes as several (the door reads a stream). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

function sendChunked(ws: WebSocket, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; at += MAX_MESSAGE_BYTES) ws.send(bytes.subarray(at, at + MAX_MESSAGE_BYTES));
}

/** Copies bytes between one TCP connection and one new WebSocket to `wsUrl`. */
export function pipeConnection(tcp: Socket, wsUrl: string): void {
  const ws = new WebSocket(wsUrl);
  ws.binaryType = "arraybuffer";
  const queued: Uint8Array[] = [];
  let open = false;
  const closeBoth = () => {
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000, "bridge: TCP side closed");
    tcp.destroy();
  };
  tcp.on("data", (chunk: Buffer) => {
    if (open) sendChunked(ws, chunk);
    else queued.push(chunk);
  });
  tcp.on("end", closeBoth);
  tcp.on("error", closeBoth);
  tcp.on("close", closeBoth);
  ws.addEventListener("open", () => {
    open = true;
    for (const chunk of queued.splice(0)) sendChunked(ws, chunk);
  });
  ws.addEventListener("message", (e) => {
    if (e.data instanceof ArrayBuffer) tcp.write(new Uint8Array(e.data));
  });
  ws.addEventListener("close", () => tcp.end());
  ws.addEventListener("error", closeBoth);
}

export async function bridgeCommand(c: CommandContext): Promise<number> {
  const { host, port } = listenAddress(flag(c.args, "listen"));
  const sockets = new Set<Socket>();
  const server = createServer((tcp) => {
    sockets.add(tcp);
    tcp.on("close", () => sockets.delete(tcp));
    pipeConnection(tcp, wsUrl);
  });
  let wsUrl = "";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e) => reject(usage(`cannot listen on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const target = new URL(kafkaWebSocketUrl(c.url));
  target.searchParams.set("advertise", `${host.includes(":") ? `[${host}]` : host}:${bound}`);
  wsUrl = target.toString();
  c.out.stdout(`flarelog bridge listening on ${host}:${bound}, forwarding to ${wsUrl}\n`);
  await new Promise<void>((resolve) => {
    if (c.interrupted.aborted) return resolve();
    c.interrupted.addEventListener("abort", () => resolve(), { once: true });
  });
  server.close();
  for (const s of sockets) s.destroy();
  return EXIT.interrupted;
}
