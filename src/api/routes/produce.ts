/**
 * Produce routes: topic-level (partition chosen per record: explicit, murmur2 of the key, or
 * round-robin) and partition-level (also the idempotent form).
 *
 * Every record is validated and sized before any Durable Object is called; a request with one
 * bad record writes nothing. A produce request becomes one append per partition, sent to that
 * partition's leader in parallel; the answer lists one entry per record, in request order.
 */
import { Hono, type Context } from "hono";
import { LIMITS, toLogConfig } from "../../protocol/config.ts";
import { fail, type Result } from "../../protocol/errors.ts";
import { partitionForKey, RoundRobinPartitioner } from "../../protocol/partitioner.ts";
import type { Acks, ProduceResult, ProducerIdentity, RecordInput, TopicMetadata } from "../../protocol/types.ts";
import { BatchBuilder, CorruptBatchError, encodedRecordSize, readBatchHeader, scanEncodedRecords, type EncodedRecords } from "../../codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE, type BatchProduceResponse } from "../../protocol/wire.ts";
import { readBodyLimited } from "../body.ts";
import { Cluster } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse, jsonResponse, raise, unwrap } from "../errors.ts";
import { decodeBytes, parseAcks, parseIntParam, parsePartitionParam, type BytesEncoding } from "../params.ts";
import { readProduceBody, validate } from "../request.ts";
import { fastProduceBody, ProduceSchema, type ProduceBody } from "../schemas.ts";
import { topicParam } from "./topics.ts";

export const produceRoutes = new Hono<AppEnv>();

const roundRobin = new RoundRobinPartitioner(() => Math.floor(Math.random() * 0x7fffffff));

interface PlannedRecord {
  partition: number;
  record: RecordInput;
}

/**
 * Records as the replica takes them. A record without a timestamp gets the request's arrival
 * time, as Kafka's producer client stamps CreateTime at send: one request, one time, whichever
 * partitions its records land on.
 */
function decodeRecords(body: ProduceBody, encoding: BytesEncoding, now: number): { record: RecordInput; partition?: number }[] {
  return body.records.map((r, i) => {
    const record: RecordInput = {
      key: unwrap(decodeBytes(r.key, encoding, `records[${i}].key`)),
      value: unwrap(decodeBytes(r.value, encoding, `records[${i}].value`)),
      headers: Object.entries(r.headers ?? {}).map(([key, v]) => ({
        key,
        value: unwrap(decodeBytes(v, encoding, `records[${i}].headers.${key}`)),
      })),
      timestamp: r.timestamp ?? now,
    };
    return r.partition === undefined ? { record } : { record, partition: r.partition };
  });
}

/** Chooses each record's partition and checks it exists and fits `max.message.bytes`. */
function plan(meta: TopicMetadata, records: { record: RecordInput; partition?: number }[], fixed?: number): PlannedRecord[] {
  const count = meta.partitions.length;
  const maxMessageBytes = toLogConfig(meta.configs).maxMessageBytes;
  return records.map(({ record, partition }, i) => {
    if (fixed !== undefined && partition !== undefined && partition !== fixed)
      raise("INVALID_REQUEST", `records[${i}].partition is ${partition} but the path names partition ${fixed}`);
    const p =
      fixed ??
      partition ??
      (record.key !== null ? partitionForKey(record.key, count) : roundRobin.next(`${meta.tenant}/${meta.name}`, count));
    unwrap(Cluster.partition(meta, p));
    const size = encodedRecordSize(record);
    if (size > maxMessageBytes)
      raise("MESSAGE_TOO_LARGE", `records[${i}] is ${size} bytes, over max.message.bytes (${maxMessageBytes}); nothing was written`);
    return { partition: p, record };
  });
}

type ProducerFields = Pick<ProduceBody, "producer_id" | "producer_epoch" | "base_sequence">;

function producerOf(body: ProducerFields, partitionLevel: boolean): ProducerIdentity | undefined {
  const given = [body.producer_id, body.producer_epoch, body.base_sequence].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (!partitionLevel)
    raise("INVALID_REQUEST", "producer_id/producer_epoch/base_sequence are accepted only on /partitions/{partition}/records");
  if (given !== 3) raise("INVALID_REQUEST", "an idempotent produce needs producer_id, producer_epoch and base_sequence together");
  return { producerId: body.producer_id!, producerEpoch: body.producer_epoch!, baseSequence: body.base_sequence! };
}

/** One partition's append at its leader; an append whose answer was lost is re-sent only for an idempotent producer. */
function appendAtLeader(
  cluster: Cluster,
  topic: string,
  partition: number,
  req: { records: EncodedRecords; acks: Acks; timeoutMs: number; producer: ProducerIdentity | undefined },
): Promise<Result<ProduceResult>> {
  const { producer, ...rest } = req;
  return cluster.withLeader(
    topic,
    partition,
    (m, state) => cluster.leaderOf(m, partition).produce({ ...rest, leaderEpoch: state.leaderEpoch, ...(producer ? { producer } : {}) }),
    // The leader answers an idempotent retry with the original offsets.
    { idempotent: producer !== undefined },
  );
}

const queryInt = (c: Context<AppEnv>, name: string, max: number) =>
  c.req.query(name) === undefined ? undefined : unwrap(parseIntParam(c.req.query(name), { name, min: 0, max }));

/**
 * A binary produce (`Content-Type: application/vnd.flarelog.record-batch`, partition endpoint
 * only): the body is one record batch in the stored format, checked by a scan (structure, offset
 * deltas, timestamps, UTF-8 header keys, max.message.bytes) and forwarded to the leader as it
 * came; the producer fields are query parameters. Answers Kafka's partition entry: base offset,
 * record count, log append time.
 */
