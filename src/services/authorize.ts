/**
 * Authorization inside the services: each operation checks the caller's ACL entries
 * (ServiceContext.acls) for the resource it touches, so a key is held to the same rights at
 * every front door — the native API (which also checks at its route guard, before reading a
 * body), the HTTP dialects, the RPC entrypoint. Kafka's model and refusals (29 topic, 30 group,
 * 31 cluster and producer ids) come from src/services/acl.ts.
 */
import type { Operation, ResourceType } from "../protocol/acl.ts";
import { authorize, CLUSTER, isAllowed } from "./acl.ts";
import type { ServiceContext } from "./context.ts";
import { must } from "./result.ts";

/** Stops the operation with Kafka's refusal unless the caller may do `operation` on the resource. */
export function requireRight(ctx: ServiceContext, type: ResourceType, name: string, operation: Operation): void {
  if (ctx.acls) must(authorize(ctx.acls, type, type === "cluster" ? CLUSTER : name, operation));
}

/** Whether the caller may do `operation` on the resource (listings show only what may be described). */
export function hasRight(ctx: ServiceContext, type: ResourceType, name: string, operation: Operation): boolean {
  return !ctx.acls || isAllowed(ctx.acls, type, type === "cluster" ? CLUSTER : name, operation);
}

/** Kafka's CreateTopics rule: Create on the cluster, or on the topic's own name. */
export function requireCreateTopic(ctx: ServiceContext, topic: string): void {
  if (!hasRight(ctx, "cluster", CLUSTER, "create")) requireRight(ctx, "topic", topic, "create");
}
