-- The coordinator's latest word to this replica (Kafka's LeaderAndIsr): identity, role,
-- leader epoch, ISR and the topic's configs, as one JSON document in a single row.
CREATE TABLE IF NOT EXISTS assignment (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  partition_epoch INTEGER NOT NULL,
  body TEXT NOT NULL
);
