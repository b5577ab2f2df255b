/**
 * The tenant's list of consumer groups (for `GET /v1/groups`): each GroupCoordinatorDO registers
 * itself on its first join and removes itself when the group is deleted. Idempotent both ways.
 * Runs inside ClusterCoordinatorDO over its SQLite (migration 0003); synchronous.
 */
import type { SqlPort } from "../storage/sql-port.ts";
import type { Clock } from "../protocol/types.ts";

export class GroupRegistry {
  constructor(
    private readonly sql: SqlPort,
    private readonly clock: Clock,
  ) {}

  register(groupId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO consumer_groups (group_id, created_at) VALUES (?, ?)", groupId, this.clock.now());
  }

  unregister(groupId: string): void {
    this.sql.exec("DELETE FROM consumer_groups WHERE group_id = ?", groupId);
  }

  list(): string[] {
    return this.sql.exec<{ id: string }>("SELECT group_id AS id FROM consumer_groups ORDER BY group_id").map((r) => r.id);
  }
}
