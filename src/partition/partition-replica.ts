/**
 * One partition replica's behaviour (Kafka's Partition): role and epoch checks (fencing),
 * produce as leader, the leader's replication bookkeeping (LeaderState), follower appends,
 * reads bounded by the high watermark, offset look-ups, retention and the admin offline state.
 *
 * Invariants: only the leader of the current leader epoch appends; a caller naming an older
 * epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH (it knows more than we do);
 * HW = min LEO over the ISR, only rising, never past the LEO; a leader that learns it was
 * fenced stops serving at once; an offline replica refuses every call.
 * Runs inside PartitionReplicaDO; every method is synchronous, so no other call interleaves
 * between a check and the write it guards. The async side (pushes, waits) is replication.ts.
 */
import { toLogConfig } from "../protocol/config.ts";
import { fail, failAfterEffect, ok, type Result } from "../protocol/errors.ts";
import type {
  Clock,
  FetchedBatches,
  FetchRequest,
  FetchResult,
  OffsetAndTimestamp,
  OffsetSpec,
  PartitionAssignment,
  PartitionState,
  ProduceRequest,
  ProduceResult,
  ProducerStateDescription,
  ReplicaFetchRequest,
  ReplicaDescription,
  ReplicaOffsets,
  ReplicateRequest,
  ReplicateResponse,
} from "../protocol/types.ts";
import type { AlterPartitionRequest } from "../protocol/types.ts";
import { LeaderState } from "../log/leader-state.ts";
import { PartitionLog } from "../log/partition-log.ts";
import type { ProducerStateOptions } from "../log/producer-state.ts";
import { SqliteLogStore } from "../storage/sqlite-log-store.ts";
import type { SqlPort } from "../storage/sql-port.ts";
import { AssignmentStore } from "./assignment-store.ts";
import { unlessStorageFull } from "./storage-full.ts";

export interface ReplicaOptions {
  replicaLagTimeMaxMs: number;
  /** producer.id.expiration.ms and the bound on remembered producers (defaults: producer-state.ts). */
  producerState?: ProducerStateOptions;
  /** Bytes of the newest batches the store keeps in memory (default: batch-tail.ts). */
  tailBytes?: number;
}

export class PartitionReplica {
  private readonly assignments: AssignmentStore;
  private assignment: PartitionAssignment | null;
  private leader: LeaderState | null = null;
  private offlineFlag: boolean;
  readonly log: PartitionLog;
  /**
   * The leader's log start from its last accepted push (memory only): with tiered storage the
   * leader deletes locally only what R2 holds, so a follower may delete up to it
   * (tiered-storage.ts).
   */
  leaderLogStartOffset: number | null = null;

  constructor(
    sql: SqlPort,
    private readonly clock: Clock,
    private readonly options: ReplicaOptions,
  ) {
    this.assignments = new AssignmentStore(sql);
    this.assignment = this.assignments.load();
    this.offlineFlag = this.assignments.offline();
    const store = new SqliteLogStore(sql, options.tailBytes === undefined ? {} : { tailBytes: options.tailBytes });
    this.log = PartitionLog.open(store, clock, toLogConfig(this.assignment?.configs ?? {}), {
      ...(options.producerState ? { producerState: options.producerState } : {}),
    });
    // After a restart the leader rebuilds its bookkeeping; followers' positions are relearned.
    if (this.assignment && this.isAssignedLeader(this.assignment) && this.log.role === "leader")
      this.leader = this.newLeaderState(this.assignment.state);
  }

  get identity(): PartitionAssignment | null {
    return this.assignment;
  }

  get offline(): boolean {
    return this.offlineFlag;
  }

  get isLeader(): boolean {
    return this.leader !== null;
  }

  /** Offsets as shown outside (admin describe, the coordinator's ping): the HW is stored first. */
  describe(): ReplicaDescription {
    this.log.storeHighWatermark();
    return { ...this.log.offsets(), storedBytes: this.log.storedBytes(), role: this.leader ? "leader" : this.log.role === "leader" ? "none" : this.log.role };
  }

