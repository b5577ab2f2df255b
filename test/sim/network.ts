/**
 * The simulation's fake network: one-way messages and request/response calls between named
 * nodes ("r0".., "coord", "c0"..), each delivered after a seeded random delay, or dropped, or
 * delivered twice, so messages of different streams reorder freely. Links can be cut (network
 * partitions); a message to a down node, or over a cut link at delivery time, is lost.
 *
 * A call always ends for its caller exactly once: with the first answer to arrive, or with null
 * at its timeout (as an RPC that threw). A duplicated request runs its handler twice; the second
 * answer is ignored. Single-threaded, driven by the Scheduler.
 */
import type { Prng } from "../support/prng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface LinkFaults {
  dropRate: number;
  dupRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const NO_FAULTS: LinkFaults = { dropRate: 0, dupRate: 0, minDelayMs: 1, maxDelayMs: 5 };

const linkKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

export class Network {
  faults: LinkFaults;
  readonly #cut = new Set<string>();
  /** Messages handed to the network, and how many of them were dropped or duplicated. */
  readonly counts = { sent: 0, dropped: 0, duplicated: 0 };

  readonly #sched: Scheduler;
  readonly #prng: Prng;
  readonly #isUp: (node: string) => boolean;

  constructor(sched: Scheduler, prng: Prng, faults: LinkFaults, isUp: (node: string) => boolean) {
    this.#sched = sched;
    this.#prng = prng;
    this.faults = faults;
    this.#isUp = isUp;
  }

  linkUp(a: string, b: string): boolean {
    return !this.#cut.has(linkKey(a, b));
  }

  cut(a: string, b: string): void {
    this.#cut.add(linkKey(a, b));
  }

  heal(a: string, b: string): void {
    this.#cut.delete(linkKey(a, b));
  }

  healAll(): void {
    this.#cut.clear();
  }

  #delay(): number {
    return this.#prng.int(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  /** One-way message: `handler` runs at `to` after a delay, unless lost (or twice, if duplicated). */
  send(from: string, to: string, label: string, handler: () => void): void {
    this.counts.sent++;
    if (this.#prng.chance(this.faults.dropRate)) {
      this.counts.dropped++;
      return;
    }
    const copies = this.#prng.chance(this.faults.dupRate) ? 2 : 1;
    if (copies === 2) this.counts.duplicated++;
    for (let i = 0; i < copies; i++)
      this.#sched.after(this.#delay(), `${label} ${from}→${to}`, () => {
        if (this.linkUp(from, to) && this.#isUp(to)) handler();
        else this.#sched.log(`  lost (${this.#isUp(to) ? "link cut" : `${to} down`})`);
      });
  }

  /**
   * A call: `handler` runs at `to` and answers through `reply` (now or later, or never);
   * `onResult` gets the first answer back, or null at `timeoutMs`.
   */
  call<T>(
    from: string,
    to: string,
    label: string,
    timeoutMs: number,
    handler: (reply: (answer: T) => void) => void,
    onResult: (answer: T | null) => void,
  ): void {
    let done = false;
    const timer = this.#sched.after(timeoutMs, `timeout ${label} ${from}→${to}`, () => finish(null));
    const finish = (answer: T | null) => {
      if (done) return;
      done = true;
      timer.cancel();
      onResult(answer);
    };
    this.send(from, to, label, () => handler((answer) => this.send(to, from, `re ${label}`, () => finish(answer))));
  }
}
