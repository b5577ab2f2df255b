/**
 * The chaos producers: sequential senders of unique values "<process>-<n>", one request in flight
 * each, the partition and batch size of every send drawn from the seed. Three modes (issue 5):
 * - plain: every send once, whatever its outcome (issue 4's producer);
 * - retries: a send whose outcome is unknown (`info`) is re-sent with the same values until one
 *   attempt is definite (ok or fail) — without idempotence a re-send of a write that did happen
 *   writes it twice, which the checker must see as duplicates;
 * - idempotent: `POST /v1/producers` once for an id and epoch, a sequence per partition, and the
 *   idempotent body; a re-send carries the same sequence, so the leader answers a write it already
 *   has with its original offsets instead of writing it again.
 *
 * Idempotent sequence rules (Kafka's producer): record i of a batch has sequence base + i (wrapping
 * at 2^31 - 1 to 0); the next batch on a partition starts at last + 1 only once this one is known
 * written (ok, or 46 DUPLICATE_SEQUENCE_NUMBER); a batch refused before any attempt could have
 * written it keeps its sequence for the next batch. When the producer can no longer know its
 * sequence — 45 OUT_OF_ORDER_SEQUENCE_NUMBER, 47 INVALID_PRODUCER_EPOCH, 59 UNKNOWN_PRODUCER_ID, a
 * non-retriable refusal after an unknown attempt, or an unknown outcome it will not re-send — it
 * gives the batch up and re-initialises: the same id with a bumped epoch (`{"producer_id",
 * "producer_epoch"}`), or a new id if the bump is refused; every partition starts again at 0. A
 * refusal that is retriable (19, 5, 9, 3, 74, 75) after an unknown attempt is re-sent: the batch
 * may be in the log, and only the same sequence can find out.
 *
 * Bounds: re-sends go on while the workload runs and for `settleMs` after it stops, and never more
 * than MAX_ATTEMPTS per batch. Concurrency: one request in flight per producer; the history op of
 * an attempt is recorded as soon as it completes. Node 24 type stripping: erasable TypeScript only.
 */
import type { InitOp, ProducerIdentity, SendOp } from "./history.ts";
import { Prng } from "../test/support/prng.ts";
import { call, classify, DEFINITE_FAILURE_CODES, realTimer, send, type Stopper, type Timer, type WorkloadConfig } from "./workload.ts";

/** Kafka's DefaultRecordBatch.incrementSequence: sequences wrap at 2^31 - 1 back to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  const max = 2 ** 31 - 1;
  return sequence > max - increment ? increment - (max - sequence) - 1 : sequence + increment;
}

/** Answers after which the producer's sequence or epoch is no longer what the leader expects. */
const RESET_CODES: ReadonlySet<number> = new Set([45, 47, 59]);
/** DUPLICATE_SEQUENCE_NUMBER: the batch is already in the log (offsets not given). */
const DUPLICATE_SEQUENCE = 46;
const MAX_ATTEMPTS = 10_000;
/** Pause after a request that got no answer at all (server down, connection refused or reset). */
const NO_ANSWER_PAUSE_MS = 250;

export class ChaosProducer {
  readonly process: string;
  /** Re-initialisations after the first (the report counts them from the history). */
  resets = 0;
  readonly #cfg: WorkloadConfig;
  readonly #stop: Stopper;
  readonly #out: (op: SendOp | InitOp) => void;
  readonly #timer: Timer;
  readonly #prng: Prng;
  #identity: { id: number; epoch: number } | null = null;
  /** Idempotent: the next batch's base sequence per partition (absent: 0). */
  readonly #sequence = new Map<number, number>();
  #stoppedAt: number | null = null;
  /** Idempotent: set when an initialisation never succeeded (nothing more is sent). */
  #gaveUp = false;

  constructor(cfg: WorkloadConfig, index: number, stop: Stopper, out: (op: SendOp | InitOp) => void) {
    this.process = `producer-${index}`;
    this.#cfg = cfg;
    this.#stop = stop;
    this.#out = out;
    this.#timer = cfg.timer ?? realTimer;
    this.#prng = new Prng(cfg.seed * 1000 + 17 + index);
  }

  /** Sends until the workload stops (then settles its last batch, bounded). */
  async run(): Promise<void> {
    let n = 0;
    for (let iteration = 0; !this.#stop.stopped && iteration < 1_000_000; iteration++) {
      // The draws, in this order, are issue 4's: a seed replays the same partitions and sizes.
      const partition = this.#prng.int(0, this.#cfg.partitions - 1);
      const count = this.#prng.int(1, this.#cfg.maxRecordsPerSend);
      const values = Array.from({ length: count }, () => `${this.process}-${n++}`);
      const gap = this.#cfg.minSendIntervalMs + this.#prng.int(0, this.#cfg.minSendIntervalMs);
      await this.deliver(partition, values, gap);
    }
  }

