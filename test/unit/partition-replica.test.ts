/**
 * A replica's fencing and role rules (PartitionReplica over SQLite), in plain Node with a fake
 * clock: only the leader of the current epoch serves clients, assignments never go back in
 * time, and the high watermark follows the single-member ISR; the store keeps the newest
 * batches the `tailBytes` option allows in memory.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { applyMigrations } from "../../src/storage/migrations.ts";
import { PartitionReplica } from "../../src/partition/partition-replica.ts";
import type { PartitionAssignment, RecordInput } from "../../src/protocol/types.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { partitionReplicaMigrations } from "../support/migrations.ts";
import { NodeSqlitePort } from "../support/node-sqlite-port.ts";

const enc = new TextEncoder();
const rec = (v: string): RecordInput => ({ key: null, value: enc.encode(v), headers: [] });

function assignment(over: Partial<PartitionAssignment["state"]> = {}, configs: Record<string, string> = {}): PartitionAssignment {
  return {
    tenant: "default", topic: "orders", topicId: "tid-1", partition: 0, replicaId: 0, configs,
    state: { partition: 0, replicas: [0], leader: 0, leaderEpoch: 0, isr: [0], offlineReplicas: [], partitionEpoch: 0, ...over },
  };
}

let sql: NodeSqlitePort;
let clock: FakeClock;
let replica: PartitionReplica;

beforeEach(() => {
  sql = new NodeSqlitePort();
  applyMigrations(sql, partitionReplicaMigrations());
  clock = new FakeClock();
  replica = new PartitionReplica(sql, clock, { replicaLagTimeMaxMs: 30_000 });
});

const produce = (leaderEpoch: number, ...values: string[]) =>
  replica.produce({ records: values.map(rec), acks: -1, timeoutMs: 1000, leaderEpoch });

describe("PartitionReplica", () => {
  it("an unassigned replica refuses every client call with UNKNOWN_TOPIC_OR_PARTITION", () => {
    const p = produce(0, "x");
    expect(!p.ok && p.err.error).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    const f = replica.read({ offset: 0, maxRecords: 1, maxBytes: 1, leaderEpoch: 0, waitMs: 0 });
    expect(!f.ok && f.err.error).toBe("UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("the sole ISR member's appends are committed at once: HW = LEO", () => {
    replica.becomeLeaderOrFollower(assignment());
    const r = produce(0, "a", "b");
    expect(r.ok && [r.value.baseOffset, r.value.highWatermark]).toEqual([0, 2]);
    expect(replica.describe()).toMatchObject({ logEndOffset: 2, highWatermark: 2, role: "leader" });
  });

  it("a caller with an older leader epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH", () => {
    replica.becomeLeaderOrFollower(assignment({ leaderEpoch: 3, partitionEpoch: 3 }));
    const older = produce(2, "x");
    const newer = produce(4, "x");
    expect([!older.ok && older.err.error, !newer.ok && newer.err.error]).toEqual(["FENCED_LEADER_EPOCH", "UNKNOWN_LEADER_EPOCH"]);
    expect(replica.describe().logEndOffset).toBe(0);
  });

  it("a follower refuses produce and fetch with NOT_LEADER_OR_FOLLOWER", () => {
    replica.becomeLeaderOrFollower({ ...assignment({ leader: 1, replicas: [0, 1], isr: [0, 1] }) });
    const p = produce(0, "x");
    expect(!p.ok && p.err.error).toBe("NOT_LEADER_OR_FOLLOWER");
  });

  it("an assignment older than the one held is ignored", () => {
    replica.becomeLeaderOrFollower(assignment({ partitionEpoch: 5 }, { "message.timestamp.type": "LogAppendTime" }));
    replica.becomeLeaderOrFollower(assignment({ partitionEpoch: 4 }, {}));
    const r = produce(0, "x");
    expect(r.ok && r.value.logAppendTime).toBe(clock.now());
  });

  it("an assignment for another topic id is INCONSISTENT_TOPIC_ID", () => {
    replica.becomeLeaderOrFollower(assignment());
    const r = replica.becomeLeaderOrFollower({ ...assignment({ partitionEpoch: 1 }), topicId: "tid-2" });
    expect(!r.ok && r.err.error).toBe("INCONSISTENT_TOPIC_ID");
  });

  it("acks=all is NOT_ENOUGH_REPLICAS before any append when the ISR is below min.insync.replicas", () => {
    replica.becomeLeaderOrFollower(assignment({ replicas: [0, 1], isr: [0] }, { "min.insync.replicas": "2" }));
    const r = produce(0, "x");
    expect(!r.ok && r.err.error).toBe("NOT_ENOUGH_REPLICAS");
    expect(replica.describe().logEndOffset).toBe(0);
    const acks1 = replica.produce({ records: [rec("y")], acks: 1, timeoutMs: 1000, leaderEpoch: 0 });
    expect(acks1.ok).toBe(true);
  });

  it("state and assignment survive a reopen on the same storage", () => {
    replica.becomeLeaderOrFollower(assignment({ leaderEpoch: 2, partitionEpoch: 2 }));
    produce(2, "a", "b", "c");
    const reopened = new PartitionReplica(sql, clock, { replicaLagTimeMaxMs: 30_000 });
    expect(reopened.describe()).toEqual({ logStartOffset: 0, highWatermark: 3, logEndOffset: 3, leaderEpoch: 2, role: "leader", storedBytes: 29 });
    const f = reopened.read({ offset: "earliest", maxRecords: 10, maxBytes: 1 << 20, leaderEpoch: 2, waitMs: 0 });
    expect(f.ok && f.value.records.map((r) => new TextDecoder().decode(r.value!))).toEqual(["a", "b", "c"]);
  });

  it("list offsets: earliest, latest, and the high watermark when no record is that recent", () => {
    replica.becomeLeaderOrFollower(assignment());
    replica.produce({ records: [{ ...rec("a"), timestamp: 100 }, { ...rec("b"), timestamp: 200 }], acks: 1, timeoutMs: 1, leaderEpoch: 0 });
    expect(replica.listOffsets("earliest", 0)).toEqual({ ok: true, value: { offset: 0, timestamp: null } });
    expect(replica.listOffsets("latest", 0)).toEqual({ ok: true, value: { offset: 2, timestamp: null } });
    expect(replica.listOffsets({ timestamp: 150 }, 0)).toEqual({ ok: true, value: { offset: 1, timestamp: 200 } });
    expect(replica.listOffsets({ timestamp: 201 }, 0)).toEqual({ ok: true, value: { offset: 2, timestamp: null } });
  });

  it("retention by time deletes expired segments when its deadline comes", () => {
    replica.becomeLeaderOrFollower(assignment({}, { "retention.ms": "1000", "segment.ms": "10" }));
    produce(0, "old");
    clock.advance(20);
    produce(0, "new");
    clock.advance(995);
    expect(replica.enforceRetention()).not.toBeNull();
    expect(replica.describe().logStartOffset).toBe(1);
  });

  it("the store keeps tailBytes of the newest batches: an older batch is read from memory by default, from SQLite with 0", () => {
    /** A port that counts the statements reading batch rows. */
    class CountingPort extends NodeSqlitePort {
      batchReads = 0;
      override exec<T extends object>(statement: string, ...params: Parameters<NodeSqlitePort["exec"]>[1][]): T[] {
        if (/\bFROM batches\b/i.test(statement)) this.batchReads++;
        return super.exec<T>(statement, ...params);
      }
    }
    const readOldest = (tailBytes: number | undefined) => {
      const port = new CountingPort();
      applyMigrations(port, partitionReplicaMigrations());
      const r = new PartitionReplica(port, clock, { replicaLagTimeMaxMs: 30_000, ...(tailBytes === undefined ? {} : { tailBytes }) });
      r.becomeLeaderOrFollower(assignment());
      for (const v of ["a", "b", "c"]) r.produce({ records: [rec(v.repeat(1000))], acks: -1, timeoutMs: 1000, leaderEpoch: 0 });
      port.batchReads = 0;
      const f = r.read({ offset: 0, maxRecords: 1, maxBytes: 1 << 20, leaderEpoch: 0, waitMs: 0 });
      expect(f.ok && f.value.records.map((x) => x.offset)).toEqual([0]);
      return port.batchReads;
    };
    expect(readOldest(undefined)).toBe(0);
    expect(readOldest(1 << 20)).toBe(0);
    expect(readOldest(0)).toBeGreaterThan(0);
  });
});
