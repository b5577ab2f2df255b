/**
 * Long-poll support for fetch (`wait_ms`): fetches that found nothing park here and wake on
 * the next append, high-watermark advance or state change, or when their time is up, whichever
 * comes first; a woken fetch that still finds nothing parks again (PartitionReplicaDO).
 * In-memory, per replica DO instance; a DO restart wakes nobody, and the waiting fetch's RPC
 * simply fails over as a retriable error.
 */
export class FetchWaiters {
  readonly #waiting = new Set<() => void>();

  /** Resolves at the next `wakeAll` or after `ms`, whichever is first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiting.add(done);
    });
  }

  wakeAll(): void {
    for (const done of [...this.#waiting]) done();
  }

  get size(): number {
    return this.#waiting.size;
  }
}
