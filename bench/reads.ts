/**
 * Read helpers of the benchmark scenarios (bench/core.ts, bench/log-size.ts): one fetch of
 * partition 0 as JSON or as binary record-batch frames, a consumer's sequential catch-up pass,
 * the high watermark, and an unmeasured fill of a log.
 * Node 24 type stripping: erasable TypeScript only.
 */
import type { FlarelogClient } from "../src/client/flarelog-client.ts";
import { decodeBatches, decodeFrames } from "../src/codec/record-batch.ts";
import { LIMITS } from "../src/protocol/config.ts";
import { FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from "../src/protocol/wire.ts";
import { Prng, runLoad, throughput, type OpOutcome, type Throughput } from "./harness.ts";
import { call, expectStatus, produceBodies, produceOp, REQUEST_TIMEOUT_MS, type Http } from "./http.ts";

export interface FetchBody {
  /** Values as the JSON's strings, or a binary fetch's bytes. */
  records: { offset: number; value: string | Uint8Array | null }[];
  next_offset: number;
  high_watermark: number;
}

export interface Fetched {
  body: FetchBody;
  wireBytes: number;
}

/** The largest fetch the API allows: catch-up passes set it so that max_records binds (or, at LIMITS.maxFetchRecords, bytes do). */
const MAX_FETCH_BYTES = LIMITS.maxFetchBytes;

/**
 * Fetches ask for their answer uncompressed: Miniflare gzips JSON for a client that accepts it,
 * as Cloudflare's edge does outside the Worker, and that gzip ran in workerd's process (most of a
 * 10^5-record JSON catch-up's time); the Durable Streams peer (bench/peer.ts) runs with
 * compression off, and node's fetch accepts gzip by default.
 */
const IDENTITY = { "accept-encoding": "identity" };

const recordsPath = (topic: string, offset: number, maxRecords: number): string =>
  `/v1/topics/${topic}/partitions/0/records?offset=${offset}&max_records=${maxRecords}`;

export async function fetchJsonAt(
  http: Http,
  topic: string,
  offset: number,
  maxRecords: number,
  maxBytes?: number,
): Promise<Fetched> {
  const bytes = maxBytes === undefined ? "" : `&max_bytes=${maxBytes}`;
  const r = await call(http, "GET", `${recordsPath(topic, offset, maxRecords)}${bytes}`, undefined, IDENTITY);
  expectStatus(`fetch ${topic}@${offset}`, r, 200);
  const body = JSON.parse(r.text) as FetchBody;
  if (body.records[0]?.offset !== offset)
    throw new Error(`fetch ${topic}@${offset}: first record is ${JSON.stringify(body.records[0])?.slice(0, 200)}`);
  return { body, wireBytes: r.text.length };
}

export const fetchOutcome = (f: Fetched): OpOutcome => ({
  records: f.body.records.length,
  payloadBytes: f.body.records.reduce((n, rec) => n + (rec.value?.length ?? 0), 0),
  wireBytes: f.wireBytes,
});

/**
 * A binary fetch (Accept: the record-batch type): frames decoded into records, as a consumer
 * would (as the client's `fetchBatch`: keys and values are views into the body).
 */
async function fetchBinaryAt(
  http: Http,
  topic: string,
  offset: number,
  maxRecords: number,
  maxBytes = MAX_FETCH_BYTES,
): Promise<Fetched> {
  const res = await fetch(`${http.base}${recordsPath(topic, offset, maxRecords)}&max_bytes=${maxBytes}`, {
    headers: { authorization: `Bearer ${http.token}`, accept: RECORD_BATCH_CONTENT_TYPE, ...IDENTITY },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200)
    throw new Error(
      `binary fetch ${topic}@${offset}: HTTP ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 300)}`,
    );
  const records = decodeBatches(decodeFrames(bytes), { views: true });
  if (records[0]?.offset !== offset)
    throw new Error(`binary fetch ${topic}@${offset}: first record is ${records[0]?.offset}`);
  const next = Number(res.headers.get(FETCH_HEADERS.nextOffset));
  const hw = Number(res.headers.get(FETCH_HEADERS.highWatermark));
  return { body: { records, next_offset: next, high_watermark: hw }, wireBytes: bytes.length };
}

/** A consumer's catch-up: a few warm-up reads spread over the log, then one measured pass from offset 0 to `end`. */
export async function sequentialPass(
  http: Http,
  topic: string,
  end: number,
  maxRecords: number,
  capMs: number,
  format: "json" | "binary" = "json",
): Promise<Throughput> {
  const fetchAt = format === "json" ? fetchJsonAt : fetchBinaryAt;
  const prng = new Prng(3);
  for (let i = 0; i < 10; i++)
    await fetchAt(http, topic, prng.int(0, Math.max(0, end - maxRecords)), maxRecords, MAX_FETCH_BYTES);
  let offset = 0;
  const r = throughput(
    await runLoad({
      // At most one request per record: `done` ends the pass at the end of the log.
      requests: end,
      concurrency: 1,
      timeCapMs: capMs,
      done: () => offset >= end,
      op: async () => {
        const f = await fetchAt(http, topic, offset, maxRecords, MAX_FETCH_BYTES);
        offset = f.body.next_offset;
        return fetchOutcome(f);
      },
    }),
  );
  if (offset < end && !r.capped_by_time) throw new Error(`fetch pass of ${topic} stopped at ${offset} of ${end}`);
  return r;
}

export async function highWatermark(client: FlarelogClient, topic: string): Promise<number> {
  const r = await client.describeTopic(topic);
  if (!r.ok) throw new Error(`describe ${topic}: HTTP ${r.status}`);
  return r.body.partitions[0]!.high_watermark ?? 0;
}

/** Fills partition 0 of `topic` with `records` records in batches of `batch` (not measured per request). */
export async function fill(
  http: Http,
  topic: string,
  records: number,
  batch: number,
  concurrency: number,
  capMs: number,
  seed: number,
): Promise<Throughput> {
  const bodies = produceBodies(batch, seed);
  const op = produceOp(http, topic, "1", bodies, batch);
  return throughput(await runLoad({ requests: Math.ceil(records / batch), concurrency, timeCapMs: capMs, op }));
}
