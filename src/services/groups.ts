/**
 * Consumer groups, shared by every front door: join, heartbeat, leave, the member poll, offset
 * commit/fetch/reset, list, describe, delete.
 *
 * Membership, positions and offsets live in the group's GroupCoordinatorDO; the data plane stays
 * here: a poll asks the group where the member reads, fetches from the partition leaders
 * (long-polling until any partition has records), then has the group advance the member's
 * positions, and answers only the records of partitions it advanced. So no partition is read
 * for a member that does not own it at the moment of the advance (KIP-848's rule holds in the
 * group DO). Lag and resets read the leaders' offsets here as well.
 */
import { validateTopicName } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { FetchResult, LogRecord } from "../protocol/types.ts";
import type { GroupSummary } from "../groups/group-coordinator-do.ts";
import type { MemberJoinRequest, PartitionAdvance, PartitionRead } from "../groups/group-coordinator.ts";
import type { GroupDescription, HeartbeatRequest, MemberAssignmentResponse } from "../groups/membership.ts";
import type { OffsetCommitRequest, OffsetResetSpec, OffsetWithLag, ResetPartition, ResetPlanEntry } from "../groups/offsets.ts";
import type { TopicPartitions } from "../protocol/topic-partitions.ts";
import { hasRight, requireRight } from "./authorize.ts";
import { Cluster, call } from "./cluster.ts";
import type { ServiceContext } from "./context.ts";
import { decodeFetched, fetchFromLeader, listOffsetsAt } from "./fetch.ts";
import { must, settle, stop } from "./result.ts";

export type { GroupDescription, GroupSummary, MemberAssignmentResponse, MemberJoinRequest, OffsetResetSpec, ResetPlanEntry, TopicPartitions };

const GROUP_ID = /^[a-zA-Z0-9._-]{1,249}$/;

/** A group id: 1 to 249 characters of [a-zA-Z0-9._-] (else INVALID_GROUP_ID, 24). */
export function validateGroupId(raw: string): Result<string> {
  if (!GROUP_ID.test(raw)) return fail("INVALID_GROUP_ID", `group id must be 1 to 249 characters of [a-zA-Z0-9._-], got "${raw}"`);
  return ok(raw);
}

/** The group's coordinator stub, once the id is valid and the caller may do `operation` on the group. */
function groupOf(ctx: ServiceContext, group: string, operation: "read" | "describe" | "delete") {
  must(validateGroupId(group));
  requireRight(ctx, "group", group, operation);
  return Cluster.of(ctx).group(group);
}

export function joinGroup(ctx: ServiceContext, group: string, req: MemberJoinRequest): Promise<Result<MemberAssignmentResponse>> {
  return settle(async () => {
    if ((req.topics === null || req.topics === undefined) === (req.topicPattern === null || req.topicPattern === undefined))
      stop("INVALID_REQUEST", "give exactly one of topics and topic_pattern");
    for (const t of req.topics ?? []) must(validateTopicName(t));
    const stub = groupOf(ctx, group, "read");
    return must(await call(() => stub.join(req)));
  });
}

export function heartbeat(ctx: ServiceContext, group: string, req: HeartbeatRequest): Promise<Result<MemberAssignmentResponse>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    return must(await call(() => stub.heartbeat(req)));
  });
}

export function leaveGroup(ctx: ServiceContext, group: string, memberId: string): Promise<Result<null>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    must(await call(async () => stub.leave(memberId)));
    return null;
  });
}

export interface PollInput {
  memberId: string;
  memberEpoch: number | null;
  cursor: number | null;
  autoCommit: boolean;
  maxRecords: number;
  maxBytes: number;
  waitMs: number;
}

export interface GroupRecord extends LogRecord {
  topic: string;
  partition: number;
}

export interface PollOutcome {
  records: GroupRecord[];
  memberEpoch: number;
  assignment: TopicPartitions;
  /** Send it back on the next poll: it acknowledges this answer's records. */
  cursor: number;
}

interface PartitionFetch {
  read: PartitionRead;
  result: Result<FetchResult>;
}

interface ReadBounds {
  reset: "earliest" | "latest";
  maxRecords: number;
  maxBytes: number;
  waitMs: number;
}

/** The leader's log start offset and high watermark of one partition. */
async function logOffsets(cluster: Cluster, topic: string, partition: number): Promise<Result<{ logStartOffset: number; highWatermark: number }>> {
  const [start, hw] = await Promise.all([
    listOffsetsAt(cluster, topic, partition, "earliest"),
    listOffsetsAt(cluster, topic, partition, "latest"),
  ]);
  if (!start.ok) return start;
  if (!hw.ok) return hw;
  return ok({ logStartOffset: start.value.offset, highWatermark: hw.value.offset });
}

