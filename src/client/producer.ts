/**
 * The producer (Kafka's KafkaProducer): `send` partitions records client-side and hands them to
 * the accumulator; the sender batches, sequences and retries them; `flush` and `close` wait.
 *
 * Partition choice, as Kafka's default partitioner: the record's explicit partition, else
 * `partitionForKey` (murmur2 of the key bytes, src/protocol/partitioner.ts), else the sticky
 * partition of KIP-480. Partition counts come from `GET /v1/topics/{topic}`, cached for
 * `metadataMaxAgeMs` and refreshed in the background after that.
 *
 * Invariants: the records of one `send` call, and of successive calls, are appended in call
 * order (a call that waits for metadata holds back later calls on that topic); a call either
 * appends all its records or none (bad input fails the whole call before any is queued); the
 * returned promise settles once per call, with one RecordMetadata per record in order.
 * Used from Node and Workers; single-threaded.
 */
import { partitionForKey } from "../protocol/partitioner.ts";
import type { ClientRecord, FlarelogClient } from "./flarelog-client.ts";
import { FlarelogError } from "./flarelog-error.ts";
import { BATCH_OVERHEAD_BYTES, estimateRecordSize, SendHandle, type RecordMetadata, type WireRecord } from "./producer-batch.ts";
import { resolveProducerConfig, type ProducerConfig, type ResolvedProducerConfig } from "./producer-config.ts";
import { RecordAccumulator } from "./record-accumulator.ts";
import { Sender } from "./sender.ts";
import { Timers } from "./timers.ts";

/** A record to send; keys, values and header values are UTF-8 text or base64 (per `encoding`). */
export type ProducerRecord = ClientRecord;

interface Gate {
  promise: Promise<number>;
  waiters: number;
}

const utf8 = new TextEncoder();

