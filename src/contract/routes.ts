/**
 * The HTTP contract, one definition per route (`createRoute`): method, path, operationId,
 * request (path, query, body) and every response with its schema. The same objects mount the
 * routes (src/api/app.ts), validate requests, generate `/openapi.json`, type the client
 * (src/contract/types.ts) and check answers in tests (test/workers/contract.test.ts), so none
 * of them can drift from the others.
 *
 * Field names are API.md's, snake_case, exactly. Query and path values are strings in HTTP;
 * their schemas document the accepted shapes, the route parsers give the precise errors.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { RECORD_BATCH_CONTENT_TYPE } from "../protocol/wire.ts";
import {
  AlterTopicSchema,
  BatchProduceResponseSchema,
  CommitOffsetsSchema,
  CreatedKeySchema,
  CreateKeySchema,
  CreateTenantSchema,
  KeyListSchema,
  QuotasSchema,
  TenantCorsSchema,
  StreamAccessSchema,
  TenantListSchema,
  TenantSchema,
  CreateTopicSchema,
  ErrorBodySchema,
  FetchResponseSchema,
  GroupDescriptionSchema,
  GroupListSchema,
  GroupOffsetsSchema,
  GroupRecordsSchema,
  HealthSchema,
  HeartbeatSchema,
  InitProducerSchema,
  JoinGroupSchema,
  ListOffsetsResponseSchema,
  MemberAssignmentSchema,
  PartitionDescriptionSchema,
  ProduceResponseSchema,
  ProduceSchema,
  ProducerIdSchema,
  ProducerStateSchema,
  ResetOffsetsResponseSchema,
  ResetOffsetsSchema,
  TopicDescriptionSchema,
  TopicListSchema,
} from "./schemas.ts";

const json = <S extends z.ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(ErrorBodySchema, description);
const body = <S extends z.ZodType>(schema: S, required = true) => ({ body: { required, content: { "application/json": { schema } } } });

/** The error answers every authenticated route can give. */
const common = {
  400: error("Invalid request (42) or a bad parameter"),
  401: error("Missing or invalid bearer token (58)"),
  405: error("Method not allowed on this path (the Allow header lists the allowed ones)"),
  408: error("The request body did not arrive within 10 s (7)"),
  415: error("A body of a content type the route does not take (42)"),
  429: error("Over a rate quota (89): Retry-After and throttle_time_ms say how long to wait"),
};
const unknown = { 404: error("Unknown topic or partition (3)") };
const unavailable = { 503: error("Leader or replica not available, not enough replicas (retriable)") };
const fenced = { 409: error("Fenced: stale member epoch (110/22), unknown member (25), replaced static member (82)") };
const bearer = [{ bearer: [] }];

const topic = z.object({ topic: z.string().openapi({ example: "orders", description: "Topic name, [a-zA-Z0-9._-]{1,249}" }) });
const partition = topic.extend({ partition: z.string().openapi({ example: "0", description: "Partition number" }) });
const group = z.object({ group: z.string().openapi({ example: "billing", description: "Group id, [a-zA-Z0-9._-]{1,249}" }) });
const member = group.extend({ member: z.string().openapi({ example: "m-0b1c", description: "Member id from the join" }) });
const int = (description: string) => z.string().regex(/^\d+$/).optional().openapi({ description });
const produceQuery = z.object({
  acks: z.enum(["all", "-1", "1", "0"]).optional().openapi({ description: "all (default) | 1 | 0" }),
  timeout_ms: int("How long acks=all waits for the ISR (default 30000)"),
});
const binary = (description: string) => z.string().openapi({ format: "binary", description });

export const healthRoute = createRoute({
  method: "get", path: "/healthz", operationId: "health", tags: ["operations"], summary: "Liveness", security: [],
  responses: { 200: json(HealthSchema, "Healthy"), 405: common[405] },
});

