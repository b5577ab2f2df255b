/**
 * The broker's configuration: the Worker's vars and secrets (wrangler.toml `[vars]`, `wrangler
 * secret put`, `.dev.vars`, test bindings) parsed once into a typed `BrokerConfig`.
 *
 * Invariants: every default lives in `BROKER_VARS` below and nowhere else (wrangler.toml sets
 * no values). A var that is unset takes its default; a var that is set is valid or the whole
 * config is an INVALID_CONFIG error naming every bad var and its value (never a silent
 * default); the ADMIN_TOKEN value is never echoed. Vars this module does not know (bindings,
 * other secrets) are ignored.
 *
 * Callers: the three Durable Object constructors and `replicaStub` through `brokerConfig`, which
 * throws, so a misconfigured object fails at start; the API per request (cached); `npm start`
 * through `parseBrokerConfig` on the vars it hands to workerd. Pure, no I/O; the cache is per
 * isolate and assumes an env object does not change under it (Workers' env does not).
 */
import { fail, ok, type KafkaError, type Result } from "../protocol/errors.ts";
import type { CreateTopicRequest } from "../protocol/types.ts";
import { parseDeclaredTopics } from "./declared-topics.ts";
import { isLogLevel, LOG_LEVELS, type LogLevel } from "./log-level.ts";

/** Durable Object location hints (Cloudflare's list); one per replica id in turn. */
export const LOCATION_HINTS = [
  "wnam", "enam", "sam", "weur", "eeur", "apac", "apac-ne", "apac-se", "oc", "afr", "me",
] as const satisfies readonly DurableObjectLocationHint[];
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** The typed configuration; field names carry their units. */
export interface BrokerConfig {
  readonly replicaLagTimeMaxMs: number;
  readonly producerIdExpirationMs: number;
  readonly transactionalIdExpirationMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly replicaLocationHints: readonly LocationHint[];
  /** Topics to create when a tenant is first served (the `TOPICS` var, parsed). */
  readonly declaredTopics: readonly CreateTopicRequest[];
  /** The root bearer token, or null when unset or empty (then every /v1 request is 401). */
  readonly adminToken: string | null;
  /** The operator's default quota per tenant (the `QUOTA_DEFAULTS` var); absent = unlimited. */
  readonly quotaDefaults: Readonly<Partial<Record<QuotaName, number>>>;
  /** Origins a browser may call the API from (the `CORS_ALLOWED_ORIGINS` var); empty = CORS off. */
  readonly corsAllowedOrigins: readonly string[];
  /** The quietest level printed (src/config/log-level.ts); request lines are `info`. */
  readonly logLevel: LogLevel;
  /**
   * The chaos build's base jitter on every leader→follower push (0..N ms; 0 = none). Read only by
   * `chaos/worker.ts`: the production entry parses it (a typo is refused) and never acts on it.
   */
  readonly replicaPushDelayMs: number;
  /**
   * The operator's default for `remote.storage.enable` (tiered storage on R2): topics that do
   * not set it take this value (Kafka's remote.log.storage.system.enable plus a default).
   */
  readonly remoteStorageEnable: boolean;
  /**
   * Bytes of a replica's newest batches kept in memory (src/storage/batch-tail.ts): pushes of
   * what the leader just appended and fetches at the log's end read no SQLite rows from them.
   */
  readonly replicaTailBytes: number;
  /** A live tail's (`live=sse`) longest and default connection lifetime; it then ends with a resume point. */
  readonly sseMaxLifetimeMs: number;
  /** A live tail sends a comment line when it has sent nothing for this long. */
  readonly sseHeartbeatMs: number;
}

/** The quotas a tenant has (Kafka's client quotas, KIP-13/KIP-124, plus counts and storage). */
export const QUOTA_NAMES = ["produce_bytes_per_s", "fetch_bytes_per_s", "requests_per_s", "topics", "partitions", "storage_bytes"] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** A var's typed value, or what is wrong with it (without the var's name). */
type Parsed<T> = { value: T } | { problem: string };

interface VarSpec<T> {
  /** The Worker var's name. */
  readonly name: string;
  /** The value an unset var takes, written as the var would be; parsed like a set one. */
  readonly default: string;
  readonly parse: (raw: string) => Parsed<T>;
}

/** Kafka's int range, also `setTimeout`'s: a longer duration is a typo, not a setting. */
const MAX_MS = 2_147_483_647;
/** The groups' `maxSessionTimeoutMs` (src/groups/group-state.ts; a unit test keeps them equal). */
export const GROUP_MAX_SESSION_TIMEOUT_MS = 300_000;

