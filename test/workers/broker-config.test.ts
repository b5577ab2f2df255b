/**
 * The broker configuration in workerd: the test bindings (vitest.config.ts) reach every object
 * through `brokerConfig(env)`, and a Durable Object started with a bad var refuses to start with
 * the INVALID_CONFIG message naming the var. The vitest pool gives no per-test bindings, so each
 * DO class is constructed here on a real object's state with a copy of the env holding one bad
 * value: exactly what the runtime does when it starts an object.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BrokerConfigError, brokerConfig } from "../../src/config/broker-config.ts";
import { ClusterCoordinatorDO } from "../../src/coordinator/cluster-coordinator-do.ts";
import { GroupCoordinatorDO } from "../../src/groups/group-coordinator-do.ts";
import { PartitionReplicaDO } from "../../src/partition/partition-replica-do.ts";
import { replicaStub } from "../../src/partition/replica-stub.ts";
import { names } from "../../src/protocol/names.ts";

type DoClass = new (ctx: DurableObjectState, env: Env) => unknown;

const tenant = () => `cfg-${crypto.randomUUID()}`;

const replica = () => replicaStub(env, tenant(), crypto.randomUUID(), 0, 0);
const cluster = () => env.CLUSTER_COORDINATOR.getByName(names.clusterCoordinator(tenant()));
const group = () => env.GROUP_COORDINATOR.getByName(names.groupCoordinator(tenant(), "g"));

/** Each class, and a fresh object of it to borrow a state from. */
const OBJECTS: [string, () => DurableObjectStub, DoClass][] = [
  ["PartitionReplicaDO", replica, PartitionReplicaDO],
  ["ClusterCoordinatorDO", cluster, ClusterCoordinatorDO],
  ["GroupCoordinatorDO", group, GroupCoordinatorDO],
];

/** What constructing `cls` on a real object's state, with `vars` over the test env, throws. */
async function startWith(stub: DurableObjectStub, cls: DoClass, vars: Record<string, string>) {
  return runInDurableObject(stub, (_instance, state): unknown => {
    try {
      new cls(state, { ...env, ...vars });
      return null;
    } catch (e) {
      return e;
    }
  });
}

describe("broker configuration in workerd", () => {
  it("the test bindings are what every object reads; unset vars take the defaults", () => {
    const config = brokerConfig(env);
    expect(config.replicaLagTimeMaxMs).toBe(2000);
    expect(config.groupMinSessionTimeoutMs).toBe(100);
    expect(config.producerIdExpirationMs).toBe(86_400_000);
    expect(config.adminToken).toBe("test-admin-token");
  });

  it.each(OBJECTS)("%s with good vars starts", async (_name, stub, cls) => {
    expect(await startWith(stub(), cls, { REPLICA_LAG_TIME_MAX_MS: "5000" })).toBeNull();
  });

  it.each(OBJECTS)("%s with a bad var refuses to start, naming it", async (_name, stub, cls) => {
    const thrown = await startWith(stub(), cls, { REPLICA_LAG_TIME_MAX_MS: "30000x" });
    expect(thrown).toBeInstanceOf(BrokerConfigError);
    expect((thrown as Error).message).toContain(
      "REPLICA_LAG_TIME_MAX_MS must be a whole number of milliseconds from 1 to 2147483647, " +
        'got "30000x"',
    );
  });

  it("a bad var for one object is a bad var for all: each class names the same problem", async () => {
    const vars = { GROUP_MIN_SESSION_TIMEOUT_MS: "6s", REPLICA_LOCATION_HINTS: "mars" };
    for (const [, stub, cls] of OBJECTS) {
      const message = ((await startWith(stub(), cls, vars)) as Error).message;
      expect(message).toContain(
        'GROUP_MIN_SESSION_TIMEOUT_MS must be a whole number of milliseconds from 1 to 300000, got "6s"',
      );
      expect(message).toContain('REPLICA_LOCATION_HINTS has "mars"');
    }
  });

  it("replicaStub refuses to route with bad location hints", () => {
    const bad = { ...env, REPLICA_LOCATION_HINTS: "wnam,nowhere" };
    expect(() => replicaStub(bad, "t", "id", 0, 0)).toThrow(/REPLICA_LOCATION_HINTS has "nowhere"/);
  });
});
