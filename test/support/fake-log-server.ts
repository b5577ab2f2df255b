/**
 * An in-memory fake of the Flarelog HTTP API for client tests: a `fetch` function serving
 * topic describe, partition-level produce (plain and idempotent), fetch, list offsets and
 * `POST /v1/producers`, with injectable faults per produce request.
 *
 * The idempotent rules are the broker's (Kafka's ProducerStateManager), written here on their
 * own so the client is checked against an independent oracle: per partition and producer the
 * leader keeps the epoch, the last sequence and the last 5 batches; a retry of one of them
 * answers its original offsets; a gap or an older retry → 45; an older epoch → 47; a newer
 * epoch must start at 0; without state any sequence is accepted. Sequences wrap at 2^31-1.
 *
 * Faults, decided when a request arrives: `fail` answers an error without applying; `drop`
 * applies and loses the answer (the fetch rejects); `stall` applies and keeps the answer until
 * `releaseStalled` (a slow answer, possibly after the client gave up); `hang` neither applies
 * nor answers (only an abort ends it); `reply` answers a given body. With `hold` on, produce
 * requests wait until `releaseHeld` lets them arrive, in an order the test picks (reordering).
 * No timers.
 */
import type { FetchFn } from "../../src/client/flarelog-client.ts";
import { ERRORS, errorBody, kafkaError, type ErrorName } from "../../src/protocol/errors.ts";
import type { Prng } from "./prng.ts";

export interface StoredRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
}

export interface ProduceCall {
  /** Position among all produce requests (0-based). */
  n: number;
  topic: string;
  partition: number;
  values: (string | null)[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}

export type Fault =
  | { kind: "pass" }
  | { kind: "fail"; error: ErrorName }
  | { kind: "drop" }
  | { kind: "stall" }
  | { kind: "hang" }
  | { kind: "reply"; status: number; body: unknown };

interface Answer {
  status: number;
  body: unknown;
}

interface RememberedBatch {
  baseSequence: number;
  count: number;
  baseOffset: number;
  timestamps: number[];
}

interface ProducerEntry {
  epoch: number;
  lastSequence: number;
  batches: RememberedBatch[];
}

interface PartitionState {
  logStartOffset: number;
  records: StoredRecord[];
  producers: Map<number, ProducerEntry>;
  outstanding: number;
  maxOutstanding: number;
}

const MAX_SEQUENCE = 2147483647;
/** Batches a leader remembers per producer (Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN). */
const RETAINED_BATCHES = 5;

const lastSequenceOf = (base: number, count: number): number => (base + count - 1) % (MAX_SEQUENCE + 1);
const nextSequenceAfter = (last: number): number => (last === MAX_SEQUENCE ? 0 : last + 1);

function error(name: ErrorName, message: string): Answer {
  return { status: ERRORS[name].status, body: errorBody(kafkaError(name, message)) };
}

function abortError(): Error {
  const e = new Error("The operation was aborted");
  e.name = "AbortError";
  return e;
}

export class FakeLogServer {
  readonly fetch: FetchFn = (input, init) => this.#serve(input, init);
  /** Decides the fault of each produce request when it arrives. */
  faults: (call: ProduceCall) => Fault = () => ({ kind: "pass" });
  /** Park produce requests until `releaseHeld`. */
  hold = false;
  /** Largest accepted value, in characters; a longer one → 413 MESSAGE_TOO_LARGE, nothing written. */
  maxValueLength = Number.POSITIVE_INFINITY;
  readonly produceCalls: ProduceCall[] = [];
  readonly producerCalls: object[] = [];
  /** Retries answered with their original offsets. */
  duplicatesAnswered = 0;
  /** Produce requests whose answer was dropped after applying. */
  answersDropped = 0;
  /** Produce requests the leader refused, by error name (45, 47, 10, …). */
  readonly refusals: Partial<Record<ErrorName, number>> = {};

  readonly #partitions = new Map<string, PartitionState[]>();
  readonly #held: { call: ProduceCall; arrive: () => void }[] = [];
  readonly #stalled: (() => void)[] = [];
  #nextProducerId = 1001;
  readonly #producerEpochs = new Map<number, number>();
  readonly #transactional = new Map<string, number>();

