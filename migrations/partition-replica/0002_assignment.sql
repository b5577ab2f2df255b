-- The coordinator's latest word to this replica (Kafka's LeaderAndIsr): identity, role,
-- leader epoch, ISR and the topic's configs, as one JSON document in a single row.
CREATE TABLE IF NOT EXISTS assignment (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  partition_epoch INTEGER NOT NULL,
  body TEXT NOT NULL,
  -- The leader's AlterPartition whose outcome is not known yet (JSON), kept across restarts:
  -- the coordinator may have applied it, so the HW must keep counting a member it adds.
  pending_alter TEXT
);

-- Admin state of this replica: offline (maintenance) refuses every call until set online.
CREATE TABLE IF NOT EXISTS replica_admin (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  offline INTEGER NOT NULL DEFAULT 0
);
