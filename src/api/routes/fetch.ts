/**
 * Fetch, list-offsets and describe-producers routes for one partition (src/services/fetch.ts).
 *
 * The leader answers with stored batches cut to the records read; this door writes the contract's
 * JSON straight from them (src/api/fetch-json.ts), or, when the request accepts
 * `application/vnd.flarelog.record-batch`, forwards them as binary frames untouched. With
 * `live=sse` the answer is a live tail instead (src/api/sse.ts): the records as Server-Sent
 * Events as they pass the high watermark.
 */
import type { Hono } from "hono";
import { encodeFrames } from "../../codec/record-batch.ts";
import { describeProducersRoute, fetchRoute, listOffsetsRoute } from "../../contract/routes.ts";
import type { OffsetSpec } from "../../protocol/types.ts";
import { FETCH_HEADERS, RECORD_BATCH_CONTENT_TYPE } from "../../protocol/wire.ts";
import { describeProducers, fetchBatches, listOffsets } from "../../services/fetch.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { fetchJson } from "../fetch-json.ts";
import { mount, serviceContext as svc, topicOf } from "../mount.ts";
import { parseEncodingParam, parseIntParam, parseOffsetParam, parsePartitionParam } from "../params.ts";
import { readBounds } from "../query.ts";
import { liveTail } from "../sse.ts";

const acceptsBatches = (accept: string | undefined) =>
  (accept ?? "").split(",").some((t) => t.split(";")[0]!.trim().toLowerCase() === RECORD_BATCH_CONTENT_TYPE);

function parseOffsetSpec(raw: string): OffsetSpec {
  if (raw === "earliest" || raw === "latest") return raw;
  return { timestamp: unwrap(parseIntParam(raw, { name: "timestamp", min: 0, max: Number.MAX_SAFE_INTEGER })) };
}

export function fetchRoutes(app: Hono<AppEnv>): void {
  mount(app, fetchRoute, async (c) => {
    const q = (k: string) => c.req.query(k);
    const topic = topicOf(c);
    const partition = unwrap(parsePartitionParam(c.req.param("partition")));
    const live = q("live");
    if (live === undefined && q("live_ms") !== undefined) raise("INVALID_REQUEST", "live_ms applies only with live=sse");
    const offset = live === undefined ? unwrap(parseOffsetParam(q("offset") ?? "earliest")) : null;
    const bounds = readBounds(q);
    const encoding = unwrap(parseEncodingParam(q("encoding")));
    if (offset === null) {
      if (live !== "sse") raise("INVALID_REQUEST", `live must be sse, got ${JSON.stringify(live)}`);
      return liveTail(c, { topic, partition, encoding, maxRecords: bounds.maxRecords, maxBytes: bounds.maxBytes });
    }
    const r = unwrap(await fetchBatches(svc(c), { topic, partition, offset, ...bounds }));
    if (acceptsBatches(c.req.header("accept"))) {
      const frames = encodeFrames(r.batches);
      return new Response(frames, {
        headers: {
          "content-type": RECORD_BATCH_CONTENT_TYPE,
          // Set here, not left to the runtime: the fetch-byte quota and the request log read it.
          "content-length": String(frames.byteLength),
          [FETCH_HEADERS.nextOffset]: String(r.nextOffset),
          [FETCH_HEADERS.highWatermark]: String(r.highWatermark),
          [FETCH_HEADERS.logStartOffset]: String(r.logStartOffset),
        },
      });
    }
    const body = fetchJson(r, encoding);
    const headers = { "content-type": "application/json", "content-length": String(body.byteLength) };
    return new Response(body, { headers });
  });

  mount(app, listOffsetsRoute, async (c) => {
    const topic = topicOf(c);
    const partition = unwrap(parsePartitionParam(c.req.param("partition")));
    const spec = parseOffsetSpec(c.req.query("timestamp") ?? "latest");
    const r = unwrap(await listOffsets(svc(c), topic, partition, spec));
    return c.json({ offset: r.offset, timestamp: r.timestamp });
  });

  mount(app, describeProducersRoute, async (c) => {
    const topic = topicOf(c);
    const partition = unwrap(parsePartitionParam(c.req.param("partition")));
    const producers = unwrap(await describeProducers(svc(c), topic, partition));
    return c.json({
      producers: producers.map((x) => ({
        producer_id: x.producerId,
        producer_epoch: x.producerEpoch,
        last_sequence: x.lastSequence,
        last_timestamp: x.lastTimestamp,
        last_batch_base_offset: x.lastBatchBaseOffset,
        last_batch_last_offset: x.lastBatchLastOffset,
        batches: x.batches,
      })),
    });
  });
}
