/**
 * Topic metadata without the leaders' offsets: what a Kafka Metadata request needs (names,
 * topic ids, partitions, configs), read from the per-isolate metadata cache or the cluster
 * coordinator, with the caller's `describe` right checked as every topic read is.
 * `describeTopic`/`listTopics` (topics.ts) add each leader's offsets, one RPC per partition,
 * which a Kafka client asking for metadata every few seconds does not need.
 *
 * Called by the Kafka door (src/doors/kafka/metadata.ts). Stateless.
 */
import { validateTopicName } from "../protocol/config.ts";
import type { Result } from "../protocol/errors.ts";
import type { TopicMetadata } from "../protocol/types.ts";
import { hasRight, requireRight } from "./authorize.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { must, settle } from "./result.ts";

/** One topic's metadata (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED as the services answer). */
export function topicMetadata(ctx: ServiceContext, name: string): Promise<Result<TopicMetadata>> {
  return settle(async () => {
    must(validateTopicName(name));
    requireRight(ctx, "topic", name, "describe");
    return must(await Cluster.of(ctx).topic(name));
  });
}

/** Every topic of the tenant the caller may describe. */
export function listTopicMetadata(ctx: ServiceContext): Promise<Result<TopicMetadata[]>> {
  return settle(async () => {
    const cluster = Cluster.of(ctx);
    const topics = must(await call(async () => ({ ok: true as const, value: await cluster.coordinator().listTopics() })));
    const visible = topics.filter((t) => hasRight(ctx, "topic", t.name, "describe"));
    visible.forEach((t) => cluster.remember(t));
    return visible;
  });
}
