/**
 * Topic description as API.md shows it: the coordinator's partition state joined with each
 * leader's offsets (log start, high watermark, log end). An unreachable leader leaves its
 * offsets null rather than failing the whole description.
 */
import { effectiveConfigs } from "../protocol/config.ts";
import type { TopicMetadata } from "../protocol/types.ts";
import type { PartitionDescription, TopicDescription } from "../protocol/wire.ts";
import { Cluster } from "./cluster.ts";

export async function describeTopic(cluster: Cluster, meta: TopicMetadata): Promise<TopicDescription> {
  const partitions = await Promise.all(
    meta.partitions.map(async (p): Promise<PartitionDescription> => {
      let offsets: { logStartOffset: number; highWatermark: number; logEndOffset: number } | null = null;
      try {
        offsets = await cluster.leaderOf(meta, p.partition).describe();
      } catch {
        offsets = null;
      }
      return {
        partition: p.partition,
        leader: p.leader,
        leader_epoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offline_replicas: p.offlineReplicas,
        log_start_offset: offsets?.logStartOffset ?? null,
        high_watermark: offsets?.highWatermark ?? null,
        log_end_offset: offsets?.logEndOffset ?? null,
      };
    }),
  );
  return {
    name: meta.name,
    topic_id: meta.topicId,
    partitions,
    replication_factor: meta.replicationFactor,
    configs: effectiveConfigs(meta.configs),
  };
}
