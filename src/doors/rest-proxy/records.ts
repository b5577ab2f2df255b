/**
 * REST Proxy v3 produce records: `{partition_id?, headers?, key?, value?, timestamp?}` with key
 * and value as `{type: JSON|BINARY|STRING, data}` (schema-registry types are refused), headers
 * as `{name, value: base64}`, to and from the produce service's records; the delivery report
 * `{cluster_id, topic_name, partition_id, offset, timestamp, key: {type, size}, value}`.
 * Pure; a bad record is an INVALID_REQUEST naming the field.
 */
import { z } from "zod";
import type { RecordOutcome, ProduceRecord } from "../../services/produce.ts";
import { stop } from "../../services/result.ts";

const Data = z.object({ type: z.enum(["JSON", "BINARY", "STRING"]).optional(), data: z.unknown() }).passthrough();
export const ProduceRecordSchema = z.object({
  partition_id: z.number().int().nonnegative().max(2 ** 31 - 1).nullish(),
  headers: z.array(z.object({ name: z.string(), value: z.string().nullish() })).nullish(),
  key: Data.nullish(),
  value: Data.nullish(),
  timestamp: z.string().nullish(),
});
export type RestRecord = z.infer<typeof ProduceRecordSchema>;

export function parseRecord(value: unknown): RestRecord {
  const r = ProduceRecordSchema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  return stop("INVALID_REQUEST", `${issue.path.join(".") || "record"}: ${issue.message}`);
}

const utf8 = new TextEncoder();

function fromBase64(s: string, what: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
  } catch {
    return stop("INVALID_REQUEST", `${what} is not valid base64`);
  }
}

function bytesOf(d: z.infer<typeof Data> | null | undefined, what: string): Uint8Array | null {
  if (d === null || d === undefined) return null;
  if ("schema" in d || "schema_id" in d || "subject" in d || "schema_version" in d)
    stop("INVALID_REQUEST", `${what}: schema-registry formats are not supported (use JSON, BINARY or STRING)`);
  const type = d.type ?? "JSON";
  if (d.data === null || d.data === undefined) return null;
  if (type === "BINARY") return typeof d.data === "string" ? fromBase64(d.data, `${what}.data`) : stop("INVALID_REQUEST", `${what}.data must be a base64 string`);
  if (type === "STRING") return typeof d.data === "string" ? utf8.encode(d.data) : stop("INVALID_REQUEST", `${what}.data must be a string`);
  return utf8.encode(JSON.stringify(d.data));
}

/** The service's record for a REST Proxy record. */
export function toProduceRecord(r: RestRecord): ProduceRecord {
  const timestamp = r.timestamp ? Date.parse(r.timestamp) : undefined;
  if (timestamp !== undefined && !Number.isFinite(timestamp)) stop("INVALID_REQUEST", `timestamp "${r.timestamp}" is not an ISO 8601 date-time`);
  return {
    key: bytesOf(r.key, "key"),
    value: bytesOf(r.value, "value"),
    headers: (r.headers ?? []).map((h) => ({ key: h.name, value: h.value === null || h.value === undefined ? null : fromBase64(h.value, `header ${h.name}`) })),
    ...(timestamp === undefined ? {} : { timestamp }),
    partition: r.partition_id ?? undefined,
  };
}

const part = (d: z.infer<typeof Data> | null | undefined, bytes: Uint8Array | null) =>
  d === null || d === undefined ? null : { type: d.type ?? "JSON", size: bytes?.length ?? 0 };

/** The delivery report of one produced record. */
export function deliveryReport(clusterId: string, topic: string, r: RestRecord, rec: ProduceRecord, o: Extract<RecordOutcome, { offset: number }>) {
  return {
    cluster_id: clusterId,
    topic_name: topic,
    partition_id: o.partition,
    offset: o.offset,
    timestamp: new Date(o.timestamp).toISOString(),
    key: part(r.key, rec.key),
    value: part(r.value, rec.value),
  };
}

/**
 * Splits a body of concatenated JSON values (Confluent's streamed produce: one record after
 * another, whitespace or newlines between) into their texts, by a scan that counts brackets
 * outside strings.
 */
export function splitJsonStream(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") {
      if (depth++ === 0) start = i;
    } else if (ch === "}" || ch === "]") {
      if (--depth === 0) out.push(text.slice(start, i + 1));
      if (depth < 0) stop("INVALID_REQUEST", `unbalanced "${ch}" at character ${i}`);
    } else if (depth === 0 && !/\s/.test(ch)) stop("INVALID_REQUEST", `unexpected "${ch}" at character ${i} between records`);
  }
  if (depth !== 0) stop("INVALID_REQUEST", "the body ends inside a record");
  return out;
}
