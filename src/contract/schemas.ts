/**
 * Request and response schemas of the HTTP contract (API.md), written once with zod: the
 * route definitions (routes.ts) use them, the API validates parsed bodies with them,
 * `/openapi.json` is generated from them and the client's types are inferred from them.
 *
 * Field names are the contract's (snake_case). Byte fields are strings here; the routes decode
 * them per `encoding` after validation.
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../protocol/config.ts";

const safeInt = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const ErrorBodySchema = z
  .object({
    error_code: z.number().int(),
    error: z.string(),
    message: z.string(),
    retriable: z.boolean(),
    throttle_time_ms: z.number().int().optional().openapi({ description: "429 only: how long to wait (Kafka's ThrottleTimeMs)" }),
  })
  .openapi("Error");

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const ConfigsSchema = z.record(z.string(), z.string()).openapi("TopicConfigs", {
  example: { "min.insync.replicas": "1", "retention.ms": "604800000" },
});

export const CreateTopicSchema = z
  .object({
    name: z.string().openapi({ example: "orders" }),
    partitions: z.number().int().default(1),
    replication_factor: z.number().int().default(1),
    configs: ConfigsSchema.optional(),
  })
  .strict()
  .openapi("CreateTopic");

export const AlterTopicSchema = z
  .object({ partitions: z.number().int().optional(), configs: ConfigsSchema.optional() })
  .strict()
  .openapi("AlterTopic");

export const PartitionDescriptionSchema = z
  .object({
    partition: z.number().int(),
    leader: z.number().int(),
    leader_epoch: z.number().int(),
    replicas: z.array(z.number().int()),
    isr: z.array(z.number().int()),
    offline_replicas: z.array(z.number().int()),
    log_start_offset: z.number().int().nullable(),
    high_watermark: z.number().int().nullable(),
    log_end_offset: z.number().int().nullable(),
  })
  .openapi("PartitionDescription");

export const TopicDescriptionSchema = z
  .object({
    name: z.string(),
    topic_id: z.string(),
    partitions: z.array(PartitionDescriptionSchema),
    replication_factor: z.number().int(),
    configs: ConfigsSchema,
  })
  .openapi("TopicDescription");

export const TopicListSchema = z.object({ topics: z.array(TopicDescriptionSchema) }).openapi("TopicList");

export const EncodingSchema = z.enum(["utf8", "base64"]);

export const ProduceRecordSchema = z
  .object({
    key: z.string().nullable().optional(),
    value: z.string().nullable().optional(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
    partition: safeInt.optional(),
    timestamp: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .openapi("ProduceRecord");

export const ProduceSchema = z
  .object({
    records: z.array(ProduceRecordSchema).min(1).max(LIMITS.maxRecordsPerRequest),
    encoding: EncodingSchema.default("utf8"),
    producer_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    producer_epoch: z.number().int().min(0).max(32767).optional(),
    base_sequence: z.number().int().min(0).max(2147483647).optional(),
  })
  .strict()
  .openapi("ProduceRequest");

export const BatchProduceResponseSchema = z
  .object({
    partition: z.number().int(),
    base_offset: z.number().int(),
    record_count: z.number().int(),
    log_append_time: z.number().int().nullable(),
  })
  .openapi("BatchProduceResponse");

export const InitProducerSchema = z
  .object({
    transactional_id: z.string().min(1).max(249).optional().openapi({
      description: "Re-initialising with the same id bumps the epoch and fences the previous producer",
    }),
    producer_id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    producer_epoch: z.number().int().min(0).max(32767).optional().openapi({
      description: "With producer_id: bump this producer's epoch (KIP-360), e.g. after OUT_OF_ORDER_SEQUENCE_NUMBER",
    }),
  })
  .strict()
  .openapi("InitProducer");

export const ProducerIdSchema = z
  .object({ producer_id: z.number().int(), producer_epoch: z.number().int() })
  .openapi("ProducerId", { example: { producer_id: 1001, producer_epoch: 0 } });

export const ProducerStateSchema = z
  .object({
    producers: z.array(
      z.object({
        producer_id: z.number().int(),
        producer_epoch: z.number().int(),
        last_sequence: z.number().int(),
        last_timestamp: z.number().int(),
        last_batch_base_offset: z.number().int(),
        last_batch_last_offset: z.number().int(),
        batches: z.number().int(),
      }),
    ),
  })
  .openapi("PartitionProducers");

export const TopicPartitionsListSchema = z
  .array(z.object({ topic: z.string(), partitions: z.array(z.number().int().min(0)) }).strict())
  .openapi("TopicPartitionsList", { example: [{ topic: "orders", partitions: [0, 2] }] });

export const JoinGroupSchema = z
  .object({
    topics: z.array(z.string()).min(1).max(1000).optional(),
    topic_pattern: z.string().min(1).max(1000).optional(),
    session_timeout_ms: z.number().int().optional(),
    rebalance_timeout_ms: z.number().int().optional(),
    group_instance_id: z.string().nullable().optional(),
    assignor: z.enum(["range", "roundrobin", "sticky"]).optional(),
    auto_offset_reset: z.enum(["earliest", "latest"]).optional(),
    member_id: z.string().optional().openapi({
      description: "A member id chosen by the client (KIP-1082, 1-64 of [a-zA-Z0-9_-]): a retried join then finds its member",
    }),
  })
  .strict()
  .openapi("JoinGroup");

export const HeartbeatSchema = z
  .object({ member_epoch: z.number().int().min(0), owned_partitions: TopicPartitionsListSchema.optional() })
  .strict()
  .openapi("Heartbeat");

export const MemberAssignmentSchema = z
  .object({
    member_id: z.string(),
    member_epoch: z.number().int(),
    heartbeat_interval_ms: z.number().int(),
    assignment: TopicPartitionsListSchema,
  })
  .openapi("MemberAssignment");

export const CommitOffsetsSchema = z
  .object({
    member_id: z.string().min(1),
    member_epoch: z.number().int().min(0),
    offsets: z
      .array(
        z
          .object({
            topic: z.string(),
            partition: z.number().int().min(0),
            offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
            metadata: z.string().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(10_000),
  })
  .strict()
  .openapi("CommitOffsets");

export const ResetOffsetsSchema = z
  .object({
    topics: z.array(z.string()).min(1).max(1000),
    partitions: z.array(z.number().int().min(0)).min(1).optional(),
    to: z.union([
      z.enum(["earliest", "latest"]),
      z.object({ timestamp: z.number().int().min(0) }).strict(),
      z.object({ offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }).strict(),
      z.object({ shift_by: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER) }).strict(),
    ]),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi("ResetOffsets");

export const GroupOffsetsSchema = z
  .object({
    offsets: z.array(z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int(), lag: z.number().int().nullable() })),
  })
  .openapi("GroupOffsets");

export const ResetOffsetsResponseSchema = z
  .object({ offsets: z.array(z.object({ topic: z.string(), partition: z.number().int(), offset: z.number().int() })) })
  .openapi("ResetOffsetsResponse");

export const GroupRecordsSchema = z
  .object({
    records: z.array(
      z.object({
        topic: z.string(),
        partition: z.number().int(),
        offset: z.number().int(),
        timestamp: z.number().int(),
        key: z.string().nullable(),
        value: z.string().nullable(),
        headers: z.record(z.string(), z.string().nullable()),
      }),
    ),
    member_epoch: z.number().int(),
    assignment: TopicPartitionsListSchema,
    cursor: z.number().int().openapi({ description: "Send it back as ?cursor= on the next poll; a poll without this answer's cursor re-reads its records" }),
  })
  .openapi("GroupRecords");

export const GroupDescriptionSchema = z
  .object({
    group: z.string(),
    state: z.enum(["Empty", "Reconciling", "Stable"]),
    group_epoch: z.number().int(),
    assignor: z.string(),
    members: z.array(
      z.object({
        member_id: z.string(),
        group_instance_id: z.string().nullable(),
        member_epoch: z.number().int(),
        assignment: TopicPartitionsListSchema,
        pending_revocation: TopicPartitionsListSchema,
      }),
    ),
    offsets: GroupOffsetsSchema.shape.offsets,
  })
  .openapi("GroupDescription");

export const GroupListSchema = z
  .object({ groups: z.array(z.object({ group: z.string(), state: z.enum(["Empty", "Reconciling", "Stable"]), members: z.number().int() })) })
  .openapi("GroupList");

export const RecordOffsetSchema = z
  .object({
    partition: z.number().int(),
    offset: z.number().int().optional(),
    timestamp: z.number().int().optional(),
    error_code: z.number().int().optional(),
    error: z.string().optional(),
  })
  .openapi("RecordOffset");

export const ProduceResponseSchema = z.object({ offsets: z.array(RecordOffsetSchema) }).openapi("ProduceResponse");

export const FetchedRecordSchema = z
  .object({
    offset: z.number().int(),
    timestamp: z.number().int(),
    key: z.string().nullable(),
    value: z.string().nullable(),
    headers: z.record(z.string(), z.string().nullable()),
  })
  .openapi("Record");

export const FetchResponseSchema = z
  .object({
    records: z.array(FetchedRecordSchema),
    next_offset: z.number().int(),
    high_watermark: z.number().int(),
    log_start_offset: z.number().int(),
  })
  .openapi("FetchResponse");

export const ListOffsetsResponseSchema = z
  .object({ offset: z.number().int(), timestamp: z.number().int().nullable() })
  .openapi("ListOffsetsResponse");

export type CreateTopicBody = z.infer<typeof CreateTopicSchema>;
export type ProduceBody = z.infer<typeof ProduceSchema>;

const RECORD_KEYS = new Set(["key", "value", "headers", "partition", "timestamp"]);
const BODY_KEYS = new Set(["records", "encoding", "producer_id", "producer_epoch", "base_sequence"]);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || v === null || typeof v === "string";
const optionalIntIn = (v: unknown, min: number, max: number) => v === undefined || (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);

/**
 * `ProduceSchema.parse` for the common, valid body in one tight loop (zod walks each of up to
 * 10,000 records through its generic machinery: a measured share of a produce's CPU). Returns
 * null for anything it does not positively accept, and the caller then runs zod, so errors,
 * messages and every edge case stay zod's. Accepts exactly what the schema accepts and returns
 * what zod would: the same fields, `encoding` defaulted to utf8 (test/unit/produce-body.test.ts).
 */
