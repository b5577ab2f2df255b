/**
 * The broker configuration (src/config/broker-config.ts): an unset var takes its one default, a
 * set var is valid or an INVALID_CONFIG error naming the var and its value (never a silent
 * default), unknown vars are ignored, and `brokerConfig` throws on a bad config, once parsed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BROKER_VAR_NAMES,
  BrokerConfigError,
  brokerConfig,
  GROUP_MAX_SESSION_TIMEOUT_MS,
  parseBrokerConfig,
  type BrokerConfig,
} from "../../src/config/broker-config.ts";
import { parseDeclaredTopics } from "../../src/config/declared-topics.ts";
import { DEFAULT_GROUP_CONFIG } from "../../src/groups/group-state.ts";
import { DEFAULT_PRODUCER_STATE_OPTIONS } from "../../src/log/producer-state.ts";
import { DEFAULT_TAIL_BYTES } from "../../src/storage/batch-tail.ts";

const DURATION_FIELDS = {
  REPLICA_LAG_TIME_MAX_MS: "replicaLagTimeMaxMs",
  PRODUCER_ID_EXPIRATION_MS: "producerIdExpirationMs",
  TRANSACTIONAL_ID_EXPIRATION_MS: "transactionalIdExpirationMs",
  GROUP_MIN_SESSION_TIMEOUT_MS: "groupMinSessionTimeoutMs",
} as const satisfies Record<string, keyof BrokerConfig>;
const DURATION_VARS = Object.keys(DURATION_FIELDS) as (keyof typeof DURATION_FIELDS)[];

function parsed(vars: Record<string, unknown>): BrokerConfig {
  const r = parseBrokerConfig(vars);
  if (!r.ok) throw new Error(r.err.message);
  return r.value;
}

function problem(vars: Record<string, unknown>): string {
  const r = parseBrokerConfig(vars);
  expect(r.ok).toBe(false);
  if (r.ok) return "";
  expect(r.err.error).toBe("INVALID_CONFIG");
  return r.err.message;
}

describe("defaults", () => {
  it("an empty env gives every default: Kafka's values, no hints, topics or admin token", () => {
    expect(parsed({})).toEqual({
      replicaLagTimeMaxMs: 30_000,
      producerIdExpirationMs: 86_400_000,
      transactionalIdExpirationMs: 604_800_000,
      groupMinSessionTimeoutMs: 6_000,
      replicaLocationHints: [],
      declaredTopics: [],
      adminToken: null,
      quotaDefaults: { topics: 1000, partitions: 5000 },
      corsAllowedOrigins: [],
      logLevel: "warn",
      replicaPushDelayMs: 0,
      remoteStorageEnable: false,
      replicaTailBytes: 1_048_576,
      sseMaxLifetimeMs: 60_000,
      sseHeartbeatMs: 15_000,
    });
  });

  it("each var unset takes its default while the others are set", () => {
    const all = {
      REPLICA_LAG_TIME_MAX_MS: "1",
      PRODUCER_ID_EXPIRATION_MS: "2",
      TRANSACTIONAL_ID_EXPIRATION_MS: "3",
      GROUP_MIN_SESSION_TIMEOUT_MS: "4",
      REPLICA_LOCATION_HINTS: "weur",
      TOPICS: "t",
      ADMIN_TOKEN: "secret",
      QUOTA_DEFAULTS: "requests_per_s=5",
      CORS_ALLOWED_ORIGINS: "https://console.example.com",
      LOG_LEVEL: "debug",
      REPLICA_PUSH_DELAY_MS: "5",
      REMOTE_STORAGE_ENABLE: "true",
      REPLICA_TAIL_BYTES: "8",
      SSE_MAX_LIFETIME_MS: "6",
      SSE_HEARTBEAT_MS: "7",
    };
    const defaults = parsed({});
    const set = parsed(all);
    expect(Object.keys(all).sort()).toEqual([...BROKER_VAR_NAMES].sort());
    for (const name of BROKER_VAR_NAMES) {
      const { [name]: _unset, ...rest } = all as Record<string, string>;
      const one = parsed(rest);
      const fields = Object.keys(one) as (keyof BrokerConfig)[];
      const changed = fields.filter((k) => JSON.stringify(one[k]) !== JSON.stringify(set[k]));
      expect(changed).toHaveLength(1);
      expect(one[changed[0]!]).toEqual(defaults[changed[0]!]);
    }
  });

  it("the engines' own defaults agree with the table", () => {
    const d = parsed({});
    expect(DEFAULT_GROUP_CONFIG.minSessionTimeoutMs).toBe(d.groupMinSessionTimeoutMs);
    expect(DEFAULT_GROUP_CONFIG.maxSessionTimeoutMs).toBe(GROUP_MAX_SESSION_TIMEOUT_MS);
    expect(DEFAULT_PRODUCER_STATE_OPTIONS.expirationMs).toBe(d.producerIdExpirationMs);
    expect(DEFAULT_TAIL_BYTES).toBe(d.replicaTailBytes);
  });

  it("wrangler.toml repeats no default: it sets none of the broker's vars", () => {
    const toml = readFileSync(join(import.meta.dirname, "..", "..", "wrangler.toml"), "utf8");
    const active = toml.split("\n").filter((line) => !line.trimStart().startsWith("#"));
    expect(active.filter((line) => /\[vars\]|\bvars\s*=/.test(line))).toEqual([]);
    for (const name of BROKER_VAR_NAMES)
      expect(active.filter((line) => line.includes(name))).toEqual([]);
  });
});

describe("durations (ms)", () => {
  it.each(DURATION_VARS)("%s takes a whole number of milliseconds", (name) => {
    const field = DURATION_FIELDS[name];
    expect(parsed({ [name]: "2000" })[field]).toBe(2000);
    expect(parsed({ [name]: "1" })[field]).toBe(1);
    expect(parsed({ [name]: 2000 })[field]).toBe(2000); // a TOML number reaches env as a number
  });

  const BAD = ["30000x", "", "-5", "1e3", "0", "3.5", " 30000", "30000 ", "0x10", "+5", "NaN"];
  const TOO_LONG = ["2147483648", "99999999999999999999", "Infinity"];
  const bad = [...BAD, ...TOO_LONG];
  const cases = DURATION_VARS.flatMap((name) => bad.map((raw) => [name, raw] as const));
  it.each(cases)("%s=%j is refused, naming the var and the value", (name, raw) => {
    const message = problem({ [name]: raw });
    expect(message).toContain(`${name} must be a whole number of milliseconds`);
    expect(message).toContain(`got ${JSON.stringify(raw)}`);
  });

  it("the group minimum session timeout is at most the groups' maximum", () => {
    const max = String(GROUP_MAX_SESSION_TIMEOUT_MS);
    expect(parsed({ GROUP_MIN_SESSION_TIMEOUT_MS: max }).groupMinSessionTimeoutMs).toBe(300_000);
    expect(problem({ GROUP_MIN_SESSION_TIMEOUT_MS: "300001" })).toContain(
      "GROUP_MIN_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 1 to 300000",
    );
  });

  it("values that are neither strings nor numbers are refused", () => {
    for (const value of [true, null, {}, ["1"]])
      expect(problem({ REPLICA_LAG_TIME_MAX_MS: value })).toContain(
        "REPLICA_LAG_TIME_MAX_MS must be a string",
      );
  });
});

describe("REPLICA_LOCATION_HINTS", () => {
  it("is a comma-separated list of Cloudflare location hints", () => {
    const hints = parsed({ REPLICA_LOCATION_HINTS: " wnam, enam ,weur," }).replicaLocationHints;
    expect(hints).toEqual(["wnam", "enam", "weur"]);
    expect(parsed({ REPLICA_LOCATION_HINTS: "" }).replicaLocationHints).toEqual([]);
  });

  it("refuses an unknown hint, naming it", () => {
    const message = problem({ REPLICA_LOCATION_HINTS: "wnam,WEUR" });
    expect(message).toContain(`REPLICA_LOCATION_HINTS has "WEUR", not one of wnam, enam`);
    expect(message).toContain(`"wnam,WEUR"`);
  });
});

describe("TOPICS", () => {
  it("parses name[:partitions] lists (replication factor 1, default configs)", () => {
    expect(parsed({ TOPICS: " orders:3, audit ," }).declaredTopics).toEqual([
      { name: "orders", partitions: 3, replicationFactor: 1, configs: {} },
      { name: "audit", partitions: 1, replicationFactor: 1, configs: {} },
    ]);
    expect(parsed({ TOPICS: "" }).declaredTopics).toEqual([]);
  });

  it.each([
    ["a/b", "topic name may contain only"],
    ["orders:0", "partitions must be 1..1000"],
    ["orders:x", "partitions must be 1..1000"],
    ["orders:", "partitions must be 1..1000"],
    ["orders:1001", "partitions must be 1..1000"],
    ["orders:3:1", "expected name[:partitions]"],
    [":3", "topic name must be a non-empty string"],
  ])("refuses %j, naming the entry", (entry, why) => {
    const message = problem({ TOPICS: `ok:1,${entry}` });
    expect(message).toContain(`TOPICS entry "${entry}": ${why}`);
  });

  it("refuses a topic declared twice", () => {
    const message = problem({ TOPICS: "orders:3,audit,orders:1" });
    expect(message).toContain(`TOPICS entry "orders:1": topic orders is declared twice`);
  });

  it("the parser alone answers Kafka's topic errors", () => {
    const bad = parseDeclaredTopics("a/b");
    expect(!bad.ok && bad.err.error).toBe("INVALID_TOPIC_EXCEPTION");
    const zero = parseDeclaredTopics("orders:0");
    expect(!zero.ok && zero.err.error).toBe("INVALID_PARTITIONS");
  });
});

describe("QUOTA_DEFAULTS", () => {
  it("parses name=number entries into the quota table and refuses unknown names or non-numbers", () => {
    expect(parsed({ QUOTA_DEFAULTS: "requests_per_s=100, topics=3" }).quotaDefaults).toEqual({ requests_per_s: 100, topics: 3 });
    expect(parsed({ QUOTA_DEFAULTS: "" }).quotaDefaults).toEqual({});
    expect(problem({ QUOTA_DEFAULTS: "bananas=1" })).toContain("QUOTA_DEFAULTS");
    expect(problem({ QUOTA_DEFAULTS: "topics=-1" })).toContain("QUOTA_DEFAULTS");
  });
});

describe("CORS_ALLOWED_ORIGINS", () => {
  it("is off when unset, takes scheme://host[:port] origins or *, and refuses paths and junk", () => {
    expect(parsed({}).corsAllowedOrigins).toEqual([]);
    expect(parsed({ CORS_ALLOWED_ORIGINS: "https://a.example, http://localhost:5173" }).corsAllowedOrigins).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(parsed({ CORS_ALLOWED_ORIGINS: "*" }).corsAllowedOrigins).toEqual(["*"]);
    expect(problem({ CORS_ALLOWED_ORIGINS: "https://a.example/path" })).toContain("CORS_ALLOWED_ORIGINS");
    expect(problem({ CORS_ALLOWED_ORIGINS: "javascript:alert(1)" })).toContain("CORS_ALLOWED_ORIGINS");
  });
});

describe("ADMIN_TOKEN", () => {
  it("is the token, or null when unset or empty", () => {
    expect(parsed({ ADMIN_TOKEN: "s3cret-token" }).adminToken).toBe("s3cret-token");
    expect(parsed({ ADMIN_TOKEN: "" }).adminToken).toBeNull();
    expect(parsed({}).adminToken).toBeNull();
  });

  it("refuses a token with whitespace (no bearer header could match it) without echoing it", () => {
    const message = problem({ ADMIN_TOKEN: "s3cret token\n" });
    expect(message).toContain("ADMIN_TOKEN contains whitespace");
    expect(message).not.toContain("s3cret");
  });
});

describe("LOG_LEVEL", () => {
  it("takes debug, info, warn, error or off and refuses anything else, naming the var", () => {
    for (const level of ["debug", "info", "warn", "error", "off"]) expect(parsed({ LOG_LEVEL: level }).logLevel).toBe(level);
    for (const bad of ["INFO", "verbose", "", " info"]) expect(problem({ LOG_LEVEL: bad })).toContain("LOG_LEVEL must be one of debug, info, warn, error, off");
  });
});

describe("REPLICA_TAIL_BYTES", () => {
  it("takes a whole number of bytes from 0 to 32 MiB", () => {
    expect(parsed({ REPLICA_TAIL_BYTES: "0" }).replicaTailBytes).toBe(0);
    expect(parsed({ REPLICA_TAIL_BYTES: "33554432" }).replicaTailBytes).toBe(33_554_432);
    expect(parsed({ REPLICA_TAIL_BYTES: 4096 }).replicaTailBytes).toBe(4096);
  });

  it.each(["-1", "1.5", "1e6", "", " 4096", "33554433", "4MiB"])("refuses %j, naming the var and the value", (raw) => {
    expect(problem({ REPLICA_TAIL_BYTES: raw })).toContain(`REPLICA_TAIL_BYTES must be a whole number of bytes from 0 to 33554432, got ${JSON.stringify(raw)}`);
  });
});

describe("the whole env", () => {
  it("ignores unknown vars and bindings", () => {
    const binding = { getByName() {} };
    const env = {
      FOO: "bar",
      REPLICA_LAG_TIME_MAX_MS_TYPO: "x",
      PARTITION_REPLICA: binding,
      REPLICA_LAG_TIME_MAX_MS: "2000",
    };
    expect(parsed(env).replicaLagTimeMaxMs).toBe(2000);
  });

  it("names every bad var in one error", () => {
    const msg = problem({ REPLICA_LAG_TIME_MAX_MS: "30000x", GROUP_MIN_SESSION_TIMEOUT_MS: "-5" });
    expect(msg).toMatch(/^invalid broker configuration: REPLICA_LAG_TIME_MAX_MS .*"30000x"; /);
    expect(msg).toMatch(/; GROUP_MIN_SESSION_TIMEOUT_MS .*"-5"$/);
  });

  it("brokerConfig throws a BrokerConfigError with that message, on every call", () => {
    const env = { REPLICA_LAG_TIME_MAX_MS: "30000x" };
    for (let i = 0; i < 2; i++) {
      const thrown = (() => {
        try {
          brokerConfig(env);
        } catch (e) {
          return e;
        }
      })();
      expect(thrown).toBeInstanceOf(BrokerConfigError);
      expect((thrown as BrokerConfigError).message).toBe(
        "invalid broker configuration: REPLICA_LAG_TIME_MAX_MS must be a whole number of " +
          'milliseconds from 1 to 2147483647, got "30000x" (see src/config/broker-config.ts)',
      );
      expect((thrown as BrokerConfigError).err.error).toBe("INVALID_CONFIG");
    }
  });

  it("brokerConfig parses an env object once and returns the same frozen config", () => {
    const env = { REPLICA_LAG_TIME_MAX_MS: "2000" };
    const first = brokerConfig(env);
    expect(brokerConfig(env)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(brokerConfig({ REPLICA_LAG_TIME_MAX_MS: "3000" }).replicaLagTimeMaxMs).toBe(3000);
  });
});
