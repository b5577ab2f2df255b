/**
 * The RPC front door: `FlarelogRpc`, a WorkerEntrypoint another Worker on the same account binds
 * to with a service binding (`services = [{ binding = "FLARELOG", service = "flarelog",
 * entrypoint = "FlarelogRpc" }]`) and calls with `await env.FLARELOG.produce(...)` (reads: `fetchRecords`, as `fetch` is
 * the entrypoint's HTTP handler): no HTTP, no
 * JSON, no base64. Every method calls the same service as the HTTP route (src/services/*), so the
 * semantics (partitioning, acks, idempotence, fencing, group protocol) are the same; the answer
 * is the service's `Result` (errors as values with Kafka's codes, never a throw for a Kafka
 * error). An infrastructure failure is classified like the HTTP door does and answered as an
 * error value too.
 *
 * Principal: the API key in the binding's `props` (`ctx.props.key`), with its tenant and ACLs;
 * without one, the root on tenant `default` (see `#context`). Bytes are `Uint8Array` (a string is taken as UTF-8) on the way in and
 * `Uint8Array` on the way out, as RPC carries them without copying through JSON.
 *
 * Stateless; each call builds its own ServiceContext. Called by other Workers only.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { brokerConfig } from "../../config/broker-config.ts";
import { LIMITS } from "../../protocol/config.ts";
import { DEFAULT_TENANT } from "../../protocol/names.ts";
import { fail, type Result } from "../../protocol/errors.ts";
import type { Acks, FetchResult, OffsetAndTimestamp, OffsetSpec, ProducerIdentity } from "../../protocol/types.ts";
import type { ServiceContext } from "../../services/context.ts";
import { decodeFetched, fetchBatches, listOffsets as listOffsetsService } from "../../services/fetch.ts";
import { authenticate } from "../../services/auth.ts";
import * as groups from "../../services/groups.ts";
import { produce as produceService, type ProduceOutcome, type ProduceRecord } from "../../services/produce.ts";
import { initProducerId as initProducerIdService, type InitProducerRequest, type ProducerIdAndEpoch } from "../../services/producers.ts";
import { asKafkaError } from "../../services/result.ts";
import * as topics from "../../services/topics.ts";

/** Bytes as a caller gives them: a string is UTF-8. */
export type RpcBytes = Uint8Array | string | null | undefined;

export interface RpcRecord {
  key?: RpcBytes;
  value?: RpcBytes;
  headers?: Record<string, RpcBytes> | { key: string; value: RpcBytes }[];
  partition?: number;
  timestamp?: number;
}

export interface RpcProduceOptions {
  /** Every record goes to this partition (required for the idempotent form). */
  partition?: number;
  /** 0, 1 or "all"/-1; default "all", as Kafka's producer. */
  acks?: 0 | 1 | -1 | "all";
  timeoutMs?: number;
  /** The idempotent form: from `initProducerId`, with the batch's first sequence. */
  producer?: ProducerIdentity;
}

/** The services' request types, by position (the door names no type of src/groups). */
export type HeartbeatRequest = Parameters<typeof groups.heartbeat>[2];
export type OffsetCommitRequest = Parameters<typeof groups.commitOffsets>[2];

export interface RpcPollOptions {
  memberId: string;
  /** When given and stale, the poll is refused with FENCED_MEMBER_EPOCH (110). */
  memberEpoch?: number;
  /** The `cursor` of the last answer received: it acknowledges that answer's records. */
  cursor?: number;
  autoCommit?: boolean;
  maxRecords?: number;
  maxBytes?: number;
  waitMs?: number;
}

export interface RpcFetchOptions {
  offset: number | "earliest" | "latest";
  maxRecords?: number;
  maxBytes?: number;
  /** Long poll: wait up to this long for a record at `offset`. */
  waitMs?: number;
}

const encoder = new TextEncoder();
/** Bytes as the log takes them; anything else than a string, bytes or null names the field. */
function toBytes(b: unknown, field: string): Result<Uint8Array | null> {
  if (b === null || b === undefined) return { ok: true, value: null };
  if (typeof b === "string") return { ok: true, value: encoder.encode(b) };
  if (b instanceof Uint8Array) return { ok: true, value: b };
  return fail("INVALID_REQUEST", `${field} must be a string, a Uint8Array or null`);
}

