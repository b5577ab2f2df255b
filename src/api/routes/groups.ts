/**
 * Consumer-group routes (API.md "Consumer groups"): join, heartbeat, leave, the member poll,
 * offset commit/fetch/reset, list, describe, delete. Each parses its request, calls one group
 * service (src/services/groups.ts: membership in the group's DO, the poll's data plane) and
 * renders the answer.
 */
import type { Context, Hono } from "hono";
import {
  commitOffsetsRoute,
  deleteGroupRoute,
  describeGroupRoute,
  groupOffsetsRoute,
  heartbeatRoute,
  joinGroupRoute,
  leaveGroupRoute,
  listGroupsRoute,
  pollGroupRoute,
  resetOffsetsRoute,
} from "../../contract/routes.ts";
import { CommitOffsetsSchema, HeartbeatSchema, JoinGroupSchema, ResetOffsetsSchema } from "../../contract/schemas.ts";
import type { ResetOffsetsBody } from "../../contract/types.ts";
import { parseTopicPartitionList, toTopicPartitionList } from "../../protocol/topic-partitions.ts";
import * as groups from "../../services/groups.ts";
import { allowed } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { raise, unwrap } from "../errors.ts";
import { assignmentBody, groupDescriptionBody, joinRequestOf } from "../group-wire.ts";
import { mount, serviceContext as svc } from "../mount.ts";
import { parseEncodingParam, parseIntParam } from "../params.ts";
import { readBounds } from "../query.ts";
import { recordsJson } from "../render.ts";
import { readJson, validate } from "../request.ts";


/** The path's group id, checked before anything else. */
const groupOf = (c: Context<AppEnv>) => unwrap(groups.validateGroupId(c.req.param("group") ?? ""));

function resetSpec(to: ResetOffsetsBody["to"]): groups.OffsetResetSpec {
  if (to === "earliest" || to === "latest") return { type: to };
  if ("timestamp" in to) return { type: "timestamp", timestamp: to.timestamp };
  if ("offset" in to) return { type: "offset", offset: to.offset };
  return { type: "shift", by: to.shift_by };
}

function pollInput(c: Context<AppEnv>): groups.PollInput {
  const q = (k: string) => c.req.query(k);
  const optionalInt = (name: string, max: number) => (q(name) === undefined ? null : unwrap(parseIntParam(q(name), { name, min: 0, max })));
  const autoCommit = q("auto_commit") ?? "false";
  if (autoCommit !== "true" && autoCommit !== "false") raise("INVALID_REQUEST", `auto_commit must be true or false, got "${autoCommit}"`);
  return {
    memberId: c.req.param("member")!,
    memberEpoch: optionalInt("member_epoch", 2 ** 31 - 1),
    cursor: optionalInt("cursor", Number.MAX_SAFE_INTEGER),
    autoCommit: autoCommit === "true",
    ...readBounds(q),
  };
}

function membershipRoutes(app: Hono<AppEnv>): void {
  mount(app, joinGroupRoute, async (c) => {
    const group = groupOf(c);
    const body = validate(JoinGroupSchema, await readJson(c));
    return c.json(assignmentBody(unwrap(await groups.joinGroup(svc(c), group, joinRequestOf(body)))));
  });
  mount(app, heartbeatRoute, async (c) => {
    const group = groupOf(c);
    const body = validate(HeartbeatSchema, await readJson(c));
    const owned = body.owned_partitions === undefined ? undefined : unwrap(parseTopicPartitionList(body.owned_partitions));
    const req = { memberId: c.req.param("member")!, memberEpoch: body.member_epoch, ...(owned === undefined ? {} : { ownedPartitions: owned }) };
    return c.json(assignmentBody(unwrap(await groups.heartbeat(svc(c), group, req))));
  });
  mount(app, leaveGroupRoute, async (c) => {
    unwrap(await groups.leaveGroup(svc(c), groupOf(c), c.req.param("member")!));
    return c.body(null, 204);
  });
  mount(app, pollGroupRoute, async (c) => {
    const group = groupOf(c);
    const input = pollInput(c);
    const encoding = unwrap(parseEncodingParam(c.req.query("encoding")));
    const r = unwrap(await groups.pollGroup(svc(c), group, input));
    const records = r.records.map((rec) => ({ topic: rec.topic, partition: rec.partition, ...recordsJson([rec], encoding)[0]! }));
    return c.json({ records, member_epoch: r.memberEpoch, assignment: toTopicPartitionList(r.assignment), cursor: r.cursor });
  });
}

function offsetRoutes(app: Hono<AppEnv>): void {
  mount(app, commitOffsetsRoute, async (c) => {
    const group = groupOf(c);
    const body = validate(CommitOffsetsSchema, await readJson(c));
    const offsets = body.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null }));
    unwrap(await groups.commitOffsets(svc(c), group, { memberId: body.member_id, memberEpoch: body.member_epoch, offsets }));
    return c.body(null, 204);
  });
  mount(app, groupOffsetsRoute, async (c) => c.json({ offsets: unwrap(await groups.describeGroup(svc(c), groupOf(c))).offsets }));
  mount(app, resetOffsetsRoute, async (c) => {
    const group = groupOf(c);
    const body = validate(ResetOffsetsSchema, await readJson(c));
    const input = { topics: body.topics, partitions: body.partitions, spec: resetSpec(body.to), dryRun: body.dry_run ?? false };
    const plan = unwrap(await groups.resetOffsets(svc(c), group, input));
    return c.json({ offsets: plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })) });
  });
}

export function groupRoutes(app: Hono<AppEnv>): void {
  membershipRoutes(app);
  offsetRoutes(app);
  mount(app, listGroupsRoute, async (c) => {
    const visible = unwrap(await groups.listGroups(svc(c))).filter((g) => allowed(c, "group", g.group, "describe"));
    return c.json({ groups: visible });
  });
  mount(app, describeGroupRoute, async (c) => {
    const d = unwrap(await groups.describeGroup(svc(c), groupOf(c)));
    return c.json({ ...groupDescriptionBody(d), offsets: d.offsets });
  });
  mount(app, deleteGroupRoute, async (c) => {
    unwrap(await groups.deleteGroup(svc(c), groupOf(c)));
    return c.body(null, 204);
  });
}
