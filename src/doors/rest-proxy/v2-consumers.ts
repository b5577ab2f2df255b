/**
 * REST Proxy v2 consumer instances (`/consumers/{group}/instances/{instance}/…`) over the group
 * service's server-side membership: an instance is a group member whose group.instance.id is
 * the instance name, so it shares assignment with native members of the group (no partition is
 * owned twice) and times out by the group session (`consumer.instance.timeout.ms`, default
 * 300000 as Confluent's). Every request of an instance renews its session.
 *
 * The instance's settings at creation (format, auto.offset.reset, auto.commit.enable) are kept
 * in its member id (`rp` + j|b + e|l + a|m + `-` + name), so the Worker holds no state: each
 * request finds the member by its instance name. Positions (seek) move the member's read
 * positions in the group coordinator: only on partitions the instance is assigned now (another
 * is 404 40403 and nothing moves), and they commit nothing.
 */
import type { Context } from "hono";
import { LIMITS } from "../../protocol/config.ts";
import type { LogRecord } from "../../protocol/types.ts";
import * as instances from "../../services/consumer-instances.ts";
import type { ServiceContext } from "../../services/context.ts";
import * as groups from "../../services/groups.ts";
import { must, stop } from "../../services/result.ts";
import { readJsonBody, RestError, type RestProxyEnv } from "./answers.ts";

export const V2_JSON = "application/vnd.kafka.v2+json";
const INSTANCE_TIMEOUT_MS = 300_000;
/**
 * The subscription of an instance that has none (created, or unsubscribed): a topic pattern no
 * topic name can match, as a group member needs topics or a pattern.
 */
const NOTHING = "[^\\s\\S]";
const unsubscribed = { topicPattern: NOTHING };

export interface InstanceSettings {
  format: "json" | "binary";
  reset: "earliest" | "latest";
  autoCommit: boolean;
}

const prefixOf = (s: InstanceSettings) => `rp${s.format[0]}${s.reset[0]}${s.autoCommit ? "a" : "m"}`;

export function settingsOf(memberId: string): InstanceSettings {
  const m = /^rp([jb])([el])([am])-/.exec(memberId);
  if (!m) throw new RestError(409, 40902, `group member ${memberId} is not a REST Proxy consumer instance`);
  return { format: m[1] === "j" ? "json" : "binary", reset: m[2] === "e" ? "earliest" : "latest", autoCommit: m[3] === "a" };
}

function createSettings(body: Record<string, unknown>): InstanceSettings {
  const format = body.format ?? "binary";
  if (format !== "json" && format !== "binary") throw new RestError(422, 42204, `format "${String(format)}" is not supported (json or binary)`);
  const reset = body["auto.offset.reset"] ?? "latest";
  if (reset !== "earliest" && reset !== "latest") throw new RestError(422, 42204, `auto.offset.reset must be earliest or latest`);
  const commit = String(body["auto.commit.enable"] ?? "true");
  if (commit !== "true" && commit !== "false") throw new RestError(422, 42204, `auto.commit.enable must be true or false`);
  return { format, reset, autoCommit: commit === "true" };
}

/**
 * Instance name → member id, per isolate: a member id is fixed for the life of an instance, so
 * a hit saves the look-up; a stale entry (the instance was deleted and created again with other
 * settings) is found out by UNKNOWN_MEMBER_ID and dropped.
 */
const memberIds = new Map<string, string>();
const cacheKey = (ctx: ServiceContext, group: string, name: string) => `${ctx.tenant}\u0000${group}\u0000${name}`;

/** The instance's member, or Confluent's 404 40403. */
async function found(ctx: ServiceContext, group: string, name: string): Promise<instances.FoundInstance> {
  const r = await instances.findInstance(ctx, group, name);
  if (!r.ok && r.err.error === "UNKNOWN_MEMBER_ID") throw new RestError(404, 40403, "Consumer instance not found.");
  return must(r);
}

async function join(ctx: ServiceContext, group: string, name: string, memberId: string, topics: { topics: string[] } | { topicPattern: string }) {
  const s = settingsOf(memberId);
  const req = { topics: null, topicPattern: null, ...topics, memberId, instanceId: name, sessionTimeoutMs: INSTANCE_TIMEOUT_MS, autoOffsetReset: s.reset };
  return must(await groups.joinGroup(ctx, group, req));
}

