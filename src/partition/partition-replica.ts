/**
 * One partition replica's behaviour: role and epoch checks (fencing), produce as leader,
 * reads bounded by the high watermark, offset look-ups, and retention.
 *
 * Invariants: only the leader of the current leader epoch appends; a caller naming an older
 * epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH (it knows more than we do);
 * the high watermark only rises and never passes the log end offset.
 * Runs inside PartitionReplicaDO; every method is synchronous, so no other call interleaves
 * between a check and the write it guards.
 */
import { toLogConfig } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type {
  Clock,
  FetchResult,
  OffsetAndTimestamp,
  OffsetSpec,
  PartitionAssignment,
  ProduceRequest,
  ProduceResult,
  ReplicaFetchRequest,
  ReplicaOffsets,
  ReplicaRole,
} from "../protocol/types.ts";
import { PartitionLog } from "../log/partition-log.ts";
import { SqliteLogStore } from "../log/sqlite-log-store.ts";
import type { SqlPort } from "../log/sql-port.ts";
import { AssignmentStore } from "./assignment-store.ts";

export class PartitionReplica {
  private readonly assignments: AssignmentStore;
  private assignment: PartitionAssignment | null;
  readonly log: PartitionLog;

  constructor(sql: SqlPort, clock: Clock) {
    this.assignments = new AssignmentStore(sql);
    this.assignment = this.assignments.load();
    this.log = PartitionLog.open(new SqliteLogStore(sql), clock, toLogConfig(this.assignment?.configs ?? {}));
  }

  get role(): ReplicaRole {
    const a = this.assignment;
    if (!a) return "none";
    return a.state.leader === a.replicaId ? "leader" : "follower";
  }

  describe(): ReplicaOffsets {
    return {
      logStartOffset: this.log.logStartOffset,
      highWatermark: this.log.highWatermark,
      logEndOffset: this.log.logEndOffset,
      leaderEpoch: this.assignment?.state.leaderEpoch ?? 0,
      role: this.role,
    };
  }

  /** Applies the coordinator's word unless it is older than what this replica already holds. */
  becomeLeaderOrFollower(a: PartitionAssignment): Result<ReplicaOffsets> {
    const current = this.assignment;
    if (current && current.topicId !== a.topicId)
      return fail("INCONSISTENT_TOPIC_ID", `replica belongs to topic id ${current.topicId}, not ${a.topicId}`);
    if (current && a.state.partitionEpoch < current.state.partitionEpoch) return ok(this.describe());
    if (current && a.state.leaderEpoch < current.state.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${a.state.leaderEpoch} is older than ${current.state.leaderEpoch}`);
    const isLeader = a.state.leader === a.replicaId;
    const changed = isLeader ? this.log.becomeLeader(a.state.leaderEpoch) : this.log.becomeFollower(a.state.leaderEpoch);
    if (!changed.ok) return changed;
    this.assignments.save(a);
    this.assignment = a;
    this.log.setConfig(toLogConfig(a.configs));
    if (isLeader) this.maybeAdvanceHighWatermark();
    return ok(this.describe());
  }

  /** The leader check every client call passes through (Kafka's fencing by leader epoch). */
  private checkLeader(leaderEpoch: number): Result<PartitionAssignment> {
    const a = this.assignment;
    if (!a) return fail("UNKNOWN_TOPIC_OR_PARTITION", "this partition replica does not exist (or was deleted)");
    if (this.role !== "leader")
      return fail("NOT_LEADER_OR_FOLLOWER", `replica ${a.replicaId} is not the leader of ${a.topic}-${a.partition}`);
    if (leaderEpoch < a.state.leaderEpoch)
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${leaderEpoch} is older than the current ${a.state.leaderEpoch}`);
    if (leaderEpoch > a.state.leaderEpoch)
      return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${leaderEpoch} is newer than this replica's ${a.state.leaderEpoch}`);
    return ok(a);
  }

  /** HW = min LEO over the ISR; with this leader as the only ISR member that is its own LEO. */
  private maybeAdvanceHighWatermark(): boolean {
    const a = this.assignment;
    if (!a || a.state.isr.length !== 1 || a.state.isr[0] !== a.replicaId) return false;
    return this.log.maybeIncrementHighWatermark(this.log.logEndOffset);
  }

  produce(req: ProduceRequest): Result<ProduceResult> {
    const leader = this.checkLeader(req.leaderEpoch);
    if (!leader.ok) return leader;
    const { state } = leader.value;
    const minIsr = this.log.config.minInsyncReplicas;
    if (req.acks === -1 && state.isr.length < minIsr)
      return fail("NOT_ENOUGH_REPLICAS", `ISR has ${state.isr.length} member(s), min.insync.replicas is ${minIsr}`);
    const appended = this.log.appendAsLeader(req.records, state.leaderEpoch, req.producer);
    if (!appended.ok) return appended;
    this.maybeAdvanceHighWatermark();
    return ok({ ...appended.value, highWatermark: this.log.highWatermark });
  }

  read(req: ReplicaFetchRequest): Result<FetchResult> {
    const leader = this.checkLeader(req.leaderEpoch);
    if (!leader.ok) return leader;
    const offset =
      req.offset === "earliest" ? this.log.logStartOffset : req.offset === "latest" ? this.log.highWatermark : req.offset;
    return this.log.read({ offset, maxRecords: req.maxRecords, maxBytes: req.maxBytes });
  }

  listOffsets(spec: OffsetSpec, leaderEpoch: number): Result<OffsetAndTimestamp> {
    const leader = this.checkLeader(leaderEpoch);
    if (!leader.ok) return leader;
    if (spec === "earliest") return ok({ offset: this.log.logStartOffset, timestamp: null });
    if (spec === "latest") return ok({ offset: this.log.highWatermark, timestamp: null });
    // No record at or after the timestamp: answer the high watermark, where a consumer would start.
    return ok(this.log.offsetForTimestamp(spec.timestamp) ?? { offset: this.log.highWatermark, timestamp: null });
  }

  /** Deletes segments past retention; returns when retention should next run (ms), or null. */
  enforceRetention(): number | null {
    this.log.deleteRetainedSegments();
    return this.log.nextRetentionDeadline();
  }
}