export const openApiRoute = createRoute({
  method: "get", path: "/openapi.json", operationId: "openapi", tags: ["operations"], summary: "This document", security: [],
  responses: { 200: { description: "The OpenAPI 3.1 document", content: { "application/json": { schema: z.object({}).passthrough() } } }, 405: common[405] },
});

export const createTopicRoute = createRoute({
  method: "post", path: "/v1/topics", operationId: "createTopic", tags: ["topics"], summary: "Create a topic",
  security: bearer, request: body(CreateTopicSchema),
  responses: { 201: json(TopicDescriptionSchema, "Created"), 409: error("Topic exists (36)"), ...common },
});

export const listTopicsRoute = createRoute({
  method: "get", path: "/v1/topics", operationId: "listTopics", tags: ["topics"], summary: "List topics",
  security: bearer, responses: { 200: json(TopicListSchema, "Topics"), ...common },
});

export const describeTopicRoute = createRoute({
  method: "get", path: "/v1/topics/{topic}", operationId: "describeTopic", tags: ["topics"],
  summary: "Describe a topic: leader, leader epoch, ISR, offsets per partition",
  security: bearer, request: { params: topic }, responses: { 200: json(TopicDescriptionSchema, "Topic"), ...unknown, ...common },
});

export const alterTopicRoute = createRoute({
  method: "patch", path: "/v1/topics/{topic}", operationId: "alterTopic", tags: ["topics"],
  summary: "Grow partitions and/or change configs",
  security: bearer, request: { params: topic, ...body(AlterTopicSchema) },
  responses: { 200: json(TopicDescriptionSchema, "Topic"), ...unknown, ...common },
});

export const deleteTopicRoute = createRoute({
  method: "delete", path: "/v1/topics/{topic}", operationId: "deleteTopic", tags: ["topics"], summary: "Delete a topic",
  security: bearer, request: { params: topic }, responses: { 204: { description: "Deleted" }, ...unknown, ...common },
});

export const produceRoute = createRoute({
  method: "post", path: "/v1/topics/{topic}/records", operationId: "produce", tags: ["produce"],
  summary: "Produce records (partition per record: explicit, murmur2 of the key, or round-robin)",
  security: bearer,
  request: {
    params: topic, query: produceQuery.extend({ encoding: z.enum(["utf8", "base64"]).optional().openapi({ description: "NDJSON bodies only" }) }),
    body: { required: true, content: { "application/json": { schema: ProduceSchema }, "application/x-ndjson": { schema: z.string().openapi({ description: "One record object a line" }) } } },
  },
  responses: {
    200: json(ProduceResponseSchema, "Offsets, one per record, in request order"),
    202: json(z.object({}).strict().openapi("Accepted"), "acks=0: accepted"),
    413: error("Too large (10, 18)"), ...unknown, ...unavailable, ...common,
  },
});

export const producePartitionRoute = createRoute({
  method: "post", path: "/v1/topics/{topic}/partitions/{partition}/records", operationId: "producePartition", tags: ["produce"],
  summary: "Produce to one partition (also the idempotent form, and binary record batches)",
  security: bearer,
  request: {
    params: partition,
    query: produceQuery.extend({
      producer_id: int("Binary batch only: the idempotent producer (with producer_epoch, base_sequence)"),
      producer_epoch: int("Binary batch only"),
      base_sequence: int("Binary batch only"),
    }),
    body: {
      required: true,
      content: {
        "application/json": { schema: ProduceSchema },
        [RECORD_BATCH_CONTENT_TYPE]: { schema: binary("One record batch in the stored format (docs/api.md, Binary record batches)") },
      },
    },
  },
  responses: {
    200: {
      description: "Offsets (JSON body), or for a binary batch the partition's base offset",
      content: { "application/json": { schema: z.union([ProduceResponseSchema, BatchProduceResponseSchema]) } },
    },
    202: json(z.object({}).strict(), "acks=0: accepted"),
    409: error("Sequence (45) or producer epoch (47) error"),
    413: error("Too large (10, 18)"), ...unknown, ...unavailable, ...common,
  },
});

