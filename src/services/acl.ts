/**
 * Kafka's ACL model for API keys: an entry allows or denies one operation on resources of one
 * type whose name matches a literal or a prefix. `authorize` answers whether a key's entries
 * permit an operation on a resource: a matching deny wins over any allow; no matching allow is a
 * refusal (Kafka's TOPIC/GROUP/CLUSTER_AUTHORIZATION_FAILED, 29/30/31).
 *
 * Implied operations follow Kafka's authorizer: Read, Write, Delete and Alter each imply
 * Describe; AlterConfigs implies DescribeConfigs; `all` matches every operation. Roles are
 * shorthands that expand to entries at key creation (what is stored is always the entries).
 *
 * Pure functions over plain values; no I/O. Called by the API's authorization middleware and
 * by the key service (validation of submitted entries).
 */
import { RESOURCE_TYPES, type AclEntry, type Operation, type ResourceType, type Role } from "../protocol/acl.ts";
import { fail, ok, type ErrorName, type Result } from "../protocol/errors.ts";

export { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, ROLES } from "../protocol/acl.ts";
export type { AclEntry, Operation, ResourceType, Role } from "../protocol/acl.ts";

/** The one cluster resource's name, as Kafka calls it. */
export const CLUSTER = "kafka-cluster";

/** Operations a granted operation implies (besides itself). */
const IMPLIES: Partial<Record<Operation, readonly Operation[]>> = {
  read: ["describe"], write: ["describe"], delete: ["describe"], alter: ["describe"], alter_configs: ["describe_configs"],
};

/** The error Kafka answers when an operation on a resource of `type` is refused. */
export function refusalFor(type: ResourceType): ErrorName {
  if (type === "topic") return "TOPIC_AUTHORIZATION_FAILED";
  if (type === "group") return "GROUP_AUTHORIZATION_FAILED";
  return "CLUSTER_AUTHORIZATION_FAILED";
}

function matchesName(e: AclEntry, name: string): boolean {
  return e.pattern_type === "literal" ? e.name === name || e.name === "*" : name.startsWith(e.name);
}

function grants(entryOp: Operation, wanted: Operation): boolean {
  return entryOp === "all" || entryOp === wanted || (IMPLIES[entryOp]?.includes(wanted) ?? false);
}

/** Whether `acls` permit `operation` on the resource: deny wins, then any allow. */
export function isAllowed(acls: readonly AclEntry[], type: ResourceType, name: string, operation: Operation): boolean {
  let allowed = false;
  for (const e of acls) {
    if (e.resource_type !== type || !matchesName(e, name)) continue;
    // A deny of X refuses X only (Kafka: a Describe deny does not refuse Read).
    if (e.permission === "deny" && (e.operation === "all" || e.operation === operation)) return false;
    if (e.permission === "allow" && grants(e.operation, operation)) allowed = true;
  }
  return allowed;
}

/** The authorization answer for one operation: nothing, or the Kafka refusal (never naming more than the caller sent). */
export function authorize(acls: readonly AclEntry[], type: ResourceType, name: string, operation: Operation): Result<void> {
  if (isAllowed(acls, type, name, operation)) return ok(undefined);
  const what = type === "cluster" ? "the cluster" : `${type} "${name}"`;
  return fail(refusalFor(type), `not authorized to ${operation} ${what}`);
}

const allow = (resource_type: ResourceType, pattern_type: AclEntry["pattern_type"], name: string, operation: Operation): AclEntry =>
  ({ resource_type, pattern_type, name, operation, permission: "allow" });

/**
 * A role's entries. admin: everything of the tenant. producer: write/describe topics under
 * `prefix`, and idempotent producer ids. consumer: read/describe groups under `prefix` and read
 * every topic (narrow topics with explicit entries).
 */
export function roleAcls(role: Role, prefix: string): AclEntry[] {
  if (role === "admin")
    return RESOURCE_TYPES.map((t) => (t === "cluster" ? allow(t, "literal", CLUSTER, "all") : allow(t, "prefixed", "", "all")));
  if (role === "producer")
    return [allow("topic", "prefixed", prefix, "write"), allow("topic", "prefixed", prefix, "describe"), allow("producer", "prefixed", "", "idempotent_write")];
  return [allow("group", "prefixed", prefix, "read"), allow("topic", "prefixed", "", "read")];
}

const MAX_ACLS = 100;
const MAX_ACL_NAME = 249;

/** A submitted ACL list, checked: known words, bounded names and count. */
export function validateAcls(acls: readonly AclEntry[]): Result<AclEntry[]> {
  if (acls.length === 0 || acls.length > MAX_ACLS) return fail("INVALID_REQUEST", `a key needs 1 to ${MAX_ACLS} acls`);
  for (const e of acls) {
    if (e.name.length > MAX_ACL_NAME || !/^[a-zA-Z0-9._*-]*$/.test(e.name))
      return fail("INVALID_REQUEST", `acl name must be [a-zA-Z0-9._*-]{0,${MAX_ACL_NAME}}`);
    if (e.resource_type === "cluster" && e.name !== CLUSTER && e.name !== "*")
      return fail("INVALID_REQUEST", `a cluster acl names "${CLUSTER}"`);
  }
  return ok(acls.map((e) => ({ ...e })));
}
