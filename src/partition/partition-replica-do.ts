/**
 * PartitionReplicaDO: one per (tenant, topic id, partition, replica). Holds the partition's
 * log in its SQLite storage; as leader it drives replication to its followers.
 *
 * Thin shell: migrations in `blockConcurrencyWhile`, the engine (`PartitionReplica`), the
 * replication driver, one-line RPC methods, HW waiters and one alarm for retention and
 * replication retries. Writes are durable before any reply leaves (the DO output gate), which
 * is what `acks=1` promises; `acks=all` waits until the HW passes the batch.
 */
import { DurableObject } from "cloudflare:workers";
import { applyMigrations } from "../storage/migrations.ts";
import { DEFAULT_PRODUCER_STATE_OPTIONS } from "../log/producer-state.ts";
import { brokerConfig, type BrokerConfig } from "../config/broker-config.ts";
import { failAfterEffect, type Result } from "../protocol/errors.ts";
import {
  systemClock,
  type Clock,
  type FetchedBatches,
  type OffsetAndTimestamp,
  type OffsetSpec,
  type PartitionAssignment,
  type ProduceRequest,
  type ProduceResult,
  type ProducerStateDescription,
  type ReplicaFetchRequest,
  type ReplicaDescription,
  type ReplicaOffsets,
  type ReplicateRequest,
  type ReplicateResponse,
} from "../protocol/types.ts";
import { DoSqlPort } from "../storage/do-sql-port.ts";
import { countAlarm } from "../storage/platform-units.ts";
import { FetchWaiters } from "./fetch-waiters.ts";
import { PARTITION_REPLICA_MIGRATIONS } from "./migrations.ts";
import { PartitionReplica } from "./partition-replica.ts";
import { stubTransport, type ReplicaTransport } from "./replica-transport.ts";
import { ReplicationDriver } from "./replication.ts";
import { r2ObjectStore, type RemoteObjectStore } from "../storage/remote-object-store.ts";
import { TieredStorage } from "./tiered-storage.ts";

/** While a follower is behind, the alarm comes back this often to push again (a backstop: pushes normally chain). */
const CATCH_UP_CHECK_MS = 1000;

