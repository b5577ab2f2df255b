/**
 * PartitionReplicaDO: one per (tenant, topic id, partition, replica). Holds the partition's
 * log in its SQLite storage.
 *
 * Thin shell: migrations in `blockConcurrencyWhile`, the engine (`PartitionReplica`), one-line
 * RPC methods, the long-poll waiters and the retention alarm. Writes are durable before any
 * reply leaves (the DO output gate), which is what `acks=1` promises.
 */
import { DurableObject } from "cloudflare:workers";
import { applyMigrations } from "../log/migrations.ts";
import type { Result } from "../protocol/errors.ts";
import {
  systemClock,
  type FetchResult,
  type OffsetAndTimestamp,
  type OffsetSpec,
  type PartitionAssignment,
  type ProduceRequest,
  type ProduceResult,
  type ReplicaFetchRequest,
  type ReplicaOffsets,
} from "../protocol/types.ts";
import { DoSqlPort } from "./do-sql-port.ts";
import { FetchWaiters } from "./fetch-waiters.ts";
import { PARTITION_REPLICA_MIGRATIONS } from "./migrations.ts";
import { PartitionReplica } from "./partition-replica.ts";

export class PartitionReplicaDO extends DurableObject<Env> {
  private replica!: PartitionReplica;
  private readonly waiters = new FetchWaiters();
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.open();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private open(): void {
    const sql = new DoSqlPort(this.ctx.storage);
    applyMigrations(sql, PARTITION_REPLICA_MIGRATIONS);
    this.replica = new PartitionReplica(sql, systemClock);
  }

  becomeLeaderOrFollower(a: PartitionAssignment): Result<ReplicaOffsets> {
    const r = this.replica.becomeLeaderOrFollower(a);
    this.waiters.wakeAll();
    return r;
  }

  describe(): ReplicaOffsets {
    return this.replica.describe();
  }

  async produce(req: ProduceRequest): Promise<Result<ProduceResult>> {
    const r = this.replica.produce(req);
    if (r.ok) {
      this.waiters.wakeAll();
      await this.scheduleRetention(this.replica.log.nextRetentionDeadline());
    }
    return r;
  }

  async fetchRecords(req: ReplicaFetchRequest): Promise<Result<FetchResult>> {
    const first = this.replica.read(req);
    if (!first.ok || first.value.records.length > 0 || req.waitMs <= 0) return first;
    await this.waiters.wait(req.waitMs);
    return this.replica.read(req);
  }

  listOffsets(req: { spec: OffsetSpec; leaderEpoch: number }): Result<OffsetAndTimestamp> {
    return this.replica.listOffsets(req.spec, req.leaderEpoch);
  }

  /** Drops this replica's storage (its topic was deleted). */
  async deletePartition(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarmAt = null;
    // Back to a fresh, unassigned replica: any stale caller now gets UNKNOWN_TOPIC_OR_PARTITION.
    this.open();
    this.waiters.wakeAll();
  }

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    await this.scheduleRetention(this.replica.enforceRetention());
  }

  private async scheduleRetention(at: number | null): Promise<void> {
    if (at === null || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}