async function produceBatch(c: Context<AppEnv>, topic: string, acks: Acks, timeoutMs: number, partition: number | undefined): Promise<Response> {
  if (partition === undefined)
    raise("INVALID_REQUEST", `a ${RECORD_BATCH_CONTENT_TYPE} body goes to /v1/topics/{topic}/partitions/{partition}/records`);
  const blob = unwrap(await readBodyLimited(c.req.raw, LIMITS.maxRequestBytes));
  let records: EncodedRecords;
  try {
    const recordCount = readBatchHeader(blob).recordCount;
    if (recordCount < 1 || recordCount > LIMITS.maxRecordsPerRequest)
      raise("INVALID_REQUEST", `a batch holds 1 to ${LIMITS.maxRecordsPerRequest} records, this one ${recordCount}`);
    records = scanEncodedRecords(blob, recordCount);
  } catch (e) {
    if (!(e instanceof CorruptBatchError)) throw e;
    raise("CORRUPT_MESSAGE", `${e.message}; nothing was written`);
  }
  const producer = producerOf(
    { producer_id: queryInt(c, "producer_id", Number.MAX_SAFE_INTEGER), producer_epoch: queryInt(c, "producer_epoch", 32767), base_sequence: queryInt(c, "base_sequence", 2147483647) },
    true,
  );
  const cluster = new Cluster(c.env, c.get("tenant"));
  const meta = unwrap(await cluster.topic(topic));
  unwrap(Cluster.partition(meta, partition));
  const maxMessageBytes = toLogConfig(meta.configs).maxMessageBytes;
  if (records.maxRecordBytes > maxMessageBytes)
    raise("MESSAGE_TOO_LARGE", `a record is ${records.maxRecordBytes} bytes, over max.message.bytes (${maxMessageBytes}); nothing was written`);
  const send = () => appendAtLeader(cluster, topic, partition, { records, acks, timeoutMs, producer });
  if (acks === 0) {
    c.executionCtx.waitUntil(send());
    return c.json({}, 202);
  }
  const r = unwrap(await send());
  const answer: BatchProduceResponse = { partition, base_offset: r.baseOffset, record_count: records.recordCount, log_append_time: r.logAppendTime };
  return jsonResponse(answer);
}

const isBatchBody = (c: Context<AppEnv>) => (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase() === RECORD_BATCH_CONTENT_TYPE;

async function produce(c: Context<AppEnv>, fixedPartition?: number): Promise<Response> {
  const topic = topicParam(c.req.param("topic")!);
  const acks: Acks = unwrap(parseAcks(c.req.query("acks")));
  const timeoutMs = unwrap(
    parseIntParam(c.req.query("timeout_ms"), { name: "timeout_ms", min: 0, max: LIMITS.maxProduceTimeoutMs, default: LIMITS.defaultProduceTimeoutMs }),
  );
  if (isBatchBody(c)) return produceBatch(c, topic, acks, timeoutMs, fixedPartition);
  const raw = await readProduceBody(c);
  const body = fastProduceBody(raw) ?? validate(ProduceSchema, raw);
  const producer = producerOf(body, fixedPartition !== undefined);
  const cluster = new Cluster(c.env, c.get("tenant"));
  const meta = unwrap(await cluster.topic(topic));
  const planned = plan(meta, decodeRecords(body, body.encoding, Date.now()), fixedPartition);

  const byPartition = new Map<number, number[]>();
  planned.forEach((p, i) => {
    const indexes = byPartition.get(p.partition);
    if (indexes) indexes.push(i);
    else byPartition.set(p.partition, [i]);
  });
  // Each partition's records encoded once, in the stored batch format: the RPC carries one byte
  // array instead of an object per record, and the leader stores those bytes as they are.
  const encoded = new Map<number, EncodedRecords>();
  for (const [partition, indexes] of byPartition) {
    const builder = new BatchBuilder();
    for (const i of indexes) {
      const record = planned[i]!.record;
      builder.add(record, record.timestamp!);
    }
    encoded.set(partition, builder.finish());
  }
  const send = async (): Promise<Map<number, Result<ProduceResult>>> => {
    const entries = await Promise.all(
      [...byPartition.keys()].map(async (partition) => {
        const r = await appendAtLeader(cluster, topic, partition, { records: encoded.get(partition)!, acks, timeoutMs, producer });
        return [partition, r] as const;
      }),
    );
    return new Map(entries);
  };

  if (acks === 0) {
    c.executionCtx.waitUntil(send());
    return c.json({}, 202);
  }
  const results = await send();
  if (fixedPartition !== undefined) {
    const r = results.get(fixedPartition)!;
    if (!r.ok) return errorResponse(c, r.err);
  }
  const position = new Map<number, number>();
  const offsets = planned.map(({ partition, record }) => {
    const r = results.get(partition) ?? fail("UNKNOWN_SERVER_ERROR", "no answer for partition");
    if (!r.ok) return { partition, error_code: r.err.errorCode, error: r.err.error };
    const k = position.get(partition) ?? 0;
    position.set(partition, k + 1);
    // A duplicate names its original timestamps; otherwise the record keeps the one sent, unless LogAppendTime replaced it.
    const timestamp = r.value.timestamps?.[k] ?? r.value.logAppendTime ?? record.timestamp!;
    return { partition, offset: r.value.baseOffset + k, timestamp };
  });
  return jsonResponse({ offsets });
}

produceRoutes.post("/:topic/records", (c) => produce(c));
produceRoutes.post("/:topic/partitions/:partition/records", (c) =>
  produce(c, unwrap(parsePartitionParam(c.req.param("partition")))),
);
