/**
 * Value types of the producer: a record as it travels, the batch of one partition, the handle
 * of one `send()` call, the size estimate that closes batches, and Kafka's sequence rule.
 *
 * Invariants: a batch's records are in append order and its estimated size stays within the
 * limit it was filled to (a single larger record gets a batch of its own); once a batch has a
 * sequence, producer id and epoch, every retry carries the same three; a send handle settles
 * once, after every one of its records has settled. Single-threaded (one event loop).
 */
import { FlarelogError } from "./flarelog-error.ts";

/** One record as the producer sends it (the contract's JSON record, timestamp stamped at send). */
export interface WireRecord {
  key: string | null;
  value: string | null;
  headers?: Record<string, string | null>;
  timestamp: number;
}

/** Where one acknowledged record was written (Kafka's RecordMetadata); offset -1 with acks=0. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/**
 * A rejected send: the first failure's code, name and flags, plus the outcome of every record
 * of the call, in order (some may have been written).
 */
export class SendError extends FlarelogError {
  override readonly name: string = "SendError";
  readonly results: readonly (RecordMetadata | FlarelogError)[];
  constructor(first: FlarelogError, results: readonly (RecordMetadata | FlarelogError)[]) {
    super(first.errorCode, first.error, first.message, first.retriable, first.outcomeUnknown, first.status);
    this.results = results;
  }
}

/** Kafka's largest sequence; the next one after it is 0 (DefaultRecordBatch.incrementSequence). */
export const MAX_SEQUENCE = 0x7fffffff;

/** `sequence + increment`, wrapping from 2^31-1 to 0 as Kafka's brokers and clients do. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > MAX_SEQUENCE - increment) return increment - (MAX_SEQUENCE - sequence) - 1;
  return sequence + increment;
}

/** Bytes of `s` in UTF-8, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

function base64Length(s: string): number {
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return Math.floor((s.length * 3) / 4) - pad;
}

/** Upper bound of the stored batch header (src/codec/record-batch.ts: version + two varints). */
export const BATCH_OVERHEAD_BYTES = 17;
/** Upper bound of one record's framing in the stored format (length, deltas, two length prefixes, header count). */
export const RECORD_OVERHEAD_BYTES = 25;
/** Upper bound of one header's framing (key length, value length). */
export const HEADER_OVERHEAD_BYTES = 8;

/**
 * The estimated stored size of a record: its bytes plus framing upper bounds. The estimate is
 * never below what the server's codec stores, so a batch estimated within one stored batch fits.
 */
export function estimateRecordSize(r: Omit<WireRecord, "timestamp">, encoding: "utf8" | "base64"): number {
  const len = encoding === "base64" ? base64Length : utf8Length;
  let n = RECORD_OVERHEAD_BYTES + (r.key === null ? 0 : len(r.key)) + (r.value === null ? 0 : len(r.value));
  for (const [k, v] of Object.entries(r.headers ?? {})) n += HEADER_OVERHEAD_BYTES + utf8Length(k) + (v === null ? 0 : len(v));
  return n;
}

/** The promise of one `send()` call, settled when each of its records has an outcome. */
export class SendHandle {
  readonly promise: Promise<RecordMetadata[]>;
  /** Resolves (never rejects) when the handle settles; what `flush()` waits on. */
  readonly settled: Promise<void>;
  readonly #results: (RecordMetadata | FlarelogError | undefined)[];
  #remaining: number;
  #firstError: FlarelogError | undefined;
  #resolve!: (v: RecordMetadata[]) => void;
  #reject!: (e: SendError) => void;
  #markSettled!: () => void;

  constructor(count: number) {
    this.#results = new Array(count).fill(undefined);
    this.#remaining = count;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.settled = new Promise((resolve) => (this.#markSettled = resolve));
    if (count === 0) this.#finish();
  }

  get isSettled(): boolean {
    return this.#remaining === 0;
  }

  settle(index: number, result: RecordMetadata | FlarelogError): void {
    if (this.#results[index] !== undefined) return;
    this.#results[index] = result;
    if (result instanceof FlarelogError && this.#firstError === undefined) this.#firstError = result;
    if (--this.#remaining === 0) this.#finish();
  }

  /** Fails every record without an outcome yet (a send that never reached a batch). */
  failAll(err: FlarelogError): void {
    for (let i = 0; i < this.#results.length; i++) if (this.#results[i] === undefined) this.settle(i, err);
  }

  #finish(): void {
    const results = this.#results as (RecordMetadata | FlarelogError)[];
    if (this.#firstError) this.#reject(new SendError(this.#firstError, results));
    else this.#resolve(results as RecordMetadata[]);
    this.#markSettled();
  }
}

/**
 * queued: waiting in the accumulator (never sent, or sent and refused, awaiting a new sequence);
 * inflight: one attempt outstanding; backoff: waiting before a retry; retry: may be re-sent;
 * resequence: refused for certain (45 after a given-up batch), waiting for the epoch bump;
 * done: acknowledged or failed.
 */
export type BatchState = "queued" | "inflight" | "backoff" | "retry" | "resequence" | "done";

export class ProducerBatch {
  readonly records: WireRecord[] = [];
  readonly #owners: { handle: SendHandle; index: number }[] = [];
  sizeBytes = BATCH_OVERHEAD_BYTES;
  /** Closed to appends (full, or handed to the sender). */
  closed = false;
  state: BatchState = "queued";
  /** Set when first sent and kept across retries; -1 when not idempotent or not yet sent. */
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  attempts = 0;
  /** Some attempt ended without a definitive answer, so the records may have been written. */
  maybeWritten = false;
  /** The current attempt left when every earlier batch of the partition was acknowledged. */
  sentAsHead = false;

  readonly topic: string;
  readonly partition: number;
  readonly createdMs: number;
  constructor(topic: string, partition: number, createdMs: number) {
    this.topic = topic;
    this.partition = partition;
    this.createdMs = createdMs;
  }

  get recordCount(): number {
    return this.records.length;
  }

  get hasSequence(): boolean {
    return this.baseSequence >= 0;
  }

  /** Whether a record of `size` fits: the batch is open and stays within both limits (an empty batch takes any record). */
  fits(size: number, maxBytes: number, maxRecords: number): boolean {
    if (this.closed || this.state !== "queued") return false;
    return this.records.length === 0 || (this.sizeBytes + size <= maxBytes && this.records.length < maxRecords);
  }

  /** Appends if the record fits (see `fits`). */
  tryAppend(record: WireRecord, size: number, owner: SendHandle, index: number, maxBytes: number, maxRecords: number): boolean {
    if (!this.fits(size, maxBytes, maxRecords)) return false;
    this.records.push(record);
    this.#owners.push({ handle: owner, index });
    this.sizeBytes += size;
    return true;
  }

  /** Forgets the sequence so the batch is sent again under a new epoch (KIP-360 reset). */
  clearSequence(): void {
    this.producerId = -1;
    this.producerEpoch = -1;
    this.baseSequence = -1;
    this.state = "queued";
  }

  complete(offsets: readonly { offset?: number; timestamp?: number }[]): void {
    this.state = "done";
    this.#owners.forEach(({ handle, index }, i) => {
      const o = offsets[i];
      handle.settle(index, {
        topic: this.topic,
        partition: this.partition,
        offset: o?.offset ?? -1,
        timestamp: o?.timestamp ?? this.records[i]!.timestamp,
      });
    });
  }

  fail(err: FlarelogError): void {
    this.state = "done";
    for (const { handle, index } of this.#owners) handle.settle(index, err);
  }
}
