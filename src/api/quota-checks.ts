/**
 * The count quotas before a topic is created or grown (src/services/quotas.ts): topics and
 * partitions × replication factor of the caller's tenant. Over → POLICY_VIOLATION (400, 44)
 * and nothing is created. The root token is the operator: no count quota.
 */
import type { Context } from "hono";
import { brokerConfig } from "../config/broker-config.ts";
import { ok, type Result } from "../protocol/errors.ts";
import { checkCounts, quotaValue, topicUsage } from "../services/quotas.ts";
import type { AppEnv } from "./env.ts";
import { unwrap } from "./errors.ts";
import { serviceContext } from "./mount.ts";

function limits(c: Context<AppEnv>) {
  const own = c.get("principal").quotas;
  const defaults = brokerConfig(c.env).quotaDefaults;
  return { topics: quotaValue(own, defaults, "topics"), partitions: quotaValue(own, defaults, "partitions") };
}

/** A new topic of `replicas` partition replicas within the tenant's quotas. */
export async function checkTopicQuotas(c: Context<AppEnv>, replicas: number, topics: number): Promise<Result<void>> {
  if (c.get("principal").isRoot) return ok(undefined);
  const usage = unwrap(await topicUsage(serviceContext(c)));
  return checkCounts(usage, { topics, partitions: replicas }, limits(c));
}

/** Growing `topic` to `partitions` within the tenant's partition quota. */
export async function checkGrowth(c: Context<AppEnv>, topic: string, partitions: number): Promise<Result<void>> {
  if (c.get("principal").isRoot) return ok(undefined);
  const usage = unwrap(await topicUsage(serviceContext(c)));
  const shape = usage.of(topic);
  if (shape === null) return ok(undefined); // the alter itself answers UNKNOWN_TOPIC_OR_PARTITION
  const added = Math.max(0, partitions - shape.partitions) * shape.replicationFactor;
  return checkCounts(usage, { topics: 0, partitions: added }, limits(c));
}
