/**
 * What each route of the HTTP API needs, by the route's operationId (src/contract/routes.ts):
 * the operation on which resource, as Kafka's authorizer asks for the matching Kafka request.
 * docs/api.md "Route → ACL" shows this table; test/unit/route-acls.test.ts requires an entry for
 * every route of the contract and of the mounted app (a route missing here fails the test), and
 * the API refuses to mount a route without one.
 *
 * `name` says where the resource's name comes from: a path parameter; `listing` (the route
 * answers only the resources the key may Describe); `body` (the route checks it after reading
 * the body, e.g. the new topic's name); `cluster` (the one cluster resource). `public` routes
 * need no credential; `root` routes only the root token (tenant administration, operations).
 */
import type { Operation, ResourceType } from "../protocol/acl.ts";

export type RouteAcl =
  | { kind: "public" }
  | { kind: "root" }
  | { kind: "acl"; resource: ResourceType; operation: Operation; name: { param: "topic" | "group" } | "listing" | "body" | "cluster" };

const pub: RouteAcl = { kind: "public" };
const root: RouteAcl = { kind: "root" };
const topic = (operation: Operation): RouteAcl => ({ kind: "acl", resource: "topic", operation, name: { param: "topic" } });
const group = (operation: Operation): RouteAcl => ({ kind: "acl", resource: "group", operation, name: { param: "group" } });
const cluster = (operation: Operation): RouteAcl => ({ kind: "acl", resource: "cluster", operation, name: "cluster" });

export const ROUTE_ACLS: Readonly<Record<string, RouteAcl>> = {
  health: pub,
  openapi: pub,
  createTopic: { kind: "acl", resource: "topic", operation: "create", name: "body" },
  listTopics: { kind: "acl", resource: "topic", operation: "describe", name: "listing" },
  describeTopic: topic("describe"),
  alterTopic: topic("alter"),
  deleteTopic: topic("delete"),
  produce: topic("write"),
  producePartition: topic("write"),
  fetch: topic("read"),
  listOffsets: topic("describe"),
  initProducerId: { kind: "acl", resource: "producer", operation: "idempotent_write", name: "body" },
  describeProducers: topic("describe"),
  joinGroup: group("read"),
  heartbeat: group("read"),
  leaveGroup: group("read"),
  pollGroup: group("read"),
  commitOffsets: group("read"),
  groupOffsets: group("describe"),
  resetOffsets: group("read"),
  listGroups: { kind: "acl", resource: "group", operation: "describe", name: "listing" },
  describeGroup: group("describe"),
  deleteGroup: group("delete"),
  takeReplicaOffline: root,
  bringReplicaOnline: root,
  electPreferredLeader: root,
  createTenant: root,
  listTenants: root,
  describeTenant: root,
  deleteTenant: root,
  getTenantQuotas: root,
  setTenantQuotas: root,
  getTenantCors: root,
  setTenantCors: root,
  getStreamAccess: root,
  setStreamAccess: root,
  createKey: cluster("alter"),
  listKeys: cluster("describe"),
  revokeKey: cluster("alter"),
  // A tenant's scrape: Describe on the cluster (Kafka's nearest: metrics over JMX are an operator's).
  metrics: cluster("describe"),
  // The page itself is public; everything it shows comes from API calls made with the user's token.
  console: pub,
};

export function routeAcl(operationId: string): RouteAcl | undefined {
  return Object.hasOwn(ROUTE_ACLS, operationId) ? ROUTE_ACLS[operationId] : undefined;
}