export const fetchRoute = createRoute({
  method: "get", path: "/v1/topics/{topic}/partitions/{partition}/records", operationId: "fetch", tags: ["fetch"],
  summary: "Fetch records below the high watermark (long poll with wait_ms)",
  security: bearer,
  request: {
    params: partition,
    query: z.object({
      offset: z.string().optional().openapi({ description: "An offset, earliest (default) or latest" }),
      max_records: int("Default 500"), max_bytes: int("Default 1048576"), wait_ms: int("Long poll, default 0"),
      encoding: z.enum(["utf8", "base64"]).optional(),
    }),
  },
  responses: {
    200: {
      description: `Records; with \`Accept: ${RECORD_BATCH_CONTENT_TYPE}\` binary frames (baseOffset, length, batch) and the offsets in flarelog-* headers`,
      content: { "application/json": { schema: FetchResponseSchema }, [RECORD_BATCH_CONTENT_TYPE]: { schema: binary("Frames") } },
    },
    416: error("Offset out of range (1)"), ...unknown, ...unavailable, ...common,
  },
});

export const listOffsetsRoute = createRoute({
  method: "get", path: "/v1/topics/{topic}/partitions/{partition}/offsets", operationId: "listOffsets", tags: ["fetch"],
  summary: "Offset for a timestamp, earliest or latest",
  security: bearer,
  request: { params: partition, query: z.object({ timestamp: z.string().optional().openapi({ description: "ms, earliest or latest (default)" }) }) },
  responses: { 200: json(ListOffsetsResponseSchema, "Offset"), ...unknown, ...unavailable, ...common },
});

export const initProducerRoute = createRoute({
  method: "post", path: "/v1/producers", operationId: "initProducerId", tags: ["produce"],
  summary: "Initialise an idempotent producer (InitProducerId)",
  security: bearer, request: body(InitProducerSchema, false),
  responses: { 200: json(ProducerIdSchema, "Producer id and epoch"), 409: error("Stale epoch (47) or unknown producer id (59)"), ...common },
});

export const describeProducersRoute = createRoute({
  method: "get", path: "/v1/topics/{topic}/partitions/{partition}/producers", operationId: "describeProducers", tags: ["produce"],
  summary: "Idempotent producers the partition leader remembers (Kafka's DescribeProducers)",
  security: bearer, request: { params: partition },
  responses: { 200: json(ProducerStateSchema, "Producers, least recently written first"), ...unknown, ...unavailable, ...common },
});

export const joinGroupRoute = createRoute({
  method: "post", path: "/v1/groups/{group}/members", operationId: "joinGroup", tags: ["groups"],
  summary: "Join a consumer group (server-side assignment)",
  security: bearer, request: { params: group, ...body(JoinGroupSchema) },
  responses: { 200: json(MemberAssignmentSchema, "Member id, epoch and assignment"), 409: error("Another assignor (23) or group full (81)"), ...common },
});

export const heartbeatRoute = createRoute({
  method: "post", path: "/v1/groups/{group}/members/{member}/heartbeat", operationId: "heartbeat", tags: ["groups"],
  summary: "Heartbeat; report owned partitions; get the current assignment",
  security: bearer, request: { params: member, ...body(HeartbeatSchema) },
  responses: { 200: json(MemberAssignmentSchema, "Current assignment"), ...fenced, ...common },
});

export const leaveGroupRoute = createRoute({
  method: "delete", path: "/v1/groups/{group}/members/{member}", operationId: "leaveGroup", tags: ["groups"], summary: "Leave the group",
  security: bearer, request: { params: member }, responses: { 204: { description: "Left" }, ...fenced, ...common },
});

