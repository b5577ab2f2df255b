/**
 * InitProducerId for idempotent producers, shared by every front door: the coordinator
 * allocates or re-epochs the id (src/coordinator/producer-ids.ts); the answer is the id and
 * epoch to put in every idempotent produce.
 */
import type { Result } from "../protocol/errors.ts";
import type { InitProducerRequest, ProducerIdAndEpoch } from "../coordinator/producer-ids.ts";
import { requireRight } from "./authorize.ts";
import { Cluster, call } from "./cluster.ts";
import { settleSync } from "./result.ts";
import type { ServiceContext } from "./context.ts";

export type { InitProducerRequest, ProducerIdAndEpoch };

export async function initProducerId(ctx: ServiceContext, req: InitProducerRequest): Promise<Result<ProducerIdAndEpoch>> {
  const allowed = settleSync(() => requireRight(ctx, "producer", req.transactionalId ?? "", "idempotent_write"));
  if (!allowed.ok) return allowed;
  return call(() => Cluster.of(ctx).coordinator().initProducerId(req));
}
