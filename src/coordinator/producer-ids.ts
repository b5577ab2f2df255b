/**
 * Producer ids for idempotent producers (Kafka's InitProducerId): the coordinator hands out
 * `producer_id` + `producer_epoch`; partition leaders then fence and deduplicate by them.
 *
 * Rules (Kafka's TransactionCoordinator.handleInitProducerId, without transactions):
 * - no identity given → a fresh id at epoch 0;
 * - `transactionalId` → the id mapped to it with its epoch + 1 (fencing every older epoch on the
 *   partitions it writes to next), or a fresh id at epoch 0 the first time;
 * - `producerId` + `producerEpoch` (KIP-360, after a fatal sequence error) → the same id at
 *   epoch + 1, only if that epoch is the current one (INVALID_PRODUCER_EPOCH otherwise, an
 *   unknown or expired id is UNKNOWN_PRODUCER_ID); with a `transactionalId` they must match it.
 *   A retry of that bump (its answer was lost: the epoch given is the one the last bump came
 *   from) gets the same answer again, as Kafka's lastProducerEpoch; a re-init by transactional
 *   id clears it, so a fenced zombie can never bump itself back in;
 * - an epoch at 32767 is exhausted: the producer moves to a fresh id at epoch 0;
 * - ids come from a counter that only grows, so an id is never handed out twice;
 * - a producer not re-initialised for `expirationMs` (transactional.id.expiration.ms) is
 *   forgotten: its row is deleted (a bounded number per call), its id is never reused.
 * Runs inside ClusterCoordinatorDO over its SQLite: synchronous, each call one transaction.
 */
import type { SqlPort } from "../storage/sql-port.ts";
import { MAX_PRODUCER_EPOCH } from "../log/producer-state.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { Clock } from "../protocol/types.ts";

export const FIRST_PRODUCER_ID = 1000;
/** Expired rows deleted per init call, so the clean-up never makes one call slow. */
const EXPIRED_PER_CALL = 100;
export const TRANSACTIONAL_ID_MAX_LENGTH = 249;

export interface InitProducerRequest {
  transactionalId?: string;
  producerId?: number;
  producerEpoch?: number;
}

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

interface ProducerRow {
  producerId: number;
  producerEpoch: number;
  previousEpoch: number;
  transactionalId: string | null;
  updatedAt: number;
}

export class ProducerIds {
  constructor(
    private readonly sql: SqlPort,
    private readonly clock: Clock,
    private readonly expirationMs: number,
  ) {}

  init(req: InitProducerRequest): Result<ProducerIdAndEpoch> {
    const invalid = this.#validate(req);
    if (invalid) return invalid;
    return this.sql.transaction(() => {
      const now = this.clock.now();
      this.#deleteExpired(now);
      const byTxn = req.transactionalId !== undefined ? this.#find("transactional_id", req.transactionalId) : null;
      if (req.producerId !== undefined) {
        const row = this.#find("producer_id", req.producerId);
        if (!row) return fail("UNKNOWN_PRODUCER_ID", `producer id ${req.producerId} is unknown or expired; initialise a new producer`);
        if (req.transactionalId !== undefined && row.transactionalId !== req.transactionalId)
          return fail("INVALID_PRODUCER_EPOCH", `producer id ${req.producerId} does not belong to transactional id "${req.transactionalId}"`);
        if (row.producerEpoch !== req.producerEpoch && row.previousEpoch === req.producerEpoch)
          return ok({ producerId: row.producerId, producerEpoch: row.producerEpoch });
        if (row.producerEpoch !== req.producerEpoch)
          return fail(
            "INVALID_PRODUCER_EPOCH",
            `producer ${req.producerId} is at epoch ${row.producerEpoch}, not ${req.producerEpoch}: this producer was fenced`,
          );
        return ok(this.#bump(row, now, row.producerEpoch));
      }
      if (byTxn) return ok(this.#bump(byTxn, now, -1));
      return ok(this.#fresh(req.transactionalId ?? null, now));
    });
  }

  #validate(req: InitProducerRequest): Result<never> | null {
    const t = req.transactionalId;
    if (t !== undefined && (typeof t !== "string" || t.length === 0 || t.length > TRANSACTIONAL_ID_MAX_LENGTH))
      return fail("INVALID_REQUEST", `transactional_id must be a string of 1 to ${TRANSACTIONAL_ID_MAX_LENGTH} characters`);
    if ((req.producerId === undefined) !== (req.producerEpoch === undefined))
      return fail("INVALID_REQUEST", "producer_id and producer_epoch go together (they name the producer whose epoch to bump)");
    if (req.producerId !== undefined && !(Number.isSafeInteger(req.producerId) && req.producerId >= 0))
      return fail("INVALID_REQUEST", `producer_id must be a non-negative integer, got ${req.producerId}`);
    const e = req.producerEpoch;
    if (e !== undefined && !(Number.isInteger(e) && e >= 0 && e <= MAX_PRODUCER_EPOCH))
      return fail("INVALID_REQUEST", `producer_epoch must be an integer in [0, ${MAX_PRODUCER_EPOCH}], got ${e}`);
    return null;
  }

  #find(column: "producer_id" | "transactional_id", value: string | number): ProducerRow | null {
    const [row] = this.sql.exec<ProducerRow>(
      `SELECT producer_id AS producerId, producer_epoch AS producerEpoch, previous_epoch AS previousEpoch,
        transactional_id AS transactionalId,
        updated_at AS updatedAt FROM producers WHERE ${column} = ?`,
      value,
    );
    return row ?? null;
  }

  /**
   * The next epoch of `row`'s producer, or a fresh id when its epochs are exhausted;
   * `previousEpoch` is what a retry of this bump may name (-1: none).
   */
  #bump(row: ProducerRow, now: number, previousEpoch: number): ProducerIdAndEpoch {
    if (row.producerEpoch >= MAX_PRODUCER_EPOCH) {
      this.sql.exec("DELETE FROM producers WHERE producer_id = ?", row.producerId);
      return this.#fresh(row.transactionalId, now);
    }
    const producerEpoch = row.producerEpoch + 1;
    this.sql.exec(
      "UPDATE producers SET producer_epoch = ?, previous_epoch = ?, updated_at = ? WHERE producer_id = ?",
      producerEpoch,
      previousEpoch,
      now,
      row.producerId,
    );
    return { producerId: row.producerId, producerEpoch };
  }

  #fresh(transactionalId: string | null, now: number): ProducerIdAndEpoch {
    const [counter] = this.sql.exec<{ next: number }>("SELECT next_producer_id AS next FROM producer_id_counter WHERE id = 1");
    const producerId = counter?.next ?? FIRST_PRODUCER_ID;
    this.sql.exec(
      `INSERT INTO producer_id_counter (id, next_producer_id) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET next_producer_id = excluded.next_producer_id`,
      producerId + 1,
    );
    this.sql.exec(
      "INSERT INTO producers (producer_id, producer_epoch, transactional_id, updated_at) VALUES (?, 0, ?, ?)",
      producerId,
      transactionalId,
      now,
    );
    return { producerId, producerEpoch: 0 };
  }

  #deleteExpired(now: number): void {
    this.sql.exec(
      `DELETE FROM producers WHERE producer_id IN
        (SELECT producer_id FROM producers WHERE updated_at <= ? ORDER BY updated_at LIMIT ?)`,
      now - this.expirationMs,
      EXPIRED_PER_CALL,
    );
  }
}
