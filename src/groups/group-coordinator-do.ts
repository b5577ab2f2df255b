/**
 * GroupCoordinatorDO: one per (tenant, group). Consumer-group membership, assignment and
 * committed offsets arrive with the consumer-groups issue; the class is bound now so the
 * deployment's Durable Object migrations do not change later.
 */
import { DurableObject } from "cloudflare:workers";

export class GroupCoordinatorDO extends DurableObject<Env> {}
