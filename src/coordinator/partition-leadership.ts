/**
 * Leadership and ISR changes of one partition at the coordinator: AlterPartition from the
 * leader, elections after a failure, admin offline/online, preferred-leader election. The
 * rules are src/coordinator/election.ts; this module loads the current state, applies a rule and
 * stores the result in one synchronous transaction, so two changes never interleave.
 * Called by ClusterCoordinatorDO, which pushes every stored change to the replicas.
 */
import type { AlterPartitionRequest } from "../protocol/types.ts";
import { alterPartition, bringReplicaOnline, electLeader, electPreferredLeader, takeReplicaOffline } from "./election.ts";
import { toLogConfig } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { PartitionState, TopicMetadata } from "../protocol/types.ts";
import type { TopicStore } from "./topic-store.ts";

export interface PartitionRef {
  topic: TopicMetadata;
  state: PartitionState;
}

/** Told of every stored change (the coordinator logs it: partition-change-log.ts). */
export type PartitionChangeListener = (topic: TopicMetadata, before: PartitionState, after: PartitionState) => void;

export class PartitionLeadership {
  constructor(
    private readonly store: TopicStore,
    private readonly onChange: PartitionChangeListener = () => undefined,
  ) {}

  /** The topic (by name or id) and its partition's current state. */
  find(topic: { name?: string; topicId?: string }, partition: number): Result<PartitionRef> {
    const t = topic.topicId !== undefined ? this.store.byId(topic.topicId) : this.store.byName(topic.name ?? "");
    if (!t) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic ${topic.name ?? topic.topicId} does not exist`);
    const state = t.partitions[partition];
    if (!state) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic ${t.name} has no partition ${partition}`);
    return ok({ topic: t, state });
  }

  private apply(ref: PartitionRef, state: PartitionState): PartitionState {
    this.store.upsertPartition(ref.topic.topicId, state);
    this.onChange(ref.topic, ref.state, state);
    return state;
  }

  alter(topicId: string, partition: number, req: AlterPartitionRequest): Result<PartitionState> {
    return this.store.transaction(() => {
      const ref = this.find({ topicId }, partition);
      if (!ref.ok) return ref;
      const next = alterPartition(ref.value.state, req);
      return next.ok ? ok(this.apply(ref.value, next.value)) : next;
    });
  }

  /**
   * Elects a new leader if the current one is not usable. `usable` reflects liveness checks the
   * caller made just before; the partition epoch it saw guards against acting on stale checks.
   */
  elect(ref: PartitionRef, usable: (replicaId: number) => boolean): Result<{ state: PartitionState; unclean: boolean }> {
    return this.store.transaction(() => {
      const fresh = this.find({ topicId: ref.topic.topicId }, ref.state.partition);
      if (!fresh.ok) return fresh;
      if (fresh.value.state.partitionEpoch !== ref.state.partitionEpoch)
        return ok({ state: fresh.value.state, unclean: false });
      const unclean = toLogConfig(ref.topic.configs).uncleanLeaderElectionEnable;
      const outcome = electLeader(fresh.value.state, usable, unclean);
      if (!outcome) return ok({ state: fresh.value.state, unclean: false });
      return ok({ state: this.apply(fresh.value, outcome.state), unclean: outcome.unclean });
    });
  }

  /**
   * Admin offline/online, and in the same transaction the election it calls for (an offline
   * leader is replaced; a returning replica may lead a leaderless partition), so no stored
   * state ever has an offline leader.
   */
  setOffline(ref: PartitionRef, replicaId: number, offline: boolean, usable: (replicaId: number) => boolean): Result<{ state: PartitionState; unclean: boolean }> {
    if (!ref.state.replicas.includes(replicaId))
      return fail("REPLICA_NOT_AVAILABLE", `partition ${ref.state.partition} has no replica ${replicaId}`);
    return this.store.transaction(() => {
      const fresh = this.find({ topicId: ref.topic.topicId }, ref.state.partition);
      if (!fresh.ok) return fresh;
      const s = fresh.value.state;
      const marked = offline ? takeReplicaOffline(s, replicaId) : bringReplicaOnline(s, replicaId);
      const outcome = electLeader(marked, usable, toLogConfig(ref.topic.configs).uncleanLeaderElectionEnable);
      return ok({ state: this.apply(fresh.value, outcome?.state ?? marked), unclean: outcome?.unclean ?? false });
    });
  }

  electPreferred(ref: PartitionRef, usable: (replicaId: number) => boolean): Result<PartitionState> {
    return this.store.transaction(() => {
      const fresh = this.find({ topicId: ref.topic.topicId }, ref.state.partition);
      if (!fresh.ok) return fresh;
      const next = electPreferredLeader(fresh.value.state, usable);
      if (!next.ok) return next;
      return ok(next.value ? this.apply(fresh.value, next.value) : fresh.value.state);
    });
  }
}
