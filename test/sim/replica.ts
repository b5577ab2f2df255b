/**
 * One simulated partition replica: a PartitionLog on a durable (spy) store, plus, while it
 * leads, a LeaderState, and the driver logic the replica DO runs around them: apply the
 * coordinator's state (LeaderAndIsr), answer pushes and produce requests, raise the HW after
 * every append and push result, send each follower its next push, ask the coordinator for ISR
 * changes (re-sending a pending one until a newer state arrives) and fail acks=all waits that
 * lose leadership or time out. A crash loses everything but the store, the last state it was
 * told and its pending ISR proposal (the DO's assignment row); recovery reopens the log from
 * the store and hands the proposal back to the new LeaderState.
 */
import { DEFAULT_LOG_CONFIG } from "../../src/protocol/config.ts";
import { fail, ok, type Result } from "../../src/protocol/errors.ts";
import type { PartitionState, ReplicateRequest, ReplicateResponse } from "../../src/protocol/types.ts";
import type { AlterPartitionRequest } from "../../src/protocol/types.ts";
import { LeaderState } from "../../src/log/leader-state.ts";
import { PartitionLog } from "../../src/log/partition-log.ts";
import { COORDINATOR, replicaNode, type SimContext, type SimProduceRequest, type SimProduceResult } from "./model.ts";
import { SpyStore } from "./spy-store.ts";

interface AckWait {
  lastOffset: number;
  zombie: boolean;
  reply: (r: SimProduceResult) => void;
  cancelTimer: () => void;
}

const describeState = (s: PartitionState): string =>
  `pe${s.partitionEpoch} e${s.leaderEpoch} L${s.leader} isr=[${s.isr}]${s.offlineReplicas.length ? ` off=[${s.offlineReplicas}]` : ""}`;

export class SimReplica {
  readonly node: string;
  readonly store: SpyStore;
  log: PartitionLog;
  leader: LeaderState | null = null;
  /** The last coordinator state applied (persisted, like the DO's assignment row). */
  known: PartitionState | null = null;
  /** The ISR change proposed and not yet settled (persisted with `known`). */
  pendingAlter: AlterPartitionRequest | null = null;
  up = true;
  offline = false;
  #waits: AckWait[] = [];
  /** The LeaderState whose AlterPartition is in flight (one at a time). */
  #altering: LeaderState | null = null;

  readonly id: number;
  readonly #ctx: SimContext;

  constructor(ctx: SimContext, id: number) {
    this.#ctx = ctx;
    this.id = id;
    this.node = replicaNode(id);
    this.store = new SpyStore(ctx.config.storage);
    this.log = this.#open();
  }

  #open(): PartitionLog {
    const { minInsyncReplicas, segmentBytes } = this.#ctx.config;
    return PartitionLog.open(this.store, this.#ctx.sched.clock, { ...DEFAULT_LOG_CONFIG, minInsyncReplicas, segmentBytes });
  }