  /** One batch: sent, and re-sent while the mode says so; each attempt is one history op. */
  async deliver(partition: number, values: string[], gap: number): Promise<void> {
    if (this.#cfg.idempotent && this.#identity === null && (this.#gaveUp || !(await this.#init(false)))) return;
    const identity = this.#identity;
    let unknown = false;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const started = this.#timer.now();
      const producer: ProducerIdentity | undefined =
        identity === null ? undefined : { id: identity.id, epoch: identity.epoch, baseSequence: this.#sequence.get(partition) ?? 0 };
      const op = await send(this.#cfg, this.process, partition, values, attempt, producer);
      this.#out(op);
      await this.#pace(op.error?.status === 0 ? Math.max(gap, NO_ANSWER_PAUSE_MS) : gap, started);
      const code = op.error?.code ?? -1;
      const canRetry = this.#cfg.retries && attempt < MAX_ATTEMPTS && !this.#settled();
      if (producer === undefined) {
        // Plain or retrying without idempotence: only an unknown outcome is re-sent.
        if (op.outcome === "info" && canRetry) continue;
        return;
      }
      if (op.outcome === "ok" || code === DUPLICATE_SEQUENCE) {
        this.#sequence.set(partition, incrementSequence(producer.baseSequence, values.length));
        return;
      }
      if (RESET_CODES.has(code)) return this.#reset(`${code} ${op.error?.name} on p${partition}`);
      if (op.outcome === "fail") {
        // Nothing of this batch was ever written: its sequence is the next batch's.
        if (!unknown) return;
        if (DEFINITE_FAILURE_CODES.has(code) && canRetry) continue;
        return this.#reset(`${code} ${op.error?.name} on p${partition} after an unknown attempt`);
      }
      unknown = true;
      if (canRetry) continue;
      // Given up unknown: the batch may be in the log or not, so no sequence is safe any more.
      if (!this.#stop.stopped) return this.#reset(`unknown outcome on p${partition} not re-sent`);
      return;
    }
  }

  async #reset(reason: string): Promise<void> {
    this.resets++;
    await this.#init(true, reason);
  }

  /**
   * `POST /v1/producers`: `{}` for the first identity; on a reset the current id and epoch to bump
   * it, or `{}` again once a bump is refused (e.g. an earlier bump whose answer was lost already
   * moved the epoch). Re-sent while unanswered; false when it never succeeded before the deadline.
   */
  async #init(reset: boolean, reason?: string): Promise<boolean> {
    let from = reset && this.#identity !== null ? { ...this.#identity } : undefined;
    this.#identity = null;
    this.#sequence.clear();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const started = this.#timer.now();
      const invokeMs = this.#cfg.now();
      const body = from === undefined ? {} : { producer_id: from.id, producer_epoch: from.epoch };
      const r = await (this.#cfg.call ?? call)(`${this.#cfg.base}/v1/producers`, this.#cfg.token, "POST", this.#cfg.requestTimeoutMs, body);
      const op: InitOp = { type: "init", process: this.process, invokeMs, completeMs: this.#cfg.now(), outcome: "info", reset, attempt };
      if (reason !== undefined) op.reason = reason;
      if (from !== undefined) op.from = from;
      const b = r.json as { producer_id?: unknown; producer_epoch?: unknown } | null;
      if (r.error !== undefined) {
        op.outcome = classify(r.status, r.error.code);
        op.error = r.error;
      } else if (typeof b?.producer_id === "number" && typeof b.producer_epoch === "number") {
        op.outcome = "ok";
        op.id = b.producer_id;
        op.epoch = b.producer_epoch;
      } else op.error = { code: -1, name: "MALFORMED_2XX", status: r.status };
      this.#out(op);
      if (op.outcome === "ok") {
        this.#identity = { id: op.id!, epoch: op.epoch! };
        return true;
      }
      if (op.outcome === "fail") from = undefined;
      await this.#pace(NO_ANSWER_PAUSE_MS, started);
      if (this.#settled()) break;
    }
    this.#gaveUp = true;
    return false;
  }

  /** True once the workload has stopped and the settle time after it has passed. */
  #settled(): boolean {
    if (!this.#stop.stopped) return false;
    this.#stoppedAt ??= this.#timer.now();
    return this.#timer.now() - this.#stoppedAt >= this.#cfg.settleMs;
  }

  /** Waits until `ms` after `started` (the bounded rate: ≤ 1000/minSendIntervalMs requests/s). */
  async #pace(ms: number, started: number): Promise<void> {
    const wait = ms - (this.#timer.now() - started);
    if (wait > 0) await this.#timer.pause(wait);
  }
}

/** One producer for the run (see ChaosProducer). */
export async function runProducer(cfg: WorkloadConfig, index: number, stop: Stopper, out: (op: SendOp | InitOp) => void): Promise<ChaosProducer> {
  const producer = new ChaosProducer(cfg, index, stop, out);
  await producer.run();
  return producer;
}
