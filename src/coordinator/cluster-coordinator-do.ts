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
import type { AlterPartitionRequest } from "../protocol/types.ts";
import { applyMigrations } from "../storage/migrations.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { tenantOfCoordinator } from "../protocol/names.ts";
import {
  systemClock,
  type AlterTopicRequest,
  type CreateTopicRequest,
  type PartitionAssignment,
  type PartitionState,
  type TopicMetadata,
} from "../protocol/types.ts";
import { DoSqlPort } from "../storage/do-sql-port.ts";
import { countedStub } from "../storage/platform-units.ts";
import { classifyRuntimeError, withTimeout } from "../storage/runtime-errors.ts";
import { replicaStub } from "../partition/replica-stub.ts";
import { CLUSTER_COORDINATOR_MIGRATIONS } from "./migrations.ts";
import { TopicStore } from "./topic-store.ts";
import { TopicAdmin } from "./topics.ts";
import { PartitionLeadership, type PartitionRef } from "./partition-leadership.ts";
import { ProducerIds, type InitProducerRequest, type ProducerIdAndEpoch } from "./producer-ids.ts";
import { GroupRegistry } from "./group-registry.ts";
import { brokerConfig } from "../config/broker-config.ts";
import { logPartitionChange } from "./partition-change-log.ts";

const RETRY_MS = 1000;
/** How long a liveness check waits for a replica before counting it unreachable. */
const PROBE_TIMEOUT_MS = 2000;

const DELETIONS_PER_ALARM = 64;

