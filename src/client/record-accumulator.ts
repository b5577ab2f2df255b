/**
 * The producer's per-partition queues (Kafka's RecordAccumulator) and the sticky partitioner
 * for keyless records (KIP-480).
 *
 * Invariants: each partition's records are queued in append order; a batch takes records only
 * while it is the last, open batch of its queue and within `batchSize` bytes (estimated) and the
 * broker's record limit; a batch is ready to send when it is closed (full, or re-queued after an
 * epoch bump), is not the last one, its linger time has passed, or a flush is in progress.
 * The queue also holds the partition's sequence state, which the sender owns.
 * Called by `Producer.send` (append) and `Sender` (drain). Single-threaded.
 */
import { LIMITS } from "../protocol/config.ts";
import { ProducerBatch, type SendHandle, type WireRecord } from "./producer-batch.ts";

export class PartitionQueue {
  /** Batches not handed to the sender, oldest first; the last one may still take records. */
  readonly accumulating: ProducerBatch[] = [];
  /**
   * The send window: batches sent at least once, in sequence order, from the earliest one not
   * yet acknowledged to the latest sent (acknowledged ones inside it stay until they reach the
   * front, because answers may arrive out of order).
   */
  readonly sent: ProducerBatch[] = [];
  /** Sequence of the next record to send under the current epoch (idempotent only). */
  nextSequence = 0;
  /** The epoch in which a batch of this partition was last acknowledged (the leader has our state). */
  confirmedEpoch = -1;
  /**
   * A sequenced batch was given up, so the broker's view of this partition's sequences is not
   * known: no new sequences until the epoch is bumped (KIP-360).
   */
  unresolved = false;

  readonly topic: string;
  readonly partition: number;
  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get isEmpty(): boolean {
    return this.accumulating.length === 0 && this.sent.length === 0;
  }

  /** The earliest sent batch still in play; only it may be re-sent, so retries keep order. */
  head(): ProducerBatch | undefined {
    return this.sent.find((b) => b.state !== "resequence" && b.state !== "done");
  }

  /** Drops acknowledged batches from the front of the window. */
  shiftDone(): void {
    while (this.sent[0]?.state === "done") this.sent.shift();
  }

  /** Some sent batch waits to be re-sent: new batches wait behind it. */
  retrying(): boolean {
    return this.sent.some((b) => b.state === "backoff" || b.state === "retry");
  }
}

export interface AccumulatorConfig {
  batchSize: number;
  lingerMs: number;
}

export class RecordAccumulator {
  readonly #queues = new Map<string, PartitionQueue>();
  readonly #sticky = new Map<string, number>();
  readonly #cfg: AccumulatorConfig;
  readonly #random: () => number;

  constructor(cfg: AccumulatorConfig, random: () => number) {
    this.#cfg = cfg;
    this.#random = random;
  }

  queue(topic: string, partition: number): PartitionQueue {
    const key = `${topic}\u0000${partition}`;
    let q = this.#queues.get(key);
    if (!q) {
      q = new PartitionQueue(topic, partition);
      this.#queues.set(key, q);
    }
    return q;
  }

  queues(): IterableIterator<PartitionQueue> {
    return this.#queues.values();
  }

  hasPending(): boolean {
    for (const q of this.#queues.values()) if (!q.isEmpty) return true;
    return false;
  }

  append(topic: string, partition: number, record: WireRecord, size: number, owner: SendHandle, index: number, now: number): void {
    const q = this.queue(topic, partition);
    const open = q.accumulating.at(-1);
    if (open?.tryAppend(record, size, owner, index, this.#cfg.batchSize, LIMITS.maxRecordsPerRequest)) {
      if (open.sizeBytes >= this.#cfg.batchSize) open.closed = true;
      return;
    }
    if (open) open.closed = true;
    const batch = new ProducerBatch(topic, partition, now);
    batch.tryAppend(record, size, owner, index, this.#cfg.batchSize, LIMITS.maxRecordsPerRequest);
    if (batch.sizeBytes >= this.#cfg.batchSize) batch.closed = true;
    q.accumulating.push(batch);
  }

  /**
   * KIP-480: keyless records stick to one partition until its batch is full or sent, then move
   * to another partition chosen at random, so each batch fills before the next one starts.
   */
  stickyPartition(topic: string, numPartitions: number, size: number): number {
    const current = this.#sticky.get(topic);
    if (current !== undefined && current < numPartitions) {
      const open = this.#queues.get(`${topic}\u0000${current}`)?.accumulating.at(-1);
      if (open?.fits(size, this.#cfg.batchSize, LIMITS.maxRecordsPerRequest)) return current;
    }
    let next: number;
    if (current === undefined || current >= numPartitions || numPartitions === 1) next = Math.floor(this.#random() * numPartitions);
    else {
      const r = Math.floor(this.#random() * (numPartitions - 1));
      next = r >= current ? r + 1 : r;
    }
    next = Math.min(Math.max(next, 0), numPartitions - 1);
    this.#sticky.set(topic, next);
    return next;
  }

  /** Whether the queue's first batch may be sent now (`force`: flushing or closing). */
  isReady(q: PartitionQueue, now: number, force: boolean): boolean {
    const first = q.accumulating[0];
    if (!first) return false;
    return force || first.closed || q.accumulating.length > 1 || now - first.createdMs >= this.#cfg.lingerMs;
  }

  /** When the queue's first batch becomes ready by linger alone; undefined when ready or empty. */
  lingerDeadline(q: PartitionQueue, now: number): number | undefined {
    const first = q.accumulating[0];
    if (!first || this.isReady(q, now, false)) return undefined;
    return first.createdMs + this.#cfg.lingerMs;
  }
}
