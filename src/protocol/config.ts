/**
 * Topic configs with Kafka's names, defaults and validation, plus the broker's fixed limits.
 *
 * Configs travel as strings (as in Kafka's AdminClient); `parseTopicConfigs` checks every
 * value and returns either the typed `LogConfig` or an INVALID_CONFIG error naming the key.
 */
import { fail, ok, type Result } from "./errors.ts";
import type { TimestampType } from "./types.ts";

/**
 * Kafka's cleanup.policy: `delete` (retention deletes old segments), `compact` (the log cleaner,
 * src/log/cleaner.ts, keeps the latest record per key; retention does not apply) or both
 * (`compact,delete`, also accepted as `delete,compact`, stored as given, typed in this order).
 */
export type CleanupPolicy = "delete" | "compact" | "compact,delete";

/** True when the policy runs the log cleaner. */
export const compacts = (c: Pick<LogConfig, "cleanupPolicy">): boolean =>
  c.cleanupPolicy !== "delete";
/** True when the policy deletes by retention.ms / retention.bytes. */
export const deletes = (c: Pick<LogConfig, "cleanupPolicy">): boolean =>
  c.cleanupPolicy !== "compact";

/** Typed topic configuration used by the log engine and the replica. */
export interface LogConfig {
  retentionMs: number; // -1 = unlimited
  retentionBytes: number; // -1 = unlimited
  segmentBytes: number;
  segmentMs: number;
  cleanupPolicy: CleanupPolicy;
  minInsyncReplicas: number;
  maxMessageBytes: number;
  uncleanLeaderElectionEnable: boolean;
  messageTimestampType: TimestampType;
  /** Compaction (cleaner.ts): a record stays uncompacted at least this long (ms). */
  minCompactionLagMs: number;
  /** A dirty record waits at most this long for compaction, whatever the dirty ratio (ms). */
  maxCompactionLagMs: number;
  /** How long a tombstone (null value) stays readable before the cleaner removes it (ms). */
  deleteRetentionMs: number;
  /** The cleaner runs when dirty bytes / cleanable bytes reach this ratio. */
  minCleanableDirtyRatio: number;
  /** remote.storage.enable (tiered storage, KIP-405); null: unset, the broker's default decides. */
  remoteStorageEnable: boolean | null;
  /** local.retention.ms / .bytes: -2 = as retention.*, -1 = unlimited (only with tiering). */
  localRetentionMs: number;
  localRetentionBytes: number;
}

/** Kafka's defaults (segment.bytes is smaller: a DO's SQLite holds at most 10 GB). */
export const TOPIC_CONFIG_DEFAULTS: Readonly<Record<TopicConfigName, string>> = {
  "retention.ms": "604800000",
  "retention.bytes": "-1",
  "segment.bytes": "67108864",
  "segment.ms": "604800000",
  "cleanup.policy": "delete",
  "min.insync.replicas": "1",
  "max.message.bytes": "1048588",
  "unclean.leader.election.enable": "false",
  "message.timestamp.type": "CreateTime",
  "min.compaction.lag.ms": "0",
  "max.compaction.lag.ms": "9223372036854775807",
  "delete.retention.ms": "86400000",
  "min.cleanable.dirty.ratio": "0.5",
  // Tiered storage (KIP-405, docs/operations.md "Tiered storage"): "false" shown, but an unset
  // topic takes the broker's REMOTE_STORAGE_ENABLE default.
  "remote.storage.enable": "false",
  "local.retention.ms": "-2",
  "local.retention.bytes": "-2",
};

export type TopicConfigName =
  | "retention.ms"
  | "retention.bytes"
  | "segment.bytes"
  | "segment.ms"
  | "cleanup.policy"
  | "min.insync.replicas"
  | "max.message.bytes"
  | "unclean.leader.election.enable"
  | "message.timestamp.type"
  | "min.compaction.lag.ms"
  | "max.compaction.lag.ms"
  | "delete.retention.ms"
  | "min.cleanable.dirty.ratio"
  | "remote.storage.enable"
  | "local.retention.ms"
  | "local.retention.bytes";