/**
 * One partition read from its leader. A position below the log start (retention) is
 * OFFSET_OUT_OF_RANGE there: the member's auto_offset_reset decides where to read instead. A
 * position between the HW and the LEO reads nothing (Kafka's fetch rule, in the log); one above
 * the leader's LEO (a leader that has not yet got what the old one served) reads nothing this
 * time either, as OFFSET_NOT_AVAILABLE.
 */
async function readPartition(cluster: Cluster, read: PartitionRead, b: ReadBounds): Promise<PartitionFetch> {
  const fetchFrom = async (offset: number | "earliest" | "latest"): Promise<Result<FetchResult>> => {
    const r = await fetchFromLeader(cluster, read.topic, read.partition, { offset, maxRecords: b.maxRecords, maxBytes: b.maxBytes, waitMs: b.waitMs });
    return r.ok ? ok(decodeFetched(r.value)) : r;
  };
  const result = await fetchFrom(read.from);
  if (result.ok || result.err.error !== "OFFSET_OUT_OF_RANGE" || typeof read.from !== "number") return { read, result };
  const log = await logOffsets(cluster, read.topic, read.partition);
  if (log.ok && read.from < log.value.logStartOffset) return { read, result: await fetchFrom(b.reset) };
  return { read, result: fail("OFFSET_NOT_AVAILABLE", `${read.topic}-${read.partition}: position ${read.from} is not readable yet`) };
}

const hasRecords = (f: PartitionFetch) => f.result.ok && f.result.value.records.length > 0;

/** Reads every planned partition once; with `waitMs`, long-polls until one has records. */
async function readAll(cluster: Cluster, reads: readonly PartitionRead[], reset: "earliest" | "latest", input: PollInput): Promise<PartitionFetch[]> {
  // Each partition reads its share of the bounds, so nothing is fetched only to be dropped and
  // every partition moves on each poll (not one drained before the next).
  const shares = Math.max(1, reads.length);
  const bounds = (waitMs: number): ReadBounds => ({
    reset,
    maxRecords: Math.max(1, Math.ceil(input.maxRecords / shares)),
    maxBytes: Math.max(1, Math.floor(input.maxBytes / shares)),
    waitMs,
  });
  const fetched = await Promise.all(reads.map((r) => readPartition(cluster, r, bounds(0))));
  if (input.waitMs === 0 || reads.length === 0 || fetched.some(hasRecords)) return fetched;
  // Long-poll every partition; answer as soon as one has records (or all have waited).
  const waits = reads.map((r) => readPartition(cluster, r, bounds(input.waitMs)));
  return Promise.race([
    Promise.all(waits),
    ...waits.map((w) => w.then((f) => (hasRecords(f) ? [f] : new Promise<never>(() => {})))),
  ]);
}

/**
 * Takes records partition by partition up to maxRecords; each partition's position moves to
 * just after its last record taken (or to where an earliest/latest read resolved).
 */
function takeRecords(fetched: readonly PartitionFetch[], maxRecords: number) {
  const advances: PartitionAdvance[] = [];
  const taken = new Map<string, LogRecord[]>();
  let budget = maxRecords;
  for (const f of fetched) {
    if (!f.result.ok) continue;
    const all = f.result.value.records;
    const records = all.slice(0, budget);
    budget -= records.length;
    // Every record taken: the read's next offset, which passes a compacted gap after the last
    // one (or where an earliest/latest read resolved); else just after the last one taken.
    const next =
      records.length === all.length ? f.result.value.nextOffset : records.length > 0 ? records.at(-1)!.offset + 1 : all[0]!.offset;
    if (records.length === 0 && typeof f.read.from === "number" && next <= f.read.from) continue;
    advances.push({ ...f.read, next });
    taken.set(`${f.read.topic}\u0000${f.read.partition}`, records);
  }
  return { advances, taken };
}

/** The member's poll: records of its assigned partitions from its current positions. */
export function pollGroup(ctx: ServiceContext, group: string, input: PollInput): Promise<Result<PollOutcome>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    const { memberId, memberEpoch, autoCommit, cursor } = input;
    const plan = must(await call(() => stub.pollPlan({ memberId, memberEpoch, autoCommit, cursor })));
    const fetched = await readAll(Cluster.of(ctx), plan.reads, plan.reset, input);
    const { advances, taken } = takeRecords(fetched, input.maxRecords);
    // Always recorded (also when empty), so this answer's cursor is the one the next poll must bring back.
    const { moved, cursor: next } = must(await call(() => stub.advance({ memberId, advances })));
    const records = moved.flatMap((m) =>
      (taken.get(`${m.topic}\u0000${m.partition}`) ?? []).map((rec) => ({ ...rec, topic: m.topic, partition: m.partition })),
    );
    return { records, memberEpoch: plan.memberEpoch, assignment: plan.assignment, cursor: next };
  });
}

