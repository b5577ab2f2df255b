/**
 * The simulated cluster coordinator: the partition's authoritative state, changed only through
 * src/coordinator/election.ts (electLeader on failure detection, alterPartition compare-and-set,
 * offline/online, preferred leader). Its failure detector sees the ground truth (is the replica
 * up and is the link to it intact) but only acts after a leader has been unreachable for
 * `failureDetectionMs`. Every change is sent to every replica, and re-sent periodically, over
 * the faulty network. The coordinator itself never fails.
 */
import type { Result } from "../../src/protocol/errors.ts";
import type { AlterPartitionRequest, PartitionState } from "../../src/protocol/types.ts";
import {
  alterPartition,
  bringReplicaOnline,
  electLeader,
  electPreferredLeader,
  NO_LEADER,
  takeReplicaOffline,
} from "../../src/coordinator/election.ts";
import { COORDINATOR, replicaNode, type SimContext } from "./model.ts";

export class SimCoordinator {
  state: PartitionState;
  readonly #unreachableSince = new Map<number, number>();

  readonly #ctx: SimContext;

  constructor(ctx: SimContext, replicas: number[]) {
    this.#ctx = ctx;
    this.state = { partition: 0, replicas, leader: replicas[0]!, leaderEpoch: 1, isr: [...replicas], offlineReplicas: [], partitionEpoch: 1 };
  }

  #reachable(id: number): boolean {
    const r = this.#ctx.replica(id);
    return r.up && !r.offline && this.#ctx.net.linkUp(COORDINATOR, replicaNode(id));
  }

  #set(state: PartitionState, why: string): void {
    this.state = state;
    this.#ctx.sched.log(`  coord: ${why} → pe${state.partitionEpoch} e${state.leaderEpoch} L${state.leader} isr=[${state.isr}]`);
    this.broadcast();
  }

  broadcast(): void {
    const s = this.state;
    for (const id of s.replicas)
      this.#ctx.net.send(COORDINATOR, replicaNode(id), `state pe${s.partitionEpoch}`, () => this.#ctx.replica(id).applyState(s));
  }

  /** Failure detection: a leader unreachable for failureDetectionMs (or none) → election. */
  tick(): void {
    const now = this.#ctx.sched.now();
    for (const id of this.state.replicas) {
      if (this.#reachable(id)) this.#unreachableSince.delete(id);
      else if (!this.#unreachableSince.has(id)) this.#unreachableSince.set(id, now);
    }
    const { leader } = this.state;
    const down = this.#unreachableSince.get(leader);
    if (leader !== NO_LEADER && (down === undefined || now - down < this.#ctx.config.failureDetectionMs)) return;
    const outcome = electLeader(this.state, (id) => this.#reachable(id), false);
    if (!outcome) return;
    this.#ctx.stats.elections++;
    this.#set(outcome.state, `leader ${leader} unreachable: election`);
  }

  onAlterPartition(req: AlterPartitionRequest): Result<PartitionState> {
    const before = this.state.isr.length;
    const r = alterPartition(this.state, req);
    if (!r.ok) {
      this.#ctx.sched.log(`  coord: alterPartition refused: ${r.err.error}`);
      return r;
    }
    if (r.value.isr.length < before) this.#ctx.stats.isrShrinks++;
    else this.#ctx.stats.isrExpands++;
    this.#set(r.value, `alterPartition isr=[${req.newIsr}]`);
    return r;
  }

  /**
   * Admin offline. An offline leader is known to be gone, so the election happens in the same
   * change: takeReplicaOffline alone leaves it leading outside the ISR until failure detection,
   * and if it came back online first the partition would keep a leader that is not in its ISR.
   */
  takeOffline(id: number): void {
    const offline = takeReplicaOffline(this.state, id);
    const outcome = offline.leader === id ? electLeader(offline, (r) => this.#reachable(r) && r !== id, false) : null;
    if (outcome) this.#ctx.stats.elections++;
    this.#set(outcome?.state ?? offline, `replica ${id} offline${outcome ? ": election" : ""}`);
  }

  bringOnline(id: number): void {
    this.#set(bringReplicaOnline(this.state, id), `replica ${id} online`);
  }

  preferredLeaderElection(): void {
    const r = electPreferredLeader(this.state, (id) => this.#reachable(id));
    if (r.ok && r.value) {
      this.#ctx.stats.elections++;
      this.#set(r.value, "preferred leader election");
    }
  }
}
