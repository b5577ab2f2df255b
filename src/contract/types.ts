/**
 * The contract's TypeScript types, inferred from its schemas (schemas.ts): request bodies as a
 * client may write them (`z.input`: defaults optional) and answers as the server sends them
 * (`z.output`). The client imports these as types only (erased at run time), so it carries no
 * server dependency and cannot drift from what the server validates and answers.
 */
import type { z } from "@hono/zod-openapi";
import type * as S from "./schemas.ts";

export type ErrorBody = z.output<typeof S.ErrorBodySchema>;
export type PartitionDescription = z.output<typeof S.PartitionDescriptionSchema>;
export type TopicDescription = z.output<typeof S.TopicDescriptionSchema>;
export type TopicList = z.output<typeof S.TopicListSchema>;
export type CreateTopicBody = z.input<typeof S.CreateTopicSchema>;
export type AlterTopicBody = z.input<typeof S.AlterTopicSchema>;

export type ProduceRecord = z.input<typeof S.ProduceRecordSchema>;
export type ProduceBody = z.input<typeof S.ProduceSchema>;
export type RecordOffset = z.output<typeof S.RecordOffsetSchema>;
export type ProduceResponse = z.output<typeof S.ProduceResponseSchema>;
export type BatchProduceResponse = z.output<typeof S.BatchProduceResponseSchema>;
export type InitProducerBody = z.input<typeof S.InitProducerSchema>;
export type ProducerIdAndEpoch = z.output<typeof S.ProducerIdSchema>;
export type ProducerState = z.output<typeof S.ProducerStateSchema>;

export type FetchedRecord = z.output<typeof S.FetchedRecordSchema>;
export type FetchResponse = z.output<typeof S.FetchResponseSchema>;
export type ListOffsetsResponse = z.output<typeof S.ListOffsetsResponseSchema>;

export type TopicPartitionList = z.output<typeof S.TopicPartitionsListSchema>[number];
export type JoinGroupBody = z.input<typeof S.JoinGroupSchema>;
export type MemberAssignment = z.output<typeof S.MemberAssignmentSchema>;
export type HeartbeatBody = z.input<typeof S.HeartbeatSchema>;
export type GroupPollResponse = z.output<typeof S.GroupRecordsSchema>;
export type GroupRecord = GroupPollResponse["records"][number];
export type CommitOffsetsBody = z.input<typeof S.CommitOffsetsSchema>;
export type TopicPartitionOffset = CommitOffsetsBody["offsets"][number];
export type GroupOffsets = z.output<typeof S.GroupOffsetsSchema>;
export type GroupOffset = GroupOffsets["offsets"][number];
export type ResetOffsetsBody = z.input<typeof S.ResetOffsetsSchema>;
export type OffsetResetTarget = ResetOffsetsBody["to"];
export type ResetOffsetsResponse = z.output<typeof S.ResetOffsetsResponseSchema>;
export type GroupList = z.output<typeof S.GroupListSchema>;
export type GroupListing = GroupList["groups"][number];
export type GroupDescription = z.output<typeof S.GroupDescriptionSchema>;
export type GroupMemberDescription = GroupDescription["members"][number];
export type GroupStateName = GroupDescription["state"];

export type CreateTenantBody = z.input<typeof S.CreateTenantSchema>;
export type Tenant = z.output<typeof S.TenantSchema>;
export type TenantList = z.output<typeof S.TenantListSchema>;
export type Quotas = z.output<typeof S.QuotasSchema>;
export type Acl = z.output<typeof S.AclSchema>;
export type CreateKeyBody = z.input<typeof S.CreateKeySchema>;
export type CreatedKey = z.output<typeof S.CreatedKeySchema>;
export type ApiKey = z.output<typeof S.KeySchema>;
export type KeyList = z.output<typeof S.KeyListSchema>;