  #trace(line: string): void {
    this.#ctx.sched.log(`  ${this.node}: ${line}`);
  }

  #newLeaderState(state: PartitionState): LeaderState {
    const { clock } = this.#ctx.sched;
    const { replicaLagTimeMaxMs, maxPushBytes, pipelineAfterMs } = this.#ctx.config;
    const pendingAlterPartition = this.#ctx.mutant === "leader-forgets-isr-proposal" ? null : this.pendingAlter;
    return new LeaderState({ localReplicaId: this.id, state, clock, replicaLagTimeMaxMs, maxPushBytes, pipelineAfterMs, pendingAlterPartition });
  }

  crash(): void {
    this.up = false;
    this.leader = null;
    this.#altering = null;
    for (const w of this.#waits) w.cancelTimer();
    this.#waits = []; // their callers time out
  }

  recover(): void {
    this.up = true;
    this.store.reopen();
    this.log = this.#open();
    const k = this.known;
    if (k && k.leader === this.id && this.log.role === "leader" && this.log.leaderEpoch === k.leaderEpoch)
      this.leader = this.#newLeaderState(k);
    this.#trace(`recovered ${JSON.stringify(this.log.offsets())}${this.leader ? " as leader" : ""}`);
    this.fetchState();
    this.drive();
  }

  setOffline(offline: boolean): void {
    this.offline = offline;
    if (offline) this.#stepDown("taken offline");
  }

  #stepDown(why: string): void {
    if (this.leader) this.#trace(`stops leading epoch ${this.leader.leaderEpoch}: ${why}`);
    this.leader = null;
    this.#failWaits(fail("NOT_LEADER_OR_FOLLOWER", why));
  }

  #failWaits(r: SimProduceResult): void {
    const waits = this.#waits;
    this.#waits = [];
    for (const w of waits) {
      w.cancelTimer();
      w.reply(r);
    }
  }

  /** The coordinator's word (LeaderAndIsr), applied unless older than what this replica holds. */
  applyState(state: PartitionState): void {
    if (!this.up || this.offline) return;
    if (this.known && state.partitionEpoch <= this.known.partitionEpoch) return;
    if (state.leaderEpoch < this.log.leaderEpoch) return;
    const lead = state.leader === this.id;
    const newEpoch = state.leaderEpoch > this.log.leaderEpoch || this.log.role !== (lead ? "leader" : "follower");
    if (newEpoch) {
      const changed = lead ? this.log.becomeLeader(state.leaderEpoch) : this.log.becomeFollower(state.leaderEpoch);
      if (!changed.ok) return;
    }
    this.known = state;
    this.#trace(`applies ${describeState(state)}`);
    if (!lead) this.#stepDown(`replica ${state.leader} leads epoch ${state.leaderEpoch}`);
    else if (newEpoch || !this.leader) {
      this.#failWaits(fail("NOT_LEADER_OR_FOLLOWER", "leadership restarted"));
      this.leader = this.#newLeaderState(state);
    } else this.leader.updateState(state);
    this.pendingAlter = this.leader?.alterPartitionRequest() ?? null;
    this.drive();
  }

  fetchState(): void {
    this.#ctx.net.call<PartitionState>(
      this.node,
      COORDINATOR,
      "getState",
      this.#ctx.config.rpcTimeoutMs,
      (reply) => reply(this.#ctx.coordinator.state),
      (state) => {
        if (state && this.up) this.applyState(state);
        this.drive();
      },
    );
  }

  onReplicate(req: ReplicateRequest, reply: (r: Result<ReplicateResponse>) => void): void {
    if (this.offline) return reply(fail("REPLICA_NOT_AVAILABLE", "offline"));
    let sent = req;
    if (this.#ctx.mutant === "follower-skips-log-matching" && this.log.logEndOffset >= req.prevOffset) sent = { ...req, prevEpoch: -1 };
    const res = this.log.appendAsFollower(sent);
    this.#trace(`push e${req.leaderEpoch} prev=${req.prevOffset}/${req.prevEpoch} n=${req.batches.length} hw=${req.highWatermark} → ${res.ok ? JSON.stringify(res.value) : res.err.error}`);
    if (res.ok && this.leader) this.#stepDown(`a push of epoch ${req.leaderEpoch} arrived`);
    reply(res);
  }

  onProduce(req: SimProduceRequest, reply: (r: SimProduceResult) => void): void {
    const { stats, config, coordinator } = this.#ctx;
    if (this.offline) return reply(fail("REPLICA_NOT_AVAILABLE", "offline"));
    const ls = this.leader;
    if (!ls) return reply(fail("NOT_LEADER_OR_FOLLOWER", `${this.node} does not lead`));
    const epoch = this.log.leaderEpoch;
    if (req.leaderEpoch !== epoch)
      return reply(fail(req.leaderEpoch < epoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH", `epoch ${req.leaderEpoch} vs ${epoch}`));
    if (req.acks === -1 && ls.state.isr.length < config.minInsyncReplicas) {
      stats.notEnoughReplicas++;
      return reply(fail("NOT_ENOUGH_REPLICAS", `isr=[${ls.state.isr}]`));
    }
    const producer = this.#ctx.mutant === "leader-ignores-producer" ? undefined : req.producer;
    const appended = this.log.appendAsLeader(req.records, epoch, producer);
    if (!appended.ok) return reply(appended);
    const { baseOffset, lastOffset, duplicate } = appended.value;
    if (duplicate) stats.duplicateAnswers++;
    const zombie = coordinator.state.leaderEpoch > epoch;
    if (zombie) stats.zombieAppends++;
    this.#trace(`${duplicate ? "duplicate of" : "appends"} ${baseOffset}..${lastOffset} acks=${req.acks}${zombie ? " (zombie)" : ""}`);
    if (req.acks === 1) reply(ok({ baseOffset, lastOffset, leaderEpoch: epoch }));
    else {
      const timer = this.#ctx.sched.after(config.produceTimeoutMs, `ack timeout ${this.node} @${lastOffset}`, () => {
        this.#waits = this.#waits.filter((w) => w !== wait);
        reply(fail("REQUEST_TIMED_OUT", `HW ${this.log.highWatermark} did not pass ${lastOffset}`));
      });
      const wait: AckWait = {
        lastOffset,
        zombie,
        cancelTimer: () => timer.cancel(),
        reply: (r) => reply(r.ok ? ok({ baseOffset, lastOffset, leaderEpoch: epoch }) : r),
      };
      this.#waits.push(wait);
    }
    this.drive();
  }

  #advanceHighWatermark(ls: LeaderState): void {
    const candidate = this.#ctx.mutant === "hw-from-leader-only" ? this.log.logEndOffset : ls.highWatermarkCandidate(this.log);
    if (!this.log.maybeIncrementHighWatermark(candidate)) return;
    const hw = this.log.highWatermark;
    const done = this.#waits.filter((w) => w.lastOffset < hw);
    this.#waits = this.#waits.filter((w) => w.lastOffset >= hw);
    for (const w of done) {
      if (w.zombie) this.#ctx.stats.zombieAcksAll++;
      w.cancelTimer();
      w.reply(ok({ baseOffset: 0, lastOffset: w.lastOffset, leaderEpoch: this.log.leaderEpoch }));
    }
  }

  /** What the DO does after every append, push result, state change and alarm. */
  drive(): void {
    const ls = this.leader;
    if (!this.up || this.offline || !ls) return;
    this.#advanceHighWatermark(ls);
    for (const f of ls.followerIds()) {
      const req = ls.nextPush(f, this.log);
      if (!req) continue;
      this.#ctx.net.call<Result<ReplicateResponse>>(
        this.node,
        replicaNode(f),
        `push e${req.leaderEpoch} prev=${req.prevOffset}/${req.prevEpoch} n=${req.batches.length}`,
        this.#ctx.config.rpcTimeoutMs,
        (reply) => this.#ctx.replica(f).onReplicate(req, reply),
        (res) => this.#onPushResult(ls, f, req, res),
      );
    }
    this.#maybeAlterIsr(ls);
  }

  #onPushResult(ls: LeaderState, f: number, req: ReplicateRequest, res: Result<ReplicateResponse> | null): void {
    if (this.leader !== ls || !this.up) return;
    const answer = res ?? fail("NETWORK_EXCEPTION", "push timed out");
    if (ls.onPushResult(f, req, answer, this.log).fenced) {
      this.#stepDown(`fenced by replica ${f}`);
      this.fetchState();
      return;
    }
    if (answer.ok) this.drive();
    else this.#advanceHighWatermark(ls); // retried by the next tick, never in a tight loop
  }

  #maybeAlterIsr(ls: LeaderState): void {
    if (this.#altering === ls) return;
    if (!ls.alterPartitionRequest() && !(ls.maybeShrinkIsr(this.log) ?? ls.maybeExpandIsr(this.log))) return;
    const req = ls.alterPartitionRequest()!;
    this.pendingAlter = req;
    this.#altering = ls;
    this.#ctx.net.call<Result<PartitionState>>(
      this.node,
      COORDINATOR,
      `alterPartition pe${req.partitionEpoch} isr=[${req.newIsr}]`,
      this.#ctx.config.rpcTimeoutMs,
      (reply) => reply(this.#ctx.coordinator.onAlterPartition(req)),
      (res) => {
        if (this.#altering === ls) this.#altering = null;
        if (this.leader !== ls || !this.up) return;
        if (res?.ok) this.applyState(res.value);
        else this.fetchState(); // refused or unknown: learn the coordinator's state, then re-send if still pending
      },
    );
  }
}
