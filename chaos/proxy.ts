/**
 * A local TCP proxy (node:net) between the chaos clients and the server, with faults:
 * - slow: every chunk, in either direction, is held `delayMs` before it is passed on (order kept);
 * - drop: every open connection is reset, and new ones are black-holed (accepted, never answered)
 *   until the fault is healed, when they are reset too;
 * - respdrop: requests pass to the server untouched, but a chunk of an answer coming back is, with
 *   probability `rate` (seeded), thrown away and the connection reset both ways: the server has
 *   processed the request (it has started answering), the client never learns how. This is the
 *   fault that makes a blind re-send write twice (issue 5);
 * - heal: back to plain forwarding.
 * The upstream port can change (the server restarts on a fresh port after a kill -9).
 *
 * Invariants: listens on 127.0.0.1 only and connects only to 127.0.0.1; `close()` destroys every
 * socket it holds, so nothing outlives the run. Node 24 type stripping: erasable TypeScript only.
 */
import { createServer, Socket, type Server } from "node:net";
import { Prng } from "../test/support/prng.ts";

export type ProxyMode = { kind: "pass" } | { kind: "slow"; delayMs: number } | { kind: "drop" } | { kind: "respdrop"; rate: number; prng: Prng };

interface Pair {
  client: Socket;
  upstream: Socket | null;
  /** Black-holed: accepted during a drop, never connected upstream. */
  held: boolean;
}

export class ChaosProxy {
  #server: Server;
  #upstreamPort: number | null = null;
  #mode: ProxyMode = { kind: "pass" };
  readonly #pairs = new Set<Pair>();
  #port = 0;
  /** Connections accepted / reset by a drop / black-holed, for the summary. */
  readonly stats = { accepted: 0, reset: 0, blackholed: 0, upstreamErrors: 0, answersDropped: 0 };

  constructor() {
    this.#server = createServer({ noDelay: true }, (client) => this.#accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((done, failed) => {
      this.#server.once("error", failed);
      this.#server.listen(0, "127.0.0.1", () => done());
    });
    const address = this.#server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : 0;
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** While the server is down the old port stays: connections to it are refused and the client's is closed. */
  setUpstream(port: number | null): void {
    this.#upstreamPort = port;
  }

  slow(delayMs: number): void {
    this.#mode = { kind: "slow", delayMs };
  }

  /** Resets every open connection; new ones are black-holed until `heal`. */
  drop(): void {
    this.#mode = { kind: "drop" };
    for (const pair of [...this.#pairs]) this.#reset(pair);
  }

  /** From now on each chunk of an answer is dropped (and its connection reset) with probability `rate`. */
  respdrop(rate: number, seed: number): void {
    this.#mode = { kind: "respdrop", rate, prng: new Prng(seed) };
  }

  heal(): void {
    const wasDrop = this.#mode.kind === "drop";
    this.#mode = { kind: "pass" };
    if (wasDrop) for (const pair of [...this.#pairs]) if (pair.held) this.#reset(pair);
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    for (const pair of [...this.#pairs]) this.#reset(pair);
    await new Promise<void>((done) => this.#server.close(() => done()));
  }

  #reset(pair: Pair): void {
    this.stats.reset++;
    this.#pairs.delete(pair);
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (pair.upstream !== null && !pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  }

  #accept(client: Socket): void {
    this.stats.accepted++;
    const pair: Pair = { client, upstream: null, held: false };
    this.#pairs.add(pair);
    client.on("error", () => undefined);
    client.once("close", () => {
      this.#pairs.delete(pair);
      pair.upstream?.destroy();
    });
    if (this.#upstreamPort === null) {
      client.destroy();
      return;
    }
    if (this.#mode.kind === "drop") {
      // Black hole: read and discard, answer nothing, until healed (or the client gives up).
      pair.held = true;
      this.stats.blackholed++;
      client.on("data", () => undefined);
      return;
    }
    const upstream = new Socket();
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on("error", () => {
      this.stats.upstreamErrors++;
      client.destroy();
    });
    upstream.once("close", () => {
      this.#pairs.delete(pair);
      client.destroy();
    });
    this.#pipe(pair, client, upstream, false);
    this.#pipe(pair, upstream, client, true);
    upstream.connect(this.#upstreamPort, "127.0.0.1");
  }

  /**
   * Forwards `from` to `to`, delaying each chunk while the proxy is slow (keeping their order);
   * on the answer side (`answers`), while dropping answers, a chunk may be discarded instead and
   * the pair reset (the bytes are never written to the client).
   */
  #pipe(pair: Pair, from: Socket, to: Socket, answers: boolean): void {
    let lastDue = 0;
    let pending = 0;
    from.on("data", (chunk: Buffer) => {
      const mode = this.#mode;
      if (answers && mode.kind === "respdrop" && mode.prng.next() < mode.rate) {
        this.stats.answersDropped++;
        this.#reset(pair);
        return;
      }
      const delay = mode.kind === "slow" ? mode.delayMs : 0;
      const due = Math.max(Date.now() + delay, lastDue);
      lastDue = due;
      if (due <= Date.now() && pending === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      pending++;
      setTimeout(() => {
        pending--;
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
    from.once("end", () => {
      const finish = () => {
        if (!to.destroyed) to.end();
      };
      const wait = lastDue - Date.now();
      if (wait > 0 || pending > 0) setTimeout(finish, Math.max(wait, 0) + 1);
      else finish();
    });
  }
}
