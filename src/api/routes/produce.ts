/**
 * Produce routes: topic-level and partition-level (also the idempotent form and binary record
 * batches). This door reads and validates the body (JSON, NDJSON or one binary batch), decodes
 * byte fields per `encoding`, calls the produce service (src/services/produce.ts) and renders
 * one entry per record. Nothing is written unless every record passed.
 */
import type { Context, Hono } from "hono";
import { CorruptBatchError, readBatchHeader, scanEncodedRecords, type EncodedRecords } from "../../codec/record-batch.ts";
import { producePartitionRoute, produceRoute } from "../../contract/routes.ts";
import { fastProduceBody, ProduceSchema, type ProduceBody } from "../../contract/schemas.ts";
import type { BatchProduceResponse } from "../../contract/types.ts";
import { LIMITS } from "../../protocol/config.ts";
import type { Acks, ProducerIdentity, RecordHeader } from "../../protocol/types.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../../protocol/wire.ts";
import { produce, produceBatch, type ProduceRecord, type RecordOutcome } from "../../services/produce.ts";
import { readBodyLimited } from "../body.ts";
import { Utf8Arena } from "../utf8-arena.ts";
import type { AppEnv } from "../env.ts";
import { errorResponse, jsonResponse, jsonTextResponse, raise, unwrap } from "../errors.ts";
import { mount, serviceContext as svc, topicOf } from "../mount.ts";
import { decodeBytes, parseAcks, parseIntParam, parsePartitionParam, type BytesEncoding } from "../params.ts";
import { readProduceBody, validate } from "../request.ts";

/** The headers of a record that has none: one frozen empty list, not one per record. */
const NO_HEADERS = Object.freeze([]) as unknown as RecordHeader[];

/** One byte field: a utf8 string through the arena; anything else (base64, null, a bad value) as `decodeBytes` answers. */
function decodeField(value: unknown, encoding: BytesEncoding, arena: Utf8Arena, field: () => string): Uint8Array | null {
  if (encoding === "utf8" && typeof value === "string" && value.isWellFormed()) return arena.encode(value);
  return unwrap(decodeBytes(value, encoding, field()));
}

