/**
 * Kafka's Produce for the door: each Kafka batch of a partition is translated at the edge
 * (records.ts) into one stored batch, keys, headers and CreateTime timestamps intact, and
 * produced to that partition through the produce service's batch produce (the binary HTTP
 * path's: no record objects in between); an idempotent batch (producer id ≥ 0) carries its
 * producer id, epoch and base sequence, so the leader answers a retried batch with its
 * original offsets and fences a stale epoch or a gap in sequences.
 *
 * Invariants: a partition whose bytes do not decode (bad CRC, bad framing, unknown
 * compression) is answered CORRUPT_MESSAGE and nothing of it is written; a transactional batch
 * is refused (INVALID_REQUEST: Flarelog has no transactions); partitions are produced in
 * parallel, the batches of one partition in order. acks=0 writes no answer (Kafka sends none).
 * Called by connection.ts, one request at a time per connection.
 */
import { ERRORS } from "../../protocol/errors.ts";
import { LIMITS } from "../../protocol/config.ts";
import type { Acks } from "../../protocol/types.ts";
import { produceBatch as produceStored } from "../../services/produce.ts";
import { kafkaBatchesOf, type IncomingBatch } from "./records.ts";
import type { Session } from "./session.ts";

interface ProduceBody {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Uint8Array | null }[] }[];
}

interface PartitionAnswer {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  errorMessage?: string | null;
}

const failed = (index: number, errorCode: number, errorMessage: string): PartitionAnswer => ({
  index,
  errorCode,
  baseOffset: -1,
  logAppendTimeMs: -1,
  logStartOffset: -1,
  errorMessage,
});

interface ProduceOptions {
  acks: Acks;
  timeoutMs: number;
}

async function produceBatch(session: Session, topic: string, index: number, batch: IncomingBatch, body: ProduceOptions) {
  const count = batch.records.recordCount;
  if (count > LIMITS.maxRecordsPerRequest)
    return failed(index, ERRORS.INVALID_REQUEST.code, `a batch holds at most ${LIMITS.maxRecordsPerRequest} records, this one ${count}`);
  const input = { topic, partition: index, records: batch.records, acks: body.acks, timeoutMs: body.timeoutMs, producer: batch.producer };
  const r = await produceStored(session.ctx, input);
  if (!r.ok) return failed(index, r.err.errorCode, r.err.message);
  if ("accepted" in r.value) return { index, errorCode: 0, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
  return { index, errorCode: 0, baseOffset: r.value.baseOffset, logAppendTimeMs: r.value.logAppendTime ?? -1, logStartOffset: -1 };
}

async function producePartition(session: Session, topic: string, p: ProduceBody["topicData"][number]["partitionData"][number], opts: ProduceOptions) {
  const decoded = kafkaBatchesOf(p.records ?? new Uint8Array(0), Date.now());
  if (!decoded.ok) return failed(p.index, ERRORS.CORRUPT_MESSAGE.code, decoded.message);
  if (decoded.batches.some((b) => b.transactional))
    return failed(p.index, ERRORS.INVALID_REQUEST.code, "transactional batches are not supported (Flarelog has no transactions)");
  let answer: PartitionAnswer | null = null;
  for (const batch of decoded.batches) {
    const r = await produceBatch(session, topic, p.index, batch, opts);
    if (r.errorCode !== 0) return r;
    answer ??= r;
  }
  return answer ?? failed(p.index, ERRORS.CORRUPT_MESSAGE.code, "no record batch in the partition's records");
}

export async function produce(session: Session, body: ProduceBody) {
  const acks = (body.acks === 0 || body.acks === 1 ? body.acks : -1) as Acks;
  const opts = { acks, timeoutMs: Math.min(Math.max(body.timeoutMs, 1), LIMITS.maxProduceTimeoutMs) };
  const invalidAcks = body.acks !== 0 && body.acks !== 1 && body.acks !== -1;
  const responses = await Promise.all(
    body.topicData.map(async (t) => ({
      name: t.name,
      partitionResponses: await Promise.all(
        t.partitionData.map((p) => {
          if (invalidAcks) return failed(p.index, ERRORS.INVALID_REQUIRED_ACKS.code, `acks must be 0, 1 or -1, got ${body.acks}`);
          if (body.transactionalId !== null)
            return failed(p.index, ERRORS.INVALID_REQUEST.code, "transactional produce is not supported");
          return producePartition(session, t.name, p, opts);
        }),
      ),
    })),
  );
  return body.acks === 0 ? null : { responses, throttleTimeMs: 0 };
}