export function fastProduceBody(v: unknown): ProduceBody | null {
  if (!isPlainObject(v)) return null;
  for (const k in v) if (!BODY_KEYS.has(k)) return null;
  const { records, encoding } = v;
  if (!Array.isArray(records) || records.length < 1 || records.length > LIMITS.maxRecordsPerRequest) return null;
  if (encoding !== undefined && encoding !== "utf8" && encoding !== "base64") return null;
  if (!optionalIntIn(v.producer_id, 0, Number.MAX_SAFE_INTEGER) || !optionalIntIn(v.producer_epoch, 0, 32767) || !optionalIntIn(v.base_sequence, 0, 2147483647))
    return null;
  for (const r of records) {
    if (!isPlainObject(r)) return null;
    for (const k in r) if (!RECORD_KEYS.has(k)) return null;
    if (!optionalString(r.key) || !optionalString(r.value)) return null;
    if (!optionalIntIn(r.partition, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) || !optionalIntIn(r.timestamp, 0, Number.MAX_SAFE_INTEGER)) return null;
    if (r.headers !== undefined) {
      if (!isPlainObject(r.headers) || Object.getPrototypeOf(r.headers) !== Object.prototype) return null;
      for (const k in r.headers) if (!optionalString(r.headers[k]) || r.headers[k] === undefined) return null;
    }
  }
  return { ...(v as ProduceBody), encoding: encoding ?? "utf8" };
}

