/**
 * `/openapi.json`: the HTTP contract as OpenAPI 3.1, generated from the same zod schemas the
 * routes validate with, so the document cannot drift from the code.
 */
import { OpenAPIHono, z, type RouteConfig } from "@hono/zod-openapi";
import {
  AlterTopicSchema,
  CreateTopicSchema,
  ErrorBodySchema,
  FetchResponseSchema,
  InitProducerSchema,
  ListOffsetsResponseSchema,
  PartitionDescriptionSchema,
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
    request: { params: partition, query: produceQuery, body: { content: { "application/json": { schema: ProduceSchema } } } },
    responses: { 200: json(ProduceResponseSchema, "Offsets"), 409: json(ErrorBodySchema, "Sequence or epoch error"), ...errors },
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
    responses: { 200: json(FetchResponseSchema, "Records"), 416: json(ErrorBodySchema, "Offset out of range (1)"), ...errors },
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
