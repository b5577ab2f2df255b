/**
 * LeaderState: a partition leader's replication bookkeeping for one leader epoch (Kafka's
 * Partition leader side plus its per-follower replica state), and the per-follower push stream.
 *
 * Invariants:
 * - One ordered stream per follower, pipelined: up to `maxPushesInFlight` pushes are in flight
 *   to a follower at once, each starting where the one before it ends (Raft's pipelined
 *   AppendEntries). A second push follows only once the oldest in flight has been out
 *   `pipelineAfterMs`: a prompt follower gets every append made meanwhile in its next push
 *   (one push for many), a slow one no longer holds them all behind a whole round trip. Only
 *   an answer to a push still in flight moves the stream; a failed or mismatched answer drops
 *   the pushes sent after it (their answers are ignored), and once none is in flight the
 *   stream restarts from what the follower proved; pipelining starts only after a first `ok`,
 *   and pauses from a failure until every push in flight has settled. A data push that follows
 *   another carries only new batches; a HW-only push leaves only when none is in flight.
 * - A follower's known log end offset is what an `ok` answer proved it shares with this
 *   leader (the follower answers its matched end, see follower-append.ts), so it never counts a
 *   tail from an older epoch, nor a push still in flight; answers may arrive in any order, and
 *   the known end only rises (within one leader epoch a follower never drops a record it
 *   matched: the leader's batches at an offset never change). After `diverging` the next push
 *   starts strictly lower (never below the log start), so the search for where the logs part
 *   ends.
 * - HW candidate = min log end offset over the maximal ISR (the coordinator's ISR plus a
 *   proposed but unconfirmed member, Kafka's KIP-497 rule) and the leader itself; a member whose
 *   offset is unknown holds it at the current HW. The log never lets the HW fall.
 * - At most one ISR change is pending; it counts as ISR for the HW from the moment it is
 *   proposed until a newer coordinator state arrives, because the coordinator may have applied
 *   it even when its answer was lost. Shrink never removes the leader; expand adds only a
 *   follower holding the HW and everything before this epoch began (Kafka's isFollowerInSync).
 *   The caller persists `alterPartitionRequest()` whenever it changes and passes it back after a
 *   restart: a leader that forgot its proposal could commit without a member the coordinator
 *   has already added (and may elect next).
 * - A follower that holds the whole log learns a new HW with the next data push; a push that
 *   would carry only the HW waits until the HW has not risen for `highWatermarkPushDelayMs`
 *   (Kafka's followers likewise learn the HW from their next fetch). A follower's HW only lags,
 *   never leads, so this changes no guarantee; under steady load it saves a push and a follower
 *   commit per follower and request. `nextPushDeadline` says when the waiting push is due.
 * Called by the partition replica DO (and the replication simulation) after every append, push
 * result, coordinator state and alarm. Pure and synchronous; time comes from the injected Clock;
 * one caller at a time. A new leader epoch needs a new LeaderState.
 */
import type { AlterPartitionRequest } from "../protocol/types.ts";
import type { Result } from "../protocol/errors.ts";
import type { Clock, Offset, PartitionState, ReplicateRequest, ReplicateResponse, TimestampMs } from "../protocol/types.ts";
import { UNDEFINED_EPOCH } from "./leader-epoch-cache.ts";
import type { PartitionLog } from "./partition-log.ts";

/** Push size when the caller names none: whole batches up to this many bytes (at least one). */
export const DEFAULT_MAX_PUSH_BYTES = 4 * 1024 * 1024;

/** How long a HW-only push waits for the HW to stop rising (a data push carries the HW sooner). */
export const DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS = 20;

/** Pushes in flight to one follower when the caller names no limit (see the class comment). */
export const DEFAULT_MAX_PUSHES_IN_FLIGHT = 2;

/**
 * How long the oldest push in flight must be out before a second one follows it. Below it,
 * appends wait for the answer and go together in the next push (one push for many appends, as
 * before pipelining); a follower slower than this (a stalled or distant object) no longer
 * holds every append queued behind a whole round trip. About the p99 of a whole local
 * Worker → DO → 2 DOs hop on a quiet machine (docs/benchmarks.md), so on one machine
 * pipelining mostly starts on a stall.
 */
export const DEFAULT_PIPELINE_AFTER_MS = 5;