export const TOPIC_CONFIG_NAMES = Object.keys(TOPIC_CONFIG_DEFAULTS) as TopicConfigName[];

/** Broker limits, checked at the edge before any Durable Object is called. */
export const LIMITS = {
  /** Largest HTTP request body the API reads (bytes). */
  maxRequestBytes: 8 * 1024 * 1024,
  /** Records in one produce request. */
  maxRecordsPerRequest: 10_000,
  /** Deepest JSON nesting accepted in a request body. */
  maxJsonDepth: 32,
  /** A stored batch blob stays below this; larger appends are split (SQLite row ≤ 2 MB). */
  maxBatchBlobBytes: 1024 * 1024,
  /**
   * Fetch bounds. As Kafka's `fetch.max.bytes`, bytes bound a catch-up read: the largest fetch
   * carries 16 MiB of stored records (half the Workers RPC limit of 32 MiB, so the leader's
   * answer always fits one RPC) and at most 100,000 records (which bounds the JSON answer of
   * tiny records: ~80 bytes of JSON per record beyond its bytes).
   */
  maxFetchRecords: 100_000,
  defaultFetchRecords: 500,
  maxFetchBytes: 16 * 1024 * 1024,
  defaultFetchBytes: 1024 * 1024,
  /** Longest long-poll a fetch may ask for. */
  maxWaitMs: 30_000,
  maxProduceTimeoutMs: 300_000,
  defaultProduceTimeoutMs: 30_000,
  maxPartitions: 1000,
  maxReplicationFactor: 5,
  topicNameMaxLength: 249,
} as const;

const INT = /^-?\d{1,16}$/;

