/**
 * Per-isolate cache of topic metadata (Kafka clients' metadata cache).
 *
 * Entries live `ttlMs`; the API drops an entry when a replica answers NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION or a fenced epoch, and whenever this isolate changes the topic.
 * A stale entry can only point at a replica that refuses the call (topic ids are part of
 * replica names), so staleness costs a retry, never a misplaced record.
 */
import type { Clock, TopicMetadata } from "../protocol/types.ts";

export class MetadataCache {
  readonly #entries = new Map<string, { meta: TopicMetadata; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 1000,
  ) {}

  #key(tenant: string, topic: string): string {
    return `${tenant}/${topic}`;
  }

  get(tenant: string, topic: string): TopicMetadata | undefined {
    const e = this.#entries.get(this.#key(tenant, topic));
    if (!e) return undefined;
    if (e.expiresAt <= this.clock.now()) {
      this.#entries.delete(this.#key(tenant, topic));
      return undefined;
    }
    return e.meta;
  }

  put(meta: TopicMetadata): void {
    this.#entries.set(this.#key(meta.tenant, meta.name), { meta, expiresAt: this.clock.now() + this.ttlMs });
  }

  invalidate(tenant: string, topic: string): void {
    this.#entries.delete(this.#key(tenant, topic));
  }
}
