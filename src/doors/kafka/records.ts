/**
 * The edge translation between Kafka's RecordBatch v2 and Flarelog's stored batches
 * (docs/architecture.md "Kafka's RecordBatch v2 at the edge"): a produce's Kafka batch becomes
 * one stored batch (src/codec/record-batch.ts's format, built by its BatchBuilder) straight from
 * the Kafka bytes, keys, values and headers copied once, CreateTime = baseTimestamp +
 * timestampDelta, plus the batch's producer id/epoch/base sequence; a fetch's stored batches
 * become one uncompressed Kafka batch each, at the stored offsets and timestamps.
 *
 * Invariants: a record set that fails the codec's checks (CRC-32C, framing, magic, compression,
 * header keys) is refused as a whole, never half taken; the stored batch holds the Kafka
 * batch's records in order at offset deltas 0..n-1 (Kafka's own offset deltas are the
 * producer's and not trusted); a record without a timestamp (Kafka's -1) gets `now`, the
 * request's arrival, as a Flarelog record without one does; the offsets a fetch answers are
 * the stored ones (baseOffset + offsetDelta), so a Kafka consumer's position is Flarelog's offset.
 * Pure functions; called by produce.ts and fetch.ts.
 */
import { readRecordBatchSections, visitKafkaRecords, type KafkaBatchSection } from "../../codec/kafka/index.ts";
import { BatchBuilder, CorruptBatchError, type RecordBody } from "../../codec/record-batch.ts";
import type { EncodedRecords, FetchedBatch, ProducerIdentity } from "../../protocol/types.ts";
import { kafkaRecordSetOf } from "./batch-writer.ts";

/** One Kafka batch of a produce, in the stored format, as the produce service takes it. */
export interface IncomingBatch {
  records: EncodedRecords;
  producer: ProducerIdentity | undefined;
  transactional: boolean;
}

export type Incoming = { ok: true; batches: IncomingBatch[] } | { ok: false; message: string };

/** A Kafka batch's records as one stored batch (`now`: the timestamp of a record without one). */
function storedBatchOf(b: KafkaBatchSection, now: number): EncodedRecords {
  const builder = new BatchBuilder();
  const body: RecordBody = { key: null, value: null, headers: [] };
  const { section } = b;
  visitKafkaRecords(section, b.recordCount, (v) => {
    body.key = v.keyStart < 0 ? null : section.subarray(v.keyStart, v.keyEnd);
    body.value = v.valueStart < 0 ? null : section.subarray(v.valueStart, v.valueEnd);
    body.headers = v.headers;
    const timestamp = b.baseTimestamp + v.timestampDelta;
    builder.add(body, timestamp >= 0 ? timestamp : now);
  });
  return builder.finish();
}

/** The batches of one partition's record set (a Produce request's `records`), empty ones left out. */
export function kafkaBatchesOf(bytes: Uint8Array, now: number): Incoming {
  try {
    const batches = readRecordBatchSections(bytes)
      .filter((b) => b.recordCount > 0)
      .map((b) => ({
        records: storedBatchOf(b, now),
        producer: b.producerId < 0 ? undefined : { producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence },
        transactional: b.isTransactional || b.isControl,
      }));
    return { ok: true, batches };
  } catch (e) {
    if (e instanceof CorruptBatchError) return { ok: false, message: e.message };
    throw e;
  }
}

/**
 * Stored batches read by a fetch, as a Kafka record set: one batch each, uncompressed, written
 * straight from the stored bytes (batch-writer.ts). A read may start inside a stored batch: the
 * Kafka batch starts at its first record.
 */
export function kafkaBytesOf(batches: readonly FetchedBatch[]): Uint8Array {
  return kafkaRecordSetOf(batches);
}