function intIn(key: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): Result<number> {
  if (!INT.test(raw)) return fail("INVALID_CONFIG", `${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    return fail("INVALID_CONFIG", `${key} must be between ${min} and ${max}, got ${raw}`);
  return ok(n);
}

function oneOf<T extends string>(key: string, raw: string, allowed: readonly T[]): Result<T> {
  return (allowed as readonly string[]).includes(raw)
    ? ok(raw as T)
    : fail("INVALID_CONFIG", `${key} must be one of ${allowed.join(", ")}, got "${raw}"`);
}

/** Kafka's list: `delete`, `compact`, or both (either order, each once). */
function cleanupPolicy(raw: string): Result<CleanupPolicy> {
  const policies = raw.split(",").map((p) => p.trim());
  const known = policies.every((p) => p === "delete" || p === "compact");
  if (!known || policies.length > 2 || new Set(policies).size !== policies.length)
    return fail(
      "INVALID_CONFIG",
      `cleanup.policy must be delete, compact or compact,delete, got "${raw}"`,
    );
  return ok(policies.length === 2 ? "compact,delete" : (policies[0] as CleanupPolicy));
}

/**
 * Kafka's long ms configs: an integer ≥ `min`; Long.MAX_VALUE (Kafka's "never") and anything
 * above 2^53 − 1 read as "never" (Infinity) once typed.
 */
function longMs(key: string, raw: string, min: number): Result<number> {
  if (!/^-?\d{1,19}$/.test(raw))
    return fail("INVALID_CONFIG", `${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min) return fail("INVALID_CONFIG", `${key} must be at least ${min}, got ${raw}`);
  if (n > 9223372036854775807)
    return fail("INVALID_CONFIG", `${key} must be at most 9223372036854775807, got ${raw}`);
  return ok(n);
}

/** A ratio in [0, 1] (Kafka's min.cleanable.dirty.ratio). */
function ratio(key: string, raw: string): Result<number> {
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (n >= 0 && n <= 1) return ok(n);
  return fail("INVALID_CONFIG", `${key} must be a number between 0 and 1, got "${raw}"`);
}

const msValue = (raw: string): number => {
  const n = Number(raw);
  return n > Number.MAX_SAFE_INTEGER ? Infinity : n;
};

/**
 * Configs a front door keeps with its topics (the Durable Streams door's stream metadata,
 * src/doors/durable-streams/meta.ts): `ds.` keys with free string values, bounded in size, that
 * the log never reads.
 */
export const DOOR_CONFIG_PREFIX = "ds.";
const DOOR_CONFIG_MAX_KEY = 300;
const DOOR_CONFIG_MAX_VALUE = 2048;

function doorConfig(key: string, raw: unknown): Result<string> {
  if (key.length > DOOR_CONFIG_MAX_KEY) return fail("INVALID_CONFIG", `config key "${key.slice(0, 40)}…" is over ${DOOR_CONFIG_MAX_KEY} characters`);
  if (typeof raw !== "string" || raw.length > DOOR_CONFIG_MAX_VALUE)
    return fail("INVALID_CONFIG", `${key} must be a string of at most ${DOOR_CONFIG_MAX_VALUE} characters`);
  return ok(raw);
}

/** Checks one config value; the single source of each key's rule. */
export function validateTopicConfig(key: string, raw: unknown): Result<string> {
  if (key.startsWith(DOOR_CONFIG_PREFIX)) return doorConfig(key, raw);
  if (!(TOPIC_CONFIG_NAMES as string[]).includes(key))
    return fail("INVALID_CONFIG", `unknown config "${key}"; supported: ${TOPIC_CONFIG_NAMES.join(", ")}`);
  if (typeof raw !== "string") return fail("INVALID_CONFIG", `${key} must be a string value`);
  let r: Result<unknown>;
  switch (key as TopicConfigName) {
    case "retention.ms":
    case "retention.bytes":
      r = intIn(key, raw, -1);
      break;
    case "segment.bytes":
      r = intIn(key, raw, 14, 1024 * 1024 * 1024);
      break;
    case "segment.ms":
      r = intIn(key, raw, 1);
      break;
    case "cleanup.policy":
      r = cleanupPolicy(raw);
      break;
    case "min.insync.replicas":
      r = intIn(key, raw, 1, 1000);
      break;
    case "max.message.bytes":
      r = intIn(key, raw, 0, LIMITS.maxRequestBytes);
      break;
    case "unclean.leader.election.enable":
      r = oneOf(key, raw, ["true", "false"] as const);
      break;
    case "message.timestamp.type":
      r = oneOf(key, raw, ["CreateTime", "LogAppendTime"] as const);
      break;
    case "min.compaction.lag.ms":
    case "delete.retention.ms":
      r = longMs(key, raw, 0);
      break;
    case "max.compaction.lag.ms":
      r = longMs(key, raw, 1);
      break;
    case "min.cleanable.dirty.ratio":
      r = ratio(key, raw);
      break;
    case "remote.storage.enable":
      r = oneOf(key, raw, ["true", "false"] as const);
      break;
    case "local.retention.ms":
    case "local.retention.bytes":
      r = intIn(key, raw, -2);
      break;
  }
  return r.ok ? ok(raw) : r;
}

/** Validates a configs object from a request; returns only the keys given. */
export function validateTopicConfigs(configs: unknown): Result<Record<string, string>> {
  if (configs === undefined || configs === null) return ok({});
  if (typeof configs !== "object" || Array.isArray(configs))
    return fail("INVALID_CONFIG", "configs must be an object of string values");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs)) {
    const r = validateTopicConfig(k, v);
    if (!r.ok) return r;
    out[k] = r.value;
  }
  const local = checkLocalRetention(out);
  return local.ok ? ok(out) : local;
}

/**
 * Kafka's rules for tiered storage: local.retention.* (when ≥ 0) must not exceed retention.*
 * (when ≥ 0) given in the same configs (-2 means "the same as retention.*"), and a compacted
 * topic cannot enable remote storage.
 */
