/**
 * The coordinator's topic rules (TopicAdmin over TopicStore), on node:sqlite with the same
 * migrations the Durable Object applies.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { TopicStore } from "../../src/coordinator/topic-store.ts";
import { replicaNamesOf, TopicAdmin } from "../../src/coordinator/topics.ts";
import { toLogConfig, validateTopicConfigs } from "../../src/protocol/config.ts";
import { ERRORS } from "../../src/protocol/errors.ts";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { readMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

let store: TopicStore;
let admin: TopicAdmin;
let ids = 0;

beforeEach(() => {
  const sql = new NodeSqlitePort();
  applyMigrations(sql, readMigrations("cluster-coordinator"));
  store = new TopicStore(sql, "acme");
  ids = 0;
  admin = new TopicAdmin(store, new FakeClock(), () => `00000000-0000-4000-8000-${String(++ids).padStart(12, "0")}`);
});

const create = (name: string, partitions = 1, configs: Record<string, string> = {}) =>
  admin.create({ name, partitions, replicationFactor: 1, configs });

describe("TopicAdmin", () => {
  it("a new topic gets a fresh id and partitions 0..n-1 led by replica 0 at epoch 0", () => {
    const r = create("orders", 3);
    expect(r.ok && r.value).toMatchObject({ tenant: "acme", name: "orders", topicId: expect.stringMatching(/-000000000001$/) });
    expect(r.ok && r.value.partitions).toEqual(
      [0, 1, 2].map((partition) => ({ partition, replicas: [0], leader: 0, leaderEpoch: 0, isr: [0], offlineReplicas: [], partitionEpoch: 0 })),
    );
  });

  it("a name is unique: a second create is TOPIC_ALREADY_EXISTS and changes nothing", () => {
    create("orders", 2);
    const again = create("orders", 5);
    expect(!again.ok && again.err.error).toBe("TOPIC_ALREADY_EXISTS");
    expect(admin.list().map((t) => t.partitions.length)).toEqual([2]);
  });

  it.each([0, 1001, -1, 2.5])("a partition count of %s is INVALID_PARTITIONS", (n) => {
    const r = create("x", n);
    expect(!r.ok && r.err.error).toBe("INVALID_PARTITIONS");
    expect(admin.list()).toEqual([]);
  });

  it("replication factors above 5 are INVALID_REPLICATION_FACTOR", () => {
    const r = admin.create({ name: "x", partitions: 1, replicationFactor: 6, configs: {} });
    expect(!r.ok && r.err.error).toBe("INVALID_REPLICATION_FACTOR");
  });

  it("min.insync.replicas above the replication factor is INVALID_CONFIG", () => {
    const r = create("x", 1, { "min.insync.replicas": "2" });
    expect(!r.ok && r.err.error).toBe("INVALID_CONFIG");
  });

  it("altering configs merges them and bumps every partition epoch so replicas are told", () => {
    create("orders", 2, { "retention.ms": "1000" });
    const r = admin.alter("orders", { configs: { "segment.bytes": "1048576" } });
    expect(r.ok && r.value.configs).toEqual({ "retention.ms": "1000", "segment.bytes": "1048576" });
    expect(r.ok && r.value.partitions.map((p) => p.partitionEpoch)).toEqual([1, 1]);
    expect(store.unsyncedPartitions().map((p) => p.partition)).toEqual([0, 1]);
  });

  it("partitions only grow; a shrink or an invalid config changes nothing", () => {
    create("orders", 2);
    expect(admin.alter("orders", { partitions: 4 }).ok).toBe(true);
    const shrink = admin.alter("orders", { partitions: 3 });
    expect(!shrink.ok && shrink.err.error).toBe("INVALID_PARTITIONS");
    const bad = admin.alter("orders", { partitions: 6, configs: { "cleanup.policy": "shred" } });
    expect(!bad.ok && bad.err.error).toBe("INVALID_CONFIG");
    const d = admin.describe("orders");
    expect(d.ok && [d.value.partitions.length, d.value.configs]).toEqual([4, {}]);
  });

  // Issue 21: compaction exists; Kafka's three spellings are accepted on create and alter.
  it.each(["compact", "compact,delete", "delete,compact", "delete, compact"])(
    "cleanup.policy=%s is accepted on create and on alter, stored as given",
    (policy) => {
      expect(create("kept", 1, { "cleanup.policy": policy }).ok).toBe(true);
      create("orders", 1, { "cleanup.policy": "delete" });
      expect(admin.alter("orders", { configs: { "cleanup.policy": policy } }).ok).toBe(true);
      const d = admin.describe("orders");
      expect(d.ok && d.value.configs).toEqual({ "cleanup.policy": policy });
    },
  );

  it.each(["compact,compact", "shred", "compact,delete,compact", ""])(
    "cleanup.policy=%j is INVALID_CONFIG (40) naming the allowed values, and changes nothing",
    (policy) => {
      const created = create("kept", 1, { "cleanup.policy": policy });
      expect(created.ok ? null : created.err).toMatchObject({ error: "INVALID_CONFIG", errorCode: 40 });
      expect(created.ok ? "" : created.err.message).toMatch(/delete, compact or compact,delete/);
      expect(admin.list()).toEqual([]);
    },
  );

  it("a pushed partition state is marked synced only up to the epoch that was pushed", () => {
    create("orders", 1);
    const [p] = store.unsyncedPartitions();
    admin.alter("orders", { configs: { "retention.ms": "5" } });
    store.markSynced(p!.topicId, 0, p!.partitionEpoch);
    expect(store.unsyncedPartitions().map((x) => x.partitionEpoch)).toEqual([1]);
  });

  it("delete removes the topic and queues its replicas' storage for dropping; re-create gets a new id", () => {
    const first = create("orders", 2);
    const deleted = admin.delete("orders");
    expect(deleted.ok).toBe(true);
    expect(admin.describe("orders").ok).toBe(false);
    expect(store.pendingReplicaDeletions(10).sort()).toEqual(first.ok ? replicaNamesOf(first.value).sort() : []);
    const second = create("orders", 1);
    expect(second.ok && first.ok && second.value.topicId !== first.value.topicId).toBe(true);
  });

  it("unknown topics are UNKNOWN_TOPIC_OR_PARTITION for describe, alter and delete", () => {
    for (const r of [admin.describe("nope"), admin.alter("nope", { partitions: 2 }), admin.delete("nope")])
      expect(!r.ok && r.err.error).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });
});

describe("validateTopicConfigs (the edge's check, shared with the coordinator)", () => {
  it("the compaction configs take Kafka's defaults and types: lag 0 / never, tombstones 1 day, ratio 0.5", () => {
    const c = toLogConfig({});
    expect([c.cleanupPolicy, c.minCompactionLagMs, c.maxCompactionLagMs, c.deleteRetentionMs, c.minCleanableDirtyRatio]).toEqual(["delete", 0, Infinity, 86_400_000, 0.5]);
    expect(toLogConfig({ "cleanup.policy": "delete, compact" }).cleanupPolicy).toBe("compact,delete");
    expect(toLogConfig({ "max.compaction.lag.ms": "60000" }).maxCompactionLagMs).toBe(60_000);
  });

  it.each([
    ["min.compaction.lag.ms", "-1"],
    ["max.compaction.lag.ms", "0"],
    ["delete.retention.ms", "1.5"],
    ["delete.retention.ms", "92233720368547758070"],
    ["min.cleanable.dirty.ratio", "1.5"],
    ["min.cleanable.dirty.ratio", "-0.1"],
    ["min.cleanable.dirty.ratio", "half"],
  ])("%s=%s is INVALID_CONFIG (40) naming the key", (key, value) => {
    const r = validateTopicConfigs({ [key]: value });
    expect(r.ok ? null : r.err.errorCode).toBe(ERRORS.INVALID_CONFIG.code);
    expect(r.ok ? "" : r.err.message).toContain(key);
  });

  it("valid compaction configs pass as given", () => {
    const configs = { "cleanup.policy": "compact", "min.compaction.lag.ms": "0", "max.compaction.lag.ms": "9223372036854775807", "delete.retention.ms": "1000", "min.cleanable.dirty.ratio": "0.01" };
    expect(validateTopicConfigs(configs)).toEqual({ ok: true, value: configs });
  });
});
