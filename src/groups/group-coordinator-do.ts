/**
 * GroupCoordinatorDO: one per (tenant, group). Membership, server-side assignment, read
 * positions and committed offsets of one consumer group (rules in group-coordinator.ts over the
 * pure ConsumerGroup of membership.ts).
 *
 * Thin shell: migrations, one SQLite row with the group as JSON (written after every change, in
 * the same synchronous turn as the change), the alarm for session and rebalance timeouts, and
 * the tenant's topic list from the cluster coordinator (refreshed on every join and at most
 * every METADATA_MAX_AGE_MS on heartbeats and alarms, so new partitions and new topics matching
 * a pattern are picked up). Every method runs its rule synchronously after any await, so no
 * other request interleaves between a check and the write it guards.
 */
import { DurableObject } from "cloudflare:workers";
import { applyMigrations } from "../storage/migrations.ts";
import { DoSqlPort } from "../storage/do-sql-port.ts";
import { countedStub } from "../storage/platform-units.ts";
import { classifyRuntimeError } from "../storage/runtime-errors.ts";
import { brokerConfig, type BrokerConfig } from "../config/broker-config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import { groupOfCoordinator, names } from "../protocol/names.ts";
import { systemClock } from "../protocol/types.ts";
import {
  GroupCoordinator,
  newStoredGroup,
  type MemberJoinRequest,
  type PartitionAdvance,
  type PartitionPosition,
  type PartitionRead,
  type PollPlan,
  type StoredGroup,
} from "./group-coordinator.ts";
import type { GroupDescription, HeartbeatRequest, MemberAssignmentResponse } from "./membership.ts";
import { GROUP_COORDINATOR_MIGRATIONS } from "./migrations.ts";
import {
  applyOffsetReset,
  fetchOffsets,
  planOffsetReset,
  type OffsetCommitRequest,
  type OffsetResetSpec,
  type OffsetWithLag,
  type ResetPartition,
  type ResetPlanEntry,
} from "./offsets.ts";

/** How old the topic list may be when a heartbeat or alarm looks at it. */
const METADATA_MAX_AGE_MS = 1_000;

export interface GroupSummary {
  group: string;
  state: string;
  members: number;
}