  private isAssignedLeader(a: PartitionAssignment): boolean {
    return a.state.leader === a.replicaId;
  }

  private newLeaderState(state: PartitionState): LeaderState {
    return new LeaderState({
      localReplicaId: this.assignment!.replicaId,
      state,
      clock: this.clock,
      replicaLagTimeMaxMs: this.options.replicaLagTimeMaxMs,
      // A proposal made before a restart may have been applied: it still counts (LeaderState
      // drops it if the state has moved on since).
      pendingAlterPartition: this.assignments.pendingAlterPartition(),
    });
  }

  /** Maintenance: an offline replica refuses all work until it is set online again. */
  setOffline(offline: boolean): void {
    this.assignments.setOffline(offline);
    this.offlineFlag = offline;
    if (offline) this.leader = null;
  }

  private refuseIfOffline(): Result<null> {
    if (!this.offlineFlag) return ok(null);
    const a = this.assignment;
    return fail("REPLICA_NOT_AVAILABLE", `replica ${a?.replicaId ?? "?"} of ${a?.topic ?? "?"}-${a?.partition ?? "?"} is offline`);
  }

  /** Applies the coordinator's word (LeaderAndIsr) unless it is older than what this replica holds. */
  becomeLeaderOrFollower(a: PartitionAssignment): Result<ReplicaOffsets> {
    const refused = this.refuseIfOffline();
    if (!refused.ok) return refused;
    const current = this.assignment;
    if (current && current.topicId !== a.topicId)
      return fail("INCONSISTENT_TOPIC_ID", `replica belongs to topic id ${current.topicId}, not ${a.topicId}`);
    if (current && a.state.partitionEpoch < current.state.partitionEpoch) return ok(this.describe());
    if (a.state.leaderEpoch < this.log.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${a.state.leaderEpoch} is older than ${this.log.leaderEpoch}`);
    const lead = this.isAssignedLeader(a);
    const newEpoch = a.state.leaderEpoch > this.log.leaderEpoch || this.log.role !== (lead ? "leader" : "follower");
    if (newEpoch) {
      const changed = lead ? this.log.becomeLeader(a.state.leaderEpoch) : this.log.becomeFollower(a.state.leaderEpoch);
      if (!changed.ok) return changed;
    }
    this.assignments.save(a);
    this.assignment = a;
    this.log.setConfig(toLogConfig(a.configs));
    if (!lead) this.leader = null;
    else if (newEpoch || !this.leader) this.leader = this.newLeaderState(a.state);
    else this.leader.updateState(a.state);
    this.maybeAdvanceHighWatermark();
    return ok(this.describe());
  }

  /** The leader check every client call passes through (Kafka's fencing by leader epoch). */
  private checkLeader(leaderEpoch: number): Result<PartitionAssignment> {
    const refused = this.refuseIfOffline();
    if (!refused.ok) return refused;
    const a = this.assignment;
    if (!a) return fail("UNKNOWN_TOPIC_OR_PARTITION", "this partition replica does not exist (or was deleted)");
    if (!this.leader)
      return fail("NOT_LEADER_OR_FOLLOWER", `replica ${a.replicaId} is not the leader of ${a.topic}-${a.partition}`);
    if (leaderEpoch < this.log.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${leaderEpoch} is older than the current ${this.log.leaderEpoch}`);
    if (leaderEpoch > this.log.leaderEpoch)
      return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${leaderEpoch} is newer than this replica's ${this.log.leaderEpoch}`);
    return ok(a);
  }

  /** HW = min LEO over the ISR (the leader's own included). True if it rose. */
  maybeAdvanceHighWatermark(): boolean {
    if (!this.leader) return false;
    return this.log.maybeIncrementHighWatermark(this.leader.highWatermarkCandidate(this.log));
  }

  get isr(): number[] {
    return this.assignment?.state.isr ?? [];
  }

