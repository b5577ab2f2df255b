/**
 * The leader's replication driver (src/partition/replication.ts) around a failing transport,
 * with a stand-in replica: a call that throws is never dropped. It becomes a Kafka error value
 * classified by the runtime's `.retryable` / `.overloaded` flags (what the leader's state is
 * fed), the driver retries by alarm, and a failure it can only retry (the coordinator's state
 * unreadable after an unanswered AlterPartition) is logged.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Result } from "../../src/protocol/errors.ts";
import type { AlterPartitionRequest, PartitionState, ReplicateRequest, ReplicateResponse } from "../../src/protocol/types.ts";
import type { PartitionReplica } from "../../src/partition/partition-replica.ts";
import { REPLICATION_RETRY_MS, ReplicationDriver } from "../../src/partition/replication.ts";
import type { ReplicaTransport } from "../../src/partition/replica-transport.ts";
import { FakeClock } from "../support/fake-clock.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

const PUSH = { leaderEpoch: 1 } as ReplicateRequest;
const ALTER = { partitionEpoch: 3 } as unknown as AlterPartitionRequest;

/** A replica with one push to send and/or one ISR change to ask for; records what it is fed. */
function standInReplica(opts: { push?: boolean; alter?: boolean }) {
  const fed: Result<ReplicateResponse>[] = [];
  let push = opts.push ?? false;
  let alter = opts.alter ?? false;
  const replica = {
    pushesToSend: (): [number, ReplicateRequest][] => (push ? ((push = false), [[2, PUSH]]) : []),
    nextReplicationDeadline: () => null,
    onPushResult: (_f: number, _r: ReplicateRequest, res: Result<ReplicateResponse>) => {
      fed.push(res);
      return { hwAdvanced: false, fenced: false };
    },
    isrChange: () => (alter ? ((alter = false), ALTER) : null),
    applyPartitionState: (_s: PartitionState) => true,
  } as unknown as PartitionReplica;
  return { replica, fed };
}

/** What console.warn was called with, objects as JSON, one call a line. */
function logged(warn: { mock: { calls: unknown[][] } }): string {
  return warn.mock.calls.map((c) => c.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(" ")).join("\n");
}

function transport(calls: Partial<ReplicaTransport>): ReplicaTransport {
  const never = () => Promise.reject(new Error("not expected"));
  return { replicate: never, alterPartition: never, partitionState: never, ...calls };
}

/** Runs `kick` and lets the driver's promises settle; resolves with the alarms it asked for. */
async function kick(replica: PartitionReplica, t: ReplicaTransport, clock: FakeClock): Promise<number[]> {
  const alarms: number[] = [];
  const driver = new ReplicationDriver(replica, clock, { transport: () => t, onProgress: () => undefined, scheduleAt: (at) => alarms.push(at) });
  driver.kick();
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return alarms;
}

describe("replication driver: failed calls become values or log lines (issue 13)", () => {
  it("a push that throws reaches the leader's state as an error classified by the runtime's flags, and is retried by alarm", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const clock = new FakeClock();
    const overloaded = Object.assign(new Error("too many requests queued"), { overloaded: true, retryable: true });
    const transient = Object.assign(new Error("network connection lost"), { retryable: true });
    for (const [thrown, expected] of [
      [overloaded, "THROTTLING_QUOTA_EXCEEDED"],
      [transient, "NETWORK_EXCEPTION"],
    ] as const) {
      const { replica, fed } = standInReplica({ push: true });
      const alarms = await kick(replica, transport({ replicate: () => Promise.reject(thrown) }), clock);
      expect(fed.map((r) => (r.ok ? "ok" : r.err.error))).toEqual([expected]);
      expect(alarms).toEqual([clock.now() + REPLICATION_RETRY_MS]);
    }
    expect(warn).not.toHaveBeenCalled(); // expected failures, visible in the ISR: no log line each
  });

  it("a push that throws without the runtime's flags (a bug on the follower) is UNKNOWN_SERVER_ERROR and logged", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { replica, fed } = standInReplica({ push: true });
    await kick(replica, transport({ replicate: () => Promise.reject(new TypeError("x is undefined")) }), new FakeClock());
    expect(fed.map((r) => (r.ok ? "ok" : r.err.error))).toEqual(["UNKNOWN_SERVER_ERROR"]);
    expect(logged(warn)).toMatch(/push to replica 2.*x is undefined/s);
  });

  it("an AlterPartition left unanswered whose settling read throws too is logged and retried by alarm, not dropped", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const clock = new FakeClock();
    const { replica } = standInReplica({ alter: true });
    const alarms = await kick(
      replica,
      transport({
        alterPartition: () => Promise.reject(new Error("coordinator reset")),
        partitionState: () => Promise.reject(new Error("coordinator still resetting")),
      }),
      clock,
    );
    expect(alarms).toEqual([clock.now() + REPLICATION_RETRY_MS]);
    expect(logged(warn)).toMatch(/coordinator reset/);
    expect(logged(warn)).toMatch(/coordinator still resetting/);
  });
});
