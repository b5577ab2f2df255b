-- The log cleaner's checkpoint (src/log/cleaner.ts; Kafka's cleaner-offset-checkpoint): where
-- the uncleaned part of a compacted log begins, and when the earliest tombstone the last pass
-- kept expires (-1: none). One row; absent until the first pass completes.
CREATE TABLE IF NOT EXISTS cleaner_checkpoint (
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  first_dirty_offset  INTEGER NOT NULL,
  tombstone_deadline  INTEGER NOT NULL
);