/** A zod failure as one readable sentence naming the field. */
export function describeZodError(e: z.ZodError): string {
  return e.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}

// Tenants, API keys and ACLs (API.md): root-token tenant administration and per-tenant keys.

export const CreateTenantSchema = z.object({ name: z.string().openapi({ example: "acme", description: "[a-z0-9-]{1,63}" }) }).strict().openapi("CreateTenant");

export const TenantSchema = z.object({ name: z.string(), created_at: z.number().int() }).openapi("Tenant");

export const TenantListSchema = z.object({ tenants: z.array(TenantSchema) }).openapi("TenantList");

const quota = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional();

export const QuotasSchema = z
  .object({
    produce_bytes_per_s: quota, fetch_bytes_per_s: quota, requests_per_s: quota,
    topics: quota, partitions: quota.openapi({ description: "Σ partitions × replication factor" }), storage_bytes: quota,
  })
  .strict()
  .openapi("Quotas");

export const TenantCorsSchema = z
  .object({
    allowed_origins: z.array(z.string().max(256)).max(20).openapi({
      example: ["https://console.example.com"],
      description: "Browser origins (scheme://host[:port]) allowed to read this tenant's answers; [] = none",
    }),
  })
  .strict()
  .openapi("TenantCors");

export const StreamAccessSchema = z
  .object({
    anonymous_prefix: z.string().max(200).nullable().openapi({
      example: "/public/",
      description: "Durable Streams (/ds/<tenant>/<path>): the stream-path prefix requests without credentials may read and write; null = none (the default)",
    }),
  })
  .strict()
  .openapi("StreamAccess");

export const AclSchema = z
  .object({
    resource_type: z.enum(["topic", "group", "cluster", "producer"]),
    pattern_type: z.enum(["literal", "prefixed"]),
    name: z.string().openapi({ example: "orders." }),
    operation: z.enum(["read", "write", "create", "delete", "describe", "describe_configs", "alter_configs", "alter", "idempotent_write", "all"]),
    permission: z.enum(["allow", "deny"]),
  })
  .strict()
  .openapi("Acl");

export const CreateKeySchema = z
  .object({
    name: z.string().openapi({ example: "orders-writer" }),
    tenant: z.string().optional().openapi({ description: "Required with the root token; a tenant key's own tenant otherwise" }),
    acls: z.array(AclSchema).optional(),
    role: z.enum(["admin", "producer", "consumer"]).optional(),
    prefix: z.string().optional().openapi({ description: "With role: the topic prefix (producer) or group prefix (consumer)" }),
    quotas: QuotasSchema.optional().openapi({ description: "Overrides of the tenant's quotas for this key (a rate set here has the key's own bucket)" }),
  })
  .strict()
  .openapi("CreateKey");

export const KeySchema = z
  .object({
    key_id: z.string(), name: z.string(), tenant: z.string(), acls: z.array(AclSchema),
    created_at: z.number().int(), last_used_at: z.number().int().nullable(),
    quotas: QuotasSchema.optional().openapi({ description: "The key's quota overrides" }),
  })
  .openapi("Key");

export const CreatedKeySchema = z
  .object({ key_id: z.string(), key: z.string().openapi({ description: "The secret: shown only here" }), name: z.string(), tenant: z.string(), acls: z.array(AclSchema) })
  .openapi("CreatedKey");

export const KeyListSchema = z.object({ keys: z.array(KeySchema) }).openapi("KeyList");