function base64Bytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export class Producer {
  readonly #client: FlarelogClient;
  readonly #cfg: ResolvedProducerConfig;
  readonly #timers: Timers;
  readonly #acc: RecordAccumulator;
  readonly #sender: Sender;
  readonly #metadata = new Map<string, { count: number; fetchedMs: number }>();
  readonly #refreshing = new Set<string>();
  readonly #gates = new Map<string, Gate>();
  readonly #unsettled = new Set<SendHandle>();
  #closed = false;

  constructor(client: FlarelogClient, config: ProducerConfig = {}) {
    this.#client = client;
    this.#cfg = resolveProducerConfig(config);
    this.#timers = new Timers(this.#cfg.scheduler);
    this.#acc = new RecordAccumulator(this.#cfg, this.#cfg.random);
    this.#sender = new Sender(client, this.#cfg, this.#acc, this.#timers);
  }

  /** The effective configuration (defaults filled in, idempotence decided). */
  get config(): Readonly<ResolvedProducerConfig> {
    return this.#cfg;
  }

  /** Current producer id and epoch (idempotent mode, after the first send). */
  get producerIdentity(): { producerId: number; producerEpoch: number } | undefined {
    return this.#sender.producerIdentity;
  }

  /**
   * Queues `records` for `topic`; resolves when every record is acknowledged, with where each
   * was written, in order. Rejects with a `SendError` (per-record outcomes in `results`) when
   * any record fails, or with a `FlarelogError` when nothing was queued (closed, fenced, bad input).
   */
  async send(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const refused = this.#closed ? FlarelogError.closed("producer") : this.#sender.fatalError;
    if (refused) throw refused;
    const sizes = records.map((r, i) => {
      const size = estimateRecordSize({ key: r.key ?? null, value: r.value ?? null, headers: r.headers ?? {} }, this.#cfg.encoding);
      if (size + BATCH_OVERHEAD_BYTES > this.#cfg.maxRequestSize)
        throw FlarelogError.of("MESSAGE_TOO_LARGE", `records[${i}] is about ${size} bytes, over maxRequestSize (${this.#cfg.maxRequestSize}); nothing was sent`);
      return size;
    });
    const handle = new SendHandle(records.length);
    if (records.length === 0) return handle.promise;
    this.#unsettled.add(handle);
    void handle.settled.then(() => this.#unsettled.delete(handle));

    let count = this.#cachedCount(topic);
    const gate = this.#gates.get(topic);
    if (count === undefined || gate) {
      const g = gate ?? this.#openGate(topic);
      g.waiters++;
      try {
        count = await g.promise;
      } catch (e) {
        handle.failAll(e instanceof FlarelogError ? e : FlarelogError.network(e));
        return handle.promise;
      } finally {
        // The last waiter lifts the gate, so no later call overtakes a waiting one.
        if (--g.waiters === 0 && this.#gates.get(topic) === g) this.#gates.delete(topic);
      }
    }
    const stopped = this.#closed ? FlarelogError.closed("producer") : this.#sender.fatalError;
    if (stopped) {
      handle.failAll(stopped);
      return handle.promise;
    }
    this.#append(topic, count, records, sizes, handle);
    return handle.promise;
  }

  #append(topic: string, count: number, records: readonly ProducerRecord[], sizes: number[], handle: SendHandle): void {
    let fixed: (number | undefined)[];
    try {
      fixed = records.map((r) => {
        if (r.partition !== undefined) return r.partition;
        if (r.key === undefined || r.key === null) return undefined;
        return partitionForKey(this.#cfg.encoding === "base64" ? base64Bytes(r.key) : utf8.encode(r.key), count);
      });
    } catch (e) {
      handle.failAll(FlarelogError.of("INVALID_RECORD", `a key is not valid ${this.#cfg.encoding}: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    const bad = fixed.findIndex((p) => p !== undefined && !(Number.isInteger(p) && p >= 0 && p < count));
    if (bad >= 0) {
      handle.failAll(FlarelogError.of("UNKNOWN_TOPIC_OR_PARTITION", `records[${bad}].partition ${fixed[bad]} is not in [0, ${count}) of ${topic}`));
      return;
    }
    const now = this.#timers.now();
    records.forEach((r, i) => {
      const wire: WireRecord = { key: r.key ?? null, value: r.value ?? null, timestamp: r.timestamp ?? now };
      if (r.headers) wire.headers = r.headers;
      const partition = fixed[i] ?? this.#acc.stickyPartition(topic, count, sizes[i]!);
      this.#acc.append(topic, partition, wire, sizes[i]!, handle, i, now);
    });
    this.#sender.wake();
  }

  /** Makes every queued record sendable now and waits until each send made before it settles. */
  async flush(): Promise<void> {
    const waiting = [...this.#unsettled].map((h) => h.settled);
    this.#sender.force();
    try {
      await Promise.all(waiting);
    } finally {
      this.#sender.unforce();
    }
  }

  /** Refuses new sends, sends everything queued and waits for it, then stops every timer. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    this.#sender.stop();
  }

  #cachedCount(topic: string): number | undefined {
    const m = this.#metadata.get(topic);
    if (!m) return undefined;
    if (this.#timers.now() - m.fetchedMs >= this.#cfg.metadataMaxAgeMs && !this.#refreshing.has(topic)) {
      this.#refreshing.add(topic);
      // Sends go on with the count they have; the refresh's failure goes to the onError hook.
      void this.#loadMetadata(topic)
        .catch((e: unknown) => this.#cfg.onError?.(e instanceof FlarelogError ? e : FlarelogError.network(e)))
        .finally(() => this.#refreshing.delete(topic));
    }
    return m.count;
  }

  #openGate(topic: string): Gate {
    const gate: Gate = { promise: this.#loadMetadata(topic), waiters: 0 };
    this.#gates.set(topic, gate);
    return gate;
  }

  /** The topic's partition count, retried while retriable for up to `maxBlockMs` (Kafka's wait for metadata). */
  async #loadMetadata(topic: string): Promise<number> {
    const started = this.#timers.now();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#timers.call(this.#cfg.requestTimeoutMs, (signal) => this.#client.describeTopic(topic, { signal }));
      const now = this.#timers.now();
      if (outcome.ok) {
        const count = outcome.body.partitions.length;
        this.#metadata.set(topic, { count, fetchedMs: now });
        return count;
      }
      const err = outcome.error;
      const left = started + this.#cfg.maxBlockMs - now;
      if (!err.retriable && !err.outcomeUnknown) throw err;
      if (this.#closed) throw FlarelogError.closed("producer");
      if (left <= 0)
        throw new FlarelogError(err.errorCode, err.error, `topic ${topic} not present in metadata after ${this.#cfg.maxBlockMs} ms (${err.message})`, err.retriable);
      await this.#timers.sleep(Math.min(left, this.#cfg.retryBackoffMaxMs, this.#cfg.retryBackoffMs * 2 ** (attempt - 1)));
    }
  }
}