export async function createInstance(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string): Promise<Response> {
  const body = ((await readJsonBody(c)) ?? {}) as Record<string, unknown>;
  const name = typeof body.name === "string" && body.name !== "" ? body.name : `rest-consumer-${crypto.randomUUID()}`;
  const settings = createSettings(body);
  const existing = await instances.findInstance(ctx, group, name);
  if (existing.ok) throw new RestError(409, 40902, `Consumer instance with the specified name ${name} already exists.`);
  await join(ctx, group, name, await instances.instanceMemberId(prefixOf(settings), name), unsubscribed);
  const origin = new URL(c.req.url).origin;
  return c.json({ instance_id: name, base_uri: `${origin}/kafka-rest/consumers/${group}/instances/${name}` }, 200, { "content-type": V2_JSON });
}

export async function deleteInstance(ctx: ServiceContext, group: string, name: string): Promise<void> {
  memberIds.delete(cacheKey(ctx, group, name));
  const m = await found(ctx, group, name);
  must(await groups.leaveGroup(ctx, group, m.memberId));
}

/** Subscribes (replacing any subscription): the member leaves and joins again with the new topics. */
export async function subscribe(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string, name: string): Promise<void> {
  const body = ((await readJsonBody(c)) ?? {}) as { topics?: unknown; topic_pattern?: unknown };
  const topics = Array.isArray(body.topics) && body.topics.every((t) => typeof t === "string") ? (body.topics as string[]) : null;
  const pattern = typeof body.topic_pattern === "string" ? body.topic_pattern : null;
  if ((topics === null) === (pattern === null)) stop("INVALID_REQUEST", "give exactly one of topics (a list of names) and topic_pattern");
  const m = await found(ctx, group, name);
  must(await groups.leaveGroup(ctx, group, m.memberId));
  await join(ctx, group, name, m.memberId, topics ? { topics } : { topicPattern: pattern! });
}

export async function unsubscribe(ctx: ServiceContext, group: string, name: string): Promise<void> {
  const m = await found(ctx, group, name);
  must(await groups.leaveGroup(ctx, group, m.memberId));
  await join(ctx, group, name, m.memberId, unsubscribed);
}

export async function subscription(ctx: ServiceContext, group: string, name: string) {
  const m = await found(ctx, group, name);
  if (m.subscribedTopicRegex === NOTHING) return { topics: [] };
  return m.subscribedTopicRegex !== null ? { topic_pattern: m.subscribedTopicRegex } : { topics: m.subscribedTopicNames ?? [] };
}

/** The instance's partitions now, after a heartbeat (which also moves its reconciliation on). */
export async function assignments(ctx: ServiceContext, group: string, name: string) {
  const m = await found(ctx, group, name);
  const hb = must(await groups.heartbeat(ctx, group, { memberId: m.memberId, memberEpoch: m.memberEpoch }));
  return { partitions: Object.entries(hb.assignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition }))) };
}

function b64(b: Uint8Array | null): string | null {
  if (b === null) return null;
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const UTF8 = new TextEncoder();

function jsonOf(b: Uint8Array | null, where: string): unknown {
  if (b === null) return null;
  try {
    return JSON.parse(utf8.decode(b)) as unknown;
  } catch {
    throw new RestError(500, 50002, `Kafka error: the ${where} is not JSON (create the instance with format binary)`);
  }
}

function renderRecord(format: "json" | "binary", r: LogRecord & { topic: string; partition: number }) {
  const where = `record at ${r.topic}-${r.partition}@${r.offset}`;
  const key = format === "json" ? jsonOf(r.key, `key of the ${where}`) : b64(r.key);
  const value = format === "json" ? jsonOf(r.value, `value of the ${where}`) : b64(r.value);
  return { topic: r.topic, key, value, partition: r.partition, offset: r.offset };
}

type PollBounds = Omit<groups.PollInput, "memberId">;

/** Polls the instance by name: its cached member id first, else (or when that is stale) the one the group knows. */
async function pollByName(ctx: ServiceContext, group: string, name: string, bounds: (s: InstanceSettings) => PollBounds) {
  const key = cacheKey(ctx, group, name);
  const cached = memberIds.get(key);
  if (cached !== undefined) {
    const r = await instances.pollInstance(ctx, group, { memberId: cached, ...bounds(settingsOf(cached)) }, null);
    if (r.ok || r.err.error !== "UNKNOWN_MEMBER_ID") return { memberId: cached, polled: must(r) };
    memberIds.delete(key);
  }
  const { memberId } = await found(ctx, group, name);
  const polled = must(await instances.pollInstance(ctx, group, { memberId, ...bounds(settingsOf(memberId)) }, null));
  memberIds.set(key, memberId);
  return { memberId, polled };
}

/** `GET …/records` in the instance's embedded format (the Accept header must name it). */
export async function records(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string, name: string): Promise<Response> {
  const int = (k: string, dflt: number, max: number) => {
    const raw = c.req.query(k);
    const n = raw === undefined ? dflt : Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) stop("INVALID_REQUEST", `${k} must be a non-negative integer`);
    return Math.min(n, max);
  };
  const maxBytes = Math.max(1, int("max_bytes", LIMITS.defaultFetchBytes, LIMITS.maxFetchBytes));
  const waitMs = int("timeout", 0, LIMITS.maxWaitMs);
  const accept = c.req.header("accept") ?? "";
  const { memberId, polled } = await pollByName(ctx, group, name, (s) => {
    const want = `application/vnd.kafka.${s.format}.v2+json`;
    if (/vnd\.kafka\.(json|binary|avro|jsonschema|protobuf)\.v2\+json/.test(accept) && !accept.includes(want))
      throw new RestError(406, 40601, `The requested embedded data format does not match the deserializer for this consumer instance (${want})`);
    return { memberEpoch: null, cursor: null, autoCommit: s.autoCommit, maxRecords: LIMITS.defaultFetchRecords, maxBytes, waitMs };
  });
  const { format } = settingsOf(memberId);
  const body = UTF8.encode(JSON.stringify(polled.records.map((rec) => renderRecord(format, rec))));
  return new Response(body, { headers: { "content-type": `application/vnd.kafka.${format}.v2+json` } });
}

