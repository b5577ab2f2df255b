/**
 * ClusterCoordinatorDO: one per tenant. Holds topic metadata and partition state (replicas,
 * leader, leader epoch, ISR, partition epoch) and pushes that state to replicas.
 *
 * Thin shell: migrations at start-up, `TopicAdmin` for the rules, `TopicStore` for SQL.
 * Every state change is committed first and then pushed (Kafka's controller → LeaderAndIsr);
 * the alarm re-pushes what a replica has not acknowledged and drops deleted replicas' storage,
 * so a crash between commit and push delays the push, never loses it.
 */
import { DurableObject } from "cloudflare:workers";
import { applyMigrations } from "../log/migrations.ts";
import { kafkaError, ok, type Result } from "../protocol/errors.ts";
import { names, tenantOfCoordinator } from "../protocol/names.ts";
import {
  systemClock,
  type AlterTopicRequest,
  type CreateTopicRequest,
  type PartitionAssignment,
  type TopicMetadata,
} from "../protocol/types.ts";
import { DoSqlPort } from "../partition/do-sql-port.ts";
import { CLUSTER_COORDINATOR_MIGRATIONS } from "./migrations.ts";
import { TopicStore } from "./topic-store.ts";
import { TopicAdmin } from "./topics.ts";
import { parseDeclaredTopics } from "./declared-topics.ts";

const RETRY_MS = 1000;
const DELETIONS_PER_ALARM = 64;

export class ClusterCoordinatorDO extends DurableObject<Env> {
  private readonly store: TopicStore;
  private readonly admin: TopicAdmin;
  private readonly tenant: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = new DoSqlPort(ctx.storage);
    ctx.blockConcurrencyWhile(async () => applyMigrations(sql, CLUSTER_COORDINATOR_MIGRATIONS));
    // Named objects see their name (getByName) as ctx.id.name, also in alarms.
    this.tenant = tenantOfCoordinator(ctx.id.name ?? "");
    this.store = new TopicStore(sql, this.tenant);
    this.admin = new TopicAdmin(this.store, systemClock, () => crypto.randomUUID());
  }

  async createTopic(req: CreateTopicRequest): Promise<Result<TopicMetadata>> {
    const r = this.admin.create(req);
    if (r.ok) await this.pushPartitionStates();
    return r;
  }

  /** Creates the topics declared in the deployment's `TOPICS` var that do not exist yet. */
  async ensureDeclaredTopics(declared: string): Promise<Result<string[]>> {
    const specs = parseDeclaredTopics(declared);
    if (!specs.ok) return specs;
    const created = specs.value.filter((s) => this.admin.create(s).ok).map((s) => s.name);
    if (created.length) await this.pushPartitionStates();
    return ok(created);
  }

  describeTopic(name: string): Result<TopicMetadata> {
    return this.admin.describe(name);
  }

  listTopics(): TopicMetadata[] {
    return this.admin.list();
  }

  async alterTopic(name: string, req: AlterTopicRequest): Promise<Result<TopicMetadata>> {
    const r = this.admin.alter(name, req);
    if (r.ok) await this.pushPartitionStates();
    return r;
  }

  async deleteTopic(name: string): Promise<Result<TopicMetadata>> {
    const r = this.admin.delete(name);
    if (r.ok) await this.dropDeletedReplicas();
    return r;
  }

  override async alarm(): Promise<void> {
    await this.pushPartitionStates();
    await this.dropDeletedReplicas();
  }

  /** Pushes every unacknowledged partition state to its replicas; schedules a retry on failure. */
  private async pushPartitionStates(): Promise<void> {
    const pending = this.store.unsyncedPartitions();
    if (pending.length === 0) return;
    const topics = new Map(this.admin.list().map((t) => [t.topicId, t]));
    const results = await Promise.all(
      pending.map(async (p) => {
        const topic = topics.get(p.topicId);
        if (!topic) return true;
        const { topicId: _topicId, syncedEpoch: _syncedEpoch, ...state } = p;
        const acks = await Promise.all(
          p.replicas.map(async (replicaId) => {
            const assignment: PartitionAssignment = {
              tenant: topic.tenant,
              topic: topic.name,
              topicId: topic.topicId,
              partition: p.partition,
              replicaId,
              state,
              configs: topic.configs,
            };
            const stub = this.env.PARTITION_REPLICA.getByName(
              names.partitionReplica(topic.tenant, topic.topicId, p.partition, replicaId),
            );
            try {
              return (await stub.becomeLeaderOrFollower(assignment)).ok;
            } catch (e) {
              console.warn("push to replica failed", kafkaError("NETWORK_EXCEPTION", String(e)));
              return false;
            }
          }),
        );
        const allAcked = acks.every(Boolean);
        if (allAcked) this.store.markSynced(p.topicId, p.partition, p.partitionEpoch);
        return allAcked;
      }),
    );
    if (results.some((acked) => !acked)) await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
  }

  private async dropDeletedReplicas(): Promise<void> {
    const pending = this.store.pendingReplicaDeletions(DELETIONS_PER_ALARM);
    const dropped = await Promise.all(
      pending.map(async (name) => {
        try {
          await this.env.PARTITION_REPLICA.getByName(name).deletePartition();
          this.store.replicaDeleted(name);
          return true;
        } catch {
          return false;
        }
      }),
    );
    const more = this.store.pendingReplicaDeletions(1).length > 0;
    if (more || dropped.some((d) => !d)) await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
  }
}
