/**
 * The producer's sender (Kafka's Sender + the idempotent part of its TransactionManager): takes
 * ready batches from the accumulator, gives them sequences, sends them, and decides what each
 * answer means.
 *
 * Invariants (idempotent mode):
 * - A batch gets its producer id, epoch and base sequence when first sent; every retry carries
 *   the same three, so the leader answers a re-sent batch with its original offsets.
 * - Per partition the send window, from the earliest unacknowledged batch to the latest sent,
 *   holds at most `maxInFlight` (≤ 5) batches: answers may arrive out of order, and a written
 *   batch must still be among the 5 a leader remembers when its retry arrives. A partition's
 *   first batch of an epoch goes alone (a leader without our state accepts any sequence, so a
 *   second batch overtaking it would be written first). While a batch waits to be re-sent,
 *   nothing new is sent on its partition and only the earliest unfinished batch is re-sent,
 *   so records land in sequence order.
 * - 45 (OUT_OF_ORDER_SEQUENCE_NUMBER) is retried unless every earlier batch of the partition
 *   had been acknowledged before the refused attempt was sent: only then had the leader seen
 *   them when it refused (HTTP answers can arrive late and out of order, unlike Kafka's ordered
 *   connection, so "acknowledged by the time the answer arrived" is not enough). That 45 is
 *   fatal for the batch and, as in KIP-360, the epoch is bumped and every partition restarts at 0.
 * - A sequenced batch that is given up (timeout, retries, non-retriable error) leaves the
 *   partition unresolved; later batches are re-sent under the old epoch until each is either
 *   acknowledged or refused for certain (45), then the epoch is bumped and the refused ones are
 *   sent again with new sequences. The bump waits until no batch of the old epoch is in play.
 * - 47 (INVALID_PRODUCER_EPOCH: fenced) fails every pending record and the producer for good.
 * Without idempotence batches are sent and retried the same way but carry no producer fields.
 *
 * Runs on one event loop: answers and timers mutate state between awaits, never during one.
 */
import type { FlarelogClient, InitProducerIdBody, RecordOffset } from "./flarelog-client.ts";
import { CODES, FlarelogError } from "./flarelog-error.ts";
import { incrementSequence, type ProducerBatch } from "./producer-batch.ts";
import type { ResolvedProducerConfig } from "./producer-config.ts";
import type { PartitionQueue, RecordAccumulator } from "./record-accumulator.ts";
import type { Outcome, Timers } from "./timers.ts";

interface ProducerIdAnswer {
  producer_id: number;
  producer_epoch: number;
}

export class Sender {
  readonly #client: FlarelogClient;
  readonly #cfg: ResolvedProducerConfig;
  readonly #acc: RecordAccumulator;
  readonly #timers: Timers;
  #producerId = -1;
  #producerEpoch = -1;
  #initializing = false;
  #bumpRequired = false;
  #bumping = false;
  #fatal: FlarelogError | undefined;
  #drainScheduled = false;
  #lingerTimer: unknown;
  #lingerAt = Number.POSITIVE_INFINITY;
  #forced = 0;

  constructor(client: FlarelogClient, cfg: ResolvedProducerConfig, acc: RecordAccumulator, timers: Timers) {
    this.#client = client;
    this.#cfg = cfg;
    this.#acc = acc;
    this.#timers = timers;
  }

  /** The error that made the producer unusable (fenced, or refused a producer id). */
  get fatalError(): FlarelogError | undefined {
    return this.#fatal;
  }

  /** The current producer id and epoch; undefined before the first one arrives or when not idempotent. */
  get producerIdentity(): { producerId: number; producerEpoch: number } | undefined {
    return this.#producerId < 0 ? undefined : { producerId: this.#producerId, producerEpoch: this.#producerEpoch };
  }

  /** Makes every queued batch ready regardless of linger until `unforce` (flush, close). */
  force(): void {
    this.#forced++;
    this.wake();
  }

  unforce(): void {
    this.#forced--;
  }

