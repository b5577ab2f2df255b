/**
 * How a service stops early: `must` takes the value of a `Result` or stops the operation with
 * its error, `stop` stops it with a new one, and `settle` turns the run of an operation into a
 * `Result` again at the service's boundary. So a service reads top to bottom like the
 * routes did, and every front door still gets a `Result` (never a throw) for a Kafka error.
 *
 * `Stopped` lives inside one isolate only; it never crosses RPC. Anything else thrown is a bug
 * or an infrastructure failure and propagates as it is.
 */
import { kafkaError, type ErrorName, type KafkaError, type Result } from "../protocol/errors.ts";
import { classifyRuntimeError } from "../storage/runtime-errors.ts";

export class Stopped extends Error {
  constructor(readonly kafka: KafkaError) {
    super(kafka.message);
  }
}

/** Stops the operation with a Kafka error. */
export function stop(name: ErrorName, message: string): never {
  throw new Stopped(kafkaError(name, message));
}

/** The value of a result, or stops the operation with its error. */
export function must<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw new Stopped(r.err);
}

/** Runs an operation written with `must`/`stop` and answers its `Result`. */
export async function settle<T>(run: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    if (e instanceof Stopped) return { ok: false, err: e.kafka };
    throw e;
  }
}

/** `settle` for a synchronous step. */
export function settleSync<T>(run: () => T): Result<T> {
  try {
    return { ok: true, value: run() };
  } catch (e) {
    if (e instanceof Stopped) return { ok: false, err: e.kafka };
    throw e;
  }
}

/** Any error a front door caught as a Kafka error: a stop's own, else an infrastructure failure classified by its flags. */
export function asKafkaError(e: unknown): KafkaError {
  return e instanceof Stopped ? e.kafka : classifyRuntimeError(e);
}
