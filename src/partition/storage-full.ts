/**
 * A replica's storage is full: SQLite's SQLITE_FULL, which workerd raises from `sql.exec` as an
 * Error whose message ends in the result code's name ("database or disk is full: SQLITE_FULL",
 * the format workerd gives every SQLite error, e.g. "not authorized: SQLITE_AUTH"), and which a
 * Durable Object hits at its per-object storage limit. It carries no `.retryable`/`.overloaded`
 * flag, so the result code in the message is the only signal.
 *
 * Answered as Kafka does a failed log directory: KAFKA_STORAGE_ERROR (56, retriable, 503). The
 * write it interrupted is rolled back whole (every log write runs in one transaction, and the
 * in-memory state changes only after it commits), so nothing is half-written and the same
 * request can succeed once space returns. Who calls: PartitionReplica's produce and replicate.
 */
import { fail, type Result } from "../protocol/errors.ts";

export function isStorageFull(e: unknown): boolean {
  return e instanceof Error && /\bSQLITE_FULL\b/.test(e.message);
}

/** `write()`, or KAFKA_STORAGE_ERROR if the storage was full; any other throw goes on up. */
export function unlessStorageFull<T>(what: string, write: () => Result<T>): Result<T> {
  try {
    return write();
  } catch (e) {
    if (!isStorageFull(e)) throw e;
    return fail("KAFKA_STORAGE_ERROR", `${what}: the replica's storage is full (${(e as Error).message}); nothing was written`);
  }
}
