/**
 * The `storage_bytes` quota: how many bytes a tenant's logs may hold, counted as Kafka counts a
 * log's size on disk, once per replica: Σ over the tenant's partitions of the leader's log size
 * × the topic's replication factor (followers hold the leader's batches, so this is what the
 * replicas store once they have caught up).
 *
 * Enforced before a produce, without a scan of the cluster per request: the tenant's usage is
 * measured (one `storedBytes()` call per partition leader, read from the log's segment sums) at
 * most once per STORAGE_USAGE_TTL_MS per isolate, and each produce admitted since then is added
 * to it (its Content-Length × the topic's replication factor, an over-estimate for JSON bodies
 * that the next measurement corrects). A produce that would take the usage over the quota is
 * refused with POLICY_VIOLATION (400, 44), nothing written. Like Kafka's quotas this is
 * approximate: produces in other isolates are seen at the next measurement, so a tenant written
 * through N isolates may overshoot by what N isolates admit in STORAGE_USAGE_TTL_MS.
 * Retention deleting segments frees the space at the next measurement.
 *
 * Who calls: the native door's route guard (src/api/auth.ts) for produce routes of API keys with
 * a storage quota; the tenant service forgets a tenant's usage when its quotas change.
 * Concurrency: one measurement at a time per tenant per isolate (callers share it).
 */
import { NO_LEADER, systemClock, type Clock, type TopicMetadata } from "../protocol/types.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { Cluster } from "./cluster.ts";

/** The longest a measured usage is trusted before the replicas are asked again. */
export const STORAGE_USAGE_TTL_MS = 5_000;
const MAX_TENANTS = 10_000;

/** Measures the tenant's stored bytes (all replicas counted). */
export type MeasureStorage = () => Promise<number>;

interface Usage {
  bytes: number;
  measuredAt: number;
}

/** Per-isolate usage per tenant: measured at most every STORAGE_USAGE_TTL_MS, plus what was admitted since. */
export class StorageUsage {
  readonly #usage = new Map<string, Usage>();
  readonly #measuring = new Map<string, Promise<Usage>>();

  constructor(private readonly clock: Clock) {}

  async #current(tenant: string, measure: MeasureStorage): Promise<Usage> {
    const u = this.#usage.get(tenant);
    if (u && this.clock.now() - u.measuredAt < STORAGE_USAGE_TTL_MS) return u;
    let pending = this.#measuring.get(tenant);
    if (!pending) {
      const measuredAt = this.clock.now();
      pending = measure()
        .then((bytes) => {
          const fresh = { bytes, measuredAt };
          if (this.#usage.size >= MAX_TENANTS) this.#usage.clear();
          this.#usage.set(tenant, fresh);
          return fresh;
        })
        .finally(() => this.#measuring.delete(tenant));
      this.#measuring.set(tenant, pending);
    }
    return pending;
  }

  /**
   * Admits `bytes` more (already multiplied by the replication factor) within `limit`, counting
   * them at once; else POLICY_VIOLATION naming the quota, the usage and the limit.
   */
  async admit(tenant: string, bytes: number, limit: number, measure: MeasureStorage): Promise<Result<void>> {
    const u = await this.#current(tenant, measure);
    if (u.bytes + bytes > limit)
      return fail(
        "POLICY_VIOLATION",
        `tenant storage_bytes quota of ${limit} bytes would be exceeded: it stores ${u.bytes} bytes (all replicas), the request adds ${bytes}; nothing was written`,
      );
    u.bytes += bytes;
    return ok(undefined);
  }

  /** Drops a tenant's usage (its quota changed): the next produce measures again. */
  forget(tenant: string): void {
    this.#usage.delete(tenant);
  }
}

/** The tenant's stored bytes: each partition leader's log size × the topic's replication factor. */
export async function measureStorage(env: Env, tenant: string): Promise<number> {
  const cluster = new Cluster(env, tenant);
  const topics = await cluster.coordinator().listTopics();
  const sizes = topics.flatMap((t: TopicMetadata) =>
    t.partitions.map(async (p, i) => {
      if (p.leader === NO_LEADER) return 0;
      // A leader that cannot be reached counts as empty until the next measurement.
      const bytes = await cluster.leaderOf(t, i).storedBytes().catch(() => 0);
      return bytes * t.replicationFactor;
    }),
  );
  return (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
}

/** The per-isolate usage: the route guard admits produces through it, the tenant service forgets a tenant's. */
export const storageUsage = new StorageUsage(systemClock);

/** The produce's stored bytes: its body size × the topic's replication factor (1 if the topic is unknown; the produce then fails). */
export async function produceStorageCost(env: Env, tenant: string, topic: string, bodyBytes: number): Promise<number> {
  const meta = await new Cluster(env, tenant).topic(topic);
  return bodyBytes * (meta.ok ? meta.value.replicationFactor : 1);
}
