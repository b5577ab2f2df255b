/**
 * Topics declared in a deployment's `TOPICS` var ("orders:3,audit:1,events"), created at
 * start-up when missing. Format: comma-separated `name[:partitions]`; whitespace ignored.
 */
import { LIMITS, validateTopicName } from "../protocol/config.ts";
import { fail, ok, type Result } from "../protocol/errors.ts";
import type { CreateTopicRequest } from "../protocol/types.ts";

export function parseDeclaredTopics(spec: string): Result<CreateTopicRequest[]> {
  const out: CreateTopicRequest[] = [];
  for (const item of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name = "", count = "1"] = item.split(":").map((s) => s.trim());
    const valid = validateTopicName(name);
    if (!valid.ok) return valid;
    const partitions = Number(count);
    if (!/^\d+$/.test(count) || partitions < 1 || partitions > LIMITS.maxPartitions)
      return fail("INVALID_PARTITIONS", `TOPICS entry "${item}": partitions must be 1..${LIMITS.maxPartitions}`);
    out.push({ name, partitions, replicationFactor: 1, configs: {} });
  }
  return ok(out);
}
