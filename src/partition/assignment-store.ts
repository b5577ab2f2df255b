/**
 * Persists what the coordinator last told this replica (its assignment), the leader's pending
 * AlterPartition, and the replica's admin state (offline for maintenance) in its own SQLite.
 * Invariant: the stored partition epoch never goes down.
 * Runs inside PartitionReplicaDO; synchronous.
 */
import type { AlterPartitionRequest } from "../protocol/types.ts";
import type { SqlPort } from "../storage/sql-port.ts";
import type { PartitionAssignment } from "../protocol/types.ts";

export class AssignmentStore {
  constructor(private readonly sql: SqlPort) {}

  load(): PartitionAssignment | null {
    const row = this.sql.exec<{ body: string }>("SELECT body FROM assignment WHERE id = 0")[0];
    return row ? (JSON.parse(row.body) as PartitionAssignment) : null;
  }

  save(a: PartitionAssignment): void {
    this.sql.exec(
      `INSERT INTO assignment (id, partition_epoch, body) VALUES (0, ?, ?)
       ON CONFLICT (id) DO UPDATE SET partition_epoch = excluded.partition_epoch, body = excluded.body
       WHERE excluded.partition_epoch >= assignment.partition_epoch`,
      a.state.partitionEpoch,
      JSON.stringify(a),
    );
  }

  pendingAlterPartition(): AlterPartitionRequest | null {
    const row = this.sql.exec<{ pending_alter: string | null }>("SELECT pending_alter FROM assignment WHERE id = 0")[0];
    return row?.pending_alter ? (JSON.parse(row.pending_alter) as AlterPartitionRequest) : null;
  }

  savePendingAlterPartition(req: AlterPartitionRequest | null): void {
    this.sql.exec("UPDATE assignment SET pending_alter = ? WHERE id = 0", req ? JSON.stringify(req) : null);
  }

  offline(): boolean {
    return (this.sql.exec<{ offline: number }>("SELECT offline FROM replica_admin WHERE id = 0")[0]?.offline ?? 0) === 1;
  }

  setOffline(offline: boolean): void {
    this.sql.exec(
      "INSERT INTO replica_admin (id, offline) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET offline = excluded.offline",
      offline ? 1 : 0,
    );
  }
}