export class GroupCoordinatorDO extends DurableObject<Env> {
  private readonly config: BrokerConfig;
  private readonly sql: DoSqlPort;
  private readonly tenant: string;
  private readonly groupId: string;
  private coordinator!: GroupCoordinator;
  private exists = false;
  private registered = false;
  private topicsFetchedAt = Number.NEGATIVE_INFINITY;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Throws on a bad var: the object refuses to start rather than run on a default.
    this.config = brokerConfig(env);
    this.sql = new DoSqlPort(ctx.storage, "group_coordinator");
    const { tenant, group } = groupOfCoordinator(ctx.id.name ?? "");
    this.tenant = tenant;
    this.groupId = group;
    ctx.blockConcurrencyWhile(async () => {
      applyMigrations(this.sql, GROUP_COORDINATOR_MIGRATIONS);
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private load(): void {
    const [row] = this.sql.exec<{ state: string; extras: string; registered: number }>(
      "SELECT state, extras, registered FROM consumer_group WHERE id = 1",
    );
    this.exists = row !== undefined;
    this.registered = row?.registered === 1;
    const stored: StoredGroup = row
      ? { state: JSON.parse(row.state) as StoredGroup["state"], extras: JSON.parse(row.extras) as StoredGroup["extras"] }
      : newStoredGroup(this.groupId);
    this.coordinator = new GroupCoordinator(stored, {
      clock: systemClock,
      newMemberId: () => `m-${crypto.randomUUID()}`,
      config: { minSessionTimeoutMs: this.config.groupMinSessionTimeoutMs },
    });
  }

  /** Writes the group (once it exists) and arms the alarm at the next member deadline. */
  private save(): void {
    if (!this.exists) return;
    const { state, extras } = this.coordinator.stored;
    this.sql.exec(
      `INSERT INTO consumer_group (id, state, extras, registered, updated_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, extras = excluded.extras,
         registered = excluded.registered, updated_at = excluded.updated_at`,
      JSON.stringify(state),
      JSON.stringify(extras),
      this.registered ? 1 : 0,
      Date.now(),
    );
    const next = this.coordinator.group.nextDeadlineMs();
    if (next !== null && next !== this.alarmAt) {
      this.alarmAt = next;
      void this.ctx.storage.setAlarm(next);
    }
  }

  private cluster() {
    return countedStub("cluster_coordinator", this.env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator(this.tenant)));
  }

  /** The tenant's topics (name → partition count) into the group, if older than `maxAgeMs`. */
  private async refreshTopics(maxAgeMs: number): Promise<void> {
    if (Date.now() - this.topicsFetchedAt < maxAgeMs) return;
    const topics = await this.cluster().listTopics();
    this.topicsFetchedAt = Date.now();
    this.coordinator.updateTopics(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length])));
  }

  async join(req: MemberJoinRequest): Promise<Result<MemberAssignmentResponse>> {
    await this.refreshTopics(0);
    const r = this.coordinator.join(req);
    if (r.ok) this.exists = true;
    this.save();
    if (r.ok && !this.registered) {
      await this.cluster().registerGroup(this.groupId);
      this.registered = true;
      this.save();
    }
    return r;
  }

  async heartbeat(req: HeartbeatRequest): Promise<Result<MemberAssignmentResponse>> {
    await this.refreshTopics(METADATA_MAX_AGE_MS);
    const r = this.coordinator.heartbeat(req);
    this.save();
    return r;
  }

  leave(memberId: string): Result<void> {
    const r = this.coordinator.leave(memberId);
    this.save();
    return r;
  }

  pollPlan(req: { memberId: string; memberEpoch: number | null; autoCommit: boolean; cursor: number | null }): Result<PollPlan> {
    const r = this.coordinator.pollPlan(req.memberId, req.memberEpoch, req.autoCommit, req.cursor);
    this.save();
    return r;
  }

  advance(req: { memberId: string; advances: PartitionAdvance[] }): Result<{ moved: PartitionRead[]; cursor: number }> {
    const r = this.coordinator.advance(req.memberId, req.advances);
    this.save();
    return r;
  }

  /** Moves a member's read positions on partitions it owns now (REST Proxy's positions); not a commit. */
  seek(req: { memberId: string; memberEpoch: number | null; positions: PartitionPosition[] }): Result<null> {
    const r = this.coordinator.seek(req.memberId, req.memberEpoch, req.positions);
    this.save();
    return r.ok ? ok(null) : r;
  }

  commitOffsets(req: OffsetCommitRequest): Result<void> {
    const r = this.coordinator.commit(req);
    this.save();
    return r;
  }

  private found(): Result<null> {
    return this.exists ? ok(null) : fail("GROUP_ID_NOT_FOUND", `group ${this.groupId} does not exist`);
  }

  describe(): Result<GroupDescription & { offsets: OffsetWithLag[] }> {
    const found = this.found();
    if (!found.ok) return found;
    if (this.coordinator.expire().length > 0) this.save();
    return ok({ ...this.coordinator.group.describe(), offsets: fetchOffsets(this.coordinator.stored.state) });
  }

  summary(): Result<GroupSummary> {
    const d = this.describe();
    return d.ok ? ok({ group: this.groupId, state: d.value.state, members: d.value.members.length }) : d;
  }

  /** Plans a reset from the leaders' offsets and, unless `dryRun`, commits it; only while the group is empty. */
  resetOffsets(req: { spec: OffsetResetSpec; partitions: ResetPartition[]; dryRun: boolean }): Result<ResetPlanEntry[]> {
    const found = this.found();
    if (!found.ok) return found;
    const plan = planOffsetReset(this.coordinator.group, req.spec, req.partitions);
    if (!plan.ok || req.dryRun) return plan;
    const applied = applyOffsetReset(this.coordinator.group, plan.value, Date.now());
    this.save();
    return applied.ok ? plan : applied;
  }

  /** Deletes an empty group: its offsets, and its entry in the tenant's group list. */
  async deleteGroup(): Promise<Result<null>> {
    const found = this.found();
    if (!found.ok) return found;
    if (!this.coordinator.isEmpty)
      return fail("NON_EMPTY_GROUP", `group ${this.groupId} has active members; it can be deleted only when empty`);
    await this.cluster().unregisterGroup(this.groupId);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    applyMigrations(this.sql, GROUP_COORDINATOR_MIGRATIONS);
    this.load();
    this.alarmAt = null;
    return ok(null);
  }

  /** Session and rebalance timeouts; also picks up topic changes for an idle group. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (!this.exists) return;
    // Expiry must not wait on the cluster coordinator: with a stale topic list it still runs.
    await this.refreshTopics(METADATA_MAX_AGE_MS).catch((e: unknown) => {
      const err = classifyRuntimeError(e);
      console.warn(`group ${this.tenant}/${this.groupId}: topic refresh in the alarm failed`, err);
    });
    this.coordinator.expire();
    this.save();
  }
}
