/**
 * Consumer-group routes (API.md "Consumer groups"): join, heartbeat, leave, the member poll,
 * offset commit/fetch/reset, list, describe, delete. Membership, positions and offsets live in
 * the group's GroupCoordinatorDO; the data plane stays here: a poll asks the group where the
 * member reads, fetches from the partition leaders (long-polling until any partition has
 * records), then has the group advance the member's positions and answers only the records
 * of partitions it advanced. Lag and resets read the leaders' offsets here as well.
 */
import { Hono, type Context } from "hono";
import { LIMITS } from "../../protocol/config.ts";
import { fail, ok, type Result } from "../../protocol/errors.ts";
import { names } from "../../protocol/names.ts";
import type { FetchResult } from "../../protocol/types.ts";
import { parseTopicPartitionList, toTopicPartitionList } from "../../groups/topic-partitions.ts";
import type { PartitionAdvance, PartitionRead } from "../../groups/group-coordinator.ts";
import type { OffsetResetSpec, OffsetWithLag, ResetPartition } from "../../groups/offsets.ts";
import { Cluster, call } from "../cluster.ts";
import { assignmentBody, groupDescriptionBody, joinRequestOf } from "../group-wire.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { parseEncodingParam, parseIntParam, type BytesEncoding } from "../params.ts";
import { decodeFetched, fetchFromLeader, recordsJson } from "./fetch.ts";
import { readJson, validate } from "../request.ts";
import { CommitOffsetsSchema, HeartbeatSchema, JoinGroupSchema, ResetOffsetsSchema } from "../schemas.ts";
import { topicParam } from "./topics.ts";

export const groupRoutes = new Hono<AppEnv>();

const GROUP_ID = /^[a-zA-Z0-9._-]{1,249}$/;

/** The path's group id: 1 to 249 characters of [a-zA-Z0-9._-] (else INVALID_GROUP_ID, 24). */
function groupParam(raw: string | undefined): string {
  if (raw === undefined || !GROUP_ID.test(raw))
    raise("INVALID_GROUP_ID", `group id must be 1 to 249 characters of [a-zA-Z0-9._-], got "${raw ?? ""}"`);
  return raw;
}

function groupStub(c: Context<AppEnv>, group: string) {
  return c.env.GROUP_COORDINATOR.getByName(names.groupCoordinator(c.get("tenant"), group));
}

groupRoutes.post("/:group/members", async (c) => {
  const group = groupParam(c.req.param("group"));
  const body = validate(JoinGroupSchema, await readJson(c));
  if ((body.topics === undefined) === (body.topic_pattern === undefined))
    raise("INVALID_REQUEST", "give exactly one of topics and topic_pattern");
  for (const t of body.topics ?? []) topicParam(t);
  const r = unwrap(await call(() => groupStub(c, group).join(joinRequestOf(body))));
  return c.json(assignmentBody(r));
});

groupRoutes.post("/:group/members/:member/heartbeat", async (c) => {
  const group = groupParam(c.req.param("group"));
  const body = validate(HeartbeatSchema, await readJson(c));
  const owned = body.owned_partitions === undefined ? undefined : unwrap(parseTopicPartitionList(body.owned_partitions));
  const r = unwrap(
    await call(() =>
      groupStub(c, group).heartbeat({
        memberId: c.req.param("member"),
        memberEpoch: body.member_epoch,
        ...(owned === undefined ? {} : { ownedPartitions: owned }),
      }),
    ),
  );
  return c.json(assignmentBody(r));
});

groupRoutes.delete("/:group/members/:member", async (c) => {
  const group = groupParam(c.req.param("group"));
  unwrap(await call(() => groupStub(c, group).leave(c.req.param("member"))));
  return c.body(null, 204);
});

interface PartitionFetch {
  read: PartitionRead;
  result: Result<FetchResult>;
}

/**
 * One partition read from its leader. A position below the log start (retention) is
 * OFFSET_OUT_OF_RANGE there: the member's auto_offset_reset decides where to read instead. A
 * position above the high watermark (a new leader whose HW has not caught up yet) reads nothing
 * this time.
 */
async function readPartition(cluster: Cluster, read: PartitionRead, reset: "earliest" | "latest", maxRecords: number, maxBytes: number, waitMs: number): Promise<PartitionFetch> {
  const fetchFrom = async (offset: number | "earliest" | "latest"): Promise<Result<FetchResult>> => {
    const r = await fetchFromLeader(cluster, read.topic, read.partition, { offset, maxRecords, maxBytes, waitMs });
    return r.ok ? ok(decodeFetched(r.value)) : r;
  };
  const result = await fetchFrom(read.from);
  if (result.ok || result.err.error !== "OFFSET_OUT_OF_RANGE" || typeof read.from !== "number") return { read, result };
  const log = await logOffsets(cluster, read.topic, read.partition);
  if (log.ok && read.from < log.value.logStartOffset) return { read, result: await fetchFrom(reset) };
  return { read, result: fail("OFFSET_NOT_AVAILABLE", `${read.topic}-${read.partition}: position ${read.from} is not readable yet`) };
}

