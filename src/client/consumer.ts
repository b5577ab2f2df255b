/**
 * A consumer of assigned partitions (Kafka's consumer with `assign()`, no group): it keeps one
 * position per partition and each `poll` fetches from those positions.
 *
 * Invariants: a record is returned once per position; a partition's position only moves to the
 * offset after the last record returned from it (or to the server's `next_offset` when every
 * fetched record was returned), or by `seek` and the `autoOffsetReset` rule after
 * OFFSET_OUT_OF_RANGE. Retriable failures skip a partition for one poll; others throw.
 * Consumer groups are a separate class, `GroupConsumer` (group-consumer.ts): there the
 * coordinator assigns the partitions and keeps the positions and committed offsets.
 * Single-threaded; one poll at a time.
 */
import type { FetchedRecord, FetchResponse, FlarelogClient } from "./flarelog-client.ts";
import { CODES, FlarelogError } from "./flarelog-error.ts";

export interface ConsumerConfig {
  topic: string;
  /** Partitions to read (Kafka's `assign`); default: every partition of the topic, read at the first poll. */
  partitions?: number[];
  /** auto.offset.reset: where a partition without a position starts (default "latest", as Kafka). */
  autoOffsetReset?: "earliest" | "latest" | "none";
  /** max.poll.records (default 500). */
  maxPollRecords?: number;
  /** Byte bound of each partition's fetch (default: the server's, 1 MiB). */
  maxBytes?: number;
  /** fetch.max.wait.ms: how long a poll long-polls when nothing is ready (default 0). */
  waitMs?: number;
  encoding?: "utf8" | "base64";
  /**
   * The failure behind each partition skipped for a poll (no answer: NETWORK_EXCEPTION; or a
   * retriable error), which `poll` does not throw. Default: none (no logging).
   */
  onError?: (error: FlarelogError) => void;
}

/** A fetched record with where it came from. */
export interface ConsumerRecord extends FetchedRecord {
  topic: string;
  partition: number;
}

export class Consumer {
  readonly #client: FlarelogClient;
  readonly #cfg: ConsumerConfig;
  readonly #positions = new Map<number, number>();
  #assignment: number[] | undefined;
  #rotation = 0;

  constructor(client: FlarelogClient, config: ConsumerConfig) {
    this.#client = client;
    this.#cfg = config;
    if (config.partitions) this.assign(config.partitions);
  }

  get topic(): string {
    return this.#cfg.topic;
  }

  /** Reads exactly these partitions from now on; positions of others are dropped. */
  assign(partitions: readonly number[]): void {
    this.#assignment = [...new Set(partitions)].sort((a, b) => a - b);
    for (const p of [...this.#positions.keys()]) if (!this.#assignment.includes(p)) this.#positions.delete(p);
  }

  assignment(): readonly number[] | undefined {
    return this.#assignment;
  }

  /** The offset of the next record `poll` returns from `partition`; undefined before it is known. */
  position(partition: number): number | undefined {
    return this.#positions.get(partition);
  }

  seek(partition: number, offset: number): void {
    this.#positions.set(partition, offset);
  }

  /** Records from every assigned partition's position, at most `maxPollRecords`, fair across partitions. */
  async poll(opts: { waitMs?: number } = {}): Promise<ConsumerRecord[]> {
    const parts = await this.#ensureAssignment();
    for (const p of parts) if (!this.#positions.has(p)) await this.#reset(p);
    let fetched = await this.#fetchAll(parts, 0);
    const waitMs = opts.waitMs ?? this.#cfg.waitMs ?? 0;
    if (waitMs > 0 && fetched.every((f) => !f || f.records.length === 0)) fetched = await this.#fetchAll(parts, waitMs);

    const max = this.#cfg.maxPollRecords ?? 500;
    const out: ConsumerRecord[] = [];
    const start = this.#rotation++ % Math.max(1, parts.length);
    for (let k = 0; k < parts.length; k++) {
      const i = (start + k) % parts.length;
      const f = fetched[i];
      if (!f) continue;
      const p = parts[i]!;
      const take = f.records.slice(0, Math.max(0, max - out.length));
      for (const r of take) out.push({ ...r, topic: this.#cfg.topic, partition: p });
      // Records fetched but not returned are fetched again next time: the position stops after the last one returned.
      const last = take.at(-1);
      if (take.length === f.records.length) this.#positions.set(p, f.next_offset);
      else if (last) this.#positions.set(p, last.offset + 1);
    }
    return out;
  }

  async #ensureAssignment(): Promise<number[]> {
    if (this.#assignment) return this.#assignment;
    const r = await this.#client.describeTopic(this.#cfg.topic);
    if (!r.ok) throw FlarelogError.fromAnswer(r.status, r.error);
    this.assign(r.body.partitions.map((p) => p.partition));
    return this.#assignment!;
  }

  /** Sets the position by `autoOffsetReset`; "none" throws OFFSET_OUT_OF_RANGE, as Kafka's NoOffsetForPartition. */
  async #reset(partition: number): Promise<void> {
    const rule = this.#cfg.autoOffsetReset ?? "latest";
    if (rule === "none")
      throw FlarelogError.of("OFFSET_OUT_OF_RANGE", `no valid position for ${this.#cfg.topic}-${partition} and autoOffsetReset is "none"`);
    const r = await this.#client.listOffsets(this.#cfg.topic, partition, rule);
    if (!r.ok) throw FlarelogError.fromAnswer(r.status, r.error);
    this.#positions.set(partition, r.body.offset);
  }

  /**
   * One fetch per partition in parallel; with `waitMs`, the first answer with records aborts the
   * others (a read has no effect, so dropping its answer loses nothing). Undefined: skipped.
   */
  async #fetchAll(parts: number[], waitMs: number): Promise<(FetchResponse | undefined)[]> {
    const controller = new AbortController();
    return Promise.all(
      parts.map(async (p) => {
        const query = {
          offset: this.#positions.get(p)!,
          max_records: this.#cfg.maxPollRecords ?? 500,
          ...(this.#cfg.maxBytes !== undefined ? { max_bytes: this.#cfg.maxBytes } : {}),
          ...(waitMs > 0 ? { wait_ms: waitMs } : {}),
          ...(this.#cfg.encoding ? { encoding: this.#cfg.encoding } : {}),
        };
        let r;
        try {
          // Raced against the abort itself: a runtime whose fetch leaves an aborted body read
          // pending (seen on Node 20) must not leave this poll waiting for ever.
          r = await Promise.race([this.#client.fetchRecords(this.#cfg.topic, p, query, { signal: controller.signal }), abortedBy(controller.signal)]);
        } catch (e) {
          // No answer: the position stays, the next poll tries again. A wait this poll cut
          // short itself (another partition had records) is no failure.
          if (!controller.signal.aborted) this.#cfg.onError?.(FlarelogError.network(e));
          return undefined;
        }
        if (r.ok) {
          if (r.body.records.length > 0) controller.abort();
          return r.body;
        }
        const err = FlarelogError.fromAnswer(r.status, r.error);
        if (err.errorCode === CODES.offsetOutOfRange) {
          this.#positions.delete(p);
          await this.#reset(p);
          return undefined;
        }
        if (!err.retriable && !err.outcomeUnknown) throw err;
        this.#cfg.onError?.(err);
        return undefined;
      }),
    );
  }
}

/** A promise that rejects when `signal` aborts (and never otherwise); its rejection is always handled. */
function abortedBy(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  p.catch(() => undefined);
  return p;
}