export const pollGroupRoute = createRoute({
  method: "get", path: "/v1/groups/{group}/members/{member}/records", operationId: "pollGroup", tags: ["groups"],
  summary: "Records of the member's partitions from its positions",
  security: bearer,
  request: {
    params: member,
    query: z.object({
      max_records: int("Default 500"), max_bytes: int("Default 1048576"), wait_ms: int("Long poll, default 0"),
      auto_commit: z.enum(["true", "false"]).optional(), member_epoch: int("Fences a stale member"),
      encoding: z.enum(["utf8", "base64"]).optional(),
      cursor: int("The previous answer's cursor: acknowledges its records; another value re-reads them"),
    }),
  },
  responses: { 200: json(GroupRecordsSchema, "Records"), ...fenced, ...common },
});

export const commitOffsetsRoute = createRoute({
  method: "post", path: "/v1/groups/{group}/offsets", operationId: "commitOffsets", tags: ["groups"],
  summary: "Commit offsets (next offset to read), fenced by member epoch and ownership",
  security: bearer, request: { params: group, ...body(CommitOffsetsSchema) },
  responses: { 204: { description: "Committed" }, ...fenced, ...common },
});

export const groupOffsetsRoute = createRoute({
  method: "get", path: "/v1/groups/{group}/offsets", operationId: "groupOffsets", tags: ["groups"], summary: "Committed offsets and lag",
  security: bearer, request: { params: group }, responses: { 200: json(GroupOffsetsSchema, "Offsets"), 404: error("No such group (69)"), ...common },
});

export const resetOffsetsRoute = createRoute({
  method: "post", path: "/v1/groups/{group}/offsets/reset", operationId: "resetOffsets", tags: ["groups"],
  summary: "Reset offsets of an empty group (kafka-consumer-groups --reset-offsets)",
  security: bearer, request: { params: group, ...body(ResetOffsetsSchema) },
  responses: { 200: json(ResetOffsetsResponseSchema, "The new offsets"), 409: error("Group has members (68)"), ...unknown, ...common },
});

export const listGroupsRoute = createRoute({
  method: "get", path: "/v1/groups", operationId: "listGroups", tags: ["groups"], summary: "List consumer groups",
  security: bearer, responses: { 200: json(GroupListSchema, "Groups"), ...common },
});

export const describeGroupRoute = createRoute({
  method: "get", path: "/v1/groups/{group}", operationId: "describeGroup", tags: ["groups"],
  summary: "Describe a group: state, members, assignment, offsets, lag",
  security: bearer, request: { params: group }, responses: { 200: json(GroupDescriptionSchema, "Group"), 404: error("No such group (69)"), ...common },
});

export const deleteGroupRoute = createRoute({
  method: "delete", path: "/v1/groups/{group}", operationId: "deleteGroup", tags: ["groups"], summary: "Delete an empty group and its offsets",
  security: bearer, request: { params: group },
  responses: { 204: { description: "Deleted" }, 404: error("No such group (69)"), 409: error("Group has members (68)"), ...common },
});

const replica = partition.extend({ replica: z.string().openapi({ example: "2", description: "Replica id, 0..replication_factor-1" }) });
const adminErrors = { 403: error("Root token needed (31)"), 404: error("Unknown topic or partition (3), or a replica the partition does not have (39)") };

export const replicaOfflineRoute = createRoute({
  method: "post", path: "/v1/admin/topics/{topic}/partitions/{partition}/replicas/{replica}/offline", operationId: "takeReplicaOffline",
  tags: ["operations"], summary: "Take a replica offline (it refuses all work; ISR and leadership move away)",
  security: bearer, request: { params: replica },
  responses: { 200: json(PartitionDescriptionSchema, "Partition after the change"), ...adminErrors, ...common },
});

export const replicaOnlineRoute = createRoute({
  method: "post", path: "/v1/admin/topics/{topic}/partitions/{partition}/replicas/{replica}/online", operationId: "bringReplicaOnline",
  tags: ["operations"], summary: "Bring a replica back online as a follower that catches up",
  security: bearer, request: { params: replica },
  responses: { 200: json(PartitionDescriptionSchema, "Partition after the change"), ...adminErrors, ...common },
});

