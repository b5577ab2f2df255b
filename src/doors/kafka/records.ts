/**
 * The edge translation between Kafka's RecordBatch v2 and Flarelog's records
 * (docs/architecture.md "Kafka's RecordBatch v2 at the edge"): a produce's batches become
 * `RecordInput`s (key, value, headers, CreateTime = baseTimestamp + timestampDelta) plus the
 * batch's producer id/epoch/base sequence; a fetch's stored batches become one uncompressed
 * Kafka batch each, at the stored offsets and timestamps.
 *
 * Invariants: a record set that fails the codec's checks (CRC-32C, framing, magic, compression)
 * is refused as a whole, never half taken; the offsets a fetch answers are the stored ones
 * (baseOffset + offsetDelta), so a Kafka consumer's position is Flarelog's offset.
 * Pure functions; called by produce.ts and fetch.ts.
 */
import { decodeRecordBatches } from "../../codec/kafka/index.ts";
import { CorruptBatchError } from "../../codec/record-batch.ts";
import type { FetchedBatch, ProducerIdentity, RecordInput } from "../../protocol/types.ts";
import { kafkaRecordSetOf } from "./batch-writer.ts";

/** One Kafka batch of a produce, as the produce service takes it. */
export interface IncomingBatch {
  records: RecordInput[];
  producer: ProducerIdentity | undefined;
  transactional: boolean;
}

export type Incoming = { ok: true; batches: IncomingBatch[] } | { ok: false; message: string };

/** The batches of one partition's record set (a Produce request's `records`). */
export function kafkaBatchesOf(bytes: Uint8Array): Incoming {
  let decoded;
  try {
    decoded = decodeRecordBatches(bytes);
  } catch (e) {
    if (e instanceof CorruptBatchError) return { ok: false, message: e.message };
    throw e;
  }
  const batches = decoded.map((b) => ({
    records: b.records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
      timestamp: b.baseTimestamp + r.timestampDelta,
    })),
    producer: b.producerId < 0 ? undefined : { producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence },
    transactional: b.isTransactional || b.isControl,
  }));
  return { ok: true, batches: batches.filter((b) => b.records.length > 0) };
}

/**
 * Stored batches read by a fetch, as a Kafka record set: one batch each, uncompressed, written
 * straight from the stored bytes (batch-writer.ts). A read may start inside a stored batch: the
 * Kafka batch starts at its first record.
 */
export function kafkaBytesOf(batches: readonly FetchedBatch[]): Uint8Array {
  return kafkaRecordSetOf(batches);
}
