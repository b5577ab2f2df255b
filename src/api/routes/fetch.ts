/**
 * Fetch and list-offsets routes for one partition. Only records below the high watermark are
 * served; `wait_ms` long-polls in the leader until a record is visible or the time passes.
 */
import { Hono } from "hono";
import { LIMITS } from "../../protocol/config.ts";
import type { OffsetSpec } from "../../protocol/types.ts";
import { Cluster } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { encodeBytes, parseEncodingParam, parseIntParam, parseOffsetParam, parsePartitionParam } from "../params.ts";
import { topicParam } from "./topics.ts";

export const fetchRoutes = new Hono<AppEnv>();

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
  const r = unwrap(
    await cluster.withLeader(topic, partition, (meta, p) =>
      cluster.leaderOf(meta, partition).fetchRecords({ offset, maxRecords, maxBytes, waitMs, leaderEpoch: p.leaderEpoch }),
      { idempotent: true },
    ),
  );
  return c.json({
    records: r.records.map((rec) => ({
      offset: rec.offset,
      timestamp: rec.timestamp,
      key: encodeBytes(rec.key, encoding),
      value: encodeBytes(rec.value, encoding),
      headers: Object.fromEntries(rec.headers.map((h) => [h.key, encodeBytes(h.value, encoding)])),
    })),
    next_offset: r.nextOffset,
    high_watermark: r.highWatermark,
    log_start_offset: r.logStartOffset,
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
