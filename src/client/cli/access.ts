/**
 * How the CLI spells access control on the command line: an ACL entry as one word
 * `resource:pattern:name:operation:permission` (`topic:prefixed:orders.:write:allow`; the name
 * may be empty, `topic:prefixed::read:allow` = every topic, or hold colons), and quotas as
 * `name=value` pairs (`produce_bytes_per_s=1048576`; `default` = back to the operator's default).
 * The words are the API's (src/protocol/acl.ts, docs/api.md "Tenants, API keys and ACLs").
 * Pure; called by keys.ts and tenants.ts. A malformed word is a usage error naming it.
 */
import type { Acl, Quotas } from "../flarelog-client.ts";
import { OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, ROLES } from "../../protocol/acl.ts";
import { usage, type Parsed } from "./args.ts";

const oneOf = <T extends string>(words: readonly T[], value: string, what: string, whole: string): T => {
  if ((words as readonly string[]).includes(value)) return value as T;
  throw usage(`--acl "${whole}": ${what} must be one of ${words.join(", ")}, got "${value}"`);
};

/** One `--acl` word as the API's entry. */
export function parseAcl(text: string): Acl {
  const parts = text.split(":");
  if (parts.length < 5) throw usage(`--acl takes resource:pattern:name:operation:permission (e.g. topic:prefixed:orders.:write:allow), got "${text}"`);
  const [resource, pattern] = parts;
  const [operation, permission] = parts.slice(-2);
  return {
    resource_type: oneOf(RESOURCE_TYPES, resource!, "resource", text),
    pattern_type: oneOf(PATTERN_TYPES, pattern!, "pattern", text),
    name: parts.slice(2, -2).join(":"),
    operation: oneOf(OPERATIONS, operation!, "operation", text),
    permission: oneOf(PERMISSIONS, permission!, "permission", text),
  };
}

/** An entry as `--acl` takes it, so a listed key's entries can be given back as they are. */
export const aclText = (a: Acl): string => `${a.resource_type}:${a.pattern_type}:${a.name}:${a.operation}:${a.permission}`;

export type Role = (typeof ROLES)[number];

export function parseRole(value: string): Role {
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  throw usage(`--role must be one of ${ROLES.join(", ")}, got "${value}"`);
}

/** Every quota the API knows (a missing or extra name here fails the typecheck). */
const QUOTA_NAMES: Record<keyof Quotas, true> = {
  produce_bytes_per_s: true,
  fetch_bytes_per_s: true,
  requests_per_s: true,
  topics: true,
  partitions: true,
  storage_bytes: true,
};
export const QUOTAS = Object.keys(QUOTA_NAMES) as (keyof Quotas)[];

/** One `quota=value` of a repeated flag: a number sets the quota, null (`default`) removes it. */
export type QuotaEdit = [keyof Quotas, number | null];

/** The `quota=value` pairs of a repeated flag, checked before anything is sent; undefined when absent. */
export function quotaEdits(p: Parsed, flagName: string): QuotaEdit[] | undefined {
  return p.flags.get(flagName)?.map((v): QuotaEdit => {
    const eq = v.indexOf("=");
    const name = v.slice(0, eq) as keyof Quotas;
    const value = v.slice(eq + 1);
    if (eq < 1 || !Object.hasOwn(QUOTA_NAMES, name)) throw usage(`--${flagName} takes quota=value with quota one of ${QUOTAS.join(", ")}, got "${v}"`);
    if (value === "default") return [name, null];
    if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return [name, Number(value)];
    throw usage(`--${flagName} ${name} must be an integer ≥ 0 or "default", got "${value}"`);
  });
}

/** `base` with the edits applied in order. */
export function applyQuotaEdits(base: Quotas, edits: QuotaEdit[]): Quotas {
  const out: Quotas = { ...base };
  for (const [name, value] of edits) {
    if (value === null) delete out[name];
    else out[name] = value;
  }
  return out;
}

/** Epoch milliseconds as an ISO time; null as "-". */
export const when = (ms: number | null): string => (ms === null ? "-" : new Date(ms).toISOString());
