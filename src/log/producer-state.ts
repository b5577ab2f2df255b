/**
 * Producer state of one partition leader (Kafka's ProducerStateManager + ProducerAppendInfo,
 * reduced to the idempotent producer): per producer id, its current epoch and the metadata of
 * its last 5 batches, so that a retried batch is answered with its original offsets and a batch
 * out of sequence is refused.
 *
 * The state is derived from the batch rows (producer_id, producer_epoch, base_sequence,
 * record_count, max_timestamp) and nothing else: `fromBatches` over a log's rows builds the same
 * state as the appends that wrote them, so a new leader or a re-opened Durable Object dedupes
 * exactly as the old one did.
 *
 * Rules, as Kafka's broker (ProducerAppendInfo.checkSequence, ProducerStateEntry.findDuplicateBatch):
 * - epoch older than the producer's → INVALID_PRODUCER_EPOCH (47);
 * - same epoch and the same first and last sequence as one of the last 5 batches → duplicate;
 * - same epoch: the first sequence must follow the last one (wrapping 2^31-1 → 0), else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER (45) — also for a retry older than the last 5 batches;
 * - newer epoch: the sequence must start at 0 (45 otherwise); the old epoch's batches are forgotten;
 * - no state for the producer (never seen, expired, or its batches deleted): any sequence.
 * Expiry: a producer whose newest batch's max timestamp is `expirationMs` or more in the past is
 * forgotten (Kafka's producer.id.expiration.ms). Bound: at most `maxProducers` entries; beyond
 * that the least recently written producer is forgotten first, as if it had expired.
 * Pure and synchronous; time comes from the caller.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { Offset, ProducerIdentity, TimestampMs } from "../protocol/types.ts";

/** Batches remembered per producer: Kafka's NUM_BATCHES_TO_RETAIN (= max.in.flight of an idempotent producer). */
export const PRODUCER_BATCHES_RETAINED = 5;
export const MAX_SEQUENCE = 2 ** 31 - 1;
export const MAX_PRODUCER_EPOCH = 32_767;

export interface ProducerStateOptions {
  /** producer.id.expiration.ms: inactivity after which a producer's state is dropped. */
  expirationMs: number;
  /** Most producers remembered per partition. */
  maxProducers: number;
}

export const DEFAULT_PRODUCER_STATE_OPTIONS: ProducerStateOptions = {
  expirationMs: 86_400_000,
  maxProducers: 10_000,
};

/** One remembered batch of a producer. */
export interface ProducerBatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: Offset;
  lastOffset: Offset;
  maxTimestamp: TimestampMs;
}

export interface ProducerEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most PRODUCER_BATCHES_RETAINED, all of `producerEpoch`. */
  batches: ProducerBatchMetadata[];
}

/** A stored batch as the producer state reads it (a projection of a batch row). */
export interface ProducerBatchRow {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  baseOffset: Offset;
  lastOffset: Offset;
  recordCount: number;
  maxTimestamp: TimestampMs;
}

export type SequenceCheck = { kind: "append" } | { kind: "duplicate"; batch: ProducerBatchMetadata };

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at 2^31 - 1 back to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > MAX_SEQUENCE - increment ? increment - (MAX_SEQUENCE - sequence) - 1 : sequence + increment;
}

const inSequence = (lastSeq: number, nextSeq: number): boolean =>
  nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE);

/** Field ranges of an idempotent produce (Kafka: int64 id, int16 epoch, int32 sequence). */
export function validateProducerIdentity(p: ProducerIdentity): Result<void> {
  if (!Number.isSafeInteger(p.producerId) || p.producerId < 0)
    return fail("INVALID_REQUEST", `producer_id must be a non-negative integer, got ${p.producerId}`);
  if (!Number.isInteger(p.producerEpoch) || p.producerEpoch < 0 || p.producerEpoch > MAX_PRODUCER_EPOCH)
    return fail("INVALID_REQUEST", `producer_epoch must be an integer in [0, ${MAX_PRODUCER_EPOCH}], got ${p.producerEpoch}`);
  if (!Number.isInteger(p.baseSequence) || p.baseSequence < 0 || p.baseSequence > MAX_SEQUENCE)
    return fail("INVALID_REQUEST", `base_sequence must be an integer in [0, ${MAX_SEQUENCE}], got ${p.baseSequence}`);
  return ok(undefined);
}

export class ProducerStateManager {
  readonly #options: ProducerStateOptions;
  /** Insertion order is write order: the first entry is the least recently written producer. */
  readonly #entries = new Map<number, ProducerEntry>();
  /** Next time `onAppend` sweeps expired producers (`check` drops a stale entry itself). */
  #nextSweepAt = Number.NEGATIVE_INFINITY;

