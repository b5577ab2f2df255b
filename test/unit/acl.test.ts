/**
 * Kafka's ACL model (src/services/acl.ts): deny wins over allow, literal vs prefixed names,
 * implied operations (Read/Write/Delete/Alter → Describe, AlterConfigs → DescribeConfigs), no
 * matching allow refuses with the resource type's code (29/30/31), roles expand to entries that
 * grant exactly what they say, submitted entries are bounded.
 */
import { describe, expect, it } from "vitest";
import { CLUSTER, authorize, isAllowed, roleAcls, validateAcls, type AclEntry } from "../../src/services/acl.ts";

const e = (over: Partial<AclEntry>): AclEntry => ({ resource_type: "topic", pattern_type: "literal", name: "orders", operation: "read", permission: "allow", ...over });

describe("ACL evaluation", () => {
  it("a deny of the operation wins over any allow", () => {
    const acls = [e({ pattern_type: "prefixed", name: "", operation: "all" }), e({ operation: "write", permission: "deny" })];
    expect(isAllowed(acls, "topic", "orders", "write")).toBe(false);
    expect(isAllowed(acls, "topic", "orders", "read")).toBe(true);
    expect(isAllowed(acls, "topic", "audit", "write")).toBe(true);
  });

  it("a deny of `all` refuses every operation on matching names", () => {
    const acls = [e({ operation: "all" }), e({ pattern_type: "prefixed", name: "ord", operation: "all", permission: "deny" })];
    for (const op of ["read", "write", "describe", "delete"] as const) expect(isAllowed(acls, "topic", "orders", op)).toBe(false);
  });

  it("literal names match exactly (or *), prefixed names match by prefix", () => {
    expect(isAllowed([e({})], "topic", "orders", "read")).toBe(true);
    expect(isAllowed([e({})], "topic", "orders2", "read")).toBe(false);
    expect(isAllowed([e({ name: "*" })], "topic", "anything", "read")).toBe(true);
    expect(isAllowed([e({ pattern_type: "prefixed", name: "orders." })], "topic", "orders.eu", "read")).toBe(true);
    expect(isAllowed([e({ pattern_type: "prefixed", name: "orders." })], "topic", "ordersXeu", "read")).toBe(false);
  });

  it("read, write, delete and alter imply describe; alter_configs implies describe_configs; nothing implies write", () => {
    for (const op of ["read", "write", "delete", "alter"] as const) expect(isAllowed([e({ operation: op })], "topic", "orders", "describe")).toBe(true);
    expect(isAllowed([e({ operation: "alter_configs" })], "topic", "orders", "describe_configs")).toBe(true);
    expect(isAllowed([e({ operation: "read" })], "topic", "orders", "write")).toBe(false);
    expect(isAllowed([e({ operation: "describe" })], "topic", "orders", "read")).toBe(false);
  });

  it("an entry for another resource type grants nothing", () => {
    expect(isAllowed([e({ resource_type: "group" })], "topic", "orders", "read")).toBe(false);
  });

  it("no matching allow is refused with 29 (topic), 30 (group), 31 (cluster, producer)", () => {
    const code = (t: "topic" | "group" | "cluster" | "producer") => {
      const r = authorize([], t, "x", "read");
      return r.ok ? 0 : r.err.errorCode;
    };
    expect([code("topic"), code("group"), code("cluster"), code("producer")]).toEqual([29, 30, 31, 31]);
  });
});

describe("roles", () => {
  it("producer on prefix orders. writes orders.* only, cannot read, may init producer ids", () => {
    const acls = roleAcls("producer", "orders.");
    expect(isAllowed(acls, "topic", "orders.eu", "write")).toBe(true);
    expect(isAllowed(acls, "topic", "audit", "write")).toBe(false);
    expect(isAllowed(acls, "topic", "orders.eu", "read")).toBe(false);
    expect(isAllowed(acls, "producer", "", "idempotent_write")).toBe(true);
    expect(isAllowed(acls, "group", "billing-1", "read")).toBe(false);
  });

  it("consumer of group prefix billing- reads topics and joins billing-* groups only, never writes", () => {
    const acls = roleAcls("consumer", "billing-");
    expect(isAllowed(acls, "group", "billing-eu", "read")).toBe(true);
    expect(isAllowed(acls, "group", "audit", "read")).toBe(false);
    expect(isAllowed(acls, "topic", "orders", "read")).toBe(true);
    expect(isAllowed(acls, "topic", "orders", "write")).toBe(false);
    expect(isAllowed(acls, "cluster", CLUSTER, "alter")).toBe(false);
  });

  it("admin may do everything in its tenant, including key administration (Alter on the cluster)", () => {
    const acls = roleAcls("admin", "");
    expect(isAllowed(acls, "cluster", CLUSTER, "alter")).toBe(true);
    expect(isAllowed(acls, "topic", "x", "delete")).toBe(true);
    expect(isAllowed(acls, "group", "g", "delete")).toBe(true);
  });
});

describe("submitted entries", () => {
  it("are refused when empty, too many, badly named, or a cluster entry names something else", () => {
    expect(validateAcls([]).ok).toBe(false);
    expect(validateAcls(Array.from({ length: 101 }, () => e({}))).ok).toBe(false);
    expect(validateAcls([e({ name: "a/b" })]).ok).toBe(false);
    expect(validateAcls([e({ resource_type: "cluster", name: "other" })]).ok).toBe(false);
    expect(validateAcls([e({})]).ok).toBe(true);
  });
});
