/**
 * Partition leadership rules of the coordinator (Kafka's controller), pure:
 * leader election after a failure, preferred-leader election, and AlterPartition (ISR changes
 * asked by the leader, compare-and-set on the partition epoch).
 *
 * Invariants:
 * - Every change of leader bumps `leaderEpoch`; every change at all bumps `partitionEpoch`.
 * - A clean election picks only a live ISR member, so no committed record (in every ISR
 *   member's log) can be lost. With none, the partition has no leader (-1) unless unclean
 *   election is enabled, which may pick any live replica and says so.
 * - The ISR always contains the leader; it never becomes empty (a leaderless partition keeps
 *   its last ISR member, who alone may lead it cleanly when it returns).
 * - An AlterPartition from a stale leader epoch or partition epoch is refused.
 * Called by ClusterCoordinatorDO and by the deterministic replication simulation.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import { NO_LEADER, type AlterPartitionRequest, type PartitionState } from "../protocol/types.ts";

export { NO_LEADER } from "../protocol/types.ts";

export interface ElectionOutcome {
  state: PartitionState;
  /** True when the new leader was not in the ISR (records may have been lost). */
  unclean: boolean;
}

/** Replicas in preference order (the replica list's order, as Kafka), filtered. */
const inOrder = (state: PartitionState, keep: (r: number) => boolean): number[] => state.replicas.filter(keep);

/**
 * Elects a new leader because `failed` replicas are unreachable or offline. Returns null when
 * nothing changes (the current leader is not among them and is usable).
 */
export function electLeader(
  state: PartitionState,
  usable: (replicaId: number) => boolean,
  uncleanLeaderElectionEnable: boolean,
): ElectionOutcome | null {
  const isUsable = (r: number) => usable(r) && !state.offlineReplicas.includes(r);
  if (state.leader !== NO_LEADER && isUsable(state.leader)) return null;
  const survivors = state.isr.filter(isUsable);
  const clean = inOrder(state, (r) => survivors.includes(r))[0];
  if (clean !== undefined) {
    return { state: next(state, clean, survivors), unclean: false };
  }
  if (uncleanLeaderElectionEnable) {
    const any = inOrder(state, isUsable)[0];
    if (any !== undefined) return { state: next(state, any, [any]), unclean: true };
  }
  if (state.leader === NO_LEADER) return null;
  // No eligible replica: leaderless, keeping the last ISR member so it can lead cleanly later.
  const lastIsr = state.isr.includes(state.leader) ? [state.leader] : state.isr.slice(0, 1);
  return { state: next(state, NO_LEADER, lastIsr), unclean: false };
}

/** Moves leadership to the first replica in the list (the preferred leader) if it is an eligible ISR member. */
export function electPreferredLeader(state: PartitionState, usable: (replicaId: number) => boolean): Result<PartitionState | null> {
  const preferred = state.replicas[0]!;
  if (state.leader === preferred) return ok(null);
  if (!state.isr.includes(preferred) || !usable(preferred) || state.offlineReplicas.includes(preferred))
    return fail("PREFERRED_LEADER_NOT_AVAILABLE", `preferred replica ${preferred} is not a live ISR member`);
  return ok(next(state, preferred, state.isr));
}

/** Marks a replica offline (admin) and removes it from the ISR unless it is the last member. */
export function takeReplicaOffline(state: PartitionState, replicaId: number): PartitionState {
  const offlineReplicas = [...new Set([...state.offlineReplicas, replicaId])].sort((a, b) => a - b);
  const isr = state.isr.length > 1 ? state.isr.filter((r) => r !== replicaId) : state.isr;
  return { ...state, offlineReplicas, isr, partitionEpoch: state.partitionEpoch + 1 };
}

/** Brings a replica back online as a follower; it rejoins the ISR only through AlterPartition. */
export function bringReplicaOnline(state: PartitionState, replicaId: number): PartitionState {
  return {
    ...state,
    offlineReplicas: state.offlineReplicas.filter((r) => r !== replicaId),
    partitionEpoch: state.partitionEpoch + 1,
  };
}


/** Kafka's AlterPartition: the leader's ISR change, applied only against the state it saw. */
export function alterPartition(state: PartitionState, req: AlterPartitionRequest): Result<PartitionState> {
  if (req.leaderEpoch < state.leaderEpoch)
    return fail("FENCED_LEADER_EPOCH", `leader epoch ${req.leaderEpoch} is older than ${state.leaderEpoch}`);
  if (req.leaderId !== state.leader || req.leaderEpoch !== state.leaderEpoch)
    return fail("NOT_LEADER_OR_FOLLOWER", `replica ${req.leaderId} is not the leader in epoch ${req.leaderEpoch}`);
  if (req.partitionEpoch !== state.partitionEpoch)
    return fail("INVALID_UPDATE_VERSION", `partition epoch ${req.partitionEpoch} is not the current ${state.partitionEpoch}`);
  const isr = [...new Set(req.newIsr)];
  if (!isr.includes(state.leader)) return fail("INVALID_REQUEST", "the ISR must contain the leader");
  if (isr.some((r) => !state.replicas.includes(r))) return fail("INVALID_REQUEST", "the ISR may contain only assigned replicas");
  const added = isr.filter((r) => !state.isr.includes(r));
  if (added.some((r) => state.offlineReplicas.includes(r)))
    return fail("INVALID_REQUEST", "an offline replica cannot join the ISR");
  return ok({ ...state, isr: inOrder(state, (r) => isr.includes(r)), partitionEpoch: state.partitionEpoch + 1 });
}

function next(state: PartitionState, leader: number, isr: number[]): PartitionState {
  return {
    ...state,
    leader,
    leaderEpoch: state.leaderEpoch + 1,
    isr: inOrder(state, (r) => isr.includes(r)),
    partitionEpoch: state.partitionEpoch + 1,
  };
}
