/**
 * The words of Kafka's ACL model as the API spells them (API.md "Tenants, API keys and ACLs"):
 * resource types, pattern types, operations, permissions, and the roles that expand to entries.
 * Plain data shared by the tenant directory (which stores entries) and the services (which
 * evaluate them, src/services/acl.ts).
 */
export const RESOURCE_TYPES = ["topic", "group", "cluster", "producer"] as const;
export const PATTERN_TYPES = ["literal", "prefixed"] as const;
export const OPERATIONS = [
  "read", "write", "create", "delete", "describe", "describe_configs", "alter_configs", "alter", "idempotent_write", "all",
] as const;
export const PERMISSIONS = ["allow", "deny"] as const;
export const ROLES = ["admin", "producer", "consumer"] as const;

export type ResourceType = (typeof RESOURCE_TYPES)[number];
export type Operation = (typeof OPERATIONS)[number];
export type Role = (typeof ROLES)[number];

export interface AclEntry {
  resource_type: ResourceType;
  pattern_type: (typeof PATTERN_TYPES)[number];
  name: string;
  operation: Operation;
  permission: (typeof PERMISSIONS)[number];
}