export interface LeaderStateOptions {
  localReplicaId: number;
  state: PartitionState;
  clock: Clock;
  replicaLagTimeMaxMs: number;
  maxPushBytes?: number;
  /** See the class comment; 0 pushes every HW move at once. Default DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS. */
  highWatermarkPushDelayMs?: number;
  /** The ISR change this leader had proposed before a restart (persisted by the caller). */
  pendingAlterPartition?: AlterPartitionRequest | null;
  /** Pushes in flight per follower, at least 1; default DEFAULT_MAX_PUSHES_IN_FLIGHT. */
  maxPushesInFlight?: number;
  /** See DEFAULT_PIPELINE_AFTER_MS (0: pipeline at once). */
  pipelineAfterMs?: number;
}

interface InFlightPush {
  req: ReplicateRequest;
  sentAtMs: TimestampMs;
  leaderLogEndOffset: Offset;
  /** Where the push's batches end (its prevOffset when it has none): where a pipelined next one starts. */
  end: Offset;
}

/** Kafka's Replica (the remote follower's state as the leader sees it) plus its stream. */
interface FollowerStream {
  /** The end of the leader's log the follower is known to hold; null until its first `ok`. */
  logEndOffset: Offset | null;
  /** Where the next push starts when none is in flight; null: at the leader's LEO (an optimistic first guess, as Raft). */
  nextOffset: Offset | null;
  /** The HW the follower has acknowledged (−1: none yet in this epoch). */
  highWatermark: Offset;
  lastCaughtUpTimeMs: TimestampMs;
  /** In send order; each starts where the one before it ends. */
  inFlight: InFlightPush[];
  /** A push failed or mismatched: no pipelining until every push in flight has settled. */
  settling: boolean;
}

interface PendingIsrChange {
  isr: number[];
  /** The partition epoch the proposal was made against (its compare-and-set value). */
  partitionEpoch: number;
}

export class LeaderState {
  readonly localReplicaId: number;
  readonly #clock: Clock;
  readonly #replicaLagTimeMaxMs: number;
  readonly #maxPushBytes: number;
  readonly #maxPushesInFlight: number;
  readonly #pipelineAfterMs: number;
  #state: PartitionState;
  #pending: PendingIsrChange | null = null;
  /** Where this leader epoch begins in the log (fixed for the epoch); read on first need. */
  #epochStartOffset: Offset | null = null;
  readonly #followers = new Map<number, FollowerStream>();
  /** The leader's LEO as last seen through a `log` argument (for calls that take none). */
  #seenLogEndOffset: Offset | null = null;
  readonly #highWatermarkPushDelayMs: number;
  #seenHighWatermark: Offset | null = null;
  /** When this object last saw the log's HW rise. */
  #highWatermarkRaisedAt: TimestampMs = 0;

  constructor(opts: LeaderStateOptions) {
    if (opts.state.leader !== opts.localReplicaId)
      throw new RangeError(`LeaderState: replica ${opts.localReplicaId} is not the leader in ${JSON.stringify(opts.state)}`);
    this.localReplicaId = opts.localReplicaId;
    this.#clock = opts.clock;
    this.#replicaLagTimeMaxMs = opts.replicaLagTimeMaxMs;
    this.#highWatermarkPushDelayMs = opts.highWatermarkPushDelayMs ?? DEFAULT_HIGH_WATERMARK_PUSH_DELAY_MS;
    this.#maxPushBytes = opts.maxPushBytes ?? DEFAULT_MAX_PUSH_BYTES;
    this.#maxPushesInFlight = Math.max(1, Math.floor(opts.maxPushesInFlight ?? DEFAULT_MAX_PUSHES_IN_FLIGHT));
    this.#pipelineAfterMs = opts.pipelineAfterMs ?? DEFAULT_PIPELINE_AFTER_MS;
    this.#state = opts.state;
    const p = opts.pendingAlterPartition;
    // Still pending only if it was made against this very state; a newer state settled it.
    if (p && p.leaderId === this.localReplicaId && p.leaderEpoch === opts.state.leaderEpoch && p.partitionEpoch === opts.state.partitionEpoch)
      this.#pending = { isr: [...p.newIsr], partitionEpoch: p.partitionEpoch };
    // Kafka's makeLeader: every ISR follower counts as caught up now, the others never were.
    this.#syncFollowers(this.#clock.now());
  }

  get state(): PartitionState {
    return this.#state;
  }

  get leaderEpoch(): number {
    return this.#state.leaderEpoch;
  }

