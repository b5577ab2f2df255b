/**
 * `POST /v1/producers`: InitProducerId for idempotent producers. The coordinator allocates or
 * re-epochs the id (src/coordinator/producer-ids.ts); the answer is the id and epoch to put in
 * every idempotent produce. An empty body is the same as `{}`.
 * `GET /v1/topics/{topic}/partitions/{partition}/producers`: the producers the partition leader
 * remembers (Kafka's DescribeProducers, as `kafka-transactions --describe-producers` shows them).
 */
import { Hono } from "hono";
import { Cluster, call } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { readJson, validate } from "../request.ts";
import { parsePartitionParam } from "../params.ts";
import { InitProducerSchema } from "../schemas.ts";
import { topicParam } from "./topics.ts";

export const producerRoutes = new Hono<AppEnv>();
/** Mounted under /v1/topics. */
export const producerStateRoutes = new Hono<AppEnv>();

producerStateRoutes.get("/:topic/partitions/:partition/producers", async (c) => {
  const topic = topicParam(c.req.param("topic"));
  const partition = unwrap(parsePartitionParam(c.req.param("partition")));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const producers = unwrap(
    await cluster.withLeader(topic, partition, (meta, p) => cluster.leaderOf(meta, partition).describeProducers({ leaderEpoch: p.leaderEpoch }), {
      idempotent: true,
    }),
  );
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

producerRoutes.post("/", async (c) => {
  const body = validate(InitProducerSchema, await readJson(c, {}));
  const cluster = new Cluster(c.env, c.get("tenant"));
  const r = unwrap(
    await call(() =>
      cluster.coordinator().initProducerId({
        ...(body.transactional_id !== undefined ? { transactionalId: body.transactional_id } : {}),
        ...(body.producer_id !== undefined ? { producerId: body.producer_id } : {}),
        ...(body.producer_epoch !== undefined ? { producerEpoch: body.producer_epoch } : {}),
      }),
    ),
  );
  return c.json({ producer_id: r.producerId, producer_epoch: r.producerEpoch });
});
