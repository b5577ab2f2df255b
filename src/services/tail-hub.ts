/**
 * The live-tail hub (issue 18): many tailers of one partition share ONE long-poll read of its
 * leader. Per isolate, one `Tail` per key (tenant, topic, partition) while it has subscribers:
 * its `position` (the next offset the shared read asks for), the read in flight, and a buffer
 * of the last batches it read. A subscriber reads from its own position:
 * - inside the buffer: it takes the records at or after its position, no call at all;
 * - behind the buffer: it catches up with its own non-waiting reads (`catchUpFetches`);
 * - at or ahead of the tail's position: it waits for the shared read, starting it if none is
 *   in flight (`upstreamFetches`), so one wake-up of the leader fans out to every subscriber.
 *
 * Invariants: a subscriber's records come in offset order with no gap and no repeat (each
 * answer holds exactly the records of [its position, the answer's next offset)); buffered
 * batches are contiguous ([from, nextOffset) follow each other); the tail's position never
 * falls; a late answer of a read the tail gave up on is ignored.
 *
 * I/O: the hub never does I/O itself. The read is the function of the subscriber that starts
 * it (`TailFetch`), so it runs in that subscriber's request (Workers' I/O objects belong to one
 * request); others only await its promise (never a resolve function called across requests:
 * workerd refuses that). A read that does not answer within its wait plus
 * `stallMs` is given up and the next subscriber starts another, so a cancelled request cannot
 * stall the rest. Pure: no `cloudflare:*`, timers through `setTimeout` (fake timers in tests).
 * Callers: src/services/tail.ts (the service every door's live tail uses). Single-threaded
 * isolate: no locks; state changes only between awaits.
 */
import { kafkaError, type Result } from "../protocol/errors.ts";

/** One read of a partition: records at or after the asked offset, below `nextOffset`. */
export interface TailRead<R extends { offset: number }> {
  records: readonly R[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  /** When buffered reads were merged: those reads, in order (their records are `records`). */
  parts?: readonly TailRead<R>[];
}

/** A read from `offset`, long-polling up to `waitMs` for a record. */
export type TailFetch<R extends { offset: number }> = (
  offset: number,
  waitMs: number,
) => Promise<Result<TailRead<R>>>;

export interface TailHubOptions {
  /** The shared read's long poll. */
  readonly upstreamWaitMs: number;
  /** How long past its wait a shared read may take before a waiter gives up on it. */
  readonly stallMs: number;
  /** Buffer bounds per tail: batches and records kept for subscribers a little behind. */
  readonly maxBufferedBatches: number;
  readonly maxBufferedRecords: number;
  /** A subscriber behind takes up to about this many buffered records in one answer. */
  readonly maxRecordsPerAnswer: number;
}

export const DEFAULT_TAIL_HUB_OPTIONS: TailHubOptions = {
  upstreamWaitMs: 10_000,
  stallMs: 5_000,
  maxBufferedBatches: 2_048,
  maxBufferedRecords: 50_000,
  maxRecordsPerAnswer: 1_000,
};

interface Batch<R extends { offset: number }> {
  from: number;
  read: TailRead<R>;
}

interface Tail<R extends { offset: number }> {
  readonly key: string;
  position: number;
  buffer: Batch<R>[];
  bufferedRecords: number;
  /** The shared read in flight: settles after it updated the buffer. */
  inflight: Promise<Result<void>> | null;
  subscribers: number;
}

/** Counts since the hub was made: what the fan-out saves is upstream vs delivered. */
export interface TailHubStats {
  upstreamFetches: number;
  catchUpFetches: number;
  /** Answers served from the buffer or a shared read, per subscriber. */
  deliveries: number;
  stalls: number;
}

const STALLED = Symbol("stalled");

const OK: Result<void> = { ok: true, value: undefined };

export class TailHub<R extends { offset: number }> {
  readonly #tails = new Map<string, Tail<R>>();
  readonly stats: TailHubStats = {
    upstreamFetches: 0,
    catchUpFetches: 0,
    deliveries: 0,
    stalls: 0,
  };

  constructor(readonly options: TailHubOptions = DEFAULT_TAIL_HUB_OPTIONS) {}

  /** A subscriber of `key` reading from `position`; it must be closed when done. */
  subscribe(key: string, position: number, fetch: TailFetch<R>): TailSubscription<R> {
    let tail = this.#tails.get(key);
    if (!tail) {
      tail = { key, position, buffer: [], bufferedRecords: 0, inflight: null, subscribers: 0 };
      this.#tails.set(key, tail);
    }
    tail.subscribers++;
    return new TailSubscription(this, tail, position, fetch);
  }

  /** Subscribers per key now (tests, metrics). */
  subscribers(key: string): number {
    return this.#tails.get(key)?.subscribers ?? 0;
  }

  /** @internal */ release(tail: Tail<R>): void {
    tail.subscribers--;
    if (tail.subscribers === 0 && this.#tails.get(tail.key) === tail) this.#tails.delete(tail.key);
  }

  /**
   * @internal Waits for the shared read from the tail's position, starting it with `fetch` if
   * none is in flight. Waiters only await the read's promise (workerd delivers a promise settled
   * in another request into the waiter's own); nothing here resolves a promise made elsewhere.
   */
  async awaitShared(tail: Tail<R>, fetch: TailFetch<R>): Promise<Result<void>> {
    const shared = tail.inflight ?? this.#startShared(tail, fetch);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stall = new Promise<typeof STALLED>((resolve) => {
      const ms = this.options.upstreamWaitMs + this.options.stallMs;
      timer = setTimeout(() => resolve(STALLED), ms);
    });
    try {
      const r = await Promise.race([shared, stall]);
      if (r !== STALLED) return r;
      this.stats.stalls++;
      if (tail.inflight === shared) tail.inflight = null;
      return OK;
    } finally {
      clearTimeout(timer);
    }
  }

