/**
 * Kafka's Fetch and ListOffsets for the door. A fetch reads each partition from its leader
 * through the fetch service (only records below the high watermark) and translates the stored
 * batches into RecordBatch v2 at the edge (records.ts), one Kafka batch per stored batch, with
 * the stored offsets, keys, headers and timestamps.
 *
 * Max wait and min bytes: every partition is read once at once; if that found no record and
 * the request allows waiting, every partition is read again with the fetch service's long poll
 * (`waitMs`) and the answer goes as soon as one of them has records, or when all have waited.
 * `minBytes` above one record is treated as one record (Flarelog's long poll wakes on the first).
 * read_committed and read_uncommitted read the same (no transactions: LSO = HW).
 *
 * Read-ahead (read-ahead.ts): a partition whose answer left records below the high watermark is
 * read again at once from the answer's next offset and encoded, so the consumer's next Fetch,
 * sent after it has decoded this answer, finds its records ready.
 * Called by connection.ts, one request at a time per connection.
 */
import { LIMITS } from "../../protocol/config.ts";
import type { Result } from "../../protocol/errors.ts";
import type { FetchedBatches, OffsetSpec } from "../../protocol/types.ts";
import { fetchBatches, listOffsets as listOffsetsAt } from "../../services/fetch.ts";
import { ReadAhead } from "./read-ahead.ts";
import { kafkaBytesOf } from "./records.ts";
import type { Session } from "./session.ts";

/** How long a read ahead waits for its Fetch: a consumer asks again within ms, or has gone elsewhere. */
const READ_AHEAD_MAX_AGE_MS = 1_000;

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

interface FetchBody {
  maxWaitMs: number;
  minBytes: number;
  maxBytes?: number;
  topics: { topic: string; partitions: FetchPartition[] }[];
}

interface Read {
  topic: string;
  p: FetchPartition;
  result: Result<FetchedBatches>;
  /** The records as Kafka bytes, when a read ahead encoded them already. */
  kafkaBytes?: Uint8Array;
}

/** Each connection's reads ahead (the session is the connection). */
const readAheads = new WeakMap<Session, ReadAhead<Read>>();

function readAheadOf(session: Session): ReadAhead<Read> {
  let r = readAheads.get(session);
  if (r === undefined) readAheads.set(session, (r = new ReadAhead<Read>(READ_AHEAD_MAX_AGE_MS)));
  return r;
}

const keyOf = (t: Target) => `${t.topic}\u0000${t.p.partition}`;

const hasRecords = (r: Read) => r.result.ok && r.result.value.batches.length > 0;

type Target = { topic: string; p: FetchPartition };

function targetsOf(body: FetchBody): Target[] {
  return body.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, p })));
}

/**
 * A partition's byte bound: the answer's (the request's max bytes, at most the fetch limit)
 * shared by its partitions, read in parallel: each gets its own max bytes or its share,
 * whichever is smaller.
 */
function bytesOf(body: FetchBody, p: FetchPartition): number {
  const budget = Math.min(body.maxBytes ?? LIMITS.maxFetchBytes, LIMITS.maxFetchBytes);
  const share = Math.floor(budget / Math.max(1, targetsOf(body).length));
  return Math.max(1, Math.min(p.partitionMaxBytes, share));
}

function readOne(session: Session, body: FetchBody, waitMs: number) {
  return async ({ topic, p }: Target): Promise<Read> => {
    const bytes = bytesOf(body, p);
    const maxRecords = LIMITS.maxFetchRecords;
    const input = { topic, partition: p.partition, offset: p.fetchOffset, maxRecords, maxBytes: bytes, waitMs };
    return { topic, p, result: await fetchBatches(session.ctx, input) };
  };
}

/**
 * Long-polls every partition; answers as soon as one has records (or all have waited), with
 * the reads settled by then (undefined for those still waiting: their first read stands).
 */