  #syncFollowers(now: TimestampMs): void {
    const ids = this.followerIds();
    for (const id of [...this.#followers.keys()]) if (!ids.includes(id)) this.#followers.delete(id);
    for (const id of ids)
      if (!this.#followers.has(id))
        this.#followers.set(id, {
          logEndOffset: null,
          nextOffset: null,
          highWatermark: -1,
          lastCaughtUpTimeMs: this.#state.isr.includes(id) ? now : 0,
          inFlight: [],
          settling: false,
        });
  }

  /**
   * A newer coordinator state for this leader epoch (ISR, offline replicas, partition epoch).
   * Older or equal partition epochs are ignored; any newer one ends a pending ISR change.
   */
  updateState(state: PartitionState): void {
    if (state.leader !== this.localReplicaId || state.leaderEpoch !== this.#state.leaderEpoch)
      throw new RangeError(`LeaderState.updateState: leader ${state.leader} epoch ${state.leaderEpoch} needs a new LeaderState`);
    if (state.partitionEpoch <= this.#state.partitionEpoch) return;
    this.#state = state;
    this.#pending = null;
    this.#syncFollowers(this.#clock.now());
  }

  /** Every assigned replica except the leader. */
  followerIds(): number[] {
    return this.#state.replicas.filter((r) => r !== this.localReplicaId);
  }

  /** The coordinator's ISR plus a proposed member not yet confirmed (Kafka's maximal ISR). */
  maximalIsr(): number[] {
    const pending = this.#pending?.isr ?? [];
    return [...this.#state.isr, ...pending.filter((r) => !this.#state.isr.includes(r))];
  }

  #epochStart(log: PartitionLog): Offset | null {
    this.#epochStartOffset ??= log.epochEntries().find((e) => e.epoch === this.#state.leaderEpoch)?.startOffset ?? null;
    return this.#epochStartOffset;
  }

  #follower(id: number): FollowerStream {
    const f = this.#followers.get(id);
    if (!f) throw new RangeError(`replica ${id} is not a follower of partition ${this.#state.partition}`);
    return f;
  }

  /**
   * Notes the leader's LEO. Kafka's followers fetch without pause, so one that holds the whole
   * log keeps refreshing its caught-up time; pushes stop while the log is idle, so a follower
   * that held the whole log until the LEO moved counts as caught up at that moment instead.
   */
  #see(log: PartitionLog): Offset {
    const leo = log.logEndOffset;
    const before = this.#seenLogEndOffset;
    if (before !== null && leo > before) {
      const now = this.#clock.now();
      for (const f of this.#followers.values())
        if (f.logEndOffset !== null && f.logEndOffset >= before) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, now);
    }
    this.#seenLogEndOffset = leo;
    const hw = log.highWatermark;
    if (this.#seenHighWatermark === null || hw > this.#seenHighWatermark) {
      this.#seenHighWatermark = hw;
      this.#highWatermarkRaisedAt = this.#clock.now();
    }
    return leo;
  }