type TpList = { topic: string; partition: number }[];

function tpList(v: unknown, field: string, withOffset: boolean): (TpList[number] & { offset?: number })[] {
  if (!Array.isArray(v)) return stop("INVALID_REQUEST", `${field} must be a list`);
  return v.map((x: unknown, i) => {
    const o = x as { topic?: unknown; partition?: unknown; offset?: unknown };
    if (typeof o?.topic !== "string" || !Number.isSafeInteger(o.partition)) stop("INVALID_REQUEST", `${field}[${i}] needs topic and partition`);
    if (withOffset && !(Number.isSafeInteger(o.offset) && (o.offset as number) >= 0)) stop("INVALID_REQUEST", `${field}[${i}].offset must be a non-negative integer`);
    return { topic: o.topic as string, partition: o.partition as number, ...(withOffset ? { offset: o.offset as number } : {}) };
  });
}

/** `POST …/offsets`: the offsets given, or (no body) what the instance has consumed. */
export async function commit(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string, name: string): Promise<void> {
  const body = (await readJsonBody(c)) as { offsets?: unknown } | undefined;
  const m = await found(ctx, group, name);
  if (body === undefined || body.offsets === undefined) return void must(await instances.commitConsumed(ctx, group, m.memberId));
  const offsets = tpList(body.offsets, "offsets", true).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset!, metadata: null }));
  must(await groups.commitOffsets(ctx, group, { memberId: m.memberId, memberEpoch: m.memberEpoch, offsets }));
}

/**
 * `GET …/offsets` with `{partitions}` (a GET with a body, as Confluent documents it; fetch()
 * cannot send one, so without a body: the instance's assigned partitions): the group's
 * committed offsets, -1 where none.
 */
export async function committed(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string, name: string) {
  const body = (await readJsonBody(c)) as { partitions?: unknown } | undefined;
  const m = await found(ctx, group, name);
  const assigned = Object.entries(m.assignment).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
  const partitions = body?.partitions === undefined ? assigned : tpList(body.partitions, "partitions", false);
  const offsets = must(await instances.committedOffsets(ctx, group, partitions));
  return { offsets: offsets.map((o) => ({ ...o, metadata: "" })) };
}

/**
 * `POST …/positions` (`{offsets}`), `…/positions/beginning` and `…/positions/end`
 * (`{partitions}`): the instance's next poll reads from there (Kafka's seek, seekToBeginning,
 * seekToEnd). Only partitions assigned to the instance now; any other refuses the whole request.
 */
export async function seek(c: Context<RestProxyEnv>, ctx: ServiceContext, group: string, name: string, where: "offsets" | "beginning" | "end"): Promise<void> {
  const body = ((await readJsonBody(c)) ?? {}) as { offsets?: unknown; partitions?: unknown };
  const targets: groups.SeekTarget[] =
    where === "offsets"
      ? tpList(body.offsets, "offsets", true).map((o) => ({ topic: o.topic, partition: o.partition, to: o.offset! }))
      : tpList(body.partitions, "partitions", false).map((p) => ({ ...p, to: where === "beginning" ? "earliest" : "latest" }));
  const m = await found(ctx, group, name);
  must(await groups.seekPositions(ctx, group, { memberId: m.memberId, memberEpoch: null, targets }));
}
