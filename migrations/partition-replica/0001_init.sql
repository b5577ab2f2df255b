-- Partition replica log (src/log/sqlite-log-store.ts owns every query on these tables).
-- Offsets, epochs and timestamps are INTEGER: exact JavaScript numbers below 2^53.

-- Record batches. base_offset is the rowid, so the table's B-tree is the offset index:
-- "the batch holding offset X" is `WHERE base_offset <= X ORDER BY base_offset DESC LIMIT 1`.
-- producer_* are -1 for a non-idempotent producer. records is the encoded batch
-- (src/log/record-batch.ts), at most 1 MiB; larger appends are split into several rows.
CREATE TABLE IF NOT EXISTS batches (
  base_offset    INTEGER PRIMARY KEY,
  last_offset    INTEGER NOT NULL,
  leader_epoch   INTEGER NOT NULL,
  producer_id    INTEGER NOT NULL DEFAULT -1,
  producer_epoch INTEGER NOT NULL DEFAULT -1,
  base_sequence  INTEGER NOT NULL DEFAULT -1,
  max_timestamp  INTEGER NOT NULL,
  record_count   INTEGER NOT NULL,
  size_bytes     INTEGER NOT NULL,
  segment        INTEGER NOT NULL,
  records        BLOB NOT NULL,
  CHECK (last_offset >= base_offset),
  CHECK (length(records) <= 1048576)
);

-- Segments group consecutive batches so retention deletes whole segments; max_timestamp is the
-- time index for offset-for-timestamp. The highest base_offset is the active segment.
-- created_at is when the segment received its first batch (or was rolled, while empty).
CREATE TABLE IF NOT EXISTS segments (
  base_offset   INTEGER PRIMARY KEY,
  created_at    INTEGER NOT NULL,
  size_bytes    INTEGER NOT NULL DEFAULT 0,
  record_count  INTEGER NOT NULL DEFAULT 0,
  max_timestamp INTEGER NOT NULL DEFAULT -1
);

-- The replica's single state row: the log's visible offsets, the current leader epoch and role.
-- (The replica's identity and the coordinator's assignment live in 0002_assignment.)
CREATE TABLE IF NOT EXISTS replica_state (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  log_start_offset INTEGER NOT NULL DEFAULT 0,
  log_end_offset   INTEGER NOT NULL DEFAULT 0,
  high_watermark   INTEGER NOT NULL DEFAULT 0,
  leader_epoch     INTEGER NOT NULL DEFAULT 0,
  role             TEXT NOT NULL DEFAULT 'none' CHECK (role IN ('leader', 'follower', 'none'))
);

-- Leader-epoch cache (KIP-101/279): the first offset written in each leader epoch.
CREATE TABLE IF NOT EXISTS leader_epochs (
  epoch        INTEGER PRIMARY KEY,
  start_offset INTEGER NOT NULL
);