  /** A pipelined push may follow those in flight (once the oldest has been out pipelineAfterMs). */
  #pipelineOpen(f: FollowerStream, leo: Offset, logStartOffset: Offset): boolean {
    const last = f.inFlight.at(-1);
    return (
      last !== undefined &&
      f.inFlight.length < this.#maxPushesInFlight &&
      !f.settling &&
      f.logEndOffset !== null &&
      last.end < leo &&
      last.end >= logStartOffset
    );
  }

  /** A push that would carry only a new HW and is not due yet (see the class comment). */
  #highWatermarkPushWaits(f: FollowerStream, leo: Offset): boolean {
    return f.logEndOffset === leo && this.#clock.now() < this.#highWatermarkRaisedAt + this.#highWatermarkPushDelayMs;
  }

  /**
   * The follower's next push, marked in flight; null while the follower is offline, when
   * `maxPushesInFlight` are out, when those in flight already carry the leader's whole log, or
   * when none is and it holds the whole log and the current HW.
   */
  nextPush(followerId: number, log: PartitionLog): ReplicateRequest | null {
    const f = this.#follower(followerId);
    const leo = this.#see(log);
    if (f.inFlight.length >= this.#maxPushesInFlight || this.#state.offlineReplicas.includes(followerId)) return null;
    const { logStartOffset, highWatermark } = log;
    const last = f.inFlight.at(-1);
    if (!last) f.settling = false;
    let next: Offset;
    if (last) {
      // Pipelined: only new batches, from where the last push in flight ends, and only on a
      // stream that has matched and is not recovering from a failed or mismatched push.
      if (!this.#pipelineOpen(f, leo, logStartOffset)) return null;
      if (this.#clock.now() < f.inFlight[0]!.sentAtMs + this.#pipelineAfterMs) return null;
      next = last.end;
    } else {
      if (f.logEndOffset === leo && f.highWatermark >= highWatermark) return null;
      if (this.#highWatermarkPushWaits(f, leo)) return null;
      next = Math.min(Math.max(f.nextOffset ?? leo, logStartOffset), leo);
    }
    const batches = log.batchesForReplication(next, this.#maxPushBytes);
    const prevOffset = batches[0]?.baseOffset ?? next;
    const req: ReplicateRequest = {
      leaderId: this.localReplicaId,
      leaderEpoch: this.#state.leaderEpoch,
      prevOffset,
      prevEpoch: prevOffset <= logStartOffset ? UNDEFINED_EPOCH : log.epochAt(prevOffset - 1),
      batches,
      highWatermark,
      logStartOffset,
      // Unknown only if the log never became leader of this epoch: then no tail is truncated.
      leaderEpochStartOffset: this.#epochStart(log) ?? Number.MAX_SAFE_INTEGER,
    };
    f.inFlight.push({ req, sentAtMs: this.#clock.now(), leaderLogEndOffset: leo, end: batches.at(-1)?.lastOffset !== undefined ? batches.at(-1)!.lastOffset + 1 : prevOffset });
    return req;
  }

  /**
   * Feeds back the answer to a push (an error result for a failed call). Only the answer to a
   * push still in flight moves the stream; anything but `ok` also ends the pipeline behind it.
   * `fenced` says a follower knows a newer leader epoch, so this leader must stop.
   */
  onPushResult(followerId: number, req: ReplicateRequest, res: Result<ReplicateResponse>, log: PartitionLog): { fenced: boolean } {
    const f = this.#follower(followerId);
    const leo = this.#see(log);
    const at = f.inFlight.findIndex((p) => p.req === req);
    const sent = at >= 0 ? f.inFlight[at]! : null;
    if (sent) f.inFlight.splice(at, 1);
    // The pushes sent after a failed one start where it would have ended: their answers no
    // longer count. Earlier ones still may (answers can overtake each other); once none is
    // left, the stream restarts from what the follower proved (or the search below).
    if (sent && !(res.ok && res.value.status === "ok")) {
      f.inFlight.length = at;
      f.settling = true;
    }
    if (!res.ok) return { fenced: res.err.error === "FENCED_LEADER_EPOCH" };
    if (!sent) return { fenced: false };
    const answer = res.value;
    const { logStartOffset } = log;
    if (answer.status === "ok") {
      const end = Math.max(Math.min(answer.logEndOffset, leo), f.logEndOffset ?? -1);
      f.logEndOffset = end;
      f.nextOffset = end;
      f.highWatermark = Math.max(f.highWatermark, Math.min(req.highWatermark, end));
      if (end >= sent.leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, sent.sentAtMs);
    } else if (answer.status === "gap") {
      f.nextOffset = Math.min(Math.max(answer.logEndOffset, logStartOffset), req.prevOffset - 1, leo);
    } else {
      // KIP-279: where the follower's epoch ends in our log is the furthest the logs can agree.
      const epochEnd = log.endOffsetForEpoch(answer.divergingEpoch).endOffset;
      const below = req.prevOffset - 1;
      f.nextOffset = Math.max(logStartOffset, epochEnd >= 0 ? Math.min(epochEnd, below) : below);
    }
    return { fenced: false };
  }

  /** Min log end offset over the maximal ISR and the leader; an unknown member holds it at the HW. */
  /** The lowest LEO of the ISR's members other than the leader (Infinity when it leads alone). */
  othersEnd(log: PartitionLog): Offset {
    let end = Infinity;
    for (const id of this.maximalIsr())
      if (id !== this.localReplicaId) end = Math.min(end, this.#followers.get(id)?.logEndOffset ?? log.highWatermark);
    return end;
  }

  highWatermarkCandidate(log: PartitionLog): Offset {
    let candidate = this.#see(log);
    for (const id of this.maximalIsr()) {
      if (id === this.localReplicaId) continue;
      candidate = Math.min(candidate, this.#followers.get(id)?.logEndOffset ?? log.highWatermark);
    }
    return candidate;
  }

  /**
   * Kafka's Replica.isCaughtUp: the follower holds the leader's whole log, or did within the
   * last replicaLagTimeMaxMs. Without `log`, the leader's LEO last seen by this object is used.
   */
  isCaughtUp(followerId: number, log?: PartitionLog): boolean {
    const f = this.#follower(followerId);
    const leo = log ? this.#see(log) : this.#seenLogEndOffset;
    if (f.logEndOffset !== null && leo !== null && f.logEndOffset >= leo) return true;
    return this.#clock.now() - f.lastCaughtUpTimeMs <= this.#replicaLagTimeMaxMs;
  }

  followerLogEndOffset(followerId: number): Offset | null {
    return this.#follower(followerId).logEndOffset;
  }

  /** The ISR without the followers that are out of sync; null if none is, or a change is pending. */
  maybeShrinkIsr(log: PartitionLog): number[] | null {
    this.#see(log);
    if (this.#pending) return null;
    const out = this.#state.isr.filter((id) => id !== this.localReplicaId && !this.isCaughtUp(id, log));
    if (out.length === 0) return null;
    return this.#propose(this.#state.isr.filter((id) => !out.includes(id)));
  }

  /**
   * The ISR plus every online follower that holds the HW and all records from before this
   * leader epoch began; null if there is none, or a change is pending.
   */
  maybeExpandIsr(log: PartitionLog): number[] | null {
    this.#see(log);
    if (this.#pending) return null;
    const epochStart = this.#epochStart(log);
    if (epochStart === null) return null;
    const { isr, offlineReplicas } = this.#state;
    const joining = this.followerIds().filter((id) => {
      const end = this.#followers.get(id)?.logEndOffset ?? null;
      return !isr.includes(id) && !offlineReplicas.includes(id) && end !== null && end >= log.highWatermark && end >= epochStart;
    });
    if (joining.length === 0) return null;
    return this.#propose([...isr, ...joining]);
  }

  #propose(isr: number[]): number[] {
    this.#pending = { isr, partitionEpoch: this.#state.partitionEpoch };
    return isr;
  }

  /**
   * The pending ISR change as the AlterPartition to send, and to send again while its outcome
   * is unknown. It stays pending until updateState brings a newer state: after an error (the
   * coordinator has moved on, or may have applied it), fetch the coordinator's state.
   */
  alterPartitionRequest(): AlterPartitionRequest | null {
    const p = this.#pending;
    if (!p) return null;
    return { leaderId: this.localReplicaId, leaderEpoch: this.#state.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: p.isr };
  }

  /**
   * When a lagging ISR follower would pass replicaLagTimeMaxMs (for the DO's alarm), or null.
   * Null too while an ISR change is pending: recompute after updateState.
   */
  /** When a waiting HW-only push or pipelined push falls due (null: none waits). */
  nextPushDeadline(log: PartitionLog): TimestampMs | null {
    const leo = this.#see(log);
    let due = Infinity;
    for (const id of this.followerIds()) {
      const f = this.#follower(id);
      if (this.#state.offlineReplicas.includes(id)) continue;
      if (this.#pipelineOpen(f, leo, log.logStartOffset)) due = Math.min(due, f.inFlight[0]!.sentAtMs + this.#pipelineAfterMs);
      if (f.inFlight.length === 0 && f.highWatermark < log.highWatermark && this.#highWatermarkPushWaits(f, leo))
        due = Math.min(due, this.#highWatermarkRaisedAt + this.#highWatermarkPushDelayMs);
    }
    return due === Infinity ? null : due;
  }

  nextLagDeadline(log?: PartitionLog): TimestampMs | null {
    if (this.#pending) return null;
    const leo = log ? this.#see(log) : this.#seenLogEndOffset;
    let deadline: TimestampMs | null = null;
    for (const id of this.#state.isr) {
      if (id === this.localReplicaId) continue;
      const f = this.#follower(id);
      if (f.logEndOffset !== null && leo !== null && f.logEndOffset >= leo) continue;
      const at = f.lastCaughtUpTimeMs + this.#replicaLagTimeMaxMs + 1;
      deadline = deadline === null ? at : Math.min(deadline, at);
    }
    return deadline;
  }
}
