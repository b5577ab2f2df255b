/**
 * The client's one throwable: a Kafka error as the server's error body states it (code, name,
 * retriable), plus what only the client knows: whether the request may have taken effect.
 *
 * Invariant: `retriable` comes from the protocol's error table (src/protocol/errors.ts) by
 * numeric code, never from message text; the codes are Kafka's. Errors the client raises on
 * its own (a lost connection, a request timeout, a closed producer) use the same shape.
 * Used by the producer, the consumer and callers of `FlarelogClient`.
 */
import { ERRORS, type ErrorName, type ErrorSpec } from "../protocol/errors.ts";

const BY_CODE = new Map<number, [ErrorName, ErrorSpec]>(
  (Object.entries(ERRORS) as [ErrorName, ErrorSpec][]).map(([name, spec]) => [spec.code, [name, spec]]),
);

/** Names of errors raised by the client itself that have no Kafka code. */
export type ClientErrorName = "PRODUCER_CLOSED";

export class FlarelogError extends Error {
  override readonly name: string = "FlarelogError";
  readonly errorCode: number;
  readonly error: ErrorName | ClientErrorName;
  readonly retriable: boolean;
  /** True when the failed request may still have been applied (lost answer, timeout, 5xx). */
  readonly outcomeUnknown: boolean;
  /** HTTP status of the answer; absent when no answer arrived. */
  readonly status?: number;

  // Plain fields, no parameter properties: Node's type stripping (npm run bench/chaos) loads this file.
  constructor(errorCode: number, error: ErrorName | ClientErrorName, message: string, retriable: boolean, outcomeUnknown = false, status?: number) {
    super(message);
    this.errorCode = errorCode;
    this.error = error;
    this.retriable = retriable;
    this.outcomeUnknown = outcomeUnknown;
    if (status !== undefined) this.status = status;
  }

  /** An error from the table by name, e.g. `FlarelogError.of("REQUEST_TIMED_OUT", "...")`. */
  static of(name: ErrorName, message: string, outcomeUnknown = false): FlarelogError {
    const spec = ERRORS[name];
    return new FlarelogError(spec.code, name, message, spec.retriable, outcomeUnknown);
  }

  /**
   * The error of a non-2xx answer. The code decides retriability through the table; an answer
   * without a usable body (a proxy's 502 page) is retriable when it is a 5xx. A 4xx answer is
   * definitive (the server refused the request), a 5xx leaves the outcome unknown.
   */
  static fromAnswer(status: number, body: unknown): FlarelogError {
    const outcomeUnknown = status >= 500;
    const code = typeof body === "object" && body !== null ? (body as { error_code?: unknown }).error_code : undefined;
    const known = typeof code === "number" ? BY_CODE.get(code) : undefined;
    const message = (body as { message?: unknown } | null)?.message;
    const text = typeof message === "string" ? message : `HTTP ${status}`;
    if (known) return new FlarelogError(known[1].code, known[0], text, known[1].retriable, outcomeUnknown, status);
    return status >= 500
      ? new FlarelogError(ERRORS.NETWORK_EXCEPTION.code, "NETWORK_EXCEPTION", text, true, true, status)
      : new FlarelogError(ERRORS.UNKNOWN_SERVER_ERROR.code, "UNKNOWN_SERVER_ERROR", text, false, false, status);
  }

  /** No answer: the connection failed or the answer was unreadable; the request may have run. */
  static network(cause: unknown): FlarelogError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return FlarelogError.of("NETWORK_EXCEPTION", `no answer: ${detail}`, true);
  }

  static closed(what: string): FlarelogError {
    return new FlarelogError(ERRORS.UNKNOWN_SERVER_ERROR.code, "PRODUCER_CLOSED", `${what} is closed`, false);
  }

  /** The same error with `outcomeUnknown` set as given. */
  withOutcomeUnknown(outcomeUnknown: boolean): FlarelogError {
    if (outcomeUnknown === this.outcomeUnknown) return this;
    return new FlarelogError(this.errorCode, this.error, this.message, this.retriable, outcomeUnknown, this.status);
  }
}

/** Codes the producer acts on by number; taken from the table so they cannot drift. */
export const CODES = {
  outOfOrderSequence: ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER.code,
  invalidProducerEpoch: ERRORS.INVALID_PRODUCER_EPOCH.code,
  offsetOutOfRange: ERRORS.OFFSET_OUT_OF_RANGE.code,
} as const;
