/**
 * Produce, shared by every front door: records to a topic (each record's partition explicit,
 * murmur2 of its key as Kafka's default partitioner, or round-robin) or to one partition (also
 * the idempotent form), and one pre-encoded record batch to one partition.
 *
 * Invariants: every record is checked (partition exists, size within `max.message.bytes`) before
 * any Durable Object is called, so a request with one bad record writes nothing. A request
 * becomes one append per partition, each encoded once in the stored batch format and sent to
 * that partition's leader in parallel; the answer has one entry per record, in request order.
 * An append whose answer was lost is re-sent only for an idempotent producer (the leader then
 * answers the original offsets). With acks=0 the appends run after the answer (`waitUntil`).
 */
import { BatchBuilder, encodedRecordSize, type EncodedRecords } from "../codec/record-batch.ts";
import { LIMITS, toLogConfig, validateTopicName } from "../protocol/config.ts";
import { fail, type KafkaError, type Result } from "../protocol/errors.ts";
import { partitionForKey, RoundRobinPartitioner } from "../protocol/partitioner.ts";
import type { Acks, ProduceResult, ProducerIdentity, RecordInput, TopicMetadata } from "../protocol/types.ts";
import { requireRight } from "./authorize.ts";
import { Cluster } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { countProduced } from "./metrics.ts";
import { must, settle, stop } from "./result.ts";

const roundRobin = new RoundRobinPartitioner(() => Math.floor(Math.random() * 0x7fffffff));

/** A record to produce; `partition` absent → chosen by key or round-robin. */
export interface ProduceRecord extends RecordInput {
  partition?: number | undefined;
}

export interface ProduceInput {
  topic: string;
  /** Set for a partition-level produce: every record goes there (and the idempotent form needs it). */
  partition?: number | undefined;
  records: readonly ProduceRecord[];
  acks: Acks;
  timeoutMs: number;
  producer?: ProducerIdentity | undefined;
}

export type RecordOutcome =
  | { partition: number; offset: number; timestamp: number }
  | { partition: number; error: KafkaError };

/** acks=0: accepted, nothing known yet. Otherwise one outcome per record, in request order. */
export type ProduceOutcome = { accepted: true } | { accepted: false; records: RecordOutcome[] };

export interface ProduceBatchInput {
  topic: string;
  partition: number;
  records: EncodedRecords;
  acks: Acks;
  timeoutMs: number;
  producer?: ProducerIdentity | undefined;
}

/** Kafka's ProduceResponse partition entry for one batch. */
export interface BatchOutcome {
  partition: number;
  baseOffset: number;
  recordCount: number;
  /** The leader's append time for a LogAppendTime topic, else null. */
  logAppendTime: number | null;
}

interface PlannedRecord {
  partition: number;
  record: RecordInput;
  timestamp: number;
}

/** Chooses each record's partition and checks it exists and fits `max.message.bytes`. */
function plan(meta: TopicMetadata, records: readonly ProduceRecord[], fixed: number | undefined, now: number): PlannedRecord[] {
  const count = meta.partitions.length;
  const maxMessageBytes = toLogConfig(meta.configs).maxMessageBytes;
  let fixedExists = false;
  return records.map((record, i) => {
    const partition = record.partition;
    if (fixed !== undefined && partition !== undefined && partition !== fixed)
      stop("INVALID_REQUEST", `records[${i}].partition is ${partition} but the path names partition ${fixed}`);
    const p =
      fixed ??
      partition ??
      (record.key !== null ? partitionForKey(record.key, count) : roundRobin.next(`${meta.tenant}/${meta.name}`, count));
    // The path's partition is looked up once (at the first record, so errors come in the same order).
    if (p !== fixed || !fixedExists) must(Cluster.partition(meta, p));
    if (p === fixed) fixedExists = true;
    const size = encodedRecordSize(record);
    if (size > maxMessageBytes)
      stop("MESSAGE_TOO_LARGE", `records[${i}] is ${size} bytes, over max.message.bytes (${maxMessageBytes}); nothing was written`);
    return { partition: p, record, timestamp: record.timestamp ?? now };
  });
}

function checkRequest(ctx: ServiceContext, input: { topic: string; partition?: number | undefined; producer?: ProducerIdentity | undefined }): void {
  must(validateTopicName(input.topic));
  requireRight(ctx, "topic", input.topic, "write");
  // Kafka: an idempotent produce also needs IdempotentWrite (producer ids are the tenant's own).
  if (input.producer !== undefined) requireRight(ctx, "producer", "", "idempotent_write");
  if (input.producer !== undefined && input.partition === undefined)
    stop("INVALID_REQUEST", "an idempotent produce goes to one partition (producer_id/producer_epoch/base_sequence need a partition)");
}