async function waitForAny(session: Session, body: FetchBody, waitMs: number): Promise<(Read | undefined)[]> {
  const waits = targetsOf(body).map(readOne(session, body, waitMs));
  const settled: (Read | undefined)[] = new Array(waits.length);
  waits.forEach((w, i) => void w.then((r) => (settled[i] = r)));
  const firstWithRecords = waits.map((w) => w.then((r) => (hasRecords(r) ? r : new Promise<never>(() => {}))));
  await Promise.race([Promise.all(waits), ...firstWithRecords]);
  return settled;
}

function partitionAnswer(r: Read) {
  const base = { partitionIndex: r.p.partition, abortedTransactions: [], preferredReadReplica: -1 };
  if (!r.result.ok) {
    const unknown = { highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 };
    return { ...base, ...unknown, errorCode: r.result.err.errorCode, records: new Uint8Array(0) };
  }
  const { highWatermark, logStartOffset, batches } = r.result.value;
  const offsets = { highWatermark, lastStableOffset: highWatermark, logStartOffset };
  return { ...base, ...offsets, errorCode: 0, records: r.kafkaBytes ?? kafkaBytesOf(batches) };
}

/** The read ahead for this partition's offset and bound if there is one, else a read now. */
function takeOrRead(session: Session, body: FetchBody) {
  const now = readOne(session, body, 0);
  return async (t: Target): Promise<Read> => {
    const ahead = readAheadOf(session).take(keyOf(t), t.p.fetchOffset, bytesOf(body, t.p));
    const r = ahead === null ? null : await ahead;
    return r !== null && r.result.ok ? { ...r, p: t.p } : now(t);
  };
}

/** Starts the next read of every partition whose answer left records below the high watermark. */
function readAheadAfter(session: Session, body: FetchBody, reads: readonly Read[]): void {
  for (const r of reads) {
    if (!r.result.ok || r.result.value.batches.length === 0) continue;
    const { nextOffset, highWatermark } = r.result.value;
    if (nextOffset >= highWatermark) continue;
    const next: Target = { topic: r.topic, p: { ...r.p, fetchOffset: nextOffset } };
    readAheadOf(session).start(keyOf(next), nextOffset, bytesOf(body, r.p), async () => {
      const read = await readOne(session, body, 0)(next);
      if (read.result.ok) read.kafkaBytes = kafkaBytesOf(read.result.value.batches);
      return read;
    });
  }
}

export async function fetch(session: Session, body: FetchBody) {
  let reads = await Promise.all(targetsOf(body).map(takeOrRead(session, body)));
  const waitMs = Math.min(Math.max(body.maxWaitMs, 0), LIMITS.maxWaitMs);
  if (waitMs > 0 && body.minBytes > 0 && !reads.some(hasRecords) && reads.every((r) => r.result.ok)) {
    const waited = await waitForAny(session, body, waitMs);
    reads = reads.map((r, i) => waited[i] ?? r);
  }
  readAheadAfter(session, body, reads);
  const responses = body.topics.map((t) => ({
    topic: t.topic,
    partitions: reads.filter((r) => r.topic === t.topic).map(partitionAnswer),
  }));
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
}

interface ListOffsetsBody {
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[];
}

const LATEST = -1;
const EARLIEST = -2;

const specOf = (timestamp: number): OffsetSpec =>
  timestamp === LATEST ? "latest" : timestamp === EARLIEST ? "earliest" : { timestamp };

export async function listOffsets(session: Session, body: ListOffsetsBody) {
  const topics = await Promise.all(
    body.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const r = await listOffsetsAt(session.ctx, t.name, p.partitionIndex, specOf(p.timestamp));
          const base = { partitionIndex: p.partitionIndex, leaderEpoch: -1 };
          if (!r.ok) return { ...base, errorCode: r.err.errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1 };
          const { offset, timestamp } = r.value;
          return { ...base, errorCode: 0, oldStyleOffsets: [offset], timestamp: timestamp ?? -1, offset };
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}