/** The JSON records as the service takes them: byte fields decoded per `encoding`. */
function decodeRecords(body: ProduceBody, encoding: BytesEncoding, sizeHint: number): ProduceRecord[] {
  const arena = new Utf8Arena(sizeHint);
  return body.records.map((r, i) => {
    const record: ProduceRecord = {
      key: decodeField(r.key, encoding, arena, () => `records[${i}].key`),
      value: decodeField(r.value, encoding, arena, () => `records[${i}].value`),
      headers:
        r.headers === undefined
          ? NO_HEADERS
          : Object.entries(r.headers).map(([key, v]) => ({ key, value: decodeField(v, encoding, arena, () => `records[${i}].headers.${key}`) })),
    };
    if (r.timestamp !== undefined) record.timestamp = r.timestamp;
    if (r.partition !== undefined) record.partition = r.partition;
    return record;
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

const queryInt = (c: Context<AppEnv>, name: string, max: number) =>
  c.req.query(name) === undefined ? undefined : unwrap(parseIntParam(c.req.query(name), { name, min: 0, max }));

/** The binary body as EncodedRecords, after a structural scan; CORRUPT_MESSAGE otherwise. */
function scanBatch(blob: Uint8Array): EncodedRecords {
  try {
    const recordCount = readBatchHeader(blob).recordCount;
    if (recordCount < 1 || recordCount > LIMITS.maxRecordsPerRequest)
      raise("INVALID_REQUEST", `a batch holds 1 to ${LIMITS.maxRecordsPerRequest} records, this one ${recordCount}`);
    return scanEncodedRecords(blob, recordCount);
  } catch (e) {
    if (!(e instanceof CorruptBatchError)) throw e;
    raise("CORRUPT_MESSAGE", `${e.message}; nothing was written`);
  }
}

/**
 * A binary produce (`Content-Type: application/vnd.flarelog.record-batch`, partition endpoint
 * only): one record batch in the stored format, forwarded to the leader as it came; the
 * producer fields are query parameters. Answers Kafka's partition entry.
 */
async function produceBinary(c: Context<AppEnv>, topic: string, acks: Acks, timeoutMs: number, partition: number | undefined): Promise<Response> {
  if (partition === undefined)
    raise("INVALID_REQUEST", `a ${RECORD_BATCH_CONTENT_TYPE} body goes to /v1/topics/{topic}/partitions/{partition}/records`);
  const records = scanBatch(unwrap(await readBodyLimited(c.req.raw, LIMITS.maxRequestBytes)));
  const producer = producerOf(
    {
      producer_id: queryInt(c, "producer_id", Number.MAX_SAFE_INTEGER),
      producer_epoch: queryInt(c, "producer_epoch", 32767),
      base_sequence: queryInt(c, "base_sequence", 2147483647),
    },
    true,
  );
  const r = unwrap(await produceBatch(svc(c), { topic, partition, records, acks, timeoutMs, producer }));
  if ("accepted" in r) return c.json({}, 202);
  const answer: BatchProduceResponse = { partition, base_offset: r.baseOffset, record_count: r.recordCount, log_append_time: r.logAppendTime };
  return jsonResponse(answer);
}

const isBatchBody = (c: Context<AppEnv>) => (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase() === RECORD_BATCH_CONTENT_TYPE;

async function produceRequest(c: Context<AppEnv>, partitionLevel: boolean): Promise<Response> {
  const topic = topicOf(c);
  const partition = partitionLevel ? unwrap(parsePartitionParam(c.req.param("partition"))) : undefined;
  const acks: Acks = unwrap(parseAcks(c.req.query("acks")));
  const timeoutMs = unwrap(
    parseIntParam(c.req.query("timeout_ms"), { name: "timeout_ms", min: 0, max: LIMITS.maxProduceTimeoutMs, default: LIMITS.defaultProduceTimeoutMs }),
  );
  if (isBatchBody(c)) return produceBinary(c, topic, acks, timeoutMs, partition);
  const raw = await readProduceBody(c);
  const body = fastProduceBody(raw) ?? validate(ProduceSchema, raw);
  const producer = producerOf(body, partitionLevel);
  const records = decodeRecords(body, body.encoding, Number(c.req.header("content-length")) || 0);
  const r = await produce(svc(c), { topic, partition, records, acks, timeoutMs, producer }, Date.now());
  if (!r.ok) return errorResponse(c, r.err);
  if (r.value.accepted) return c.json({}, 202);
  return jsonTextResponse(offsetsJson(r.value.records));
}

const isInt = (n: number) => Number.isSafeInteger(n);

/**
 * `JSON.stringify({ offsets })` of the per-record outcomes, the same text, written without an
 * object per record (half the time of building and stringifying 1000 of them): an appended
 * record is `{"partition":p,"offset":o,"timestamp":t}`, a failed one
 * `{"partition":p,"error_code":c,"error":"NAME"}`.
 */
export function offsetsJson(records: readonly RecordOutcome[]): string {
  let out = '{"offsets":[';
  for (let i = 0; i < records.length; i++) {
    const o = records[i]!;
    if (i > 0) out += ",";
    if ("error" in o) out += JSON.stringify({ partition: o.partition, error_code: o.error.errorCode, error: o.error.error });
    else if (isInt(o.partition) && isInt(o.offset) && isInt(o.timestamp)) out += `{"partition":${o.partition},"offset":${o.offset},"timestamp":${o.timestamp}}`;
    else out += JSON.stringify({ partition: o.partition, offset: o.offset, timestamp: o.timestamp });
  }
  return `${out}]}`;
}

export function produceRoutes(app: Hono<AppEnv>): void {
  mount(app, produceRoute, (c) => produceRequest(c, false));
  mount(app, producePartitionRoute, (c) => produceRequest(c, true));
}