/** One partition's append at its leader, counted (src/services/metrics.ts). */
async function appendAtLeader(
  cluster: Cluster,
  topic: string,
  partition: number,
  req: { records: EncodedRecords; acks: Acks; timeoutMs: number; producer: ProducerIdentity | undefined },
): Promise<Result<ProduceResult>> {
  const { producer, ...rest } = req;
  const r = await cluster.withLeader(
    topic,
    partition,
    (m, state) => cluster.leaderOf(m, partition).produce({ ...rest, leaderEpoch: state.leaderEpoch, ...(producer ? { producer } : {}) }),
    { idempotent: producer !== undefined },
  );
  const outcome = r.ok ? "ok" : r.err.error;
  countProduced(cluster.tenant, topic, partition, { records: req.records.recordCount, bytes: req.records.blob.byteLength, acks: req.acks, outcome });
  return r;
}

/** Each partition's records encoded once, in the stored batch format, keyed by partition. */
function encodeByPartition(planned: readonly PlannedRecord[]): Map<number, EncodedRecords> {
  const builders = new Map<number, BatchBuilder>();
  for (const { partition, record, timestamp } of planned) {
    let b = builders.get(partition);
    if (!b) builders.set(partition, (b = new BatchBuilder()));
    b.add(record, timestamp);
  }
  return new Map([...builders].map(([p, b]) => [p, b.finish()]));
}

/** The per-record outcomes, in request order, from each partition's answer. */
function outcomes(planned: readonly PlannedRecord[], results: Map<number, Result<ProduceResult>>): RecordOutcome[] {
  const position = new Map<number, number>();
  return planned.map(({ partition, timestamp: sent }) => {
    const r = results.get(partition) ?? fail("UNKNOWN_SERVER_ERROR", "no answer for partition");
    if (!r.ok) return { partition, error: r.err };
    const k = position.get(partition) ?? 0;
    position.set(partition, k + 1);
    // A duplicate names its original timestamps; else the record keeps the one sent, unless LogAppendTime replaced it.
    const timestamp = r.value.timestamps?.[k] ?? r.value.logAppendTime ?? sent;
    return { partition, offset: r.value.baseOffset + k, timestamp };
  });
}

/**
 * Produces records. A record without a timestamp gets `now`, the request's arrival time, as
 * Kafka's producer stamps CreateTime at send: one request, one time, whichever partitions its
 * records land on. A partition-level produce whose partition failed is an error as a whole.
 */
export function produce(ctx: ServiceContext, input: ProduceInput, now: number): Promise<Result<ProduceOutcome>> {
  return settle(async () => {
    checkRequest(ctx, input);
    if (input.records.length < 1 || input.records.length > LIMITS.maxRecordsPerRequest)
      stop("INVALID_REQUEST", `a produce holds 1 to ${LIMITS.maxRecordsPerRequest} records, this one ${input.records.length}`);
    const cluster = Cluster.of(ctx);
    const meta = must(await cluster.topic(input.topic));
    const planned = plan(meta, input.records, input.partition, now);
    const encoded = encodeByPartition(planned);
    const send = async () =>
      new Map(
        await Promise.all(
          [...encoded].map(async ([partition, records]) => {
            const r = await appendAtLeader(cluster, input.topic, partition, { ...input, records, producer: input.producer });
            return [partition, r] as const;
          }),
        ),
      );
    if (input.acks === 0) {
      ctx.waitUntil(send());
      return { accepted: true } as const;
    }
    const results = await send();
    if (input.partition !== undefined) must(results.get(input.partition)!);
    return { accepted: false, records: outcomes(planned, results) } as const;
  });
}

/**
 * Produces one batch already in the stored format (checked by the caller's scan: structure,
 * offsets, timestamps, header keys). Its largest record must fit `max.message.bytes`.
 */
export function produceBatch(ctx: ServiceContext, input: ProduceBatchInput): Promise<Result<BatchOutcome | { accepted: true }>> {
  return settle(async () => {
    checkRequest(ctx, input);
    const cluster = Cluster.of(ctx);
    const meta = must(await cluster.topic(input.topic));
    must(Cluster.partition(meta, input.partition));
    const maxMessageBytes = toLogConfig(meta.configs).maxMessageBytes;
    if (input.records.maxRecordBytes > maxMessageBytes)
      stop("MESSAGE_TOO_LARGE", `a record is ${input.records.maxRecordBytes} bytes, over max.message.bytes (${maxMessageBytes}); nothing was written`);
    const send = () => appendAtLeader(cluster, input.topic, input.partition, { ...input, producer: input.producer });
    if (input.acks === 0) {
      ctx.waitUntil(send());
      return { accepted: true } as const;
    }
    const r = must(await send());
    return { partition: input.partition, baseOffset: r.baseOffset, recordCount: input.records.recordCount, logAppendTime: r.logAppendTime };
  });
}
