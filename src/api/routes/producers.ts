/**
 * `POST /v1/producers`: InitProducerId for idempotent producers (src/services/producers.ts). An
 * empty body is the same as `{}`.
 */
import type { Hono } from "hono";
import { initProducerRoute } from "../../contract/routes.ts";
import { InitProducerSchema } from "../../contract/schemas.ts";
import { initProducerId } from "../../services/producers.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../errors.ts";
import { mount, serviceContext as svc } from "../mount.ts";
import { readJson, validate } from "../request.ts";

export function producerRoutes(app: Hono<AppEnv>): void {
  mount(app, initProducerRoute, async (c) => {
    const body = validate(InitProducerSchema, await readJson(c, {}));
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
