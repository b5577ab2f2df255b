/**
 * The producer's timers on an injectable `Scheduler`: every live timer is tracked so `clear()`
 * leaves nothing behind (a closed producer must not keep a Node process alive), and `call`
 * bounds one HTTP call by a timeout that aborts it.
 *
 * Invariant: `call` resolves exactly once, with the answer or with REQUEST_TIMED_OUT at the
 * deadline, whether or not the `fetch` honours the abort signal; it never rejects.
 */
import type { ApiResult } from "./flarelog-client.ts";
import { FlarelogError } from "./flarelog-error.ts";
import type { Scheduler } from "./producer-config.ts";

/** An answer turned into a value: the body, or the error with its outcome flag. */
export type Outcome<T> = { ok: true; status: number; body: T } | { ok: false; error: FlarelogError };

export class Timers {
  readonly #live = new Set<unknown>();
  readonly scheduler: Scheduler;
  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  now(): number {
    return this.scheduler.now();
  }

  after(ms: number, fn: () => void): unknown {
    const handle = this.scheduler.setTimeout(() => {
      this.#live.delete(handle);
      fn();
    }, ms);
    this.#live.add(handle);
    return handle;
  }

  cancel(handle: unknown): void {
    if (handle === undefined || !this.#live.delete(handle)) return;
    this.scheduler.clearTimeout(handle);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.after(ms, resolve));
  }

  /** Cancels every live timer; pending sleeps and calls then never resolve by timer. */
  clear(): void {
    for (const handle of this.#live) this.scheduler.clearTimeout(handle);
    this.#live.clear();
  }

  /** One HTTP call bounded by `timeoutMs`: network failures and timeouts come back as values. */
  async call<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<ApiResult<T>>): Promise<Outcome<T>> {
    const controller = new AbortController();
    let timer: unknown;
    const timedOut = new Promise<Outcome<T>>((resolve) => {
      timer = this.after(timeoutMs, () => {
        controller.abort();
        resolve({ ok: false, error: FlarelogError.of("REQUEST_TIMED_OUT", `no answer within ${timeoutMs} ms`, true) });
      });
    });
    const answered = run(controller.signal).then(
      (r): Outcome<T> => (r.ok ? { ok: true, status: r.status, body: r.body } : { ok: false, error: FlarelogError.fromAnswer(r.status, r.error) }),
      (e: unknown): Outcome<T> => ({ ok: false, error: FlarelogError.network(e) }),
    );
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      this.cancel(timer);
    }
  }
}
