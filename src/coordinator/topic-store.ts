/**
 * SQLite storage of topic metadata and partition state for the cluster coordinator.
 *
 * Invariants: a topic name maps to at most one topic id; a topic's partitions are numbered
 * 0..n-1 without gaps. All SQL of the coordinator lives here.
 * Runs inside ClusterCoordinatorDO: synchronous, no await between a read and its write.
 */
import type { SqlPort } from "../storage/sql-port.ts";
import type { PartitionState, TopicMetadata } from "../protocol/types.ts";

type TopicRow = {
  topic_id: string;
  name: string;
  replication_factor: number;
  configs: string;
  created_at: number;
};

type PartitionRow = {
  topic_id: string;
  partition: number;
  replicas: string;
  leader: number;
  leader_epoch: number;
  isr: string;
  offline_replicas: string;
  partition_epoch: number;
  synced_epoch: number;
};

export interface StoredPartition extends PartitionState {
  topicId: string;
  syncedEpoch: number;
}

function toPartition(r: PartitionRow): StoredPartition {
  return {
    topicId: r.topic_id,
    partition: r.partition,
    replicas: JSON.parse(r.replicas) as number[],
    leader: r.leader,
    leaderEpoch: r.leader_epoch,
    isr: JSON.parse(r.isr) as number[],
    offlineReplicas: JSON.parse(r.offline_replicas) as number[],
    partitionEpoch: r.partition_epoch,
    syncedEpoch: r.synced_epoch,
  };
}

export class TopicStore {
  constructor(
    private readonly sql: SqlPort,
    private readonly tenant: string,
  ) {}

  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn);
  }

  private metadata(t: TopicRow): TopicMetadata {
    const parts = this.sql
      .exec<PartitionRow>("SELECT * FROM partitions WHERE topic_id = ? ORDER BY partition", t.topic_id)
      .map((r): PartitionState => {
        const { topicId: _topicId, syncedEpoch: _syncedEpoch, ...state } = toPartition(r);
        return state;
      });
    return {
      tenant: this.tenant,
      name: t.name,
      topicId: t.topic_id,
      replicationFactor: t.replication_factor,
      configs: JSON.parse(t.configs) as Record<string, string>,
      partitions: parts,
    };
  }

  byName(name: string): TopicMetadata | null {
    const row = this.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name)[0];
    return row ? this.metadata(row) : null;
  }

  byId(topicId: string): TopicMetadata | null {
    const row = this.sql.exec<TopicRow>("SELECT * FROM topics WHERE topic_id = ?", topicId)[0];
    return row ? this.metadata(row) : null;
  }

  list(): TopicMetadata[] {
    return this.sql.exec<TopicRow>("SELECT * FROM topics ORDER BY name").map((t) => this.metadata(t));
  }

  insertTopic(t: { topicId: string; name: string; replicationFactor: number; configs: Record<string, string>; createdAt: number }): void {
    this.sql.exec(
      "INSERT INTO topics (topic_id, name, replication_factor, configs, created_at) VALUES (?, ?, ?, ?, ?)",
      t.topicId,
      t.name,
      t.replicationFactor,
      JSON.stringify(t.configs),
      t.createdAt,
    );
  }

  updateConfigs(topicId: string, configs: Record<string, string>): void {
    this.sql.exec("UPDATE topics SET configs = ? WHERE topic_id = ?", JSON.stringify(configs), topicId);
  }

  upsertPartition(topicId: string, p: PartitionState): void {
    this.sql.exec(
      `INSERT INTO partitions (topic_id, partition, replicas, leader, leader_epoch, isr, offline_replicas, partition_epoch)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (topic_id, partition) DO UPDATE SET replicas = excluded.replicas, leader = excluded.leader,
         leader_epoch = excluded.leader_epoch, isr = excluded.isr, offline_replicas = excluded.offline_replicas,
         partition_epoch = excluded.partition_epoch`,
      topicId,
      p.partition,
      JSON.stringify(p.replicas),
      p.leader,
      p.leaderEpoch,
      JSON.stringify(p.isr),
      JSON.stringify(p.offlineReplicas),
      p.partitionEpoch,
    );
  }

  /** Partitions whose latest state has not yet reached every replica. */
  unsyncedPartitions(): StoredPartition[] {
    return this.sql
      .exec<PartitionRow>("SELECT * FROM partitions WHERE synced_epoch < partition_epoch ORDER BY topic_id, partition")
      .map(toPartition);
  }

  markSynced(topicId: string, partition: number, partitionEpoch: number): void {
    this.sql.exec(
      "UPDATE partitions SET synced_epoch = ? WHERE topic_id = ? AND partition = ? AND synced_epoch < ?",
      partitionEpoch,
      topicId,
      partition,
      partitionEpoch,
    );
  }

  /** Marks every partition of a topic for a re-push (after a config change). */
  bumpPartitionEpochs(topicId: string): void {
    this.sql.exec("UPDATE partitions SET partition_epoch = partition_epoch + 1 WHERE topic_id = ?", topicId);
  }

  deleteTopic(topicId: string, replicaNames: string[]): void {
    this.sql.exec("DELETE FROM partitions WHERE topic_id = ?", topicId);
    this.sql.exec("DELETE FROM topics WHERE topic_id = ?", topicId);
    for (const n of replicaNames) this.sql.exec("INSERT OR IGNORE INTO deleted_replicas (replica_name) VALUES (?)", n);
  }

  pendingReplicaDeletions(limit: number): string[] {
    return this.sql
      .exec<{ replica_name: string }>("SELECT replica_name FROM deleted_replicas LIMIT ?", limit)
      .map((r) => r.replica_name);
  }

  replicaDeleted(name: string): void {
    this.sql.exec("DELETE FROM deleted_replicas WHERE replica_name = ?", name);
  }
}