export const preferredLeaderRoute = createRoute({
  method: "post", path: "/v1/admin/topics/{topic}/partitions/{partition}/preferred-leader", operationId: "electPreferredLeader",
  tags: ["operations"], summary: "Move leadership to the preferred (first) replica if it is a live ISR member",
  security: bearer, request: { params: partition },
  responses: {
    200: json(PartitionDescriptionSchema, "Partition after the change"),
    503: error("Preferred replica not in sync (80)"), ...adminErrors, ...common,
  },
});

const tenant = z.object({ name: z.string().openapi({ example: "acme", description: "Tenant name, [a-z0-9-]{1,63}" }) });
const rootOnly = { 403: error("Root token needed (31)") };
const noTenant = { 404: error("No such tenant (91)") };

export const createTenantRoute = createRoute({
  method: "post", path: "/v1/admin/tenants", operationId: "createTenant", tags: ["tenants"], summary: "Create a tenant (root token)",
  security: bearer, request: body(CreateTenantSchema),
  responses: { 201: json(TenantSchema, "Created"), 409: error("Tenant exists (92)"), ...rootOnly, ...common },
});

export const listTenantsRoute = createRoute({
  method: "get", path: "/v1/admin/tenants", operationId: "listTenants", tags: ["tenants"], summary: "List tenants (root token)",
  security: bearer, responses: { 200: json(TenantListSchema, "Tenants"), ...rootOnly, ...common },
});

export const describeTenantRoute = createRoute({
  method: "get", path: "/v1/admin/tenants/{name}", operationId: "describeTenant", tags: ["tenants"], summary: "Describe a tenant (root token)",
  security: bearer, request: { params: tenant }, responses: { 200: json(TenantSchema, "Tenant"), ...noTenant, ...rootOnly, ...common },
});

export const deleteTenantRoute = createRoute({
  method: "delete", path: "/v1/admin/tenants/{name}", operationId: "deleteTenant", tags: ["tenants"],
  summary: "Delete a tenant and its keys; refused while it has topics unless force=true (then they are deleted)",
  security: bearer,
  request: { params: tenant, query: z.object({ force: z.enum(["true", "false"]).optional() }) },
  responses: { 204: { description: "Deleted" }, 409: error("Tenant has topics (44)"), ...noTenant, ...rootOnly, ...common },
});

export const getTenantQuotasRoute = createRoute({
  method: "get", path: "/v1/admin/tenants/{name}/quotas", operationId: "getTenantQuotas", tags: ["tenants"],
  summary: "The tenant's quotas as set (absent = operator default)",
  security: bearer, request: { params: tenant }, responses: { 200: json(QuotasSchema, "Quotas"), ...noTenant, ...rootOnly, ...common },
});

export const setTenantQuotasRoute = createRoute({
  method: "put", path: "/v1/admin/tenants/{name}/quotas", operationId: "setTenantQuotas", tags: ["tenants"],
  summary: "Set the tenant's quotas (replaces them; absent = operator default)",
  security: bearer, request: { params: tenant, ...body(QuotasSchema) },
  responses: { 200: json(QuotasSchema, "Quotas"), ...noTenant, ...rootOnly, ...common },
});

export const getTenantCorsRoute = createRoute({
  method: "get", path: "/v1/admin/tenants/{name}/cors", operationId: "getTenantCors", tags: ["tenants"],
  summary: "The browser origins allowed for the tenant's answers (CORS; [] = none)",
  security: bearer, request: { params: tenant }, responses: { 200: json(TenantCorsSchema, "Allowed origins"), ...noTenant, ...rootOnly, ...common },
});

export const setTenantCorsRoute = createRoute({
  method: "put", path: "/v1/admin/tenants/{name}/cors", operationId: "setTenantCors", tags: ["tenants"],
  summary: "Set the browser origins allowed for the tenant's answers (replaces them)",
  security: bearer, request: { params: tenant, ...body(TenantCorsSchema) },
  responses: { 200: json(TenantCorsSchema, "Allowed origins"), ...noTenant, ...rootOnly, ...common },
});

