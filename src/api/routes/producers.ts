/**
 * `POST /v1/producers`: InitProducerId for idempotent producers. The coordinator allocates or
 * re-epochs the id (src/coordinator/producer-ids.ts); the answer is the id and epoch to put in
 * every idempotent produce. An empty body is the same as `{}`.
 */
import { Hono } from "hono";
import { Cluster, call } from "../cluster.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { readJson, validate } from "../request.ts";
import { InitProducerSchema } from "../schemas.ts";

export const producerRoutes = new Hono<AppEnv>();

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