export class PartitionReplicaDO extends DurableObject<Env> {
  private readonly config: BrokerConfig;
  private replica!: PartitionReplica;
  private driver!: ReplicationDriver;
  /** Woken whenever the HW rises or leadership changes. */
  private readonly waiters = new FetchWaiters();
  private alarmAt: number | null = null;
  /** The in-memory timer of a short replication deadline (scheduleKick), and when it fires. */
  private kickTimer: ReturnType<typeof setTimeout> | null = null;
  private kickAt: number | null = null;
  /**
   * Outbound calls (pushes, AlterPartition). Built from the bindings; a wrapper may replace it,
   * e.g. a fault layer that drops or delays messages.
   */
  transport: ReplicaTransport | null = null;
  /**
   * The remote tier (tiered storage): the R2 binding's adapter, built on first use; a wrapper
   * may replace it, e.g. the fault layer of src/storage/remote-faults.ts.
   */
  remote: RemoteObjectStore | null = null;
  private tier!: TieredStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Throws on a bad var: the object refuses to start rather than run on a default.
    this.config = brokerConfig(env);
    ctx.blockConcurrencyWhile(async () => {
      this.open();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private open(): void {
    const sql = new DoSqlPort(this.ctx.storage, "partition_replica");
    applyMigrations(sql, PARTITION_REPLICA_MIGRATIONS);
    const clock = this.replicaClock();
    this.replica = new PartitionReplica(sql, clock, {
      replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs,
      producerState: { ...DEFAULT_PRODUCER_STATE_OPTIONS, expirationMs: this.config.producerIdExpirationMs },
      tailBytes: this.config.replicaTailBytes,
    });
    this.driver = new ReplicationDriver(this.replica, clock, {
      transport: () => this.currentTransport(),
      onProgress: () => this.waiters.wakeAll(),
      scheduleAt: (at) => this.scheduleKick(at),
    });
    const remote = () => this.currentRemote();
    this.tier = new TieredStorage(this.replica, remote, clock, this.config.remoteStorageEnable);
  }

  private currentRemote(): RemoteObjectStore | null {
    this.remote ??= this.makeRemoteStore();
    return this.remote;
  }

  /** The R2 bucket's adapter, or null when the Worker has no TIERED_STORAGE binding. */
  protected makeRemoteStore(): RemoteObjectStore | null {
    return this.env.TIERED_STORAGE ? r2ObjectStore(this.env.TIERED_STORAGE) : null;
  }

  /**
   * The clock of the replica's decisions (ISR lag, timestamps, retention, producer expiry). The
   * chaos build's subclass skews it (chaos/worker.ts); called while the constructor runs.
   */
  protected replicaClock(): Clock {
    return systemClock;
  }

  private currentTransport(): ReplicaTransport | null {
    const a = this.replica.identity;
    if (!a) return null;
    this.transport ??= this.makeTransport(a);
    return this.transport;
  }

  /** The outbound calls of replica `a`: typed RPC on stubs. The chaos build's subclass wraps them (chaos/worker.ts). */
  protected makeTransport(a: PartitionAssignment): ReplicaTransport {
    return stubTransport(this.env, a);
  }

  async becomeLeaderOrFollower(a: PartitionAssignment): Promise<Result<ReplicaOffsets>> {
    const r = this.replica.becomeLeaderOrFollower(a);
    this.waiters.wakeAll();
    this.driver.kick();
    // The topic's configs come with the assignment: one switched to compact starts cleaning now.
    if (r.ok) await this.scheduleAlarm(this.replica.log.nextCompactionDeadline());
    // A new leader of a tiered topic lists the remote tier and resumes uploads from its alarm.
    void this.scheduleAlarm(this.tier.nextDeadline());
    return r;
  }

  describe(): ReplicaDescription {
    return this.replica.describe();
  }

  /** This replica's log size in bytes (the tenant's storage quota, src/services/storage-quota.ts). */
  storedBytes(): number {
    return this.replica.log.storedBytes();
  }

  /** Liveness and admin state, for the coordinator's failure checks. */
  ping(): { online: boolean; offsets: ReplicaOffsets } {
    return { online: !this.replica.offline, offsets: this.replica.describe() };
  }

  setOffline(offline: boolean): ReplicaOffsets {
    this.replica.setOffline(offline);
    this.waiters.wakeAll();
    return this.replica.describe();
  }

  async produce(req: ProduceRequest): Promise<Result<ProduceResult>> {
    const r = this.replica.produce(req);
    if (!r.ok) return r;
    this.waiters.wakeAll();
    this.driver.kick();
    await this.scheduleAlarm(this.replica.log.nextRetentionDeadline());
    await this.scheduleAlarm(this.replica.log.nextCompactionDeadline());
    await this.scheduleAlarm(this.tier.nextDeadline());
    // acks=1 answers now; if this object is evicted before the pushes land, the alarm resumes them.
    if (this.replica.needsReplication()) await this.scheduleAlarm(Date.now() + CATCH_UP_CHECK_MS);
    if (req.acks !== -1) return r;
    const committed = await this.awaitHighWatermark(r.value.lastOffset + 1, req.timeoutMs);
    return committed.ok ? { ok: true, value: { ...r.value, highWatermark: this.replica.log.highWatermark } } : committed;
  }

  /** acks=all: waits until the HW passes `offset`, leadership is lost, or time runs out. */
  private async awaitHighWatermark(offset: number, timeoutMs: number): Promise<Result<null>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.replica.log.highWatermark >= offset) return { ok: true, value: null };
      if (!this.replica.isLeader)
        return failAfterEffect("NOT_LEADER_OR_FOLLOWER", "leadership moved before the ISR confirmed the append; its outcome is unknown");
      const remaining = deadline - Date.now();
      if (remaining <= 0) return this.replica.ackTimeoutError();
      await this.waiters.wait(remaining);
    }
  }

  async replicate(req: ReplicateRequest): Promise<Result<ReplicateResponse>> {
    const r = this.replica.replicate(req);
    this.waiters.wakeAll();
    // A follower compacts its own committed records too (docs/architecture.md, "Log compaction").
    await this.scheduleAlarm(this.replica.log.nextCompactionDeadline());
    if (r.ok) void this.scheduleAlarm(this.tier.nextDeadline());
    return r;
  }

  /**
   * A fetch, long-polling up to `waitMs` for a record; records as stored batches (one array
   * each, not an object per record). As Kafka's DelayedFetch, it answers when something is
   * readable, an error comes up, or time is up: a wake-up that finds nothing visible yet (an
   * append whose HW has not moved, at RF 3 `acks=all`) waits on for the rest of the time.
   */
  async fetchBatches(req: ReplicaFetchRequest): Promise<Result<FetchedBatches>> {
    const remote = await this.remoteFetch(req);
    if (remote) return remote;
    const r = await this.localFetch(req);
    // With a remote tier, the log start a consumer sees is the remote one.
    if (!r.ok || !this.tier.enabled()) return r;
    return { ok: true, value: { ...r.value, logStartOffset: this.tier.logStartOffset() } };
  }

  private async localFetch(req: ReplicaFetchRequest): Promise<Result<FetchedBatches>> {
    const deadline = Date.now() + req.waitMs;
    let r = this.replica.readBatches(req);
    for (;;) {
      // A read that only passed a compacted gap has moved its next offset: that is an answer too.
      if (!r.ok || r.value.batches.length > 0 || (typeof req.offset === "number" && r.value.nextOffset > req.offset)) return r;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return r;
      await this.waiters.wait(remaining);
      r = this.replica.readBatches(req);
    }
  }

  /**
   * Tiered storage's side of a fetch: an offset (or `earliest`) below the local log start that
   * the remote chain holds is read from R2; null leaves the fetch to the local log.
   */
  private async remoteFetch(req: ReplicaFetchRequest): Promise<Result<FetchedBatches> | null> {
    if (!this.tier.enabled()) return null;
    if (req.offset === "earliest") await this.tier.learn().catch(() => undefined);
    const offset = req.offset === "earliest" ? this.tier.logStartOffset() : req.offset;
    if (offset === "latest" || !(await this.tier.covers(offset))) return null;
    const leader = this.replica.leaderCheck(req.leaderEpoch);
    if (!leader.ok) return leader;
    return this.tier.read({ offset, maxRecords: req.maxRecords, maxBytes: req.maxBytes });
  }

  async listOffsets(req: {
    spec: OffsetSpec;
    leaderEpoch: number;
  }): Promise<Result<OffsetAndTimestamp>> {
    const local = this.replica.listOffsets(req.spec, req.leaderEpoch);
    if (!local.ok || !this.tier.enabled() || req.spec === "latest") return local;
    if (req.spec === "earliest") {
      await this.tier.learn().catch(() => undefined);
      return { ok: true, value: { offset: this.tier.logStartOffset(), timestamp: null } };
    }
    const remote = await this.tier.offsetForTimestamp(req.spec.timestamp);
    if (!remote.ok || remote.value === null) return remote.ok ? local : remote;
    return { ok: true, value: remote.value };
  }

  describeProducers(req: { leaderEpoch: number }): Result<ProducerStateDescription[]> {
    return this.replica.describeProducers(req.leaderEpoch);
  }

  /** Drops this replica's storage (its topic was deleted). */
  async deletePartition(): Promise<void> {
    // Every replica deletes the partition's remote objects too (idempotent): none outlive it.
    await this.tier.deleteAll().catch(() => undefined);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.alarmAt = null;
    this.transport = null;
    // Back to a fresh, unassigned replica: any stale caller now gets UNKNOWN_TOPIC_OR_PARTITION.
    this.open();
    this.waiters.wakeAll();
  }

  override async alarm(): Promise<void> {
    countAlarm("partition_replica", "run");
    this.alarmAt = null;
    const retention = this.replica.enforceRetention(this.tier.enabled());
    const compaction = this.replica.compactStep();
    this.driver.kick();
    await this.scheduleAlarm(retention);
    await this.scheduleAlarm(compaction);
    await this.scheduleAlarm(await this.tier.step());
    if (this.replica.needsReplication()) await this.scheduleAlarm(Date.now() + CATCH_UP_CHECK_MS);
  }

  /**
   * A replication deadline of the driver (a HW-only push that waited, a push retry, an ISR lag
   * check). One under CATCH_UP_CHECK_MS runs on a timer in memory: a `setAlarm` is billed as a
   * row written and its run as a request (issue 22), and the short deadline need not outlive the
   * object — while a follower is behind, the catch-up alarm stays set as the durable backstop.
   */
  private scheduleKick(at: number): void {
    const wait = at - Date.now();
    if (wait >= CATCH_UP_CHECK_MS) return void this.scheduleAlarm(at);
    if (this.kickAt !== null && this.kickAt <= at) return;
    if (this.kickTimer !== null) clearTimeout(this.kickTimer);
    this.kickAt = at;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      this.kickAt = null;
      this.driver.kick();
    }, Math.max(0, wait));
  }

  private async scheduleAlarm(at: number | null): Promise<void> {
    if (at === null || (this.alarmAt !== null && this.alarmAt <= at)) return;
    this.alarmAt = at;
    countAlarm("partition_replica", "set");
    await this.ctx.storage.setAlarm(at);
  }
}