export const getStreamAccessRoute = createRoute({
  method: "get", path: "/v1/admin/tenants/{name}/durable-streams", operationId: "getStreamAccess", tags: ["tenants"],
  summary: "The tenant's Durable Streams anonymous-access prefix (null = off)",
  security: bearer, request: { params: tenant }, responses: { 200: json(StreamAccessSchema, "Anonymous access"), ...noTenant, ...rootOnly, ...common },
});

export const setStreamAccessRoute = createRoute({
  method: "put", path: "/v1/admin/tenants/{name}/durable-streams", operationId: "setStreamAccess", tags: ["tenants"],
  summary: "Set (or, with null, turn off) the stream-path prefix open to anonymous Durable Streams requests",
  security: bearer, request: { params: tenant, ...body(StreamAccessSchema) },
  responses: { 200: json(StreamAccessSchema, "Anonymous access"), ...noTenant, ...rootOnly, ...common },
});

const authz = { 403: error("Not authorized (29 topic, 30 group, 31 cluster)") };

export const createKeyRoute = createRoute({
  method: "post", path: "/v1/keys", operationId: "createKey", tags: ["keys"],
  summary: "Create an API key (the secret is shown only in this answer)",
  security: bearer, request: body(CreateKeySchema),
  responses: { 201: json(CreatedKeySchema, "Created"), ...noTenant, ...authz, ...common },
});

export const listKeysRoute = createRoute({
  method: "get", path: "/v1/keys", operationId: "listKeys", tags: ["keys"], summary: "List API keys (never their secrets)",
  security: bearer, responses: { 200: json(KeyListSchema, "Keys"), ...authz, ...common },
});

export const revokeKeyRoute = createRoute({
  method: "delete", path: "/v1/keys/{key_id}", operationId: "revokeKey", tags: ["keys"],
  summary: "Revoke an API key (answers 401 everywhere within 10 s)",
  security: bearer, request: { params: z.object({ key_id: z.string().openapi({ example: "9f86d081884c7d65" }) }) },
  responses: { 204: { description: "Revoked" }, 404: error("No such key (91)"), ...authz, ...common },
});

export const metricsRoute = createRoute({
  method: "get", path: "/metrics", operationId: "metrics", tags: ["operations"],
  summary: "Prometheus metrics of the caller's tenant (the root's scrape: every tenant's counters)",
  security: bearer,
  responses: {
    200: { description: "Prometheus text exposition (version 0.0.4)", content: { "text/plain": { schema: z.string() } } },
    401: common[401], 405: common[405],
  },
});

export const consoleRoute = createRoute({
  method: "get", path: "/console", operationId: "console", tags: ["operations"],
  summary: "The web console: one HTML page that signs in with a token and calls this API", security: [],
  responses: {
    200: { description: "The console page", content: { "text/html": { schema: z.string() } } },
    405: common[405],
  },
});

/** Every route of the contract, in document order. */
export const ROUTES = [
  healthRoute, openApiRoute,
  createTopicRoute, listTopicsRoute, describeTopicRoute, alterTopicRoute, deleteTopicRoute,
  produceRoute, producePartitionRoute, fetchRoute, listOffsetsRoute, initProducerRoute, describeProducersRoute,
  joinGroupRoute, heartbeatRoute, leaveGroupRoute, pollGroupRoute, commitOffsetsRoute, groupOffsetsRoute,
  resetOffsetsRoute, listGroupsRoute, describeGroupRoute, deleteGroupRoute,
  replicaOfflineRoute, replicaOnlineRoute, preferredLeaderRoute,
  createTenantRoute, listTenantsRoute, describeTenantRoute, deleteTenantRoute, getTenantQuotasRoute, setTenantQuotasRoute,
  getTenantCorsRoute, setTenantCorsRoute, getStreamAccessRoute, setStreamAccessRoute,
  createKeyRoute, listKeysRoute, revokeKeyRoute,
  metricsRoute, consoleRoute,
] as const;

export type ContractRoute = (typeof ROUTES)[number];
