/**
 * Topic admin, shared by every front door: create, list, describe, alter (grow partitions,
 * change configs), delete, and the topics a deployment declares in its `TOPICS` var.
 *
 * A description joins the coordinator's partition state with each leader's offsets (log start,
 * high watermark, log end). A partition without a leader, or whose leader cannot be reached,
 * reports those offsets as null (unknown) and no replica is called for it: replica ids are
 * 0..RF-1, and asking "replica -1" would create an orphan Durable Object.
 * Names and configs are validated here before any Durable Object is called.
 */
import { validateTopicConfigs, validateTopicName } from "../protocol/config.ts";
import type { Result } from "../protocol/errors.ts";
import { NO_LEADER, type CreateTopicRequest, type PartitionState, type TopicMetadata } from "../protocol/types.ts";
import { hasRight, requireCreateTopic, requireRight } from "./authorize.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { must, settle } from "./result.ts";

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  /** Bytes of record batches the leader's log stores (each in-sync replica holds about as much). */
  storedBytes: number;
}

export interface PartitionDescription extends PartitionState {
  /** Null when the partition has no leader or its leader could not be reached. */
  offsets: PartitionOffsets | null;
}

export interface TopicDescription {
  meta: TopicMetadata;
  partitions: PartitionDescription[];
}

async function leaderOffsets(cluster: Cluster, meta: TopicMetadata, p: PartitionState): Promise<PartitionOffsets | null> {
  if (p.leader === NO_LEADER) return null;
  const r = await call(async () => ({ ok: true as const, value: await cluster.leaderOf(meta, p.partition).describe() }));
  if (r.ok) return r.value;
  console.warn(`describe ${meta.name}-${p.partition}: leader ${p.leader} did not answer (${r.err.error}); offsets unknown`);
  return null;
}

/** The topic's partitions with their leaders' offsets. */
export async function describeMetadata(cluster: Cluster, meta: TopicMetadata): Promise<TopicDescription> {
  const partitions = await Promise.all(
    meta.partitions.map(async (p) => ({ ...p, offsets: await leaderOffsets(cluster, meta, p) })),
  );
  return { meta, partitions };
}

export interface CreateTopicInput {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs?: Record<string, string> | undefined;
}

export function createTopic(ctx: ServiceContext, input: CreateTopicInput): Promise<Result<TopicDescription>> {
  return settle(async () => {
    must(validateTopicName(input.name));
    requireCreateTopic(ctx, input.name);
    const configs = must(validateTopicConfigs(input.configs));
    const cluster = Cluster.of(ctx);
    const meta = must(
      await call(() =>
        cluster.coordinator().createTopic({
          name: input.name,
          partitions: input.partitions,
          replicationFactor: input.replicationFactor,
          configs,
        }),
      ),
    );
    cluster.remember(meta);
    return describeMetadata(cluster, meta);
  });
}

export function listTopics(ctx: ServiceContext): Promise<Result<TopicDescription[]>> {
  return settle(async () => {
    const cluster = Cluster.of(ctx);
    const topics = must(await call(async () => ({ ok: true as const, value: await cluster.coordinator().listTopics() })));
    const visible = topics.filter((t) => hasRight(ctx, "topic", t.name, "describe"));
    return Promise.all(visible.map((t) => describeMetadata(cluster, t)));
  });
}

export function describeTopic(ctx: ServiceContext, name: string): Promise<Result<TopicDescription>> {
  return settle(async () => {
    must(validateTopicName(name));
    requireRight(ctx, "topic", name, "describe");
    const cluster = Cluster.of(ctx);
    return describeMetadata(cluster, must(await cluster.topic(name, true)));
  });
}

export interface AlterTopicInput {
  partitions?: number | undefined;
  configs?: Record<string, string> | undefined;
}

export function alterTopic(ctx: ServiceContext, name: string, input: AlterTopicInput): Promise<Result<TopicDescription>> {
  return settle(async () => {
    must(validateTopicName(name));
    requireRight(ctx, "topic", name, "alter");
    const req: { partitions?: number; configs?: Record<string, string> } = {};
    if (input.partitions !== undefined) req.partitions = input.partitions;
    if (input.configs !== undefined) req.configs = must(validateTopicConfigs(input.configs));
    const cluster = Cluster.of(ctx);
    const meta = must(await call(() => cluster.coordinator().alterTopic(name, req)));
    cluster.remember(meta);
    return describeMetadata(cluster, meta);
  });
}

export function deleteTopic(ctx: ServiceContext, name: string): Promise<Result<null>> {
  return settle(async () => {
    must(validateTopicName(name));
    requireRight(ctx, "topic", name, "delete");
    const cluster = Cluster.of(ctx);
    must(await call(() => cluster.coordinator().deleteTopic(name)));
    cluster.forget(name);
    return null;
  });
}

/** Tenants whose declared topics this isolate has already made sure of. */
const declaredDone = new Set<string>();

/**
 * Creates the topics a deployment declares (`TOPICS`, parsed by src/config), once per isolate
 * and tenant, before the first request is served (Workers have no start-up hook). Creation is
 * idempotent in the coordinator, so several isolates racing here is harmless.
 */
export async function ensureDeclaredTopics(ctx: ServiceContext, declared: readonly CreateTopicRequest[]): Promise<Result<null>> {
  if (declared.length === 0 || declaredDone.has(ctx.tenant)) return { ok: true, value: null };
  const r = await call(() => Cluster.of(ctx).coordinator().ensureDeclaredTopics(declared));
  if (!r.ok) return r;
  declaredDone.add(ctx.tenant);
  return { ok: true, value: null };
}
