/**
 * `POST /v1/producers`: InitProducerId for idempotent producers (src/services/producers.ts). An
 * empty body is the same as `{}`.
 */
import type { Hono } from "hono";
import { initProducerRoute } from "../../contract/routes.ts";
import { InitProducerSchema } from "../../contract/schemas.ts";
import { initProducerId } from "../../services/producers.ts";
import { requireAcl } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { mount, serviceContext as svc } from "../mount.ts";
import { readJson, validate } from "../request.ts";

export function producerRoutes(app: Hono<AppEnv>): void {
  mount(app, initProducerRoute, async (c) => {
    const body = validate(InitProducerSchema, await readJson(c, {}));
    // Kafka's IdempotentWrite: a producer id is issued only to a key allowed it (named by its transactional id, if any).
    requireAcl(c, "producer", body.transactional_id ?? "", "idempotent_write");
    const r = unwrap(
      await initProducerId(svc(c), {
        ...(body.transactional_id !== undefined ? { transactionalId: body.transactional_id } : {}),
        ...(body.producer_id !== undefined ? { producerId: body.producer_id } : {}),
        ...(body.producer_epoch !== undefined ? { producerEpoch: body.producer_epoch } : {}),
      }),
    );
    return c.json({ producer_id: r.producerId, producer_epoch: r.producerEpoch });
  });
}