export function checkLocalRetention(configs: Record<string, string>): Result<null> {
  // Kafka's rule too: a compacted topic cannot be tiered (remote segments are never cleaned).
  const compacted = (configs["cleanup.policy"] ?? "").split(",").some((p) => p.trim() === "compact");
  if (configs["remote.storage.enable"] === "true" && compacted)
    return fail("INVALID_CONFIG", "remote.storage.enable=true is not supported with cleanup.policy compact");
  for (const unit of ["ms", "bytes"] as const) {
    const local = Number(configs[`local.retention.${unit}`] ?? "-2");
    const total = Number(configs[`retention.${unit}`] ?? "-2");
    if (local >= 0 && total >= 0 && local > total)
      return fail(
        "INVALID_CONFIG",
        `local.retention.${unit} (${local}) must not exceed retention.${unit} (${total})`,
      );
    if (local === -1 && total >= 0)
      return fail(
        "INVALID_CONFIG",
        `local.retention.${unit} -1 (unlimited) must not exceed retention.${unit} (${total})`,
      );
  }
  return ok(null);
}

/** Full config map: defaults overlaid with the topic's own values. */
export function effectiveConfigs(own: Record<string, string>): Record<TopicConfigName, string> {
  return { ...TOPIC_CONFIG_DEFAULTS, ...own } as Record<TopicConfigName, string>;
}

/** Typed view of a validated config map (missing keys take defaults). */
export function toLogConfig(own: Record<string, string>): LogConfig {
  const c = effectiveConfigs(own);
  const remote = own["remote.storage.enable"];
  return {
    retentionMs: Number(c["retention.ms"]),
    retentionBytes: Number(c["retention.bytes"]),
    segmentBytes: Number(c["segment.bytes"]),
    segmentMs: Number(c["segment.ms"]),
    cleanupPolicy: typedCleanupPolicy(c["cleanup.policy"]),
    minInsyncReplicas: Number(c["min.insync.replicas"]),
    maxMessageBytes: Number(c["max.message.bytes"]),
    uncleanLeaderElectionEnable: c["unclean.leader.election.enable"] === "true",
    messageTimestampType: c["message.timestamp.type"] as TimestampType,
    minCompactionLagMs: msValue(c["min.compaction.lag.ms"]),
    maxCompactionLagMs: msValue(c["max.compaction.lag.ms"]),
    deleteRetentionMs: msValue(c["delete.retention.ms"]),
    minCleanableDirtyRatio: Number(c["min.cleanable.dirty.ratio"]),
    remoteStorageEnable: remote === undefined ? null : remote === "true",
    localRetentionMs: Number(c["local.retention.ms"]),
    localRetentionBytes: Number(c["local.retention.bytes"]),
  };
}

/** The typed policy of a stored value (validated when it was set; `delete,compact` included). */
function typedCleanupPolicy(raw: string): CleanupPolicy {
  const r = cleanupPolicy(raw);
  return r.ok ? r.value : "delete";
}

export const DEFAULT_LOG_CONFIG: LogConfig = toLogConfig({});

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic-name rule: `[a-zA-Z0-9._-]{1,249}`, and not `.` or `..`. */
export function validateTopicName(name: unknown): Result<string> {
  if (typeof name !== "string" || name.length === 0)
    return fail("INVALID_TOPIC_EXCEPTION", "topic name must be a non-empty string");
  if (name.length > LIMITS.topicNameMaxLength)
    return fail("INVALID_TOPIC_EXCEPTION", `topic name is longer than ${LIMITS.topicNameMaxLength} characters`);
  if (name === "." || name === "..") return fail("INVALID_TOPIC_EXCEPTION", `topic name cannot be "${name}"`);
  if (!TOPIC_NAME.test(name))
    return fail("INVALID_TOPIC_EXCEPTION", "topic name may contain only ASCII letters, digits, '.', '_' and '-'");
  return ok(name);
}