/** A caller's record as the produce service takes it, or INVALID_REQUEST naming the bad field. */
function toRecord(r: RpcRecord, i: number): Result<ProduceRecord> {
  if (typeof r !== "object" || r === null) return fail("INVALID_REQUEST", `records[${i}] must be an object`);
  const pairs = Array.isArray(r.headers) ? r.headers.map((h) => [h?.key, h?.value] as const) : Object.entries(r.headers ?? {});
  const headers: ProduceRecord["headers"] = [];
  for (const [key, raw] of pairs) {
    if (typeof key !== "string") return fail("INVALID_REQUEST", `records[${i}].headers: a header key must be a string`);
    const value = toBytes(raw, `records[${i}].headers.${key}`);
    if (!value.ok) return value;
    headers.push({ key, value: value.value });
  }
  const key = toBytes(r.key, `records[${i}].key`);
  const value = toBytes(r.value, `records[${i}].value`);
  if (!key.ok) return key;
  if (!value.ok) return value;
  const record: ProduceRecord = { key: key.value, value: value.value, headers };
  for (const f of ["timestamp", "partition"] as const) {
    const v = r[f];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 0) return fail("INVALID_REQUEST", `records[${i}].${f} must be a non-negative integer, got ${String(v)}`);
    record[f] = v;
  }
  return { ok: true, value: record };
}

function acksOf(acks: RpcProduceOptions["acks"]): Result<Acks> {
  if (acks === undefined || acks === "all" || acks === -1) return { ok: true, value: -1 };
  if (acks === 0 || acks === 1) return { ok: true, value: acks };
  return fail("INVALID_REQUEST", `acks must be 0, 1 or "all", got ${String(acks)}`);
}

const intIn = (v: number | undefined, name: string, min: number, max: number, dflt: number): Result<number> =>
  v === undefined
    ? { ok: true, value: dflt }
    : Number.isInteger(v) && v >= min && v <= max
      ? { ok: true, value: v }
      : fail("INVALID_REQUEST", `${name} must be an integer from ${min} to ${max}, got ${String(v)}`);

interface ReadBounds {
  maxRecords: number;
  maxBytes: number;
  waitMs: number;
}

/** A read's bounds with HTTP's defaults and limits (500 records, 1 MiB, no wait). */
function readBounds(opts: Partial<ReadBounds>): Result<ReadBounds> {
  const maxRecords = intIn(opts.maxRecords, "maxRecords", 1, LIMITS.maxFetchRecords, LIMITS.defaultFetchRecords);
  const maxBytes = intIn(opts.maxBytes, "maxBytes", 1, LIMITS.maxFetchBytes, LIMITS.defaultFetchBytes);
  const waitMs = intIn(opts.waitMs, "waitMs", 0, LIMITS.maxWaitMs, 0);
  if (!maxRecords.ok) return maxRecords;
  if (!maxBytes.ok) return maxBytes;
  if (!waitMs.ok) return waitMs;
  return { ok: true, value: { maxRecords: maxRecords.value, maxBytes: maxBytes.value, waitMs: waitMs.value } };
}

/** Runs a service call; an infrastructure failure (a throw) becomes an error value, as on HTTP. */
async function answer<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await run();
  } catch (e) {
    console.error("rpc: call failed", e);
    return { ok: false, err: asKafkaError(e) };
  }
}

