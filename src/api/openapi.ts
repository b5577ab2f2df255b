/**
 * `/openapi.json`: the HTTP contract as OpenAPI 3.1, generated from the same zod schemas the
 * routes validate with, so the document cannot drift from the code.
 */
import { OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import { RECORD_BATCH_CONTENT_TYPE } from "../protocol/wire.ts";
import {
  AlterTopicSchema,
  CreateTopicSchema,
  ErrorBodySchema,
  CommitOffsetsSchema,
  FetchResponseSchema,
  GroupDescriptionSchema,
  GroupListSchema,
  GroupOffsetsSchema,
  GroupRecordsSchema,
  HeartbeatSchema,
  InitProducerSchema,
  JoinGroupSchema,
  MemberAssignmentSchema,
  ResetOffsetsSchema,
  ListOffsetsResponseSchema,
  PartitionDescriptionSchema,
  BatchProduceResponseSchema,
  ProduceResponseSchema,
  ProduceSchema,
  ProducerIdSchema,
  ProducerStateSchema,
  TopicDescriptionSchema,
  TopicListSchema,
} from "./schemas.ts";

const json = (schema: z.ZodType, description: string) => ({ description, content: { "application/json": { schema } } });
const errors = {
  400: json(ErrorBodySchema, "Invalid request"),
  401: json(ErrorBodySchema, "Missing or invalid bearer token"),
  404: json(ErrorBodySchema, "Unknown topic or partition"),
};
const topic = z.object({ topic: z.string().openapi({ example: "orders" }) });
const partition = topic.extend({ partition: z.string().openapi({ example: "0" }) });
const produceQuery = z.object({
  acks: z.enum(["all", "-1", "1", "0"]).optional(),
  timeout_ms: z.string().optional(),
});

const routes: RouteConfig[] = [
  { method: "get", path: "/healthz", responses: { 200: { description: "Healthy" } } },
  {
    method: "post", path: "/v1/topics", summary: "Create a topic",
    request: { body: { content: { "application/json": { schema: CreateTopicSchema } } } },
    responses: { 201: json(TopicDescriptionSchema, "Created"), 409: json(ErrorBodySchema, "Topic exists (36)"), ...errors },
  },
  { method: "get", path: "/v1/topics", summary: "List topics", responses: { 200: json(TopicListSchema, "Topics"), ...errors } },
  {
    method: "get", path: "/v1/topics/{topic}", summary: "Describe a topic",
    request: { params: topic }, responses: { 200: json(TopicDescriptionSchema, "Topic"), ...errors },
  },
  {
    method: "patch", path: "/v1/topics/{topic}", summary: "Grow partitions and/or change configs",
    request: { params: topic, body: { content: { "application/json": { schema: AlterTopicSchema } } } },
    responses: { 200: json(TopicDescriptionSchema, "Topic"), ...errors },
  },
  { method: "delete", path: "/v1/topics/{topic}", summary: "Delete a topic", request: { params: topic }, responses: { 204: { description: "Deleted" }, ...errors } },
  {
    method: "post", path: "/v1/topics/{topic}/records", summary: "Produce records (partition per record)",
    request: {
      params: topic, query: produceQuery,
      body: { content: { "application/json": { schema: ProduceSchema }, "application/x-ndjson": { schema: z.string() } } },
    },
    responses: { 200: json(ProduceResponseSchema, "Offsets, one per record"), 202: { description: "acks=0: accepted" }, 413: json(ErrorBodySchema, "Too large"), ...errors },
  },
  {
    method: "post", path: "/v1/topics/{topic}/partitions/{partition}/records", summary: "Produce to one partition (idempotent form)",
    request: {
      params: partition,
      query: produceQuery.extend({
        producer_id: z.string().optional().openapi({ description: "binary batch only: the idempotent producer (with producer_epoch, base_sequence)" }),
        producer_epoch: z.string().optional(),
        base_sequence: z.string().optional(),
      }),
      body: {
        content: {
          "application/json": { schema: ProduceSchema },
          [RECORD_BATCH_CONTENT_TYPE]: {
            schema: z.string().openapi({ format: "binary", description: "One record batch in the stored format (docs/api.md, Binary record batches)" }),
          },
        },
      },
    },
    responses: {
      200: {
        description: "Offsets (JSON body), or for a binary batch the partition's base offset",
        content: { "application/json": { schema: z.union([ProduceResponseSchema, BatchProduceResponseSchema]) } },
      },
      409: json(ErrorBodySchema, "Sequence or epoch error"),
      ...errors,
    },
  },
  {
    method: "get", path: "/v1/topics/{topic}/partitions/{partition}/records", summary: "Fetch records below the high watermark",
    request: {
      params: partition,
      query: z.object({
        offset: z.string().optional().openapi({ description: "integer, earliest or latest" }),
        max_records: z.string().optional(), max_bytes: z.string().optional(), wait_ms: z.string().optional(),
        encoding: z.enum(["utf8", "base64"]).optional(),
      }),
    },
    responses: {
      200: {
        description: `Records; with \`Accept: ${RECORD_BATCH_CONTENT_TYPE}\` binary frames (baseOffset, length, batch) and the offsets in flarelog-* headers`,
        content: {
          "application/json": { schema: FetchResponseSchema },
          [RECORD_BATCH_CONTENT_TYPE]: { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      416: json(ErrorBodySchema, "Offset out of range (1)"),
      ...errors,
    },
  },
  {
    method: "get", path: "/v1/topics/{topic}/partitions/{partition}/offsets", summary: "Offset for a timestamp, earliest or latest",
    request: { params: partition, query: z.object({ timestamp: z.string().openapi({ description: "ms, earliest or latest" }) }) },
    responses: { 200: json(ListOffsetsResponseSchema, "Offset"), ...errors },
  },
  {
    method: "post", path: "/v1/producers", summary: "Initialise an idempotent producer (InitProducerId)",
    request: { body: { required: false, content: { "application/json": { schema: InitProducerSchema } } } },
    responses: {
      200: json(ProducerIdSchema, "Producer id and epoch"),
      409: json(ErrorBodySchema, "Stale epoch (47) or unknown producer id (59)"),
      ...errors,
    },
  },
  {
    method: "get", path: "/v1/topics/{topic}/partitions/{partition}/producers",
    summary: "Idempotent producers the partition leader remembers (Kafka's DescribeProducers)",
    request: { params: partition },
    responses: { 200: json(ProducerStateSchema, "Producers, least recently written first"), ...errors },
  },
  ...groupRoutes(),
  ...(["offline", "online"] as const).map(
    (action): RouteConfig => ({
      method: "post", path: `/v1/admin/topics/{topic}/partitions/{partition}/replicas/{replica}/${action}`,
      summary: action === "offline"
        ? "Take a replica offline (it refuses all work; ISR and leadership move away)"
        : "Bring a replica back online as a follower that catches up",
      request: { params: partition.extend({ replica: z.string().openapi({ example: "2" }) }) },
      responses: { 200: json(PartitionDescriptionSchema, "Partition after the change"), 403: json(ErrorBodySchema, "Root token needed"), ...errors },
    }),
  ),
  {
    method: "post", path: "/v1/admin/topics/{topic}/partitions/{partition}/preferred-leader",
    summary: "Move leadership to the preferred (first) replica if it is a live ISR member",
    request: { params: partition },
    responses: { 200: json(PartitionDescriptionSchema, "Partition after the change"), 503: json(ErrorBodySchema, "Preferred replica not in sync (80)"), ...errors },
  },
];

function groupRoutes(): RouteConfig[] {
  const group = z.object({ group: z.string().openapi({ example: "billing" }) });
  const member = group.extend({ member: z.string().openapi({ example: "m-0b1c…" }) });
  const body = (schema: z.ZodType) => ({ body: { content: { "application/json": { schema } } } });
  const fenced = { 409: json(ErrorBodySchema, "Fenced: stale member epoch (110/22), unknown member (25), replaced static member (82)") };
  return [
    {
      method: "post", path: "/v1/groups/{group}/members", summary: "Join a consumer group (server-side assignment)",
      request: { params: group, ...body(JoinGroupSchema) },
      responses: { 200: json(MemberAssignmentSchema, "Member id, epoch and assignment"), 409: json(ErrorBodySchema, "Another assignor (23) or group full (81)"), ...errors },
    },
    {
      method: "post", path: "/v1/groups/{group}/members/{member}/heartbeat", summary: "Heartbeat; report owned partitions; get the current assignment",
      request: { params: member, ...body(HeartbeatSchema) },
      responses: { 200: json(MemberAssignmentSchema, "Current assignment"), ...fenced, ...errors },
    },
    { method: "delete", path: "/v1/groups/{group}/members/{member}", summary: "Leave the group", request: { params: member }, responses: { 204: { description: "Left" }, ...fenced, ...errors } },
    {
      method: "get", path: "/v1/groups/{group}/members/{member}/records", summary: "Records of the member's partitions from its positions",
      request: {
        params: member,
        query: z.object({
          max_records: z.string().optional(), max_bytes: z.string().optional(), wait_ms: z.string().optional(),
          auto_commit: z.enum(["true", "false"]).optional(), member_epoch: z.string().optional(), encoding: z.enum(["utf8", "base64"]).optional(),
          cursor: z.string().optional().openapi({ description: "The previous answer's cursor: acknowledges its records; another value re-reads them" }),
        }),
      },
      responses: { 200: json(GroupRecordsSchema, "Records"), ...fenced, ...errors },
    },
    {
      method: "post", path: "/v1/groups/{group}/offsets", summary: "Commit offsets (next offset to read), fenced by member epoch and ownership",
      request: { params: group, ...body(CommitOffsetsSchema) },
      responses: { 204: { description: "Committed" }, ...fenced, ...errors },
    },
    { method: "get", path: "/v1/groups/{group}/offsets", summary: "Committed offsets and lag", request: { params: group }, responses: { 200: json(GroupOffsetsSchema, "Offsets"), ...errors } },
    {
      method: "post", path: "/v1/groups/{group}/offsets/reset", summary: "Reset offsets of an empty group (kafka-consumer-groups --reset-offsets)",
      request: { params: group, ...body(ResetOffsetsSchema) },
      responses: { 200: json(GroupOffsetsSchema, "The new offsets (lag omitted)"), 409: json(ErrorBodySchema, "Group has members (68)"), ...errors },
    },
    { method: "get", path: "/v1/groups", summary: "List consumer groups", responses: { 200: json(GroupListSchema, "Groups"), ...errors } },
    { method: "get", path: "/v1/groups/{group}", summary: "Describe a group: state, members, assignment, offsets, lag", request: { params: group }, responses: { 200: json(GroupDescriptionSchema, "Group"), ...errors } },
    {
      method: "delete", path: "/v1/groups/{group}", summary: "Delete an empty group and its offsets", request: { params: group },
      responses: { 204: { description: "Deleted" }, 409: json(ErrorBodySchema, "Group has members (68)"), ...errors },
    },
  ];
}

let cached: ReturnType<OpenAPIHono["getOpenAPI31Document"]> | undefined;

export function openApiDocument() {
  if (cached) return cached;
  // Used only for its registry and generator; the routes themselves live in plain Hono apps.
  const doc = new OpenAPIHono();
  doc.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  for (const r of routes) doc.openAPIRegistry.registerPath({ ...r, security: r.path.startsWith("/v1") ? [{ bearer: [] }] : [] });
  cached = doc.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "Flarelog", version: "1", description: "Kafka-style replicated commit log on Cloudflare Workers" },
  });
  return cached;
}