groupRoutes.get("/:group/members/:member/records", async (c) => {
  const group = groupParam(c.req.param("group"));
  const memberId = c.req.param("member");
  const q = (k: string) => c.req.query(k);
  const maxRecords = unwrap(parseIntParam(q("max_records"), { name: "max_records", min: 1, max: LIMITS.maxFetchRecords, default: LIMITS.defaultFetchRecords }));
  const maxBytes = unwrap(parseIntParam(q("max_bytes"), { name: "max_bytes", min: 1, max: LIMITS.maxFetchBytes, default: LIMITS.defaultFetchBytes }));
  const waitMs = unwrap(parseIntParam(q("wait_ms"), { name: "wait_ms", min: 0, max: LIMITS.maxWaitMs, default: 0 }));
  const memberEpoch = q("member_epoch") === undefined ? null : unwrap(parseIntParam(q("member_epoch"), { name: "member_epoch", min: 0, max: 2 ** 31 - 1 }));
  const cursor = q("cursor") === undefined ? null : unwrap(parseIntParam(q("cursor"), { name: "cursor", min: 0, max: Number.MAX_SAFE_INTEGER }));
  const autoCommit = q("auto_commit") ?? "false";
  if (autoCommit !== "true" && autoCommit !== "false") raise("INVALID_REQUEST", `auto_commit must be true or false, got "${autoCommit}"`);
  const encoding: BytesEncoding = unwrap(parseEncodingParam(q("encoding")));
  const stub = groupStub(c, group);
  const plan = unwrap(await call(() => stub.pollPlan({ memberId, memberEpoch, autoCommit: autoCommit === "true", cursor })));
  const cluster = new Cluster(c.env, c.get("tenant"));
  // Each partition reads its share of the bounds, so nothing is fetched only to be dropped and
  // every partition moves on each poll (not one drained before the next).
  const shares = Math.max(1, plan.reads.length);
  const perPartitionBytes = Math.max(1, Math.floor(maxBytes / shares));
  const perPartitionRecords = Math.max(1, Math.ceil(maxRecords / shares));
  const readAll = (wait: number) => plan.reads.map((r) => readPartition(cluster, r, plan.reset, perPartitionRecords, perPartitionBytes, wait));
  let fetched = await Promise.all(readAll(0));
  const hasRecords = (f: PartitionFetch) => f.result.ok && f.result.value.records.length > 0;
  if (waitMs > 0 && plan.reads.length > 0 && !fetched.some(hasRecords)) {
    // Long-poll every partition; answer as soon as one has records (or all have waited).
    const waits = readAll(waitMs);
    const first = await Promise.race([
      Promise.all(waits),
      ...waits.map((w) => w.then((f) => (hasRecords(f) ? [f] : new Promise<never>(() => {})))),
    ]);
    fetched = first;
  }
  // Take records partition by partition up to max_records; each partition's position moves to
  // just after its last record taken (or to where an earliest/latest read resolved).
  const advances: PartitionAdvance[] = [];
  const taken = new Map<string, FetchResult["records"]>();
  let budget = maxRecords;
  for (const f of fetched) {
    if (!f.result.ok) continue;
    const records = f.result.value.records.slice(0, budget);
    budget -= records.length;
    // An earliest/latest read pins the position where it resolved, even if nothing was taken.
    const next = records.length > 0 ? records.at(-1)!.offset + 1 : (f.result.value.records[0]?.offset ?? f.result.value.nextOffset);
    if (records.length === 0 && typeof f.read.from === "number") continue;
    advances.push({ ...f.read, next });
    taken.set(`${f.read.topic}\u0000${f.read.partition}`, records);
  }
  // Always recorded (also when empty), so this answer's cursor is the one the next poll must bring back.
  const { moved, cursor: next } = unwrap(await call(() => stub.advance({ memberId, advances })));
  const records = moved.flatMap((m) =>
    recordsJson(taken.get(`${m.topic}\u0000${m.partition}`) ?? [], encoding).map((rec) => ({ topic: m.topic, partition: m.partition, ...rec })),
  );
  return c.json({ records, member_epoch: plan.memberEpoch, assignment: toTopicPartitionList(plan.assignment), cursor: next });
});