  constructor(topics: Record<string, number>) {
    for (const [name, count] of Object.entries(topics)) {
      this.#partitions.set(
        name,
        Array.from({ length: count }, () => ({ logStartOffset: 0, records: [], producers: new Map(), outstanding: 0, maxOutstanding: 0 })),
      );
    }
  }

  log(topic: string, partition: number): StoredRecord[] {
    return this.#partition(topic, partition).records;
  }

  values(topic: string, partition: number): (string | null)[] {
    return this.log(topic, partition).map((r) => r.value);
  }

  /** Most produce requests ever outstanding at once on the partition (from call to answer). */
  maxOutstanding(topic: string, partition: number): number {
    return this.#partition(topic, partition).maxOutstanding;
  }

  get heldCount(): number {
    return this.#held.length;
  }

  /** Lets every held request arrive, shuffled by `prng` (or in arrival order). */
  releaseHeld(prng?: Prng): void {
    const batch = this.#held.splice(0);
    for (const h of prng ? prng.shuffle(batch) : batch) h.arrive();
  }

  /** Lets the held request that matches `pick` arrive; false when none does. */
  releaseOne(pick: (call: ProduceCall) => boolean): boolean {
    const i = this.#held.findIndex((h) => pick(h.call));
    if (i < 0) return false;
    this.#held.splice(i, 1)[0]!.arrive();
    return true;
  }

  get stalledCount(): number {
    return this.#stalled.length;
  }

  /** Delivers stalled answers: all, or each with probability `p` drawn from `prng`. */
  releaseStalled(prng?: Prng, p = 1): void {
    const keep: (() => void)[] = [];
    for (const deliver of this.#stalled.splice(0)) {
      if (prng && !prng.chance(p)) keep.push(deliver);
      else deliver();
    }
    this.#stalled.push(...keep);
  }

  /** Loses every record from `offset` on, with the producer state they made (an unclean election). */
  truncate(topic: string, partition: number, offset: number): void {
    const s = this.#partition(topic, partition);
    s.records = s.records.filter((r) => r.offset < offset);
    for (const [id, entry] of s.producers) {
      entry.batches = entry.batches.filter((b) => b.baseOffset < offset);
      const last = entry.batches.at(-1);
      if (last) entry.lastSequence = lastSequenceOf(last.baseSequence, last.count);
      else s.producers.delete(id);
    }
  }

  /** Moves the log start (retention): offsets below it answer 416. */
  deleteRecordsBefore(topic: string, partition: number, offset: number): void {
    const s = this.#partition(topic, partition);
    s.logStartOffset = offset;
    s.records = s.records.filter((r) => r.offset >= offset);
  }