export class FlarelogRpc extends WorkerEntrypoint<Env> {
  /**
   * Who the binding acts as. A binding whose `props` carry an API key (`[services.props] key =
   * "flk_…"` in the caller's wrangler.toml) acts as that key: its tenant, its ACLs (checked by
   * every service), and a revoked key is refused within the keys' cache bound. A binding
   * without a key acts as the root token does on HTTP, on tenant `default`: a service binding is
   * granted by whoever deploys the calling Worker on the same account.
   */
  async #context(): Promise<Result<ServiceContext>> {
    const waitUntil = (work: Promise<unknown>) => this.ctx.waitUntil(work);
    const props = (this.ctx.props ?? {}) as { key?: unknown };
    if (props.key === undefined) return { ok: true, value: { env: this.env, tenant: DEFAULT_TENANT, acls: null, waitUntil } };
    if (typeof props.key !== "string") return fail("SASL_AUTHENTICATION_FAILED", "the binding's props.key must be an API key string");
    const principal = await authenticate(this.env, brokerConfig(this.env).adminToken, props.key);
    if (!principal.ok) return principal;
    return { ok: true, value: { env: this.env, tenant: principal.value.tenant, acls: principal.value.acls, waitUntil } };
  }

  /** Runs a service call as the binding's principal; every failure is an error value. */
  #call<T>(run: (ctx: ServiceContext) => Promise<Result<T>>): Promise<Result<T>> {
    return answer(async () => {
      const ctx = await this.#context();
      return ctx.ok ? run(ctx.value) : ctx;
    });
  }

  // ── topics ────────────────────────────────────────────────────────────────────────────────
  /** Partitions and replication factor default to 1, as on HTTP. */
  createTopic(name: string, opts: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> } = {}): Promise<Result<topics.TopicDescription>> {
    const input = { name, partitions: opts.partitions ?? 1, replicationFactor: opts.replicationFactor ?? 1, configs: opts.configs };
    return this.#call((ctx) => topics.createTopic(ctx, input));
  }
  alterTopic(name: string, input: topics.AlterTopicInput): Promise<Result<topics.TopicDescription>> {
    return this.#call((ctx) => topics.alterTopic(ctx, name, input));
  }
  deleteTopic(name: string): Promise<Result<null>> {
    return this.#call((ctx) => topics.deleteTopic(ctx, name));
  }
  listTopics(): Promise<Result<topics.TopicDescription[]>> {
    return this.#call((ctx) => topics.listTopics(ctx));
  }
  describeTopic(name: string): Promise<Result<topics.TopicDescription>> {
    return this.#call((ctx) => topics.describeTopic(ctx, name));
  }

  // ── produce ───────────────────────────────────────────────────────────────────────────────
  /** Produces records; one outcome per record, in order (acks=0: `{accepted: true}`). */
  produce(topic: string, records: readonly RpcRecord[], opts: RpcProduceOptions = {}): Promise<Result<ProduceOutcome>> {
    return this.#call(async (ctx) => {
      const acks = acksOf(opts.acks);
      if (!acks.ok) return acks;
      const timeoutMs = intIn(opts.timeoutMs, "timeoutMs", 0, LIMITS.maxProduceTimeoutMs, LIMITS.defaultProduceTimeoutMs);
      if (!timeoutMs.ok) return timeoutMs;
      if (!Array.isArray(records)) return fail("INVALID_REQUEST", "records must be an array");
      const converted: ProduceRecord[] = [];
      for (const [i, r] of records.entries()) {
        const record = toRecord(r, i);
        if (!record.ok) return record;
        converted.push(record.value);
      }
      const input = { topic, partition: opts.partition, records: converted, acks: acks.value, timeoutMs: timeoutMs.value, producer: opts.producer };
      return produceService(ctx, input, Date.now());
    });
  }

  /** Kafka's InitProducerId: a producer id and epoch for the idempotent form. */
  initProducerId(req: InitProducerRequest = {}): Promise<Result<ProducerIdAndEpoch>> {
    return this.#call((ctx) => initProducerIdService(ctx, req));
  }

  // ── fetch and offsets ─────────────────────────────────────────────────────────────────────
  /** Records of one partition from `offset`, below the high watermark; keys and values as bytes. */
  fetchRecords(topic: string, partition: number, opts: RpcFetchOptions): Promise<Result<FetchResult>> {
    return this.#call(async (ctx) => {
      const bounds = readBounds(opts);
      if (!bounds.ok) return bounds;
      const input = { topic, partition, offset: opts.offset, ...bounds.value };
      const r = await fetchBatches(ctx, input);
      return r.ok ? { ok: true, value: decodeFetched(r.value) } : r;
    });
  }

  /** Kafka's ListOffsets: earliest, latest (the high watermark) or the first offset at a time. */
  listOffsets(topic: string, partition: number, spec: OffsetSpec): Promise<Result<OffsetAndTimestamp>> {
    return this.#call((ctx) => listOffsetsService(ctx, topic, partition, spec));
  }

  // ── groups ────────────────────────────────────────────────────────────────────────────────
  joinGroup(group: string, req: groups.MemberJoinRequest): Promise<Result<groups.MemberAssignmentResponse>> {
    return this.#call((ctx) => groups.joinGroup(ctx, group, req));
  }
  heartbeat(group: string, req: HeartbeatRequest): Promise<Result<groups.MemberAssignmentResponse>> {
    return this.#call((ctx) => groups.heartbeat(ctx, group, req));
  }
  leaveGroup(group: string, memberId: string): Promise<Result<null>> {
    return this.#call((ctx) => groups.leaveGroup(ctx, group, memberId));
  }
  /** A member's poll; bounds default as on HTTP (500 records, 1 MiB, no wait); send back the answer's `cursor`. */
  pollGroup(group: string, opts: RpcPollOptions): Promise<Result<groups.PollOutcome>> {
    return this.#call(async (ctx) => {
      const bounds = readBounds(opts);
      if (!bounds.ok) return bounds;
      const input: groups.PollInput = {
        memberId: opts.memberId,
        memberEpoch: opts.memberEpoch ?? null,
        cursor: opts.cursor ?? null,
        autoCommit: opts.autoCommit ?? false,
        ...bounds.value,
      };
      return groups.pollGroup(ctx, group, input);
    });
  }
  commitOffsets(group: string, req: OffsetCommitRequest): Promise<Result<null>> {
    return this.#call((ctx) => groups.commitOffsets(ctx, group, req));
  }
  describeGroup(group: string): Promise<Result<groups.GroupDetails>> {
    return this.#call((ctx) => groups.describeGroup(ctx, group));
  }
  listGroups(): Promise<Result<groups.GroupSummary[]>> {
    return this.#call((ctx) => groups.listGroups(ctx));
  }
  resetOffsets(group: string, input: groups.ResetOffsetsInput): Promise<Result<groups.ResetPlanEntry[]>> {
    return this.#call((ctx) => groups.resetOffsets(ctx, group, input));
  }
  deleteGroup(group: string): Promise<Result<null>> {
    return this.#call((ctx) => groups.deleteGroup(ctx, group));
  }
}
