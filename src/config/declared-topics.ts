/**
 * Topics declared in a deployment's `TOPICS` var ("orders:3,audit:1,events"), created when a
 * tenant is first served. Format: comma-separated `name[:partitions]`; whitespace around items
 * and empty items are ignored; every topic has replication factor 1 and default configs.
 *
 * Pure. Called by the broker config (broker-config.ts), which refuses a bad `TOPICS` at start;
 * every error names the offending entry (the caller names the var).
 */
import { LIMITS, validateTopicName } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { CreateTopicRequest } from "../protocol/types.ts";

const PARTITIONS = /^\d{1,4}$/;

function parseEntry(item: string): Result<CreateTopicRequest> {
  const parts = item.split(":").map((s) => s.trim());
  if (parts.length > 2) return fail("INVALID_CONFIG", `"${item}": expected name[:partitions]`);
  const [name = "", count = "1"] = parts;
  const valid = validateTopicName(name);
  if (!valid.ok) return fail(valid.err.error, `"${item}": ${valid.err.message}`);
  const partitions = Number(count);
  if (!PARTITIONS.test(count) || partitions < 1 || partitions > LIMITS.maxPartitions)
    return fail("INVALID_PARTITIONS", `"${item}": partitions must be 1..${LIMITS.maxPartitions}`);
  return ok({ name, partitions, replicationFactor: 1, configs: {} });
}

export function parseDeclaredTopics(spec: string): Result<CreateTopicRequest[]> {
  const out: CreateTopicRequest[] = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const entry = parseEntry(item);
    if (!entry.ok) return entry;
    if (out.some((t) => t.name === entry.value.name))
      return fail("INVALID_CONFIG", `"${item}": topic ${entry.value.name} is declared twice`);
    out.push(entry.value);
  }
  return ok(out);
}
