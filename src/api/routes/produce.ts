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
import { BatchBuilder, encodedRecordSize, type EncodedRecords } from "../../log/record-batch.ts";
import { Cluster } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse, jsonResponse, raise, unwrap } from "../errors.ts";
import { decodeBytes, parseAcks, parseIntParam, parsePartitionParam, type BytesEncoding } from "../params.ts";
import { readProduceBody, validate } from "../request.ts";
import { ProduceSchema, type ProduceBody } from "../schemas.ts";
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

function producerOf(body: ProduceBody, partitionLevel: boolean): ProducerIdentity | undefined {
  const given = [body.producer_id, body.producer_epoch, body.base_sequence].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (!partitionLevel)
    raise("INVALID_REQUEST", "producer_id/producer_epoch/base_sequence are accepted only on /partitions/{partition}/records");
  if (given !== 3) raise("INVALID_REQUEST", "an idempotent produce needs producer_id, producer_epoch and base_sequence together");
  return { producerId: body.producer_id!, producerEpoch: body.producer_epoch!, baseSequence: body.base_sequence! };
}

async function produce(c: Context<AppEnv>, fixedPartition?: number): Promise<Response> {
  const topic = topicParam(c.req.param("topic")!);
  const acks: Acks = unwrap(parseAcks(c.req.query("acks")));
  const timeoutMs = unwrap(
    parseIntParam(c.req.query("timeout_ms"), { name: "timeout_ms", min: 0, max: LIMITS.maxProduceTimeoutMs, default: LIMITS.defaultProduceTimeoutMs }),
  );
  const body = validate(ProduceSchema, await readProduceBody(c));
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
        const r = await cluster.withLeader(topic, partition, (m, state) =>
          cluster.leaderOf(m, partition).produce({
            records: encoded.get(partition)!,
            acks,
            timeoutMs,
            leaderEpoch: state.leaderEpoch,
            ...(producer ? { producer } : {}),
          }),
          // An append whose answer was lost may have happened: re-sent only when the producer is
          // idempotent (the leader then answers a retry with the original offsets).
          { idempotent: producer !== undefined },
        );
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
  const offsets = planned.map(({ partition }) => {
    const r = results.get(partition) ?? fail("UNKNOWN_SERVER_ERROR", "no answer for partition");
    if (!r.ok) return { partition, error_code: r.err.errorCode, error: r.err.error };
    const k = position.get(partition) ?? 0;
    position.set(partition, k + 1);
    return { partition, offset: r.value.baseOffset + k, timestamp: r.value.timestamps[k]! };
  });
  return jsonResponse({ offsets });
}

produceRoutes.post("/:topic/records", (c) => produce(c));
produceRoutes.post("/:topic/partitions/:partition/records", (c) =>
  produce(c, unwrap(parsePartitionParam(c.req.param("partition")))),
);
