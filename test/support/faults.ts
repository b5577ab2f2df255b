/**
 * The fault layer of the replication scenario tests: wraps a replica's outbound transport so
 * each call can be dropped before it runs, have its answer dropped after it ran, be delayed, or
 * fail as overloaded. Seeded, so a failing run repeats. Lives in test code only: it is
 * installed into a live replica object with `runInDurableObject`.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { stubTransport, type ReplicaTransport } from "../../src/partition/replica-transport.ts";
import { Prng } from "./prng.ts";

export interface FaultPlan {
  /** Probability that a push never reaches the follower. */
  dropRequest?: number;
  /** Probability that a push runs on the follower but its answer is lost. */
  dropResponse?: number;
  /** Probability and length of a delay before the push is sent. */
  delay?: number;
  delayMs?: number;
  /** Probability that the call fails at once as overloaded. */
  overloaded?: number;
  /** Followers whose pushes are affected (default: all). */
  followers?: number[];
}

export interface FaultStats {
  sent: number;
  droppedRequests: number;
  droppedResponses: number;
  delayed: number;
  overloaded: number;
}

class InjectedError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly overloaded: boolean,
  ) {
    super(message);
  }
}

export class FaultyTransport implements ReplicaTransport {
  readonly stats: FaultStats = { sent: 0, droppedRequests: 0, droppedResponses: 0, delayed: 0, overloaded: 0 };
  readonly #rng: Prng;

  constructor(
    private readonly inner: ReplicaTransport,
    private plan: FaultPlan,
    seed: number,
  ) {
    this.#rng = new Prng(seed);
  }

  setPlan(plan: FaultPlan): void {
    this.plan = plan;
  }

  async replicate(...args: Parameters<ReplicaTransport["replicate"]>): ReturnType<ReplicaTransport["replicate"]> {
    const [followerId] = args;
    const p = this.plan;
    this.stats.sent++;
    if (p.followers && !p.followers.includes(followerId)) return this.inner.replicate(...args);
    if (this.#rng.chance(p.overloaded ?? 0)) {
      this.stats.overloaded++;
      throw new InjectedError("injected: overloaded", true, true);
    }
    if (this.#rng.chance(p.dropRequest ?? 0)) {
      this.stats.droppedRequests++;
      throw new InjectedError("injected: request dropped", true, false);
    }
    if (this.#rng.chance(p.delay ?? 0)) {
      this.stats.delayed++;
      await scheduler.wait(p.delayMs ?? 20);
    }
    const answer = await this.inner.replicate(...args);
    if (this.#rng.chance(p.dropResponse ?? 0)) {
      this.stats.droppedResponses++;
      throw new InjectedError("injected: response dropped", true, false);
    }
    return answer;
  }

  alterPartition(...args: Parameters<ReplicaTransport["alterPartition"]>): ReturnType<ReplicaTransport["alterPartition"]> {
    return this.inner.alterPartition(...args);
  }

  partitionState(): ReturnType<ReplicaTransport["partitionState"]> {
    return this.inner.partitionState();
  }
}

/** Installs a fault layer on one replica's outbound pushes; returns it for stats and plan changes. */
export async function injectFaults(
  where: { tenant?: string; topicId: string; partition: number; replica: number },
  plan: FaultPlan,
  seed: number,
): Promise<FaultyTransport> {
  const tenant = where.tenant ?? "default";
  const faulty = new FaultyTransport(stubTransport(env, { tenant, topicId: where.topicId, partition: where.partition }), plan, seed);
  await runInDurableObject(replicaStub(env, tenant, where.topicId, where.partition, where.replica), (instance: PartitionReplicaDO) => {
    instance.transport = faulty;
  });
  return faulty;
}