groupRoutes.post("/:group/offsets", async (c) => {
  const group = groupParam(c.req.param("group"));
  const body = validate(CommitOffsetsSchema, await readJson(c));
  unwrap(
    await call(() =>
      groupStub(c, group).commitOffsets({
        memberId: body.member_id,
        memberEpoch: body.member_epoch,
        offsets: body.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })),
      }),
    ),
  );
  return c.body(null, 204);
});

/** The leader's log start offset and high watermark of one partition. */
async function logOffsets(cluster: Cluster, topic: string, partition: number): Promise<Result<{ logStartOffset: number; highWatermark: number }>> {
  const ask = (spec: "earliest" | "latest") =>
    cluster.withLeader(topic, partition, (meta, p) => cluster.leaderOf(meta, partition).listOffsets({ spec, leaderEpoch: p.leaderEpoch }), { idempotent: true });
  const [start, hw] = await Promise.all([ask("earliest"), ask("latest")]);
  if (!start.ok) return start;
  if (!hw.ok) return hw;
  return { ok: true, value: { logStartOffset: start.value.offset, highWatermark: hw.value.offset } };
}

/** Lag per committed offset: HW − committed (null when the partition's HW cannot be read now). */
async function withLag(cluster: Cluster, offsets: readonly OffsetWithLag[]) {
  return Promise.all(
    offsets.map(async (o) => {
      const hw = await cluster.withLeader(o.topic, o.partition, (meta, p) => cluster.leaderOf(meta, o.partition).listOffsets({ spec: "latest", leaderEpoch: p.leaderEpoch }), {
        idempotent: true,
      });
      return { topic: o.topic, partition: o.partition, offset: o.offset, lag: hw.ok ? Math.max(0, hw.value.offset - o.offset) : null };
    }),
  );
}

groupRoutes.get("/:group/offsets", async (c) => {
  const group = groupParam(c.req.param("group"));
  const d = unwrap(await call(() => groupStub(c, group).describe()));
  return c.json({ offsets: await withLag(new Cluster(c.env, c.get("tenant")), d.offsets) });
});

groupRoutes.post("/:group/offsets/reset", async (c) => {
  const group = groupParam(c.req.param("group"));
  const body = validate(ResetOffsetsSchema, await readJson(c));
  if (body.partitions && body.topics.length !== 1) raise("INVALID_REQUEST", "partitions can be given only with exactly one topic");
  const to = body.to;
  const spec: OffsetResetSpec =
    to === "earliest" || to === "latest"
      ? { type: to }
      : "timestamp" in to
        ? { type: "timestamp", timestamp: to.timestamp }
        : "offset" in to
          ? { type: "offset", offset: to.offset }
          : { type: "shift", by: to.shift_by };
  const cluster = new Cluster(c.env, c.get("tenant"));
  const partitions: ResetPartition[] = [];
  for (const name of body.topics) {
    const meta = unwrap(await cluster.topic(topicParam(name)));
    const chosen = body.partitions ?? meta.partitions.map((_, i) => i);
    for (const partition of chosen) {
      unwrap(Cluster.partition(meta, partition));
      const log = unwrap(await logOffsets(cluster, name, partition));
      let offsetForTimestamp: number | null | undefined;
      if (spec.type === "timestamp") {
        const r = unwrap(
          await cluster.withLeader(name, partition, (m, p) => cluster.leaderOf(m, partition).listOffsets({ spec: { timestamp: spec.timestamp }, leaderEpoch: p.leaderEpoch }), { idempotent: true }),
        );
        offsetForTimestamp = r.offset;
      }
      partitions.push({ topic: name, partition, ...log, ...(offsetForTimestamp === undefined ? {} : { offsetForTimestamp }) });
    }
  }
  const plan = unwrap(await call(() => groupStub(c, group).resetOffsets({ spec, partitions, dryRun: body.dry_run ?? false })));
  return c.json({ offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })) });
});

groupRoutes.get("/", async (c) => {
  const cluster = new Cluster(c.env, c.get("tenant"));
  const ids = unwrap(await call(async () => ({ ok: true as const, value: await cluster.coordinator().listGroups() })));
  const summaries = await Promise.all(ids.map((id) => call(() => groupStub(c, id).summary())));
  return c.json({ groups: summaries.flatMap((s) => (s.ok ? [s.value] : [])) });
});

groupRoutes.get("/:group", async (c) => {
  const group = groupParam(c.req.param("group"));
  const d = unwrap(await call(() => groupStub(c, group).describe()));
  return c.json({
    ...groupDescriptionBody(d),
    offsets: await withLag(new Cluster(c.env, c.get("tenant")), d.offsets),
  });
});

groupRoutes.delete("/:group", async (c) => {
  const group = groupParam(c.req.param("group"));
  unwrap(await call(() => groupStub(c, group).deleteGroup()));
  return c.body(null, 204);
});
