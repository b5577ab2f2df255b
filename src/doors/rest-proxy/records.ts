/**
 * REST Proxy v3 produce records: `{partition_id?, headers?, key?, value?, timestamp?}` with key
 * and value as `{type: JSON|BINARY|STRING, data}` (schema-registry types are refused), headers
 * as `{name, value: base64}`, to and from the produce service's records; the delivery report
 * `{cluster_id, topic_name, partition_id, offset, timestamp, key: {type, size}, value}`.
 * Pure; a bad record is an INVALID_REQUEST naming the field.
 */
import type { RecordOutcome, ProduceRecord } from "../../services/produce.ts";
import { stop } from "../../services/result.ts";

type Data = { type?: "JSON" | "BINARY" | "STRING"; data?: unknown; [field: string]: unknown };

export interface RestRecord {
  partition_id?: number | null;
  headers?: { name: string; value?: string | null }[] | null;
  key?: Data | null;
  value?: Data | null;
  timestamp?: string | null;
}

const bad = (message: string): never => stop("INVALID_REQUEST", message);
const TYPES = new Set(["JSON", "BINARY", "STRING"]);

function checkData(d: unknown, what: string): void {
  if (d === null || d === undefined) return;
  if (typeof d !== "object" || Array.isArray(d)) bad(`${what} must be an object {type, data}`);
  const t = (d as Data).type;
  if (t !== undefined && !TYPES.has(t)) bad(`${what}.type must be JSON, BINARY or STRING, got ${JSON.stringify(t)}`);
}

/** A record checked field by field (a plain loop: this is the produce hot path). */
export function parseRecord(value: unknown): RestRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bad("a record must be a JSON object");
  const r = value as Record<string, unknown>;
  const p = r.partition_id;
  if (p !== undefined && p !== null && !(Number.isSafeInteger(p) && (p as number) >= 0 && (p as number) <= 2 ** 31 - 1)) bad("partition_id must be a partition number");
  const h = r.headers;
  if (h !== undefined && h !== null) {
    if (!Array.isArray(h)) bad("headers must be a list of {name, value}");
    (h as unknown[]).forEach((x, i) => {
      const e = x as { name?: unknown; value?: unknown } | null;
      if (typeof e?.name !== "string") bad(`headers[${i}].name must be a string`);
      if (e!.value !== undefined && e!.value !== null && typeof e!.value !== "string") bad(`headers[${i}].value must be a base64 string`);
    });
  }
  checkData(r.key, "key");
  checkData(r.value, "value");
  if (r.timestamp !== undefined && r.timestamp !== null && typeof r.timestamp !== "string") bad("timestamp must be an ISO 8601 string");
  return r as RestRecord;
}

const utf8 = new TextEncoder();

function fromBase64(s: string, what: string): Uint8Array {
  try {
    return Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
  } catch {
    return stop("INVALID_REQUEST", `${what} is not valid base64`);
  }
}

function bytesOf(d: Data | null | undefined, what: string): Uint8Array | null {
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

const part = (d: Data | null | undefined, bytes: Uint8Array | null) =>
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