const anyMs = durationMs(1, MAX_MS);
/** The largest REPLICA_TAIL_BYTES: a quarter of an isolate's 128 MB for one replica's tail. */
const MAX_TAIL_BYTES = 32 * 1024 * 1024;

/** The one table: each field's var, default and rule. */
const BROKER_VARS: { readonly [F in keyof BrokerConfig]: VarSpec<BrokerConfig[F]> } = {
  // Kafka's replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR.
  replicaLagTimeMaxMs: { name: "REPLICA_LAG_TIME_MAX_MS", default: "30000", parse: anyMs },
  // Kafka's producer.id.expiration.ms: a partition forgets an idempotent producer idle this long.
  producerIdExpirationMs: { name: "PRODUCER_ID_EXPIRATION_MS", default: "86400000", parse: anyMs },
  // Kafka's transactional.id.expiration.ms: the coordinator forgets a producer id not
  // re-initialised this long.
  transactionalIdExpirationMs: {
    name: "TRANSACTIONAL_ID_EXPIRATION_MS",
    default: "604800000",
    parse: anyMs,
  },
  // Kafka's group.min.session.timeout.ms: the shortest session_timeout_ms a consumer may ask for.
  groupMinSessionTimeoutMs: {
    name: "GROUP_MIN_SESSION_TIMEOUT_MS",
    default: "6000",
    parse: durationMs(1, GROUP_MAX_SESSION_TIMEOUT_MS),
  },
  // No Kafka name (Kafka's nearest is broker.rack): "wnam,enam,weur", a hint per replica id.
  replicaLocationHints: { name: "REPLICA_LOCATION_HINTS", default: "", parse: locationHints },
  // No Kafka name (Kafka creates topics by admin call or auto.create.topics.enable):
  // "orders:3,audit:1", see declared-topics.ts.
  declaredTopics: { name: "TOPICS", default: "", parse: declaredTopics },
  // A secret, no Kafka name (the nearest is a SASL super.users principal).
  adminToken: { name: "ADMIN_TOKEN", default: "", parse: adminToken },
  // Kafka's quota defaults (quota.producer.default etc., KIP-13): "requests_per_s=200,topics=50".
  // Apply to API keys; the root token is the operator and is never throttled.
  quotaDefaults: { name: "QUOTA_DEFAULTS", default: "topics=1000,partitions=5000", parse: quotaDefaults },
  // No Kafka name: "https://console.example.com,https://app.example.com" or "*"; off when empty.
  corsAllowedOrigins: { name: "CORS_ALLOWED_ORIGINS", default: "", parse: corsOrigins },
  // No Kafka name (Kafka's log4j root level): debug | info | warn | error | off.
  logLevel: { name: "LOG_LEVEL", default: "warn", parse: logLevel },
  // No Kafka name; fault injection for chaos runs only (see the field's comment), inert elsewhere.
  replicaPushDelayMs: { name: "REPLICA_PUSH_DELAY_MS", default: "0", parse: durationMs(0, 10_000) },
  // Kafka's remote.storage.enable as a broker-wide default for topics that do not set it.
  remoteStorageEnable: { name: "REMOTE_STORAGE_ENABLE", default: "false", parse: booleanVar },
  // No Kafka name: per replica object; replicas of one class may share an isolate's 128 MB.
  replicaTailBytes: { name: "REPLICA_TAIL_BYTES", default: "1048576", parse: byteCount(0, MAX_TAIL_BYTES) },
  // No Kafka name: how long a `live=sse` connection lasts at most (also its default).
  sseMaxLifetimeMs: { name: "SSE_MAX_LIFETIME_MS", default: "60000", parse: durationMs(1, 3_600_000) },
  // No Kafka name: the idle time after which a `live=sse` connection sends a heartbeat comment.
  sseHeartbeatMs: { name: "SSE_HEARTBEAT_MS", default: "15000", parse: durationMs(1, 600_000) },
};

/** The names of every var the broker reads. */
export const BROKER_VAR_NAMES = Object.values(BROKER_VARS).map((s) => s.name);

/** What `parseBrokerConfig` reads: a Worker's `env`, or a plain record of vars. */
export type BrokerVars = { readonly [name: string]: unknown } | Env;

function wholeNumber(unit: string, min: number, max: number): (raw: string) => Parsed<number> {
  const rule = `must be a whole number of ${unit} from ${min} to ${max}`;
  return (raw) => {
    const n = Number(raw);
    const valid = /^\d{1,10}$/.test(raw) && n >= min && n <= max;
    return valid ? { value: n } : { problem: `${rule}, got ${JSON.stringify(raw)}` };
  };
}