  /** Runs a drain soon (once per turn of the event loop, however many calls). */
  wake(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #drain(): void {
    if (this.#fatal) return;
    const now = this.#timers.now();
    for (const q of this.#acc.queues()) this.#expire(q, now);
    if (this.#cfg.idempotent && this.#producerId < 0) {
      if (this.#acc.hasPending()) this.#initProducerId();
      return;
    }
    for (const q of this.#acc.queues()) this.#drainPartition(q, now);
    this.#maybeBumpEpoch();
    this.#armLinger(now);
  }

  #drainPartition(q: PartitionQueue, now: number): void {
    const head = q.head();
    if (head?.state === "retry") this.#send(q, head, now);
    if (q.retrying()) return;
    if (this.#cfg.idempotent && (this.#bumpRequired || q.unresolved)) return;
    while (q.sent.length < this.#windowOf(q) && this.#acc.isReady(q, now, this.#forced > 0)) {
      const batch = q.accumulating.shift()!;
      batch.closed = true;
      if (this.#cfg.idempotent) {
        batch.producerId = this.#producerId;
        batch.producerEpoch = this.#producerEpoch;
        batch.baseSequence = q.nextSequence;
        q.nextSequence = incrementSequence(q.nextSequence, batch.recordCount);
      }
      q.sent.push(batch);
      this.#send(q, batch, now);
    }
  }

  /** Batches the partition's window may hold now. */
  #windowOf(q: PartitionQueue): number {
    return this.#cfg.idempotent && q.confirmedEpoch !== this.#producerEpoch ? 1 : this.#cfg.maxInFlight;
  }

  #deadline(b: ProducerBatch): number {
    return b.createdMs + this.#cfg.deliveryTimeoutMs;
  }

  #send(q: PartitionQueue, b: ProducerBatch, now: number): void {
    b.state = "inflight";
    b.attempts++;
    b.sentAsHead = q.sent[0] === b;
    const timeoutMs = Math.max(1, Math.min(this.#cfg.requestTimeoutMs, this.#deadline(b) - now));
    const producer = b.hasSequence
      ? { producer_id: b.producerId, producer_epoch: b.producerEpoch, base_sequence: b.baseSequence }
      : undefined;
    void this.#timers
      .call(timeoutMs, (signal) =>
        this.#client.produce(b.topic, b.records, {
          partition: b.partition,
          acks: this.#cfg.acks,
          timeout_ms: timeoutMs,
          ...(this.#cfg.encoding === "base64" ? { encoding: "base64" as const } : {}),
          ...(producer ? { producer } : {}),
          signal,
        }),
      )
      .then((outcome) => this.#onAnswer(q, b, outcome));
  }

  #onAnswer(q: PartitionQueue, b: ProducerBatch, outcome: Outcome<{ offsets: RecordOffset[] }>): void {
    if (b.state !== "inflight" || this.#fatal) return;
    this.wake();
    const err = outcome.ok ? this.#checkOffsets(b, outcome.body?.offsets ?? []) : outcome.error;
    if (!err) {
      b.complete(outcome.ok ? (outcome.body?.offsets ?? []) : []);
      if (b.hasSequence) q.confirmedEpoch = b.producerEpoch;
      q.shiftDone();
      return;
    }
    if (err.outcomeUnknown) b.maybeWritten = true;
    if (this.#cfg.idempotent) {
      if (err.errorCode === CODES.invalidProducerEpoch) return this.#fail(err);
      if (err.errorCode === CODES.outOfOrderSequence) {
        if (q.unresolved) {
          // Refused for certain; sent again with a new sequence after the epoch bump.
          b.state = "resequence";
          b.maybeWritten = false;
          return;
        }
        if (b.sentAsHead) {
          // Every earlier batch was acknowledged before this attempt left, so the leader had
          // them when it refused: its sequence state differs from ours.
          b.maybeWritten = false;
          return this.#giveUp(q, b, err);
        }
        // An earlier batch was unfinished when this attempt left: the gap may have closed since.
      }
    }
    const retriable = err.retriable || err.outcomeUnknown || err.errorCode === CODES.outOfOrderSequence;
    if (!retriable || b.attempts > this.#cfg.retries) return this.#giveUp(q, b, err);
    if (this.#timers.now() >= this.#deadline(b)) return this.#giveUp(q, b, this.#expired(b, err));
    b.state = "backoff";
    // Never past the deadline: the wake-up at the deadline is what expires the batch.
    const backoffMs = Math.min(
      this.#cfg.retryBackoffMaxMs,
      this.#cfg.retryBackoffMs * 2 ** (b.attempts - 1),
      this.#deadline(b) - this.#timers.now(),
    );
    this.#timers.after(backoffMs, () => {
      if (b.state !== "backoff") return;
      b.state = "retry";
      this.wake();
    });
  }

  /** A 2xx answer must name one offset per record (acks=0 names none). */
  #checkOffsets(b: ProducerBatch, offsets: RecordOffset[]): FlarelogError | undefined {
    if (this.#cfg.acks === "0") return undefined;
    const bad = offsets.length !== b.recordCount ? offsets[0] : offsets.find((o) => o.offset === undefined);
    if (offsets.length === b.recordCount && !bad) return undefined;
    return FlarelogError.fromAnswer(500, {
      error_code: bad?.error_code ?? -1,
      message: `answer names ${offsets.length} offsets for ${b.recordCount} records${bad?.error ? ` (${bad.error})` : ""}`,
    });
  }

  #expired(b: ProducerBatch, last?: FlarelogError): FlarelogError {
    const why = last ? ` (last error: ${last.error}: ${last.message})` : "";
    return FlarelogError.of(
      "REQUEST_TIMED_OUT",
      `Expiring ${b.recordCount} record(s) for ${b.topic}-${b.partition}: ${this.#cfg.deliveryTimeoutMs} ms has passed since batch creation${why}`,
    );
  }

  /** Delivery timeout for batches that are not waiting on an answer. */
  #expire(q: PartitionQueue, now: number): void {
    while (q.accumulating.length > 0 && now >= this.#deadline(q.accumulating[0]!)) {
      const b = q.accumulating.shift()!;
      b.fail(this.#expired(b).withOutcomeUnknown(b.maybeWritten));
    }
    for (const b of [...q.sent]) {
      const waiting = b.state === "backoff" || b.state === "retry" || b.state === "resequence";
      if (waiting && now >= this.#deadline(b)) this.#giveUp(q, b, this.#expired(b));
    }
  }

  /** Fails one batch's records; a sequenced batch leaves a gap that must be resolved. */
  #giveUp(q: PartitionQueue, b: ProducerBatch, err: FlarelogError): void {
    const i = q.sent.indexOf(b);
    const wasLast = i === q.sent.length - 1;
    if (i >= 0) q.sent.splice(i, 1);
    q.shiftDone();
    b.fail(err.withOutcomeUnknown(b.maybeWritten));
    if (this.#cfg.idempotent && b.hasSequence) {
      if (!b.maybeWritten && wasLast && !q.unresolved && err.errorCode !== CODES.outOfOrderSequence) {
        // Refused for certain and nothing sent after it: its sequences can simply be reused.
        q.nextSequence = b.baseSequence;
      } else {
        q.unresolved = true;
        this.#bumpRequired = true;
      }
    }
    this.wake();
  }

  /** Fatal: every pending record fails with `err`, and so does every later send. */
  #fail(err: FlarelogError): void {
    this.#fatal = err;
    for (const q of this.#acc.queues()) {
      for (const b of [...q.sent, ...q.accumulating]) {
        if (b.state !== "done") b.fail(err.withOutcomeUnknown(b.maybeWritten || b.state === "inflight"));
      }
      q.sent.length = 0;
      q.accumulating.length = 0;
    }
    this.#timers.clear();
  }

  #initProducerId(): void {
    if (this.#initializing) return;
    this.#initializing = true;
    const body: InitProducerIdBody = this.#cfg.transactionalId === undefined ? {} : { transactional_id: this.#cfg.transactionalId };
    void this.#producerIdCall(body).then((id) => {
      this.#initializing = false;
      if (!id) return;
      this.#producerId = id.producer_id;
      this.#producerEpoch = id.producer_epoch;
      this.wake();
    });
  }

  /** KIP-360: once no batch of the current epoch is in play, bump it and restart every partition at 0. */
  #maybeBumpEpoch(): void {
    if (!this.#bumpRequired || this.#bumping || this.#fatal) return;
    for (const q of this.#acc.queues()) if (q.sent.some((b) => b.state !== "resequence" && b.state !== "done")) return;
    this.#bumping = true;
    void this.#producerIdCall({ producer_id: this.#producerId, producer_epoch: this.#producerEpoch }).then((id) => {
      this.#bumping = false;
      if (!id || this.#fatal) return;
      this.#producerId = id.producer_id;
      this.#producerEpoch = id.producer_epoch;
      this.#bumpRequired = false;
      for (const q of this.#acc.queues()) {
        q.nextSequence = 0;
        q.unresolved = false;
        const again = q.sent.splice(0).filter((b) => b.state === "resequence");
        for (const b of again) {
          b.clearSequence();
          b.closed = true;
        }
        q.accumulating.unshift(...again);
      }
      this.wake();
    });
  }

  /**
   * POST /v1/producers, retried while the answer is retriable and records wait; a refusal
   * (e.g. 47 fenced, 59 unknown id, 401) is fatal. Undefined when it stopped without an id.
   */
  async #producerIdCall(body: InitProducerIdBody): Promise<ProducerIdAnswer | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.#fatal || !this.#acc.hasPending()) return undefined;
      const outcome = await this.#timers.call(this.#cfg.requestTimeoutMs, (signal) => this.#client.initProducerId(body, { signal }));
      if (outcome.ok) return outcome.body as ProducerIdAnswer;
      if (!outcome.error.retriable && !outcome.error.outcomeUnknown) {
        this.#fail(outcome.error);
        return undefined;
      }
      await this.#timers.sleep(Math.min(this.#cfg.retryBackoffMaxMs, this.#cfg.retryBackoffMs * 2 ** (attempt - 1)));
      this.wake();
    }
  }

  /** One timer for the earliest batch that is waiting only for its linger time. */
  #armLinger(now: number): void {
    let at = Number.POSITIVE_INFINITY;
    for (const q of this.#acc.queues()) {
      if (q.retrying() || q.sent.length >= this.#windowOf(q)) continue;
      at = Math.min(at, this.#acc.lingerDeadline(q, now) ?? Number.POSITIVE_INFINITY);
    }
    if (at === Number.POSITIVE_INFINITY || at >= this.#lingerAt) return;
    this.#timers.cancel(this.#lingerTimer);
    this.#lingerAt = at;
    this.#lingerTimer = this.#timers.after(at - now, () => {
      this.#lingerTimer = undefined;
      this.#lingerAt = Number.POSITIVE_INFINITY;
      this.wake();
    });
  }

  /** Stops every timer (after close, when nothing is pending). */
  stop(): void {
    this.#timers.clear();
    this.#lingerTimer = undefined;
    this.#lingerAt = Number.POSITIVE_INFINITY;
  }
}