export class ClusterCoordinatorDO extends DurableObject<Env> {
  private readonly store: TopicStore;
  private readonly admin: TopicAdmin;
  private readonly leadership: PartitionLeadership;
  private readonly producerIds: ProducerIds;
  private readonly groups: GroupRegistry;
  private readonly tenant: string;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Throws on a bad var: the object refuses to start rather than run on a default.
    const config = brokerConfig(env);
    const sql = new DoSqlPort(ctx.storage, "cluster_coordinator");
    ctx.blockConcurrencyWhile(async () => applyMigrations(sql, CLUSTER_COORDINATOR_MIGRATIONS));
    // Named objects see their name (getByName) as ctx.id.name, also in alarms.
    this.tenant = tenantOfCoordinator(ctx.id.name ?? "");
    this.store = new TopicStore(sql, this.tenant);
    this.admin = new TopicAdmin(this.store, systemClock, () => crypto.randomUUID());
    this.leadership = new PartitionLeadership(this.store, (topic, before, after) =>
      logPartitionChange(config.logLevel, topic, before, after),
    );
    this.producerIds = new ProducerIds(sql, systemClock, config.transactionalIdExpirationMs);
    this.groups = new GroupRegistry(sql, systemClock);
  }

  registerGroup(groupId: string): void {
    this.groups.register(groupId);
  }

  unregisterGroup(groupId: string): void {
    this.groups.unregister(groupId);
  }

  listGroups(): string[] {
    return this.groups.list();
  }

  /** InitProducerId: a producer id and epoch for an idempotent producer (producer-ids.ts). */
  initProducerId(req: InitProducerRequest): Result<ProducerIdAndEpoch> {
    return this.producerIds.init(req);
  }

  async createTopic(req: CreateTopicRequest): Promise<Result<TopicMetadata>> {
    const r = this.admin.create(req);
    if (r.ok) await this.pushPartitionStates();
    return r;
  }

  /**
   * Creates the declared topics (`brokerConfig(env).declaredTopics`) that do not exist yet.
   * A `TOPICS` spec string is still accepted and parsed by the same parser.
   */
  async ensureDeclaredTopics(declared: readonly CreateTopicRequest[]): Promise<Result<string[]>> {
    const created = declared.filter((s) => this.admin.create(s).ok).map((s) => s.name);
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

  /** AlterPartition from a partition leader: ISR change by compare-and-set on the partition epoch. */
  async alterPartition(topicId: string, partition: number, req: AlterPartitionRequest): Promise<Result<PartitionState>> {
    const r = this.leadership.alter(topicId, partition, req);
    if (r.ok) await this.pushPartitionStates();
    return r;
  }

  partitionState(topicId: string, partition: number): Result<PartitionState> {
    const ref = this.leadership.find({ topicId }, partition);
    return ref.ok ? ok(ref.value.state) : ref;
  }

  /**
   * A client or replica could not reach a partition's leader. The coordinator checks for itself;
   * only if the leader is really unreachable or offline does it elect a live ISR member.
   */
  async reportLeaderFailure(topic: string, partition: number, leaderEpoch: number): Promise<Result<PartitionState>> {
    const ref = this.leadership.find({ name: topic }, partition);
    if (!ref.ok) return ref;
    const { state } = ref.value;
    if (leaderEpoch < state.leaderEpoch) return ok(state);
    const live = await this.probeReplicas(ref.value, state.replicas);
    const r = this.leadership.elect(ref.value, (id) => live.has(id));
    if (!r.ok) return r;
    if (r.value.unclean) console.warn(`unclean leader election for ${topic}-${partition}: replica ${r.value.state.leader}`);
    await this.pushPartitionStates();
    return ok(r.value.state);
  }

  /** Admin: take a replica offline (it refuses all work; ISR and leadership move away) or back online. */
  async setReplicaOffline(topic: string, partition: number, replicaId: number, offline: boolean): Promise<Result<PartitionState>> {
    const ref = this.leadership.find({ name: topic }, partition);
    if (!ref.ok) return ref;
    const stub = this.replicaStub(ref.value.topic, partition, replicaId);
    // The replica stops (or resumes) work first, so an offline leader can confirm nothing more.
    // If it does not answer, the probe below finds it unreachable and leadership moves anyway.
    await withTimeout(stub.setOffline(offline), PROBE_TIMEOUT_MS).catch((e: unknown) =>
      console.warn(
        `setOffline(${offline}) of ${this.tenant}/${topic}-${partition} replica ${replicaId} failed`,
        classifyRuntimeError(e),
      ),
    );
    const live = await this.probeReplicas(ref.value, ref.value.state.replicas);
    const usable = (id: number) => (id === replicaId ? !offline : live.has(id));
    const r = this.leadership.setOffline(ref.value, replicaId, offline, usable);
    if (!r.ok) return r;
    if (r.value.unclean) console.warn(`unclean leader election for ${topic}-${partition}: replica ${r.value.state.leader}`);
    await this.pushPartitionStates();
    return ok(r.value.state);
  }

  /** Admin: move leadership back to the preferred (first) replica if it is a live ISR member. */
  async electPreferredLeader(topic: string, partition: number): Promise<Result<PartitionState>> {
    const ref = this.leadership.find({ name: topic }, partition);
    if (!ref.ok) return ref;
    const live = await this.probeReplicas(ref.value, ref.value.state.replicas.slice(0, 1));
    const r = this.leadership.electPreferred(ref.value, (id) => live.has(id));
    if (r.ok) await this.pushPartitionStates();
    return r;
  }

  private replicaStub(topic: TopicMetadata, partition: number, replicaId: number) {
    return countedStub("partition_replica", replicaStub(this.env, topic.tenant, topic.topicId, partition, replicaId));
  }

  /** The replicas among `ids` that answer a ping in time and are not offline. */
  private async probeReplicas(ref: PartitionRef, ids: number[]): Promise<Set<number>> {
    const answers = await Promise.all(
      ids.map(async (id) => {
        if (ref.state.offlineReplicas.includes(id)) return null;
        const stub = this.replicaStub(ref.topic, ref.state.partition, id);
        const pong = await withTimeout(stub.ping(), PROBE_TIMEOUT_MS).catch((e: unknown) => {
          const where = `${this.tenant}/${ref.topic.name}-${ref.state.partition} replica ${id}`;
          console.warn(`probe of ${where} failed; counted unreachable`, classifyRuntimeError(e));
          return null;
        });
        return pong?.online ? id : null;
      }),
    );
    return new Set(answers.filter((id): id is number => id !== null));
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
        // Offline replicas refuse everything; they get the latest state when brought online.
        const acks = await Promise.all(
          p.replicas.filter((r) => !p.offlineReplicas.includes(r)).map(async (replicaId) => {
            const assignment: PartitionAssignment = {
              tenant: topic.tenant,
              topic: topic.name,
              topicId: topic.topicId,
              partition: p.partition,
              replicaId,
              state,
              configs: topic.configs,
            };
            const stub = countedStub("partition_replica", replicaStub(this.env, topic.tenant, topic.topicId, p.partition, replicaId));
            try {
              return (await stub.becomeLeaderOrFollower(assignment)).ok;
            } catch (e) {
              const where = `${topic.tenant}/${topic.name}-${p.partition} replica ${replicaId}`;
              const err = classifyRuntimeError(e);
              console.warn(`partition state push to ${where} failed; the alarm retries it`, err);
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
          await countedStub("partition_replica", this.env.PARTITION_REPLICA.getByName(name)).deletePartition();
          this.store.replicaDeleted(name);
          return true;
        } catch (e) {
          const err = classifyRuntimeError(e);
          console.warn(`dropping deleted replica ${name} failed; the alarm retries it`, err);
          return false;
        }
      }),
    );
    const more = this.store.pendingReplicaDeletions(1).length > 0;
    if (more || dropped.some((d) => !d)) await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
  }
}
