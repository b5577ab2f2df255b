/**
 * Consumer instances of the HTTP dialects (Upstash's `/consume/{group}/{instance}`), over the
 * group coordinator's server-side membership: an instance is a group member whose member id is
 * derived from the instance name (KIP-1082 client-chosen ids), so every request of the instance
 * finds the same member without state in the Worker, and it shares assignment with the native
 * members of the same group (no partition is owned twice, timeouts by the group session).
 *
 * Who calls: src/doors/upstash (and later the REST Proxy v2 door). Stateless; the member, its
 * positions and committed offsets live in the group's GroupCoordinatorDO.
 */
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { TopicPartitions } from "../protocol/topic-partitions.ts";
import { hasRight, requireRight } from "./authorize.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import * as groups from "./groups.ts";
import { validateGroupId } from "./groups.ts";
import { must, settle } from "./result.ts";

const SAFE_NAME = /^[a-zA-Z0-9_-]{1,56}$/;

/**
 * The member id of a dialect's instance: `<prefix>-<name>` when the name fits the client
 * member-id rule, else `<prefix>-h` + 48 hex digits of its SHA-256 (names of any characters).
 */
export async function instanceMemberId(prefix: string, name: string): Promise<string> {
  if (SAFE_NAME.test(name) && prefix.length + name.length < 64) return `${prefix}-${name}`;
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name)));
  return `${prefix}-h${[...d.slice(0, 24)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export interface InstanceMember {
  memberId: string;
  memberEpoch: number;
  assignment: TopicPartitions;
}

/** The group's committed offset of each partition asked (-1 where none is committed, as Kafka's OffsetFetch). */
export function committedOffsets(
  ctx: ServiceContext,
  group: string,
  partitions: readonly { topic: string; partition: number }[],
): Promise<Result<{ topic: string; partition: number; offset: number }[]>> {
  return settle(async () => {
    must(validateGroupId(group));
    requireRight(ctx, "group", group, "describe");
    const r = await call(async () => Cluster.of(ctx).group(group).describe());
    if (!r.ok && r.err.error !== "GROUP_ID_NOT_FOUND") must(r);
    const offsets = r.ok ? r.value.offsets : [];
    const byKey = new Map(offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]));
    return partitions.map(({ topic, partition }) => ({ topic, partition, offset: byKey.get(`${topic}\u0000${partition}`) ?? -1 }));
  });
}

/**
 * Commits what the member has consumed: the positions its polls reached (the last answer's
 * included, as a commit after a poll means "I processed what you gave me"). A poll plan with
 * auto-commit commits them; an empty advance closes the plan without reading anything.
 */
export function commitConsumed(ctx: ServiceContext, group: string, memberId: string): Promise<Result<null>> {
  return settle(async () => {
    must(validateGroupId(group));
    requireRight(ctx, "group", group, "read");
    const stub = Cluster.of(ctx).group(group);
    must(await call(async () => stub.pollPlan({ memberId, memberEpoch: null, autoCommit: true, cursor: null })));
    must(await call(async () => stub.advance({ memberId, advances: [] })));
    return null;
  });
}

export interface GroupInstances {
  name: string;
  instances: { name: string; topics: { topic: string; partitions: number[] }[] }[];
}

/** Every group with members of a dialect (member ids `<prefix>-…`), each instance with its assignment. */
export function dialectConsumers(ctx: ServiceContext, prefix: string): Promise<Result<GroupInstances[]>> {
  return settle(async () => {
    const cluster = Cluster.of(ctx);
    const ids = must(await call(async () => ok(await cluster.coordinator().listGroups()))).filter((id) => hasRight(ctx, "group", id, "describe"));
    const described = await Promise.all(ids.map((id) => call(async () => cluster.group(id).describe())));
    return described.flatMap((d, i): GroupInstances[] => {
      if (!d.ok) return [];
      const members = d.value.members.filter((m) => m.memberId.startsWith(`${prefix}-`));
      if (members.length === 0) return [];
      const instances = members.map((m) => ({
        name: m.instanceId ?? m.memberId,
        topics: Object.entries(m.assignment).map(([topic, partitions]) => ({ topic, partitions: [...partitions] })),
      }));
      return [{ name: ids[i]!, instances }];
    });
  });
}

export interface FoundInstance extends InstanceMember {
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
}

/** The member standing for instance `instanceId` (its group.instance.id), or UNKNOWN_MEMBER_ID. */
export function findInstance(ctx: ServiceContext, group: string, instanceId: string): Promise<Result<FoundInstance>> {
  return settle(async () => {
    must(validateGroupId(group));
    requireRight(ctx, "group", group, "read");
    const r = await call(async () => Cluster.of(ctx).group(group).describe());
    if (!r.ok && r.err.error !== "GROUP_ID_NOT_FOUND") must(r);
    const m = r.ok ? r.value.members.find((x) => x.instanceId === instanceId) : undefined;
    if (!m) return must(fail<FoundInstance>("UNKNOWN_MEMBER_ID", `no consumer instance ${instanceId} in group ${group}`));
    const { memberId, memberEpoch, assignment, subscribedTopicNames, subscribedTopicRegex } = m;
    return { memberId, memberEpoch, assignment, subscribedTopicNames, subscribedTopicRegex };
  });
}

/** When this isolate last heartbeated each instance (`tenant/group/member` → ms); bounded. */
const lastHeartbeat = new Map<string, number>();
const HEARTBEAT_EVERY_MS = 1_000;
const MAX_TRACKED = 10_000;

/**
 * Whether a poll's heartbeat can be left out: the instance was heartbeated from this isolate
 * under a second ago and the poll came back full (a consumer catching up). An idle or
 * caught-up instance heartbeats at every poll, so a rebalance moves on at its pace.
 */
function heartbeatDue(key: string, full: boolean, now: number): boolean {
  const last = lastHeartbeat.get(key);
  if (full && last !== undefined && now - last < HEARTBEAT_EVERY_MS) return false;
  if (lastHeartbeat.size >= MAX_TRACKED) lastHeartbeat.clear();
  lastHeartbeat.set(key, now);
  return true;
}

/**
 * One poll of an instance: the group service's poll, joining first when the group does not
 * know the member (`join`, when given: Upstash's first consume creates its consumer), then a
 * heartbeat at the epoch the poll saw, which renews the instance's session and moves its
 * reconciliation on (`heartbeatDue`: at most once a second while polls come back full). The
 * heartbeat runs after the answer (`waitUntil`) and a failure there is logged, never answered:
 * the poll has already advanced the member's positions, and an error now would make the client
 * retry and skip this answer's records.
 */
export function pollInstance(
  ctx: ServiceContext,
  group: string,
  input: groups.PollInput,
  join: groups.MemberJoinRequest | null,
): Promise<Result<groups.PollOutcome>> {
  return settle(async () => {
    let r = await groups.pollGroup(ctx, group, input);
    if (!r.ok && r.err.error === "UNKNOWN_MEMBER_ID" && join !== null) {
      must(await groups.joinGroup(ctx, group, join));
      r = await groups.pollGroup(ctx, group, input);
    }
    const polled = must(r);
    const key = `${ctx.tenant}\u0000${group}\u0000${input.memberId}`;
    if (heartbeatDue(key, polled.records.length >= input.maxRecords, Date.now()))
      ctx.waitUntil(
        groups.heartbeat(ctx, group, { memberId: input.memberId, memberEpoch: polled.memberEpoch }).then((hb) => {
          if (!hb.ok) console.warn(`instance ${input.memberId} of group ${group}: heartbeat after poll: ${hb.err.error}: ${hb.err.message}`);
        }),
      );
    return polled;
  });
}
