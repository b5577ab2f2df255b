/**
 * Topic administration rules of the cluster coordinator: create, alter (grow partitions,
 * change configs) and delete, with Kafka's validation.
 *
 * Invariants: partitions only grow; a topic gets a fresh UUID at creation so a re-created
 * topic never shares replicas with its predecessor; every state change bumps the partition
 * epoch so that the coordinator's alarm re-pushes it to replicas until they acknowledge.
 * Called by ClusterCoordinatorDO inside one synchronous SQLite transaction.
 */
import { LIMITS, validateTopicConfigs, validateTopicName, toLogConfig } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { names } from "../protocol/names.ts";
import type { AlterTopicRequest, Clock, CreateTopicRequest, PartitionState, TopicMetadata } from "../protocol/types.ts";
import type { TopicStore } from "./topic-store.ts";

function initialPartitionState(partition: number, replicationFactor: number): PartitionState {
  const replicas = Array.from({ length: replicationFactor }, (_, i) => i);
  return { partition, replicas, leader: 0, leaderEpoch: 0, isr: [...replicas], offlineReplicas: [], partitionEpoch: 0 };
}

function checkPartitionCount(n: unknown): Result<number> {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > LIMITS.maxPartitions)
    return fail("INVALID_PARTITIONS", `partitions must be an integer from 1 to ${LIMITS.maxPartitions}`);
  return ok(n);
}

function checkMinIsr(configs: Record<string, string>, replicationFactor: number): Result<null> {
  const minIsr = toLogConfig(configs).minInsyncReplicas;
  if (minIsr > replicationFactor)
    return fail("INVALID_CONFIG", `min.insync.replicas (${minIsr}) cannot exceed the replication factor (${replicationFactor})`);
  return ok(null);
}

export function replicaNamesOf(t: TopicMetadata): string[] {
  return t.partitions.flatMap((p) => p.replicas.map((r) => names.partitionReplica(t.tenant, t.topicId, p.partition, r)));
}

export class TopicAdmin {
  constructor(
    private readonly store: TopicStore,
    private readonly clock: Clock,
    private readonly newTopicId: () => string,
  ) {}

  create(req: CreateTopicRequest): Result<TopicMetadata> {
    const name = validateTopicName(req.name);
    if (!name.ok) return name;
    const count = checkPartitionCount(req.partitions);
    if (!count.ok) return count;
    const rf = req.replicationFactor;
    if (!Number.isInteger(rf) || rf < 1 || rf > LIMITS.maxReplicationFactor)
      return fail(
        "INVALID_REPLICATION_FACTOR",
        `replication_factor must be from 1 to ${LIMITS.maxReplicationFactor}`,
      );
    const configs = validateTopicConfigs(req.configs);
    if (!configs.ok) return configs;
    const minIsr = checkMinIsr(configs.value, rf);
    if (!minIsr.ok) return minIsr;
    return this.store.transaction(() => {
      if (this.store.byName(name.value)) return fail("TOPIC_ALREADY_EXISTS", `topic "${name.value}" already exists`);
      const topicId = this.newTopicId();
      this.store.insertTopic({ topicId, name: name.value, replicationFactor: rf, configs: configs.value, createdAt: this.clock.now() });
      for (let p = 0; p < count.value; p++) this.store.upsertPartition(topicId, initialPartitionState(p, rf));
      return ok(this.store.byName(name.value)!);
    });
  }

  describe(name: string): Result<TopicMetadata> {
    const t = this.store.byName(name);
    return t ? ok(t) : fail("UNKNOWN_TOPIC_OR_PARTITION", `topic "${name}" does not exist`);
  }

  list(): TopicMetadata[] {
    return this.store.list();
  }

  alter(name: string, req: AlterTopicRequest): Result<TopicMetadata> {
    return this.store.transaction(() => {
      const current = this.describe(name);
      if (!current.ok) return current;
      const t = current.value;
      let configs = t.configs;
      if (req.configs !== undefined) {
        const v = validateTopicConfigs(req.configs);
        if (!v.ok) return v;
        configs = { ...t.configs, ...v.value };
        const minIsr = checkMinIsr(configs, t.replicationFactor);
        if (!minIsr.ok) return minIsr;
      }
      let grow = 0;
      if (req.partitions !== undefined) {
        const count = checkPartitionCount(req.partitions);
        if (!count.ok) return count;
        if (count.value < t.partitions.length)
          return fail("INVALID_PARTITIONS", `partitions can only grow: topic has ${t.partitions.length}, asked for ${count.value}`);
        grow = count.value - t.partitions.length;
      }
      if (req.configs !== undefined) {
        this.store.updateConfigs(t.topicId, configs);
        this.store.bumpPartitionEpochs(t.topicId);
      }
      for (let i = 0; i < grow; i++)
        this.store.upsertPartition(t.topicId, initialPartitionState(t.partitions.length + i, t.replicationFactor));
      return ok(this.store.byName(name)!);
    });
  }

  delete(name: string): Result<TopicMetadata> {
    return this.store.transaction(() => {
      const current = this.describe(name);
      if (!current.ok) return current;
      this.store.deleteTopic(current.value.topicId, replicaNamesOf(current.value));
      return current;
    });
  }
}
