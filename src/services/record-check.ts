/**
 * Per-record checks before a produce, for the doors whose dialects answer each record on its
 * own (REST Proxy's streamed produce and records:batch) or must write nothing when any message
 * of a multi-topic request is bad (Upstash): the topic exists, the record's partition exists,
 * the record fits `max.message.bytes`. The produce service checks the same again (a request
 * with one bad record writes nothing); this answers which records are bad, without writing.
 */
import { encodedRecordSize } from "../codec/record-batch.ts";
import { toLogConfig } from "../protocol/config.ts";
import { kafkaError, type KafkaError, type Result } from "../protocol/errors.ts";
import { Cluster } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import type { ProduceRecord } from "./produce.ts";

/** The topic's metadata or its error; then null (fine) or the error of each record, in order. */
export async function checkRecords(ctx: ServiceContext, topic: string, records: readonly ProduceRecord[]): Promise<Result<(KafkaError | null)[]>> {
  const meta = await Cluster.of(ctx).topic(topic);
  if (!meta.ok) return meta;
  const maxMessageBytes = toLogConfig(meta.value.configs).maxMessageBytes;
  const errors = records.map((record, i) => {
    if (record.partition !== undefined) {
      const p = Cluster.partition(meta.value, record.partition);
      if (!p.ok) return p.err;
    }
    const size = encodedRecordSize(record);
    if (size > maxMessageBytes) return kafkaError("MESSAGE_TOO_LARGE", `record ${i} is ${size} bytes, over max.message.bytes (${maxMessageBytes})`);
    return null;
  });
  return { ok: true, value: errors };
}