  #startShared(tail: Tail<R>, fetch: TailFetch<R>): Promise<Result<void>> {
    const from = tail.position;
    this.stats.upstreamFetches++;
    const settle = (r: Result<TailRead<R>>): Result<void> => {
      if (tail.inflight === shared) tail.inflight = null;
      if (r.ok && from === tail.position && r.value.nextOffset > from)
        this.#append(tail, { from, read: r.value });
      return r.ok ? OK : r;
    };
    const failed = (e: unknown) => {
      const err = kafkaError("UNKNOWN_SERVER_ERROR", `live tail read failed: ${String(e)}`);
      return settle({ ok: false, err });
    };
    const read = fetch(from, this.options.upstreamWaitMs);
    const shared: Promise<Result<void>> = read.then(settle, failed);
    tail.inflight = shared;
    return shared;
  }

  #append(tail: Tail<R>, batch: Batch<R>): void {
    tail.buffer.push(batch);
    tail.bufferedRecords += batch.read.records.length;
    tail.position = batch.read.nextOffset;
    const o = this.options;
    const over = () =>
      tail.buffer.length > o.maxBufferedBatches ||
      (tail.buffer.length > 1 && tail.bufferedRecords > o.maxBufferedRecords);
    while (over())
      tail.bufferedRecords -= tail.buffer.shift()!.read.records.length;
  }
}

/** The records of `read` at or after `position` (the same array when nothing is cut). */
function from<R extends { offset: number }>(read: TailRead<R>, position: number): TailRead<R> {
  const rs = read.records;
  if (rs.length === 0 || rs[0]!.offset >= position) return read;
  let lo = 0;
  let hi = rs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rs[mid]!.offset < position) lo = mid + 1;
    else hi = mid;
  }
  return { ...read, records: rs.slice(lo) };
}

/** The index of the buffered batch holding `position` ([from, nextOffset)), or -1. */
function bufferedAt<R extends { offset: number }>(
  buffer: readonly Batch<R>[],
  position: number,
): number {
  let lo = 0;
  let hi = buffer.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = buffer[mid]!;
    if (position < b.from) hi = mid - 1;
    else if (position >= b.read.nextOffset) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Batch `i` from `position` on and the buffered batches after it as one read, up to about `max`
 * records: a subscriber that fell behind takes what it missed at once (fewer, larger writes).
 * Its `parts` are the buffer's own read objects (the first one cut when `position` is inside
 * it), shared by every subscriber, so a door can render each once. A single whole batch is
 * answered as the buffer's object itself.
 */
function merged<R extends { offset: number }>(
  buffer: readonly Batch<R>[],
  i: number,
  position: number,
  max: number,
): TailRead<R> {
  const first = from(buffer[i]!.read, position);
  if (i === buffer.length - 1 || first.records.length >= max) return first;
  const parts = [first];
  const records = [...first.records];
  for (let j = i + 1; j < buffer.length && records.length < max; j++) {
    parts.push(buffer[j]!.read);
    records.push(...buffer[j]!.read.records);
  }
  const { nextOffset, highWatermark, logStartOffset } = parts.at(-1)!;
  return { records, nextOffset, highWatermark, logStartOffset, parts };
}

/** One tailer's view: `next()` answers its next records in order. */
export class TailSubscription<R extends { offset: number }> {
  #closed = false;

  constructor(
    private readonly hub: TailHub<R>,
    private readonly tail: Tail<R>,
    /** The next offset this subscriber reads. */
    public position: number,
    private readonly fetch: TailFetch<R>,
  ) {}

  /** The next non-empty records from `position` on (none once closed), or the read's error. */
  async next(): Promise<Result<TailRead<R>>> {
    for (;;) {
      if (this.#closed) {
        const p = this.position;
        const none = { records: [], nextOffset: p, highWatermark: p, logStartOffset: 0 };
        return { ok: true, value: none };
      }
      const t = this.tail;
      const hit = bufferedAt(t.buffer, this.position);
      let read: TailRead<R> | null = null;
      const max = this.hub.options.maxRecordsPerAnswer;
      if (hit >= 0) read = merged(t.buffer, hit, this.position, max);
      else if (this.position < t.position) {
        this.hub.stats.catchUpFetches++;
        const r = await this.fetch(this.position, 0);
        if (!r.ok) return r;
        read = from(r.value, this.position);
        // A read that cannot move on (the log changed under the tail): wait for the shared one.
        if (read.nextOffset <= this.position && read.records.length === 0) {
          const w = await this.hub.awaitShared(t, this.fetch);
          if (!w.ok) return w;
        }
      } else {
        const r = await this.hub.awaitShared(t, this.fetch);
        if (!r.ok) return r;
        continue;
      }
      if (read.nextOffset > this.position) this.position = read.nextOffset;
      if (read.records.length > 0) {
        this.hub.stats.deliveries++;
        return { ok: true, value: read };
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.hub.release(this.tail);
  }
}