  #partition(topic: string, partition: number): PartitionState {
    const s = this.#partitions.get(topic)?.[partition];
    if (!s) throw new Error(`no partition ${topic}-${partition}`);
    return s;
  }

  #endOffset(s: PartitionState): number {
    return s.records.at(-1) ? s.records.at(-1)!.offset + 1 : s.logStartOffset;
  }

  async #serve(input: string, init?: RequestInit): Promise<Response> {
    const url = new URL(input);
    const method = init?.method ?? "GET";
    const body: unknown = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    const parts = url.pathname.split("/").map(decodeURIComponent);
    // ["", "v1", "topics", name, "partitions", p, "records"|"offsets"]
    let answer: Answer;
    if (method === "POST" && url.pathname === "/v1/producers") answer = this.#initProducer(body as Record<string, unknown>);
    else if (parts[2] === "topics" && parts.length === 4 && method === "GET") answer = this.#describe(parts[3]!);
    else if (parts[2] === "topics" && parts[4] === "partitions" && parts.length === 7) {
      const topic = parts[3]!;
      const partition = Number(parts[5]);
      if (!this.#partitions.get(topic)?.[partition]) answer = error("UNKNOWN_TOPIC_OR_PARTITION", `${topic}-${partition}`);
      else if (parts[6] === "records" && method === "POST") return this.#produce(topic, partition, url, body as ProduceBody, init?.signal ?? undefined);
      else if (parts[6] === "records" && method === "GET") answer = this.#fetchRecords(topic, partition, url);
      else if (parts[6] === "offsets" && method === "GET") answer = this.#listOffsets(topic, partition, url);
      else answer = error("INVALID_REQUEST", `${method} ${url.pathname}`);
    } else answer = error("INVALID_REQUEST", `${method} ${url.pathname}`);
    return this.#respond(answer);
  }

  #respond(a: Answer): Response {
    return new Response(a.status === 204 ? null : JSON.stringify(a.body), { status: a.status, headers: { "content-type": "application/json" } });
  }

  #describe(topic: string): Answer {
    const partitions = this.#partitions.get(topic);
    if (!partitions) return error("UNKNOWN_TOPIC_OR_PARTITION", `unknown topic ${topic}`);
    return {
      status: 200,
      body: {
        name: topic,
        topic_id: `id-${topic}`,
        replication_factor: 1,
        configs: {},
        partitions: partitions.map((s, partition) => ({
          partition,
          leader: 0,
          leader_epoch: 0,
          replicas: [0],
          isr: [0],
          offline_replicas: [],
          log_start_offset: s.logStartOffset,
          high_watermark: this.#endOffset(s),
          log_end_offset: this.#endOffset(s),
        })),
      },
    };
  }

  #initProducer(body: Record<string, unknown>): Answer {
    this.producerCalls.push(body);
    if (typeof body.transactional_id === "string") {
      const known = this.#transactional.get(body.transactional_id);
      const id = known ?? this.#nextProducerId++;
      const epoch = known === undefined ? 0 : this.#producerEpochs.get(id)! + 1;
      this.#transactional.set(body.transactional_id, id);
      this.#producerEpochs.set(id, epoch);
      return { status: 200, body: { producer_id: id, producer_epoch: epoch } };
    }
    if (typeof body.producer_id === "number") {
      const current = this.#producerEpochs.get(body.producer_id);
      if (current === undefined) return error("UNKNOWN_PRODUCER_ID", `unknown producer ${body.producer_id}`);
      if (current !== body.producer_epoch) return error("INVALID_PRODUCER_EPOCH", `epoch ${String(body.producer_epoch)} is not ${current}`);
      this.#producerEpochs.set(body.producer_id, current + 1);
      return { status: 200, body: { producer_id: body.producer_id, producer_epoch: current + 1 } };
    }
    const id = this.#nextProducerId++;
    this.#producerEpochs.set(id, 0);
    return { status: 200, body: { producer_id: id, producer_epoch: 0 } };
  }

  #produce(topic: string, partition: number, url: URL, body: ProduceBody, signal: AbortSignal | undefined): Promise<Response> {
    const call: ProduceCall = {
      n: this.produceCalls.length,
      topic,
      partition,
      values: body.records.map((r) => r.value ?? null),
      ...(body.producer_id !== undefined
        ? { producerId: body.producer_id, producerEpoch: body.producer_epoch!, baseSequence: body.base_sequence! }
        : {}),
    };
    this.produceCalls.push(call);
    const s = this.#partition(topic, partition);
    s.outstanding++;
    s.maxOutstanding = Math.max(s.maxOutstanding, s.outstanding);
    const acks = url.searchParams.get("acks") ?? "all";
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        s.outstanding--;
        fn();
      };
      signal?.addEventListener("abort", () => settle(() => reject(abortError())));
      const arrive = () => {
        const fault = this.faults(call);
        if (fault.kind === "hang") return;
        if (fault.kind === "fail") return settle(() => resolve(this.#respond(error(fault.error, "injected fault"))));
        if (fault.kind === "reply") return settle(() => resolve(this.#respond({ status: fault.status, body: fault.body })));
        const answer = this.#append(s, body);
        if (answer.status !== 200) {
          const name = (answer.body as { error: ErrorName }).error;
          this.refusals[name] = (this.refusals[name] ?? 0) + 1;
        }
        if (fault.kind === "drop") {
          this.answersDropped++;
          return settle(() => reject(new TypeError("fetch failed: connection reset after the request was applied")));
        }
        const deliver = () => settle(() => resolve(this.#respond(acks === "0" && answer.status === 200 ? { status: 202, body: {} } : answer)));
        if (fault.kind === "stall") this.#stalled.push(deliver);
        else deliver();
      };
      if (this.hold) this.#held.push({ call, arrive });
      else arrive();
    });
  }

  /** The leader's append with Kafka's idempotent checks; answers the offsets of the batch. */
  #append(s: PartitionState, body: ProduceBody): Answer {
    const records = body.records;
    if (records.some((r) => (r.value ?? "").length > this.maxValueLength)) return error("MESSAGE_TOO_LARGE", "record too large");
    const id = body.producer_id;
    let entry: ProducerEntry | undefined;
    if (id !== undefined) {
      const epoch = body.producer_epoch!;
      const base = body.base_sequence!;
      entry = s.producers.get(id);
      if (entry) {
        if (epoch < entry.epoch) return error("INVALID_PRODUCER_EPOCH", `epoch ${epoch} is older than ${entry.epoch}`);
        if (epoch > entry.epoch) {
          if (base !== 0) return error("OUT_OF_ORDER_SEQUENCE_NUMBER", `a new epoch must start at 0, got ${base}`);
          entry = { epoch, lastSequence: -1, batches: [] };
        } else {
          const dup = entry.batches.find((b) => b.baseSequence === base && b.count === records.length);
          if (dup) {
            this.duplicatesAnswered++;
            return { status: 200, body: { offsets: dup.timestamps.map((timestamp, i) => ({ partition: 0, offset: dup.baseOffset + i, timestamp })) } };
          }
          if (base !== nextSequenceAfter(entry.lastSequence))
            return error("OUT_OF_ORDER_SEQUENCE_NUMBER", `expected ${nextSequenceAfter(entry.lastSequence)}, got ${base}`);
        }
      } else entry = { epoch, lastSequence: -1, batches: [] };
    }
    const baseOffset = this.#endOffset(s);
    const timestamps = records.map((r) => r.timestamp ?? 0);
    records.forEach((r, i) =>
      s.records.push({ offset: baseOffset + i, timestamp: timestamps[i]!, key: r.key ?? null, value: r.value ?? null, headers: r.headers ?? {} }),
    );
    if (id !== undefined && entry) {
      entry.lastSequence = lastSequenceOf(body.base_sequence!, records.length);
      entry.batches.push({ baseSequence: body.base_sequence!, count: records.length, baseOffset, timestamps });
      if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
      s.producers.set(id, entry);
    }
    return { status: 200, body: { offsets: timestamps.map((timestamp, i) => ({ partition: 0, offset: baseOffset + i, timestamp })) } };
  }

  #fetchRecords(topic: string, partition: number, url: URL): Answer {
    const s = this.#partition(topic, partition);
    const end = this.#endOffset(s);
    const raw = url.searchParams.get("offset") ?? "0";
    const offset = raw === "earliest" ? s.logStartOffset : raw === "latest" ? end : Number(raw);
    if (offset < s.logStartOffset || offset > end) return error("OFFSET_OUT_OF_RANGE", `offset ${offset} not in [${s.logStartOffset}, ${end}]`);
    const max = Number(url.searchParams.get("max_records") ?? "500");
    const records = s.records.filter((r) => r.offset >= offset).slice(0, max);
    return {
      status: 200,
      body: { records, next_offset: records.at(-1) ? records.at(-1)!.offset + 1 : offset, high_watermark: end, log_start_offset: s.logStartOffset },
    };
  }

  #listOffsets(topic: string, partition: number, url: URL): Answer {
    const s = this.#partition(topic, partition);
    const at = url.searchParams.get("timestamp");
    const offset = at === "earliest" ? s.logStartOffset : at === "latest" ? this.#endOffset(s) : Number.NaN;
    if (Number.isNaN(offset)) return error("INVALID_REQUEST", "the fake lists only earliest and latest");
    return { status: 200, body: { offset, timestamp: null } };
  }
}

interface ProduceBody {
  records: { key?: string | null; value?: string | null; headers?: Record<string, string | null>; timestamp?: number }[];
  producer_id?: number;
  producer_epoch?: number;
  base_sequence?: number;
}
