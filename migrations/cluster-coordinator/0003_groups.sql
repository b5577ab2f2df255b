-- The tenant's consumer groups, for GET /v1/groups: a group coordinator registers itself on its
-- first join and is removed when the group is deleted.
CREATE TABLE IF NOT EXISTS consumer_groups (
  group_id   TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