  produce(req: ProduceRequest): Result<ProduceResult> {
    const leader = this.checkLeader(req.leaderEpoch);
    if (!leader.ok) return leader;
    const minIsr = this.log.config.minInsyncReplicas;
    if (req.acks === -1 && this.isr.length < minIsr)
      return fail("NOT_ENOUGH_REPLICAS", `ISR has ${this.isr.length} member(s), min.insync.replicas is ${minIsr}`);
    // The HW the ISR allows rides in the append's commit (one state row, not two commits).
    const othersEnd = this.leader?.othersEnd(this.log);
    const appended = unlessStorageFull("append", () =>
      this.log.appendAsLeader(req.records, this.log.leaderEpoch, req.producer, othersEnd),
    );
    if (!appended.ok) return appended;
    this.maybeAdvanceHighWatermark();
    return ok({ ...appended.value, highWatermark: this.log.highWatermark });
  }

  /** Why an acks=all wait that ran out of time failed (Kafka's two answers). */
  ackTimeoutError(): Result<never> {
    const minIsr = this.log.config.minInsyncReplicas;
    return this.isr.length < minIsr
      ? failAfterEffect("NOT_ENOUGH_REPLICAS_AFTER_APPEND", `the ISR shrank to ${this.isr.length}, below min.insync.replicas ${minIsr}`)
      : failAfterEffect("REQUEST_TIMED_OUT", "the ISR did not confirm the append in time; its outcome is unknown");
  }

  /** Follower side of the leader's push. */
  replicate(req: ReplicateRequest): Result<ReplicateResponse> {
    const refused = this.refuseIfOffline();
    if (!refused.ok) return refused;
    if (!this.assignment) return fail("UNKNOWN_TOPIC_OR_PARTITION", "this partition replica does not exist (or was deleted)");
    // Full storage refuses the push: the leader retries it, and the follower leaves the ISR if it lasts.
    const r = unlessStorageFull("follower append", () => this.log.appendAsFollower(req));
    // An accepted push means another replica leads a newer epoch, whatever we last heard.
    if (r.ok) {
      this.leader = null;
      this.leaderLogStartOffset = req.logStartOffset;
    }
    return r;
  }

  /** The next push per follower that has something to receive (up to LeaderState's pipeline depth in flight). */
  pushesToSend(): [number, ReplicateRequest][] {
    const leader = this.leader;
    if (!leader) return [];
    const out: [number, ReplicateRequest][] = [];
    for (const id of leader.followerIds()) {
      if (this.assignment?.state.offlineReplicas.includes(id)) continue;
      const req = leader.nextPush(id, this.log);
      if (req) out.push([id, req]);
    }
    // A push with no batches carries an HW that has stopped rising (LeaderState waits for a
    // quiet spell before one): the partition is idle, so the HW kept in memory is stored now.
    if (out.some(([, req]) => req.batches.length === 0)) this.log.storeHighWatermark();
    return out;
  }

  /** Feeds a follower's answer back; a fenced leader stops leading at once. */
  onPushResult(followerId: number, req: ReplicateRequest, res: Result<ReplicateResponse>): { hwAdvanced: boolean; fenced: boolean } {
    const leader = this.leader;
    if (!leader || req.leaderEpoch !== this.log.leaderEpoch) return { hwAdvanced: false, fenced: false };
    const { fenced } = leader.onPushResult(followerId, req, res, this.log);
    if (fenced) {
      this.leader = null;
      return { hwAdvanced: false, fenced: true };
    }
    return { hwAdvanced: this.maybeAdvanceHighWatermark(), fenced: false };
  }

  /**
   * The ISR change the leader should ask for now (shrink first), as an AlterPartition request;
   * the same request again while an earlier one's outcome is unknown.
   */
  isrChange(): AlterPartitionRequest | null {
    const leader = this.leader;
    if (!leader) return null;
    const proposed = leader.maybeShrinkIsr(this.log) ?? leader.maybeExpandIsr(this.log);
    const req = leader.alterPartitionRequest();
    // Durable before the request leaves (the output gate holds it until the write is stored).
    if (proposed) this.assignments.savePendingAlterPartition(req);
    return req;
  }

