-- Consumer group (src/groups/group-coordinator-do.ts): one row holding the group's state as JSON
-- (src/groups/group-state.ts: members, epochs, target assignment, committed offsets) and the
-- coordinator's per-member extras (read positions, auto.offset.reset). The whole group is small
-- (members × partitions) and every change rewrites the row in one statement, so a crash leaves
-- either the old or the new group, never a mix.
CREATE TABLE IF NOT EXISTS consumer_group (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  state      TEXT NOT NULL,
  extras     TEXT NOT NULL,
  -- 1 once the tenant's cluster coordinator lists this group (GET /v1/groups).
  registered INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