/** Where a seek puts one partition: an offset, or the leader's log start (earliest) / high watermark (latest). */
export interface SeekTarget {
  topic: string;
  partition: number;
  to: number | "earliest" | "latest";
}

/**
 * Moves a member's read positions (Kafka's seek; REST Proxy's positions): earliest/latest are
 * resolved here against each partition's leader, then the group moves them all or none (only
 * partitions the member owns now). The next poll reads from there; nothing is committed.
 */
export function seekPositions(ctx: ServiceContext, group: string, input: { memberId: string; memberEpoch: number | null; targets: SeekTarget[] }): Promise<Result<null>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    const cluster = Cluster.of(ctx);
    const positions = await Promise.all(
      input.targets.map(async ({ topic, partition, to }) => {
        if (typeof to === "number") return { topic, partition, offset: to };
        const log = must(await logOffsets(cluster, topic, partition));
        return { topic, partition, offset: to === "earliest" ? log.logStartOffset : log.highWatermark };
      }),
    );
    must(await call(() => stub.seek({ memberId: input.memberId, memberEpoch: input.memberEpoch, positions })));
    return null;
  });
}

export function commitOffsets(ctx: ServiceContext, group: string, req: OffsetCommitRequest): Promise<Result<null>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    must(await call(async () => stub.commitOffsets(req)));
    return null;
  });
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  /** HW − committed; null when the partition's HW cannot be read now. */
  lag: number | null;
}

async function withLag(cluster: Cluster, offsets: readonly OffsetWithLag[]): Promise<GroupOffset[]> {
  return Promise.all(
    offsets.map(async (o) => {
      const hw = await listOffsetsAt(cluster, o.topic, o.partition, "latest");
      return { topic: o.topic, partition: o.partition, offset: o.offset, lag: hw.ok ? Math.max(0, hw.value.offset - o.offset) : null };
    }),
  );
}

export interface GroupDetails extends GroupDescription {
  offsets: GroupOffset[];
}

/** State, members, assignment, committed offsets and their lag. */
export function describeGroup(ctx: ServiceContext, group: string): Promise<Result<GroupDetails>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "describe");
    const d = must(await call(async () => stub.describe()));
    return { ...d, offsets: await withLag(Cluster.of(ctx), d.offsets) };
  });
}

export function listGroups(ctx: ServiceContext): Promise<Result<GroupSummary[]>> {
  return settle(async () => {
    const cluster = Cluster.of(ctx);
    const ids = must(await call(async () => ok(await cluster.coordinator().listGroups()))).filter((id) => hasRight(ctx, "group", id, "describe"));
    const summaries = await Promise.all(ids.map((id) => call(async () => cluster.group(id).summary())));
    return summaries.flatMap((s, i) => {
      if (s.ok) return [s.value];
      // A group deleted since the registry was read answers 69; anything else is worth a line.
      if (s.err.error !== "GROUP_ID_NOT_FOUND") console.warn(`list groups: group ${ids[i]} left out: ${s.err.error}: ${s.err.message}`);
      return [];
    });
  });
}

export function deleteGroup(ctx: ServiceContext, group: string): Promise<Result<null>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "delete");
    must(await call(() => stub.deleteGroup()));
    return null;
  });
}

export interface ResetOffsetsInput {
  topics: string[];
  /** Only with exactly one topic; absent → all of each topic's partitions. */
  partitions?: number[] | undefined;
  spec: OffsetResetSpec;
  dryRun: boolean;
}

async function resetPartition(cluster: Cluster, topic: string, partition: number, spec: OffsetResetSpec): Promise<ResetPartition> {
  const log = must(await logOffsets(cluster, topic, partition));
  if (spec.type !== "timestamp") return { topic, partition, ...log };
  const r = must(await listOffsetsAt(cluster, topic, partition, { timestamp: spec.timestamp }));
  return { topic, partition, ...log, offsetForTimestamp: r.offset };
}

/** Resets an empty group's offsets (kafka-consumer-groups --reset-offsets), or plans it (dry run). */
export function resetOffsets(ctx: ServiceContext, group: string, input: ResetOffsetsInput): Promise<Result<ResetPlanEntry[]>> {
  return settle(async () => {
    const stub = groupOf(ctx, group, "read");
    if (input.partitions && input.topics.length !== 1) stop("INVALID_REQUEST", "partitions can be given only with exactly one topic");
    const cluster = Cluster.of(ctx);
    const partitions: ResetPartition[] = [];
    for (const name of input.topics) {
      must(validateTopicName(name));
      const meta = must(await cluster.topic(name));
      for (const partition of input.partitions ?? meta.partitions.map((_, i) => i)) {
        must(Cluster.partition(meta, partition));
        partitions.push(await resetPartition(cluster, name, partition, input.spec));
      }
    }
    return must(await call(() => stub.resetOffsets({ spec: input.spec, partitions, dryRun: input.dryRun })));
  });
}