  /** A newer partition state from the coordinator (after AlterPartition): adopt it. */
  applyPartitionState(state: PartitionState): boolean {
    const a = this.assignment;
    if (!a || state.partitionEpoch <= a.state.partitionEpoch) return false;
    return this.becomeLeaderOrFollower({ ...a, state }).ok;
  }

  /** True while this leader has an online follower that is not caught up. */
  needsReplication(): boolean {
    const leader = this.leader;
    if (!leader) return false;
    const offline = this.assignment?.state.offlineReplicas ?? [];
    return leader.followerIds().some((id) => !offline.includes(id) && !leader.isCaughtUp(id, this.log));
  }

  /** The earliest of the ISR lag deadline and a waiting HW-only push (null: neither). */
  nextReplicationDeadline(): number | null {
    const leader = this.leader;
    if (!leader) return null;
    const at = [leader.nextLagDeadline(this.log), leader.nextPushDeadline(this.log)].filter((t): t is number => t !== null);
    return at.length === 0 ? null : Math.min(...at);
  }

  read(req: ReplicaFetchRequest): Result<FetchResult> {
    const request = this.#fetchRequest(req);
    return request.ok ? this.log.read(request.value) : request;
  }

  /** `read` as stored batches cut to the records read (the fetch RPC's form). */
  readBatches(req: ReplicaFetchRequest): Result<FetchedBatches> {
    const request = this.#fetchRequest(req);
    return request.ok ? this.log.readBatches(request.value) : request;
  }

  #fetchRequest(req: ReplicaFetchRequest): Result<FetchRequest> {
    const leader = this.checkLeader(req.leaderEpoch);
    if (!leader.ok) return leader;
    const offset =
      req.offset === "earliest" ? this.log.logStartOffset : req.offset === "latest" ? this.log.highWatermark : req.offset;
    return ok({ offset, maxRecords: req.maxRecords, maxBytes: req.maxBytes });
  }

  listOffsets(spec: OffsetSpec, leaderEpoch: number): Result<OffsetAndTimestamp> {
    const leader = this.checkLeader(leaderEpoch);
    if (!leader.ok) return leader;
    if (spec === "earliest") return ok({ offset: this.log.logStartOffset, timestamp: null });
    this.log.storeHighWatermark();
    if (spec === "latest") return ok({ offset: this.log.highWatermark, timestamp: null });
    // No record at or after the timestamp: answer the high watermark, where a consumer would start.
    return ok(this.log.offsetForTimestamp(spec.timestamp) ?? { offset: this.log.highWatermark, timestamp: null });
  }

  /** The leader's idempotent producers (Kafka's DescribeProducers, served by the leader). */
  describeProducers(leaderEpoch: number): Result<ProducerStateDescription[]> {
    const leader = this.checkLeader(leaderEpoch);
    if (!leader.ok) return leader;
    return ok(this.log.describeProducers());
  }

  /** The leader check of a read the remote tier serves (tiered-storage.ts). */
  leaderCheck(leaderEpoch: number): Result<PartitionAssignment> {
    return this.checkLeader(leaderEpoch);
  }

  /**
   * Deletes segments past retention; returns when retention should next run (ms), or null.
   * With tiered storage on, tiered-storage.ts deletes instead (never before a remote copy).
   */
  enforceRetention(tiered = false): number | null {
    if (tiered) return null;
    this.log.deleteRetainedSegments();
    return this.log.nextRetentionDeadline();
  }

  /**
   * One bounded step of log compaction (src/log/cleaner.ts) on this replica's own committed
   * records, leader or follower alike; returns when the next step is due (ms), or null.
   */
  compactStep(): number | null {
    if (this.offline) return null;
    this.log.compactStep();
    return this.log.nextCompactionDeadline();
  }
}
