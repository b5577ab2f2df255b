/**
 * The simulation's seeded discrete-event scheduler: a min-heap of events by (time, sequence),
 * one FakeClock shared by every replica, and a ring buffer holding the tail of the event trace
 * (printed when a seed fails). Single-threaded; an event runs to completion before the next.
 */
import { FakeClock } from "../support/fake-clock.ts";

interface SimEvent {
  at: number;
  seq: number;
  label: string;
  run: () => void;
  cancelled: boolean;
}

export interface Timer {
  cancel(): void;
}

/** Trace lines kept for a failure report (SIM_TRACE_LINES overrides, for debugging). */
const TRACE_LINES = Number(process.env.SIM_TRACE_LINES ?? 120);

export class Scheduler {
  readonly clock = new FakeClock(0);
  /** Events run so far (cancelled timers not counted). */
  events = 0;
  readonly #heap: SimEvent[] = [];
  #seq = 0;
  readonly #trace: string[] = [];
  #traceNext = 0;

  now(): number {
    return this.clock.now();
  }

  at(time: number, label: string, run: () => void): Timer {
    const ev: SimEvent = { at: Math.max(time, this.now()), seq: this.#seq++, label, run, cancelled: false };
    this.#push(ev);
    return { cancel: () => void (ev.cancelled = true) };
  }

  after(delayMs: number, label: string, run: () => void): Timer {
    return this.at(this.now() + delayMs, label, run);
  }

  /** Adds a line to the trace (kept: the last TRACE_LINES). */
  log(line: string): void {
    const entry = `#${this.events} t=${this.now()} ${line}`;
    if (this.#trace.length < TRACE_LINES) this.#trace.push(entry);
    else this.#trace[this.#traceNext] = entry;
    this.#traceNext = (this.#traceNext + 1) % TRACE_LINES;
  }

  traceTail(): string[] {
    return this.#trace.length < TRACE_LINES
      ? [...this.#trace]
      : [...this.#trace.slice(this.#traceNext), ...this.#trace.slice(0, this.#traceNext)];
  }

  /**
   * Runs every event due by `until` in order, calling `afterEach` after each, and stops early
   * (leaving the clock at that event) as soon as `afterEach` returns true.
   */
  runUntil(until: number, afterEach: () => boolean): void {
    while (this.#heap.length > 0 && this.#heap[0]!.at <= until) {
      const ev = this.#pop();
      if (ev.cancelled) continue;
      this.clock.time = ev.at;
      this.events++;
      this.log(ev.label);
      ev.run();
      if (afterEach()) return;
    }
    this.clock.time = Math.max(this.clock.time, until);
  }

  #less(a: SimEvent, b: SimEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #push(ev: SimEvent): void {
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): SimEvent {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
