/**
 * The services' view of one tenant's cluster: typed RPC stubs built from `names.ts`, metadata
 * look-ups through the per-isolate cache, and the retry rule for stale metadata and failed
 * leaders (`withLeader`).
 *
 * Every DO call goes through `call` (or `withLeader`), which turns a thrown runtime error into
 * a Kafka error value, so services deal only in `Result`s. Stateless apart from the cache.
 */
import { fail, type Result } from "../protocol/errors.ts";
import { names } from "../protocol/names.ts";
import { NO_LEADER, systemClock, type PartitionState, type TopicMetadata } from "../protocol/types.ts";
import { replicaStub } from "../partition/replica-stub.ts";
import { countedStub } from "../storage/platform-units.ts";
import { classifyRuntimeError } from "../storage/runtime-errors.ts";
import { asKafkaError } from "./result.ts";
import type { ServiceContext } from "./context.ts";
import { MetadataCache } from "./metadata-cache.ts";

const cache = new MetadataCache(systemClock);

/** Errors after which cached metadata must be re-read before one retry. */
const STALE_METADATA = new Set(["NOT_LEADER_OR_FOLLOWER", "UNKNOWN_TOPIC_OR_PARTITION", "FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH"]);
/** First try, then retries after a metadata refresh or a leader election. */
const MAX_ATTEMPTS = 3;

/**
 * Runs a Durable Object call: its answer, or a thrown runtime error as a Kafka error value. A stop
 * of the service itself (`must`/`stop` inside `fn`) keeps its own error, never a 500.
 */
export async function call<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await fn();
  } catch (e) {
    return { ok: false, err: asKafkaError(e) };
  }
}

export class Cluster {
  constructor(
    private readonly env: Env,
    readonly tenant: string,
  ) {}

  static of(ctx: ServiceContext): Cluster {
    return new Cluster(ctx.env, ctx.tenant);
  }

  coordinator() {
    return countedStub("cluster_coordinator", this.env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator(this.tenant)));
  }

  group(groupId: string) {
    return countedStub("group_coordinator", this.env.GROUP_COORDINATOR.getByName(names.groupCoordinator(this.tenant, groupId)));
  }

  replica(meta: TopicMetadata, partition: number, replicaId: number) {
    return countedStub("partition_replica", replicaStub(this.env, this.tenant, meta.topicId, partition, replicaId));
  }

  leaderOf(meta: TopicMetadata, partition: number) {
    const p = meta.partitions[partition]!;
    return this.replica(meta, partition, p.leader);
  }

  async topic(name: string, fresh = false): Promise<Result<TopicMetadata>> {
    if (!fresh) {
      const hit = cache.get(this.tenant, name);
      if (hit) return { ok: true, value: hit };
    }
    const r = await call(() => this.coordinator().describeTopic(name));
    if (r.ok) cache.put(r.value);
    else cache.invalidate(this.tenant, name);
    return r;
  }

  forget(name: string): void {
    cache.invalidate(this.tenant, name);
  }

  remember(meta: TopicMetadata): void {
    cache.put(meta);
  }

  /** The partition's state, or UNKNOWN_TOPIC_OR_PARTITION for a partition the topic lacks. */
  static partition(meta: TopicMetadata, partition: number): Result<PartitionState> {
    const p = meta.partitions[partition];
    if (p === undefined || !Number.isInteger(partition) || partition < 0)
      return fail(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `topic "${meta.name}" has partitions 0..${meta.partitions.length - 1}; partition ${partition} does not exist`,
      );
    return { ok: true, value: p };
  }

  /**
   * Calls the leader of a partition. If the answer shows our metadata was stale, re-reads it
   * and retries. If the leader could not be reached or is offline, reports it to the
   * coordinator (which checks and elects a new leader if so) and retries — but a call that may
   * have run (the RPC failed, outcome unknown) is retried only when `idempotent`.
   */
  async withLeader<T>(
    topic: string,
    partition: number,
    fn: (meta: TopicMetadata, p: PartitionState) => Promise<Result<T>>,
    opts: { idempotent: boolean },
  ): Promise<Result<T>> {
    let last: Result<T> | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const meta = await this.topic(topic, attempt > 0);
      if (!meta.ok) return meta;
      const p = Cluster.partition(meta.value, partition);
      if (!p.ok) return p;
      if (p.value.leader === NO_LEADER)
        return fail("LEADER_NOT_AVAILABLE", `${topic}-${partition} has no live in-sync replica to lead it`);
      let unknownOutcome = false;
      try {
        last = await fn(meta.value, p.value);
      } catch (e) {
        last = { ok: false, err: classifyRuntimeError(e) };
        unknownOutcome = true;
      }
      if (last.ok) return last;
      // Appended but unconfirmed (e.g. leadership moved while waiting for the ISR): a resend
      // could write it twice, so only an idempotent step goes again.
      if (last.err.outcomeUnknown && !opts.idempotent) return last;
      const code = last.err.error;
      if (unknownOutcome || code === "REPLICA_NOT_AVAILABLE") {
        await call(() => this.coordinator().reportLeaderFailure(topic, partition, p.value.leaderEpoch));
        if (unknownOutcome && !opts.idempotent) return last;
      } else if (!STALE_METADATA.has(code)) return last;
    }
    return last!;
  }
}
