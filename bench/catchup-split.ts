/**
 * The catch-up ablation of the `peer` scenario (issue 22): a consumer's catch-up pass timed in
 * two parts per request, the time until the answer's bytes are in Node (`bytes_ms`: request,
 * server work, transfer into undici) and the time to decode them (`parse_ms`: UTF-8 and
 * JSON.parse, or the record-batch frames into records with keys and values as views, as the
 * client's `fetchBatch`), for Flarelog's native fetch, the Durable Streams peer's one read, and
 * Flarelog's very answer bytes served again from memory (bench/floor/worker.ts `/mem`: the
 * Worker's isolate, or a Durable Object's memory over RPC; bench/peer-server.ts: a plain
 * `node:http` server), which the same consumer decodes. Every read asks for an uncompressed
 * answer (Miniflare gzips for a client that accepts it; the peer runs with compression off).
 * Node 24 type stripping: erasable TypeScript only.
 */
import { decodeBatches, decodeFrames } from "../src/codec/record-batch.ts";
import { RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { REQUEST_TIMEOUT_MS, VALUE_BYTES, type Http } from "./http.ts";

export type Format = "json" | "binary";

/** One pass: wall ms from the first request to the last decode, and its two parts summed over requests. */
export interface PassSplit {
  ms: number;
  bytes_ms: number;
  parse_ms: number;
  requests: number;
  records: number;
  wire_bytes: number;
}

/** What a decode found: records, the first record's offset, the offset after the last. */
interface Decoded {
  records: number;
  first: number;
  next: number;
}

const IDENTITY = { "accept-encoding": "identity" };
const utf8 = new TextDecoder();

async function bytesOf(url: string, headers: Record<string, string>): Promise<{ bytes: Uint8Array; res: Response }> {
  const res = await fetch(url, { headers: { ...IDENTITY, ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}: ${utf8.decode(bytes.subarray(0, 300))}`);
  return { bytes, res };
}

/** Flarelog's JSON fetch answer, as bench/reads.ts reads it. */
export function decodeFlarelogJson(bytes: Uint8Array): Decoded {
  const body = JSON.parse(utf8.decode(bytes)) as { records: { offset: number }[]; next_offset: number };
  return { records: body.records.length, first: body.records[0]?.offset ?? -1, next: body.next_offset };
}

/** Flarelog's binary frames decoded into records (keys and values as views). */
export function decodeFlarelogBinary(bytes: Uint8Array): Decoded {
  const records = decodeBatches(decodeFrames(bytes), { views: true });
  return { records: records.length, first: records[0]?.offset ?? -1, next: (records.at(-1)?.offset ?? -2) + 1 };
}

const decoderOf = (format: Format) => (format === "json" ? decodeFlarelogJson : decodeFlarelogBinary);

/** Times `reads` one after the other: each a GET, then its decode; the pass's split. */
async function timedPass(
  reads: (i: number, last: Decoded | null) => { url: string; headers: Record<string, string> } | null,
  decode: (bytes: Uint8Array) => Decoded,
  keep?: Uint8Array[],
): Promise<PassSplit> {
  const split: PassSplit = { ms: 0, bytes_ms: 0, parse_ms: 0, requests: 0, records: 0, wire_bytes: 0 };
  const start = performance.now();
  let last: Decoded | null = null;
  for (let i = 0; ; i++) {
    const read = reads(i, last);
    if (read === null) break;
    const t0 = performance.now();
    const { bytes } = await bytesOf(read.url, read.headers);
    const t1 = performance.now();
    last = decode(bytes);
    split.parse_ms += performance.now() - t1;
    split.bytes_ms += t1 - t0;
    split.requests += 1;
    split.records += last.records;
    split.wire_bytes += bytes.byteLength;
    keep?.push(bytes);
  }
  split.ms = performance.now() - start;
  return split;
}

/**
 * Flarelog's catch-up of partition 0 of `topic` from offset 0 to `end`: sequential fetches of
 * `maxRecords` and `maxBytes`, each at the previous answer's next offset. `keep` collects the
 * answers' bytes (the from-memory rows serve them again).
 */
export function flarelogPass(
  http: Http,
  topic: string,
  end: number,
  format: Format,
  limits: { maxRecords: number; maxBytes: number },
  keep?: Uint8Array[],
): Promise<PassSplit> {
  const headers: Record<string, string> = { authorization: `Bearer ${http.token}`, ...(format === "binary" ? { accept: RECORD_BATCH_CONTENT_TYPE } : {}) };
  const path = `${http.base}/v1/topics/${topic}/partitions/0/records`;
  let offset = 0;
  // Each answer starts at the offset asked for, and is not empty.
  const decode = (bytes: Uint8Array) => {
    const d = decoderOf(format)(bytes);
    if (d.records === 0 || d.first !== offset) throw new Error(`catch-up of ${topic}@${offset}: ${d.records} records from ${d.first}`);
    return d;
  };
  return timedPass(
    (_, last) => {
      offset = last?.next ?? 0;
      if (offset >= end) return null;
      return { url: `${path}?offset=${offset}&max_records=${limits.maxRecords}&max_bytes=${limits.maxBytes}`, headers };
    },
    decode,
    keep,
  ).then((s) => expectRecords(`Flarelog ${format} catch-up`, s, end));
}

/** The same answers' bytes from `urls` (one per answer, in order), decoded as Flarelog's. */
export function memoryPass(urls: readonly string[], format: Format, records: number): Promise<PassSplit> {
  return timedPass((i) => (i < urls.length ? { url: urls[i]!, headers: {} } : null), decoderOf(format)).then((s) =>
    expectRecords(`from-memory ${format} catch-up`, s, records),
  );
}

/**
 * The consumer's decode alone: `answers` (one Flarelog pass's bytes, kept) decoded in turn with no
 * request at all; its `parse_ms` is the decode's cost free of any transfer.
 */
export function decodePass(answers: readonly Uint8Array[], format: Format, records: number): PassSplit {
  const start = performance.now();
  let got = 0;
  for (const bytes of answers) got += decoderOf(format)(bytes).records;
  const ms = performance.now() - start;
  const wire = answers.reduce((n, b) => n + b.byteLength, 0);
  return expectRecords(`decode of ${format} answers`, { ms, bytes_ms: 0, parse_ms: ms, requests: 0, records: got, wire_bytes: wire }, records);
}

/**
 * The Durable Streams peer's one read of everything (`offset=-1`): JSON parsed (an array of
 * messages); binary is bytes with no record framing, so nothing to decode (its size checked).
 */
export function peerPass(url: string, format: Format, records: number): Promise<PassSplit> {
  const decode = (bytes: Uint8Array): Decoded => {
    if (format === "json") return { records: (JSON.parse(utf8.decode(bytes)) as unknown[]).length, first: 0, next: 0 };
    if (bytes.byteLength !== records * VALUE_BYTES) throw new Error(`peer binary catch-up: ${bytes.byteLength} of ${records * VALUE_BYTES} bytes`);
    return { records, first: 0, next: 0 };
  };
  return timedPass((i) => (i === 0 ? { url: `${url}?offset=-1`, headers: {} } : null), decode).then((s) => expectRecords(`peer ${format} catch-up`, s, records));
}

/**
 * The floor worker's one read of rows 1..`rows` (the peer's appends as SQLite rows) through
 * Worker → DO RPC → HTTP, not decoded (its size checked).
 */
export function floorPass(base: string, name: string, rows: number, records: number, bytes: number): Promise<PassSplit> {
  const decode = (b: Uint8Array): Decoded => {
    if (b.byteLength !== bytes) throw new Error(`floor catch-up ${name}: ${b.byteLength} of ${bytes} bytes`);
    return { records, first: 0, next: 0 };
  };
  return timedPass((i) => (i === 0 ? { url: `${base}/read?p=${name}&from=1&max=${rows}`, headers: {} } : null), decode);
}

function expectRecords(what: string, s: PassSplit, records: number): PassSplit {
  if (s.records !== records) throw new Error(`${what}: ${s.records} of ${records} records`);
  return s;
}