  constructor(options: ProducerStateOptions = DEFAULT_PRODUCER_STATE_OPTIONS) {
    this.#options = options;
  }

  /**
   * The state a log's batch rows imply at `now`: rows in offset order (rows without a producer
   * are skipped). Equal to the state the appends of those rows built, expiry applied.
   */
  static fromBatches(rows: Iterable<ProducerBatchRow>, options: ProducerStateOptions, now: TimestampMs): ProducerStateManager {
    const m = new ProducerStateManager(options);
    for (const r of rows) if (r.producerId >= 0 && r.baseSequence >= 0) m.#record(r);
    m.removeExpired(now);
    return m;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A copy of the producer's entry, if it has one. */
  entry(producerId: number): ProducerEntry | undefined {
    const e = this.#entries.get(producerId);
    return e && { ...e, batches: e.batches.map((b) => ({ ...b })) };
  }

  /** Producer ids, least recently written first. */
  producerIds(): number[] {
    return [...this.#entries.keys()];
  }

  /** Decides an append of `recordCount` records by `producer` before anything is written. */
  check(producer: ProducerIdentity, recordCount: number, now: TimestampMs): Result<SequenceCheck> {
    const { producerId, producerEpoch, baseSequence } = producer;
    const entry = this.#entries.get(producerId);
    if (!entry || this.#expired(entry, now)) return ok({ kind: "append" });
    if (producerEpoch < entry.producerEpoch)
      return fail(
        "INVALID_PRODUCER_EPOCH",
        `producer ${producerId} epoch ${producerEpoch} is older than the current epoch ${entry.producerEpoch}: this producer was fenced`,
      );
    if (producerEpoch > entry.producerEpoch) {
      if (baseSequence !== 0)
        return fail(
          "OUT_OF_ORDER_SEQUENCE_NUMBER",
          `producer ${producerId}: a new epoch ${producerEpoch} must start at sequence 0, got ${baseSequence}`,
        );
      return ok({ kind: "append" });
    }
    const lastSeq = incrementSequence(baseSequence, recordCount - 1);
    const duplicate = entry.batches.find((b) => b.firstSeq === baseSequence && b.lastSeq === lastSeq);
    if (duplicate) return ok({ kind: "duplicate", batch: { ...duplicate } });
    const current = entry.batches.at(-1)?.lastSeq;
    if (current !== undefined && !inSequence(current, baseSequence))
      return fail(
        "OUT_OF_ORDER_SEQUENCE_NUMBER",
        `producer ${producerId} epoch ${producerEpoch}: expected sequence ${incrementSequence(current, 1)}, got ${baseSequence}`,
      );
    return ok({ kind: "append" });
  }

  /** Records a batch the log wrote (after `check` said append). */
  onAppend(row: ProducerBatchRow, now: TimestampMs): void {
    this.#record(row);
    if (now >= this.#nextSweepAt) this.removeExpired(now);
  }

  #record(r: ProducerBatchRow): void {
    const old = this.#entries.get(r.producerId);
    const batches = old && old.producerEpoch === r.producerEpoch ? old.batches : [];
    const batch: ProducerBatchMetadata = {
      firstSeq: r.baseSequence,
      // From the offsets, not the count: the cleaner may have removed records of the batch,
      // and like Kafka's batch header it keeps the base and last offsets (cleaner.ts).
      lastSeq: incrementSequence(r.baseSequence, r.lastOffset - r.baseOffset),
      firstOffset: r.baseOffset,
      lastOffset: r.lastOffset,
      maxTimestamp: r.maxTimestamp,
    };
    // Re-inserted so the map's order stays "least recently written first".
    this.#entries.delete(r.producerId);
    this.#entries.set(r.producerId, {
      producerId: r.producerId,
      producerEpoch: r.producerEpoch,
      batches: [...batches, batch].slice(-PRODUCER_BATCHES_RETAINED),
    });
    if (this.#entries.size > this.#options.maxProducers) {
      const oldest = this.#entries.keys().next().value!;
      this.#entries.delete(oldest);
    }
  }

  #expired(e: ProducerEntry, now: TimestampMs): boolean {
    return now - e.batches.at(-1)!.maxTimestamp >= this.#options.expirationMs;
  }

  /**
   * Forgets producers idle for `expirationMs` or more; returns how many. A full pass, so
   * `onAppend` runs it at most once per tenth of the expiration time (at least once a minute).
   */
  removeExpired(now: TimestampMs): number {
    this.#nextSweepAt = now + Math.min(this.#options.expirationMs / 10, 60_000);
    let removed = 0;
    for (const [id, e] of this.#entries)
      if (this.#expired(e, now)) {
        this.#entries.delete(id);
        removed++;
      }
    return removed;
  }
}
