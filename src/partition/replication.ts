/**
 * The leader's replication driver: the async side of PartitionReplica. It sends each
 * follower's next pushes (a short pipeline per follower, each push starting where the one
 * before it ends: LeaderState keeps every stream ordered), feeds the answers back, raises the HW, asks the coordinator for ISR changes (AlterPartition) and wakes
 * whoever waits on the HW (acks=all produces, long-polling fetches).
 *
 * Invariants: a failed push is retried by the DO's alarm (never in a tight loop); at most one
 * AlterPartition is in flight; running `kick` twice (an alarm firing twice) sends nothing twice,
 * because LeaderState hands out a push only for records no push in flight carries. A call that
 * throws becomes a Kafka error value classified by the runtime's `.retryable`/`.overloaded`
 * flags (never by message); one without those flags (a bug on the other side, or an unknown
 * failure) is also logged, since the driver itself only retries it.
 * Runs inside PartitionReplicaDO; between awaits the replica's synchronous methods keep every
 * check next to the write it guards.
 */
import type { KafkaError } from "../protocol/errors.ts";
import type { Clock } from "../protocol/types.ts";
import { classifyRuntimeError } from "../storage/runtime-errors.ts";
import type { PartitionReplica } from "./partition-replica.ts";
import type { ReplicaTransport } from "./replica-transport.ts";

/** How soon a failed push or AlterPartition is tried again (by alarm). */
export const REPLICATION_RETRY_MS = 250;

export interface ReplicationHooks {
  transport(): ReplicaTransport | null;
  /** The HW rose or leadership changed: wake the waiters. */
  onProgress(): void;
  /** Ask for an alarm no later than `at`. */
  scheduleAt(at: number): void;
}

/** A call that threw, as the error value the driver goes on with; logged unless transient. */
function failedCall(what: string, e: unknown): { ok: false; err: KafkaError } {
  const err = classifyRuntimeError(e);
  // Transient and overload failures are expected (a restarting object) and show in the ISR;
  // anything else would otherwise be retried forever without a trace.
  if (err.error === "UNKNOWN_SERVER_ERROR") console.warn(`replication: ${what} failed`, err);
  return { ok: false, err };
}

export class ReplicationDriver {
  private altering = false;

  constructor(
    private readonly replica: PartitionReplica,
    private readonly clock: Clock,
    private readonly hooks: ReplicationHooks,
  ) {}

  /** Sends every push that is due now. Safe to call at any time, any number of times. */
  kick(): void {
    const transport = this.hooks.transport();
    if (!transport) return;
    for (const [followerId, req] of this.replica.pushesToSend()) void this.push(transport, followerId, req);
    void this.maybeAlterIsr(transport);
    const lag = this.replica.nextReplicationDeadline();
    if (lag !== null) this.hooks.scheduleAt(lag);
  }

  private async push(transport: ReplicaTransport, followerId: number, req: Parameters<ReplicaTransport["replicate"]>[1]): Promise<void> {
    const res = await transport.replicate(followerId, req).catch((e: unknown) => failedCall(`push to replica ${followerId}`, e));
    const { hwAdvanced, fenced } = this.replica.onPushResult(followerId, req, res);
    if (hwAdvanced || fenced) this.hooks.onProgress();
    if (fenced) return;
    if (res.ok) this.kick();
    else this.hooks.scheduleAt(this.clock.now() + REPLICATION_RETRY_MS);
  }

  private async maybeAlterIsr(transport: ReplicaTransport): Promise<void> {
    if (this.altering) return;
    const req = this.replica.isrChange();
    if (!req) return;
    this.altering = true;
    try {
      const r = await transport.alterPartition(req).catch((e: unknown) => failedCall("AlterPartition", e));
      // Unanswered or refused: the coordinator may have applied it, or moved on. Its current
      // state settles which; if that is no newer, the same request goes again later.
      const state = r.ok ? r : await transport.partitionState().catch((e: unknown) => failedCall("reading the partition state", e));
      if (!state.ok && !r.ok)
        console.warn("replication: AlterPartition outcome unknown; asking again later", { alterPartition: r.err, partitionState: state.err });
      if (!state.ok || !this.replica.applyPartitionState(state.value)) {
        this.hooks.scheduleAt(this.clock.now() + REPLICATION_RETRY_MS);
        return;
      }
      this.hooks.onProgress();
    } finally {
      this.altering = false;
    }
    this.kick();
  }
}
