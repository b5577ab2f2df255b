-- The coordinator's latest word to this replica (Kafka's LeaderAndIsr): identity, role,
-- leader epoch, ISR and the topic's configs, as one JSON document in a single row.
CREATE TABLE IF NOT EXISTS assignment (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  partition_epoch INTEGER NOT NULL,
  body TEXT NOT NULL
);

-- Admin state of this replica: offline (maintenance) refuses every call until set online.
CREATE TABLE IF NOT EXISTS replica_admin (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  offline INTEGER NOT NULL DEFAULT 0
);