function durationMs(min: number, max: number): (raw: string) => Parsed<number> {
  return wholeNumber("milliseconds", min, max);
}

function byteCount(min: number, max: number): (raw: string) => Parsed<number> {
  return wholeNumber("bytes", min, max);
}

function isLocationHint(s: string): s is LocationHint {
  return (LOCATION_HINTS as readonly string[]).includes(s);
}

function locationHints(raw: string): Parsed<LocationHint[]> {
  const hints = raw.split(",").map((h) => h.trim()).filter(Boolean);
  const bad = hints.find((h) => !isLocationHint(h));
  if (bad === undefined) return { value: hints as LocationHint[] };
  const known = LOCATION_HINTS.join(", ");
  return { problem: `has ${JSON.stringify(bad)}, not one of ${known} (in ${JSON.stringify(raw)})` };
}

function declaredTopics(raw: string): Parsed<CreateTopicRequest[]> {
  const r = parseDeclaredTopics(raw);
  return r.ok ? { value: r.value } : { problem: `entry ${r.err.message}` };
}

function adminToken(raw: string): Parsed<string | null> {
  // The bearer header's token is one run of non-space characters, so such a token never matches.
  if (/\s/.test(raw)) return { problem: "contains whitespace, so no bearer token could match it" };
  return { value: raw === "" ? null : raw };
}

function quotaDefaults(raw: string): Parsed<Partial<Record<QuotaName, number>>> {
  const out: Partial<Record<QuotaName, number>> = {};
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)=(\d{1,15})$/.exec(part);
    const name = m?.[1] as QuotaName | undefined;
    if (!m || !name || !(QUOTA_NAMES as readonly string[]).includes(name))
      return { problem: `has ${JSON.stringify(part)}; entries are name=number, names ${QUOTA_NAMES.join(", ")}` };
    out[name] = Number(m[2]);
  }
  return { value: out };
}

function corsOrigins(raw: string): Parsed<string[]> {
  const origins = raw.split(",").map((o) => o.trim()).filter(Boolean);
  const bad = origins.find((o) => o !== "*" && !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o));
  if (bad === undefined) return { value: origins };
  return { problem: `has ${JSON.stringify(bad)}; origins are scheme://host[:port] (no path) or *` };
}

function booleanVar(raw: string): Parsed<boolean> {
  if (raw === "true" || raw === "false") return { value: raw === "true" };
  return { problem: `must be true or false, got ${JSON.stringify(raw)}` };
}

function logLevel(raw: string): Parsed<LogLevel> {
  if (isLogLevel(raw)) return { value: raw };
  return { problem: `must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(raw)}` };
}

/** A set var as a string: wrangler passes TOML numbers through as numbers. */
function rawValue(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

function parseVar<T>(spec: VarSpec<T>, value: unknown): Parsed<T> {
  if (value === undefined) return spec.parse(spec.default);
  const raw = rawValue(value);
  if (raw === null)
    return { problem: `must be a string, got ${value === null ? "null" : typeof value}` };
  return spec.parse(raw);
}

/**
 * The typed config of `vars`, or INVALID_CONFIG naming every bad var and its value.
 * Unset vars take their defaults; unknown vars are ignored.
 */
export function parseBrokerConfig(vars: BrokerVars): Result<BrokerConfig> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const source = vars as { readonly [name: string]: unknown };
  for (const [field, spec] of Object.entries(BROKER_VARS) as [string, VarSpec<unknown>][]) {
    const r = parseVar(spec, source[spec.name]);
    if ("problem" in r) problems.push(`${spec.name} ${r.problem}`);
    else values[field] = r.value;
  }
  if (problems.length > 0)
    return fail("INVALID_CONFIG", `invalid broker configuration: ${problems.join("; ")}`);
  return ok(Object.freeze(values) as unknown as BrokerConfig);
}

/** Thrown by `brokerConfig`: a misconfigured deployment fails loudly, never runs on defaults. */
export class BrokerConfigError extends Error {
  override readonly name = "BrokerConfigError";
  readonly err: KafkaError;

  constructor(err: KafkaError) {
    super(`${err.message} (see src/config/broker-config.ts)`);
    this.err = err;
  }
}

const parsed = new WeakMap<object, Result<BrokerConfig>>();

/** `env`'s config, parsed once per env object and isolate; throws `BrokerConfigError` if bad. */
export function brokerConfig(env: BrokerVars): BrokerConfig {
  let r = parsed.get(env);
  if (r === undefined) {
    r = parseBrokerConfig(env);
    parsed.set(env, r);
  }
  if (!r.ok) throw new BrokerConfigError(r.err);
  return r.value;
}
