-- Cluster coordinator: one per tenant. Topic metadata and the partition state that
-- replication uses (Kafka's TopicRecord and PartitionRecord).
CREATE TABLE IF NOT EXISTS topics (
  topic_id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  replication_factor INTEGER NOT NULL,
  configs TEXT NOT NULL,          -- JSON object of the topic's own (non-default) configs
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS partitions (
  topic_id TEXT NOT NULL REFERENCES topics(topic_id) ON DELETE CASCADE,
  partition INTEGER NOT NULL,
  replicas TEXT NOT NULL,         -- JSON array of replica ids
  leader INTEGER NOT NULL,        -- -1 when no leader
  leader_epoch INTEGER NOT NULL,
  isr TEXT NOT NULL,              -- JSON array
  offline_replicas TEXT NOT NULL, -- JSON array
  partition_epoch INTEGER NOT NULL,
  -- partition_epoch last pushed to every replica; < partition_epoch means the alarm re-pushes.
  synced_epoch INTEGER NOT NULL DEFAULT -1,
  PRIMARY KEY (topic_id, partition)
);

-- Replicas of deleted topics whose storage is still to be dropped by the alarm.
CREATE TABLE IF NOT EXISTS deleted_replicas (
  replica_name TEXT PRIMARY KEY
);
