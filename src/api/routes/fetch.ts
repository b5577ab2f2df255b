/**
 * Fetch and list-offsets routes for one partition. Only records below the high watermark are
 * served; `wait_ms` long-polls in the leader until a record is visible or the time passes.
 *
 * The leader answers with stored batches cut to the records read (one byte array per batch over
 * RPC); this edge turns them into the contract's JSON, or, when the request accepts
 * `application/vnd.flarelog.record-batch`, forwards them as binary frames untouched.
 */
import { Hono } from "hono";
import { LIMITS } from "../../protocol/config.ts";
import type { Result } from "../../protocol/errors.ts";
import type { FetchedBatches, FetchResult, OffsetSpec, ReplicaFetchRequest } from "../../protocol/types.ts";
import { FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from "../../protocol/wire.ts";
import { decodeBatches, encodeFrames } from "../../codec/record-batch.ts";
import { Cluster } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { jsonResponse, unwrap } from "../errors.ts";
import { encodeBytes, parseEncodingParam, parseIntParam, parseOffsetParam, parsePartitionParam, type BytesEncoding } from "../params.ts";
import { topicParam } from "./topics.ts";

export const fetchRoutes = new Hono<AppEnv>();

/** One fetch from the partition's leader (re-sent on a leader change: reads are idempotent). */
export function fetchFromLeader(cluster: Cluster, topic: string, partition: number, req: Omit<ReplicaFetchRequest, "leaderEpoch">): Promise<Result<FetchedBatches>> {
  return cluster.withLeader(topic, partition, (meta, p) => cluster.leaderOf(meta, partition).fetchBatches({ ...req, leaderEpoch: p.leaderEpoch }), {
    idempotent: true,
  });
}

/** The fetched batches decoded into records. */
export function decodeFetched(f: FetchedBatches): FetchResult {
  const { batches, ...rest } = f;
  return { records: decodeBatches(batches), ...rest };
}

/** The contract's JSON records of a fetch. */
export function recordsJson(records: FetchResult["records"], encoding: BytesEncoding) {
  return records.map((rec) => ({
    offset: rec.offset,
    timestamp: rec.timestamp,
    key: encodeBytes(rec.key, encoding),
    value: encodeBytes(rec.value, encoding),
    headers: Object.fromEntries(rec.headers.map((h) => [h.key, encodeBytes(h.value, encoding)])),
  }));
}

const acceptsBatches = (accept: string | undefined) =>
  (accept ?? "").split(",").some((t) => t.split(";")[0]!.trim().toLowerCase() === RECORD_BATCH_CONTENT_TYPE);

fetchRoutes.get("/:topic/partitions/:partition/records", async (c) => {
  const topic = topicParam(c.req.param("topic"));
  const partition = unwrap(parsePartitionParam(c.req.param("partition")));
  const q = (k: string) => c.req.query(k);
  const offset = unwrap(parseOffsetParam(q("offset") ?? "earliest"));
  const maxRecords = unwrap(parseIntParam(q("max_records"), { name: "max_records", min: 1, max: LIMITS.maxFetchRecords, default: LIMITS.defaultFetchRecords }));
  const maxBytes = unwrap(parseIntParam(q("max_bytes"), { name: "max_bytes", min: 1, max: LIMITS.maxFetchBytes, default: LIMITS.defaultFetchBytes }));
  const waitMs = unwrap(parseIntParam(q("wait_ms"), { name: "wait_ms", min: 0, max: LIMITS.maxWaitMs, default: 0 }));
  const encoding = unwrap(parseEncodingParam(q("encoding")));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const r = unwrap(await fetchFromLeader(cluster, topic, partition, { offset, maxRecords, maxBytes, waitMs }));
  if (acceptsBatches(c.req.header("accept")))
    return new Response(encodeFrames(r.batches), {
      headers: {
        "content-type": RECORD_BATCH_CONTENT_TYPE,
        [FETCH_HEADERS.nextOffset]: String(r.nextOffset),
        [FETCH_HEADERS.highWatermark]: String(r.highWatermark),
        [FETCH_HEADERS.logStartOffset]: String(r.logStartOffset),
      },
    });
  const f = decodeFetched(r);
  return jsonResponse({
    records: recordsJson(f.records, encoding),
    next_offset: f.nextOffset,
    high_watermark: f.highWatermark,
    log_start_offset: f.logStartOffset,
  });
});

fetchRoutes.get("/:topic/partitions/:partition/offsets", async (c) => {
  const topic = topicParam(c.req.param("topic"));
  const partition = unwrap(parsePartitionParam(c.req.param("partition")));
  const raw = c.req.query("timestamp") ?? "latest";
  let spec: OffsetSpec;
  if (raw === "earliest" || raw === "latest") spec = raw;
  else {
    const ts = unwrap(parseIntParam(raw, { name: "timestamp", min: 0, max: Number.MAX_SAFE_INTEGER }));
    spec = { timestamp: ts };
  }
  const cluster = new Cluster(c.env, c.get("tenant"));
  const r = unwrap(
    await cluster.withLeader(topic, partition, (meta, p) =>
      cluster.leaderOf(meta, partition).listOffsets({ spec, leaderEpoch: p.leaderEpoch }),
      { idempotent: true },
    ),
  );
  return c.json({ offset: r.offset, timestamp: r.timestamp });
});
